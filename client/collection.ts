// The Temporal client's side of a loan's collection, written once: the API, the CLI, the sweep (and
// its activity), the demo and the bench all start and signal collection workflows through these.
// Nothing here checks an HTTP request: api/operations.ts does that, then calls in here.
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { paymentReceived, workflowIdForLoan, type CollectionInput } from '../contracts/messages';
import type { Database } from '../db/client';
import { positionSummary, recordPayment, type PaymentInput, type RecordPaymentResult } from '../db/repository/ledger';
import { observePaymentToClose } from '../observability/metrics';

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
  const input: CollectionInput = { loanId, ...(options.strategyId ? { strategyId: options.strategyId } : {}) };
  try {
    const handle = await client.workflow.start('collection', {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      // Shown in the Temporal UI's list and page: ids and codes only, never a borrower's name.
      staticSummary: `Loan ${loanId} · ${options.strategyId ?? 'product default strategy'} · opened ${new Date().toISOString().slice(0, 10)}`,
      staticDetails: 'One delinquent loan walking its strategy: reminder → call → negotiation → legal. The current details say where it is now, why contact is paused and what it waits for.',
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

/**
 * A payment, the one way: ledger first (the system of record; it checks the loan, amount, currency,
 * receipt time and a reused id, once, and closes the loan's open case as cured or paid when the payment
 * leaves nothing past due), then the signal to the loan's workflow if one runs. The same payment id again
 * records nothing and signals again harmlessly: the workflow counts an id once.
 */
export async function recordPaymentAndSignal(
  deps: { db: Database; client: Client },
  payment: PaymentInput,
): Promise<RecordPaymentResult & { signalled: boolean }> {
  const result = await recordPayment(deps.db, payment);
  // The case closed here, with the payment (contract 7): payment-to-close is observed here, once.
  if (result.closedAs) observePaymentToClose(result.closedAs, payment.receivedAt);
  const closed = result.closedAs ? { closedAs: result.closedAs } : {};
  const signalled = await signalIfRunning(deps.client, payment.loanId, (h) =>
    // The position the payment left, from the same transaction: a run on contract 5 takes it instead of
    // reading the ledger again (one activity fewer per payment, #19); and the close the payment made, which
    // a run on contract 7 takes instead of closing the case itself (one activity fewer per cure).
    h.signal(paymentReceived, { paymentId: result.payment.id, position: positionSummary(result.position), ...closed }),
  );
  return { ...result, signalled };
}
