// Temporal actions per path as Temporal Cloud bills them, counted from a committed history: what the
// bench reports for each path.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countActions, describeActions, type HistoryEvent } from '../../bench/actions';

const history = (name: string) =>
  (JSON.parse(readFileSync(new URL(`../histories/${name}.json`, import.meta.url), 'utf8')) as { events: HistoryEvent[] }).events;

describe('Temporal actions per path', () => {
  it('counts the start, signal, timers, activities and search-attribute writes of "pays after the first reminder"', () => {
    expect(countActions(history('pays-after-first-reminder'))).toEqual({ total: 9, start: 1, signal: 1, timer: 2, activity: 3, searchAttributes: 2 });
  });

  it('counts markers and updates, and not the events that cost nothing (workflow tasks, completions, fired timers)', () => {
    const counts = countActions(history('scored-broken-promise-to-legal'));
    expect(counts).toMatchObject({ start: 1, update: 1, timer: 6, activity: 16, searchAttributes: 13, marker: 6 });
    expect(counts.total).toBe(43);
  });

  it('counts fewer actions on contract 5 (#19): audit events ride on activities, no patch markers, no ledger re-read', () => {
    // The same paths recorded on contract 4 (markers of the patches a new run took) and on contract 5.
    expect(countActions(history('scored-pays-after-first-reminder')).total).toBe(13);
    expect(countActions(history('contract5-scored-pays-after-first-reminder'))).toEqual({ total: 9, start: 1, signal: 1, timer: 2, activity: 3, searchAttributes: 2 });
    expect(countActions(history('judged-at-timer-full-ladder-to-legal')).total).toBe(38);
    expect(countActions(history('contract5-full-ladder-to-legal'))).toEqual({ total: 25, start: 1, timer: 8, activity: 11, searchAttributes: 5 });
    const scored = countActions(history('contract5-scored-broken-promise-to-legal'));
    expect(scored.marker).toBeUndefined();
    expect(scored.total).toBe(26);
  });

  it('counts one activity fewer per cure on contract 7 (#19): the payment closes the case, the run issues no closeCase', () => {
    // The same paths on contract 5 (the run closes the case at its end) and on contract 7.
    const activities = (name: string) => history(name).filter((e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED').length;
    for (const path of ['pays-after-first-reminder', 'partial-then-full-payment', 'promise-kept']) {
      expect(countActions(history(`contract7-${path}`)).total).toBe(countActions(history(`contract5-${path}`)).total - 1);
      expect(activities(`contract7-${path}`)).toBe(activities(`contract5-${path}`) - 1);
      expect(history(`contract7-${path}`).length).toBe(history(`contract5-${path}`).length - 6);
    }
    expect(countActions(history('contract7-pays-after-first-reminder'))).toEqual({ total: 8, start: 1, signal: 1, timer: 2, activity: 2, searchAttributes: 2 });
    expect(countActions(history('contract7-partial-then-full-payment'))).toEqual({ total: 8, start: 1, signal: 2, timer: 1, activity: 2, searchAttributes: 2 });
  });

  it('bills each retried activity attempt', () => {
    const events: HistoryEvent[] = [
      { eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' },
      { eventType: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' },
      { eventType: 'EVENT_TYPE_ACTIVITY_TASK_STARTED', activityTaskStartedEventAttributes: { attempt: 3 } },
      { eventType: 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED' },
      { eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
    ];
    expect(countActions(events)).toEqual({ total: 4, start: 1, activity: 3 });
    expect(describeActions(countActions(events))).toBe('4 (start 1, activity 3)');
  });
});
