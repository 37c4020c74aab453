// Example requests and answers for the main operations, shown in /docs and /openapi.json. Keyed by
// operationId and status; test/unit/api/openapi.test.ts checks that each one matches its operation's
// schema, so an example cannot drift from the contract it illustrates.

export interface OperationExamples {
  request?: unknown;
  responses?: Record<number, unknown>;
}

const loanId = 'loan-1042';
const caseId = 'c2b6a8f0-5d1e-4c61-9b0a-2f3e4d5c6b7a';

const collectionState = {
  loanId,
  caseId,
  stage: 'call',
  pauses: [],
  waitingFor: 'call outcome',
  nextAction: { what: 'call attempt 2', at: '2025-03-04T02:00:00Z' },
  currency: 'CNY',
  pastDueMinor: 120_000,
  outstandingMinor: 480_000,
  dpd: 12,
  assignedCollector: 'collector-7',
  ceaseRequested: false,
  optedOut: [],
};

export const examples: Record<string, OperationExamples> = {
  upsertBorrower: {
    request: {
      externalRef: 'crm-88213',
      name: 'Li Wei',
      email: 'li.wei@example.com',
      phone: '+8613800000000',
      timeZone: 'Asia/Shanghai',
      locale: 'zh-CN',
      consents: { email: { consentedAt: '2024-11-02T08:00:00Z' }, sms: { consentedAt: '2024-11-02T08:00:00Z' } },
    },
    responses: {
      201: { borrowerId: 'b-88213', externalRef: 'crm-88213', timeZone: 'Asia/Shanghai', locale: 'zh-CN', updatedAt: '2025-03-01T09:00:00.000Z' },
    },
  },
  upsertLoan: {
    request: {
      borrowerId: 'b-88213',
      product: 'consumer-loan',
      currency: 'CNY',
      principalMinor: 600_000,
      openedAt: '2024-12-01T00:00:00Z',
      installments: [
        { seq: 1, dueDate: '2025-01-01', amountDueMinor: 120_000 },
        { seq: 2, dueDate: '2025-02-01', amountDueMinor: 120_000 },
      ],
    },
    responses: { 201: { loanId, borrowerId: 'b-88213', currency: 'CNY', installments: 2 } },
  },
  startCollection: {
    request: { strategyId: 'cn-consumer' },
    responses: {
      201: { loanId, workflowId: `collection-${loanId}`, runId: '0195a1c2-7d3e-7b4f-8a6c-1d2e3f4a5b6c', started: true },
      409: { error: { type: 'conflict', message: 'loan loan-1042 has nothing past due; collection starts once an instalment is past due', field: 'loanId' } },
    },
  },
  recordPayment: {
    request: { paymentId: 'pay-20250303-0017', amountMinor: 120_000, currency: 'CNY', receivedAt: '2025-03-03T06:12:00Z' },
    responses: {
      201: {
        recorded: true,
        paymentId: 'pay-20250303-0017',
        loanId,
        amountMinor: 120_000,
        currency: 'CNY',
        position: { currency: 'CNY', pastDueMinor: 0, outstandingMinor: 360_000, dpd: 0 },
        signalled: true,
      },
      409: { error: { type: 'conflict', message: 'payment pay-20250303-0017 was already recorded with another amount', field: 'paymentId' } },
      422: { error: { type: 'validation_error', message: 'currency USD is not the loan currency CNY', field: 'currency' } },
    },
  },
  openDispute: {
    request: { idempotencyKey: 'ticket-5521', reason: 'Borrower says the February instalment was paid in cash', amountMinor: 120_000, currency: 'CNY' },
    responses: { 201: { created: true, disputeId: '7f0c2a9e-1b3d-4e5f-8a7b-6c5d4e3f2a1b', loanId, status: 'open', signalled: true } },
  },
  resolveDispute: {
    request: { outcome: 'rejected' },
    responses: {
      200: { disputeId: '7f0c2a9e-1b3d-4e5f-8a7b-6c5d4e3f2a1b', loanId, outcome: 'rejected', resolvedAt: '2025-03-06T10:00:00.000Z', signalled: true },
    },
  },
  requestCease: { responses: { 202: { loanId, recorded: 'cease', signalled: true } } },
  getCollection: {
    responses: {
      200: collectionState,
      404: { error: { type: 'not_found', message: 'no running collection: collection-loan-1042', field: 'loanId' } },
    },
  },
  pauseCollection: {
    request: { reason: 'borrower in hospital, lender asked to hold' },
    responses: { 202: { loanId, accepted: true, signal: 'pauseRequested' } },
  },
  searchCollections: {
    responses: {
      200: {
        collections: [
          {
            loanId,
            workflowId: `collection-${loanId}`,
            status: 'RUNNING',
            stage: 'call',
            daysPastDue: 12,
            pastDueMinor: 120_000,
            assignedCollector: 'collector-7',
            startedAt: '2025-02-20T01:00:00.000Z',
          },
        ],
      },
    },
  },
  claimTask: {
    request: { leaseSeconds: 900 },
    responses: {
      200: {
        task: {
          id: '3a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
          loanId,
          caseId,
          kind: 'call',
          status: 'claimed',
          collectorId: 'collector-7',
          claimedBy: 'collector-7',
          availableAt: '2025-03-03T01:00:00.000Z',
          leaseUntil: '2025-03-03T01:15:00.000Z',
          attempt: 2,
        },
      },
    },
  },
  recordCallOutcome: {
    request: { outcome: 'right_party_contact' },
    responses: { 200: { ...collectionState, waitingFor: 'promise or plan' } },
  },
  recordPromise: {
    request: { amountMinor: 120_000, currency: 'CNY', dueAt: '2025-03-10T10:00:00Z' },
    responses: {
      200: { ...collectionState, waitingFor: 'promise due', promise: { amountMinor: 120_000, dueAt: '2025-03-10T10:00:00Z', status: 'kept_pending' } },
      422: { error: { type: 'validation_error', message: 'dueAt is beyond the strategy promise horizon of 14 days', field: 'dueAt' } },
    },
  },
};
