// Temporal actions per workflow path, counted from event histories the way Temporal Cloud bills them
// (https://docs.temporal.io/cloud/actions): a workflow start, each signal, each update, each timer,
// each activity attempt (a retry is one more), each search-attribute upsert, each marker (side
// effects, local activities, patch markers), each child workflow and each external signal or cancel
// request. Heartbeats and queries are billed too but leave no event, so a history cannot show them;
// neither can an update the workflow rejected. Replays are never billed.

/** The event types that cost one action each, by the name of the action. */
const BILLED: Record<string, string> = {
  EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: 'start',
  EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: 'signal',
  EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: 'update',
  EVENT_TYPE_TIMER_STARTED: 'timer',
  EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: 'activity',
  EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: 'searchAttributes',
  EVENT_TYPE_MARKER_RECORDED: 'marker',
  EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: 'childWorkflow',
  EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: 'externalSignal',
  EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: 'externalCancel',
};

export type ActionCounts = Record<string, number> & { total: number };

export interface HistoryEvent {
  eventType?: string;
  activityTaskStartedEventAttributes?: { attempt?: number } | null;
}

/**
 * Counts billed actions in one history's events, in the JSON form of test/histories (what
 * historyToJSON from @temporalio/common writes for a handle's fetchHistory()).
 */
export function countActions(events: readonly HistoryEvent[]): ActionCounts {
  const counts: ActionCounts = { total: 0 };
  const add = (action: string, n = 1) => {
    counts[action] = (counts[action] ?? 0) + n;
    counts.total += n;
  };
  for (const event of events) {
    const type = event.eventType ?? '';
    const action = BILLED[type];
    if (action) add(action);
    // Retries: the started event of the attempt that finished carries its number; each attempt
    // before it was one more activity action.
    const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 1;
    if (type === 'EVENT_TYPE_ACTIVITY_TASK_STARTED' && attempt > 1) add('activity', attempt - 1);
  }
  return counts;
}

/** "total (start 1, activity 3, …)" for a table. */
export function describeActions(counts: ActionCounts): string {
  const parts = Object.entries(counts)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${k} ${v}`);
  return `${counts.total} (${parts.join(', ')})`;
}
