// Complaints (issue #16): a borrower's complaint, from their page or through the lender's backend, is
// recorded and pauses the case for an operator's review through the operator pause path
// (pauseCollection); the review resumes the case once no other complaint on the loan is open.
import type { Complaint, ComplaintSource } from '../db/schema';
import { fileComplaintRow, getComplaint, listComplaints, openComplaintCount, reviewComplaintRow } from '../db/repository/complaints';
import { getOpenCase } from '../db/repository/cases';
import { ApiError } from './errors';
import { actorOf, pauseCollection, requireLoan, resumeCollection, type OperationDeps, type Principal } from './operations';

/** The pause reason the workflow records: no words of the complaint, only its id. */
const pauseReason = (id: string) => `complaint ${id} awaits review`;

export interface ComplaintBody {
  idempotencyKey: string;
  text: string;
}

export function complaintView(c: Complaint) {
  return {
    complaintId: c.id,
    loanId: c.loanId,
    source: c.source,
    text: c.text,
    createdAt: c.createdAt.toISOString(),
    status: c.reviewedAt ? ('reviewed' as const) : ('open' as const),
    reviewedAt: c.reviewedAt?.toISOString() ?? null,
    reviewedBy: c.reviewedBy,
    resolution: c.resolution,
  };
}

export async function fileComplaint(deps: OperationDeps, loanId: string, body: ComplaintBody, source: ComplaintSource, by: Principal) {
  await requireLoan(deps.db, loanId);
  const open = await getOpenCase(deps.db, loanId);
  const { complaint, created } = await fileComplaintRow(deps.db, {
    idempotencyKey: body.idempotencyKey,
    loanId,
    caseId: open?.id ?? null,
    source,
    text: body.text,
    createdBy: actorOf(by),
  });
  let paused = false;
  if (!complaint.reviewedAt) {
    try {
      await pauseCollection(deps, loanId, pauseReason(complaint.id), by);
      paused = true;
    } catch (error) {
      // No collection running: nothing to pause; the complaint waits for review all the same.
      if (!(error instanceof ApiError && error.type === 'not_found')) throw error;
    }
  }
  return { created, paused, ...complaintView(complaint) };
}

export async function complaintsForReview(deps: OperationDeps, filter: { open?: boolean; loanId?: string; limit?: number }) {
  return { complaints: (await listComplaints(deps.db, filter)).map(complaintView) };
}

/** Reviews a complaint; the case resumes when it was the loan's last open complaint and collection runs. */
export async function reviewComplaint(deps: OperationDeps, complaintId: string, resolution: string, by: Principal) {
  if (!(await getComplaint(deps.db, complaintId))) throw new ApiError('not_found', `complaint ${complaintId} not found`, 'complaintId');
  const reviewed = await reviewComplaintRow(deps.db, complaintId, resolution, actorOf(by));
  let resumed = false;
  if ((await openComplaintCount(deps.db, reviewed.loanId)) === 0) {
    try {
      await resumeCollection(deps, reviewed.loanId, by);
      resumed = true;
    } catch (error) {
      if (!(error instanceof ApiError && error.type === 'not_found')) throw error;
    }
  }
  return { resumed, ...complaintView(reviewed) };
}
