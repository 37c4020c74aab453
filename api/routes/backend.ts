// Platform backends: borrowers and loans in, collection started, payments, disputes and borrower facts.
import { borrowerExists, upsertBorrower, type BorrowerInput } from '../../db/repository/borrowers';
import { getLoan, upsertLoan } from '../../db/repository/ledger';
import { ApiError } from '../errors';
import {
  closeByLender,
  fileDispute,
  reportBorrowerFact,
  reportLegalOutcome,
  settleDispute,
  startCollection,
  submitPayment,
  type DisputeBody,
  type LegalOutcome,
  type PaymentBody,
} from '../operations';
import { errorResponses, type RouteSpec } from '../route';
import * as s from '../schemas';

type LoanParams = { loanId: string };

const common = errorResponses(400, 401, 403, 404, 413, 422);

export const backendRoutes: RouteSpec[] = [
  {
    method: 'PUT',
    url: '/v1/borrowers/:borrowerId',
    operationId: 'upsertBorrower',
    summary: 'Create or update a borrower',
    description: 'Fields left out keep their stored value on update.',
    tag: 'backends',
    roles: ['backend'],
    schema: { params: s.borrowerParams, body: s.borrowerBody },
    responses: {
      200: { description: 'Updated', schema: s.borrowerResponse },
      201: { description: 'Created', schema: s.borrowerResponse },
      ...errorResponses(400, 401, 403, 409, 413, 422),
    },
    async handler(request, reply, { deps }) {
      const { borrowerId } = request.params as { borrowerId: string };
      const body = request.body as Record<string, unknown>;
      const existing = await borrowerExists(deps.db, borrowerId);
      const row = await upsertBorrower(deps.db, { ...(body as unknown as Omit<BorrowerInput, 'id'>), id: borrowerId });
      reply.status(existing ? 200 : 201);
      return { borrowerId: row.id, externalRef: row.externalRef, timeZone: row.timeZone, locale: row.locale, updatedAt: row.updatedAt.toISOString() };
    },
  },
  {
    method: 'PUT',
    url: '/v1/loans/:loanId',
    operationId: 'upsertLoan',
    summary: 'Create or update a loan and its instalment schedule',
    description: 'Instalments are upserted by seq; amounts paid come only from recorded payments. A loan’s currency cannot change (409).',
    tag: 'backends',
    roles: ['backend'],
    schema: { params: s.loanParams, body: s.loanBody },
    responses: {
      200: { description: 'Updated', schema: s.loanResponse },
      201: { description: 'Created', schema: s.loanResponse },
      ...errorResponses(400, 401, 403, 409, 413, 422),
    },
    async handler(request, reply, { deps }) {
      const { loanId } = request.params as LoanParams;
      const body = request.body as {
        borrowerId: string;
        product: string;
        currency: string;
        principalMinor: number;
        riskScore?: number | null;
        openedAt: string;
        installments: Array<{ seq: number; dueDate: string; amountDueMinor: number }>;
      };
      if (!(await borrowerExists(deps.db, body.borrowerId))) throw new ApiError('validation_error', `borrower ${body.borrowerId} not found; PUT /v1/borrowers/${body.borrowerId} first`, 'borrowerId');
      const existing = await getLoan(deps.db, loanId);
      const { loan, installments } = await upsertLoan(deps.db, { ...body, id: loanId, openedAt: new Date(body.openedAt) });
      reply.status(existing ? 200 : 201);
      return { loanId: loan.id, borrowerId: loan.borrowerId, currency: loan.currency, installments: installments.length };
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection',
    operationId: 'startCollection',
    summary: 'Start collection for a loan (once)',
    description:
      'Starts the workflow `collection-<loanId>`. While it runs, calling again returns the same case with 200. Follows the sweep’s lifecycle rule: '
      + 'after a terminal outcome (dispute_upheld, handed_to_legal, written_off, settled, cancelled) it answers 409 unless the body gives `reopen.reason`, '
      + 'which is audited; after stopped_bankruptcy or stopped_deceased, or for a borrower marked bankrupt or deceased, it answers 409 even with a reason; '
      + 'after cured or paid it starts only once an instalment due since then is past due; with nothing past due it answers 409.',
    tag: 'backends',
    roles: ['backend', 'operator'],
    schema: { params: s.loanParams, body: s.startBody },
    responses: {
      201: { description: 'Collection started', schema: s.startResponse },
      200: { description: 'Already running: the running case', schema: s.startResponse },
      ...errorResponses(400, 401, 403, 404, 409, 413, 422),
    },
    async handler(request, reply, { deps, principal }) {
      const { loanId } = request.params as LoanParams;
      const body = (request.body ?? {}) as { strategyId?: string; reopen?: { reason: string } };
      const result = await startCollection(deps, loanId, { strategyId: body.strategyId, reopen: body.reopen }, principal);
      reply.status(result.started ? 201 : 200);
      return result;
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/payments',
    operationId: 'recordPayment',
    summary: 'Report a payment received (idempotent by paymentId)',
    description: 'Written to the ledger first, then signalled to the running collection, which re-reads the balance. The same paymentId again records nothing (200); with a different amount it is a conflict (409).',
    tag: 'backends',
    roles: ['backend'],
    schema: { params: s.loanParams, body: s.paymentBody },
    responses: {
      201: { description: 'Recorded', schema: s.paymentResponse },
      200: { description: 'Already recorded earlier', schema: s.paymentResponse },
      ...errorResponses(400, 401, 403, 404, 409, 413, 422),
    },
    async handler(request, reply, { deps, principal }) {
      const { loanId } = request.params as LoanParams;
      const result = await submitPayment(deps, loanId, request.body as PaymentBody, principal);
      reply.status(result.recorded ? 201 : 200);
      return result;
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/disputes',
    operationId: 'openDispute',
    summary: 'File a dispute (idempotent by idempotencyKey)',
    description: 'Recorded together with the cancellation of the loan’s open collector tasks (rule `common.dispute`), then signalled: contact pauses until the dispute is resolved.',
    tag: 'backends',
    roles: ['backend'],
    schema: { params: s.loanParams, body: s.disputeBody },
    responses: {
      201: { description: 'Filed', schema: s.disputeResponse },
      200: { description: 'Already filed with this key', schema: s.disputeResponse },
      ...errorResponses(400, 401, 403, 404, 409, 413, 422),
    },
    async handler(request, reply, { deps, principal }) {
      const { loanId } = request.params as LoanParams;
      const result = await fileDispute(deps, loanId, request.body as DisputeBody, principal);
      reply.status(result.created ? 201 : 200);
      return result;
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/disputes/:disputeId/resolution',
    operationId: 'resolveDispute',
    summary: 'Resolve a dispute: upheld closes the case, rejected or withdrawn resumes it',
    tag: 'backends',
    roles: ['backend', 'operator'],
    schema: { params: s.disputeParams, body: s.resolutionBody },
    responses: { 200: { description: 'Resolved', schema: s.resolutionResponse }, ...errorResponses(400, 401, 403, 404, 409, 413, 422) },
    async handler(request, _reply, { deps, principal }) {
      const { loanId, disputeId } = request.params as { loanId: string; disputeId: string };
      const { outcome } = request.body as { outcome: 'upheld' | 'rejected' | 'withdrawn' };
      return settleDispute(deps, loanId, disputeId, outcome, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection/close',
    operationId: 'closeCollection',
    summary: 'Close the case as settled, written off or cancelled',
    tag: 'backends',
    roles: ['backend', 'operator'],
    schema: { params: s.loanParams, body: s.closeBody },
    responses: { 202: { description: 'Signalled to the running collection', schema: s.acceptedResponse }, ...common },
    async handler(request, reply, { deps, principal }) {
      const { loanId } = request.params as LoanParams;
      const { outcome, reason } = request.body as { outcome: 'settled' | 'written_off' | 'cancelled'; reason?: string };
      reply.status(202);
      return closeByLender(deps, loanId, outcome, reason, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection/legal-outcome',
    operationId: 'reportLegalOutcome',
    summary: 'The legal team reports how a handed-off case ended: paid, settled or written off',
    description:
      'Accepted while the collection awaits its legal outcome (a legal stage with `afterHandOff: awaitOutcome`); the case then closes with that outcome. 404 when no collection runs for the loan, 409 when it is not awaiting a legal outcome. Audited.',
    tag: 'backends',
    roles: ['backend', 'operator'],
    schema: { params: s.loanParams, body: s.legalOutcomeBody },
    responses: { 202: { description: 'Signalled to the collection awaiting it', schema: s.acceptedResponse }, ...errorResponses(400, 401, 403, 404, 409, 413) },
    async handler(request, reply, { deps, principal }) {
      const { outcome } = request.body as { outcome: LegalOutcome };
      reply.status(202);
      return reportLegalOutcome(deps, (request.params as LoanParams).loanId, outcome, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/cease-request',
    operationId: 'requestCease',
    summary: 'The borrower asked to stop communication',
    description: 'Recorded on the borrower (cease requested at), then signalled: from now on only notices a rule allows.',
    tag: 'backends',
    roles: ['backend'],
    schema: { params: s.loanParams },
    responses: { 202: { description: 'Recorded', schema: s.borrowerFactResponse }, ...common },
    async handler(request, reply, { deps, principal }) {
      reply.status(202);
      return reportBorrowerFact(deps, (request.params as LoanParams).loanId, { kind: 'cease' }, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/opt-outs',
    operationId: 'optOutOfChannel',
    summary: 'The borrower opted out of a channel',
    tag: 'backends',
    roles: ['backend'],
    schema: { params: s.loanParams, body: s.optOutBody },
    responses: { 202: { description: 'Recorded', schema: s.borrowerFactResponse }, ...common },
    async handler(request, reply, { deps, principal }) {
      const { channel } = request.body as { channel: 'email' | 'sms' | 'call' | 'letter' };
      reply.status(202);
      return reportBorrowerFact(deps, (request.params as LoanParams).loanId, { kind: 'opt_out', channel }, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/hardship',
    operationId: 'reportHardship',
    summary: 'The borrower reported hardship: contact pauses for the strategy’s forbearance period',
    tag: 'backends',
    roles: ['backend'],
    schema: { params: s.loanParams },
    responses: { 202: { description: 'Recorded', schema: s.borrowerFactResponse }, ...common },
    async handler(request, reply, { deps, principal }) {
      reply.status(202);
      return reportBorrowerFact(deps, (request.params as LoanParams).loanId, { kind: 'hardship' }, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/collection-bar',
    operationId: 'barCollection',
    summary: 'Bankruptcy or death: collection stops at once',
    tag: 'backends',
    roles: ['backend'],
    schema: { params: s.loanParams, body: s.barBody },
    responses: { 202: { description: 'Recorded', schema: s.borrowerFactResponse }, ...common },
    async handler(request, reply, { deps, principal }) {
      const { reason } = request.body as { reason: 'bankruptcy' | 'deceased' };
      reply.status(202);
      return reportBorrowerFact(deps, (request.params as LoanParams).loanId, { kind: 'barred', reason }, principal);
    },
  },
];
