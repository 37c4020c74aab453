// The Temporal client's side of a loan's collection, written once: the API, the CLI, the sweep (and
// its activity), the demo and the bench all start and signal collection workflows through these.
// Nothing here checks an HTTP request: api/operations.ts does that, then calls in here.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { workflowIdForLoan } from '../contracts/messages';
import type { collection } from '../workflows/collection';

export interface StartResult {
  loanId: string;
  workflowId: string;
  runId: string;
  /** false when a collection was already running for the loan: the same case is returned. */
  started: boolean;
}

/**
 * Starts the loan's collection workflow unless one is running. Uses conflict policy FAIL and reads
 * "already started" as the answer: the 1.24 client does not say whether a USE_EXISTING start created
 * the run, and the API (201 vs 200) and the sweep's summary both need to know. Same effect: one run.
 */
export async function startCollectionRun(
  client: Client,
  taskQueue: string,
  loanId: string,
  options: { strategyId?: string } = {},
): Promise<StartResult> {
  const workflowId = workflowIdForLoan(loanId);
  try {
    const handle = await client.workflow.start<typeof collection>('collection', {
      taskQueue,
      workflowId,
      args: [{ loanId, ...(options.strategyId ? { strategyId: options.strategyId } : {}) }],
      workflowIdConflictPolicy: 'FAIL',
      // Shown in the Temporal UI's list: ids only, never a borrower's name.
      staticSummary: `Collection of loan ${loanId}`,
    });
    return { loanId, workflowId, runId: handle.firstExecutionRunId, started: true };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const description = await client.workflow.getHandle(workflowId).describe();
    return { loanId, workflowId, runId: description.runId, started: false };
  }
}

/** The loan's running collection run, if there is one. */
export async function runningCollection(client: Client, loanId: string): Promise<StartResult | null> {
  const workflowId = workflowIdForLoan(loanId);
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING' ? { loanId, workflowId, runId: description.runId, started: false } : null;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/** Signals the loan's workflow if one is running; false when there is none (the fact is recorded anyway). */
export async function signalIfRunning(client: Client, loanId: string, send: (handle: WorkflowHandle) => Promise<void>): Promise<boolean> {
  try {
    await send(client.workflow.getHandle(workflowIdForLoan(loanId)));
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
