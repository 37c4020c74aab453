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
  waitingFor: 'next call attempt',
  nextAction: { what: 'next call attempt', at: '2025-03-04T02:00:00Z' },
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
      409: { error: { type: 'conflict', message: 'loan loan-1042 has no instalment past due; collection starts when one falls past due', field: 'loanId' } },
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
      409: { error: { type: 'conflict', message: 'payment pay-20250303-0017 was already recorded with different data (loan loan-1042, 120000 CNY); a payment id is an idempotency key: send the same content again, or use a new id for a new payment', field: 'paymentId' } },
      422: { error: { type: 'validation_error', message: 'currency must be CNY, the currency of loan loan-1042 (got "USD")', field: 'currency' } },
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
      404: { error: { type: 'not_found', message: 'no collection for loan loan-1042; start it with POST /v1/loans/loan-1042/collection', field: 'loanId' } },
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
    responses: { 200: { ...collectionState, stage: 'negotiation', waitingFor: 'a promise to pay or a payment plan', nextAction: { what: 'a promise to pay or a payment plan', at: '2025-03-10T02:00:00Z' } } },
  },
  agreePaymentPlan: {
    request: {
      currency: 'CNY',
      installments: [
        { dueAt: '2025-03-15T10:00:00Z', amountMinor: 60_000 },
        { dueAt: '2025-04-15T10:00:00Z', amountMinor: 60_000 },
      ],
    },
    responses: { 200: { ...collectionState, stage: 'negotiation', waitingFor: 'plan instalment 1 of 2', nextAction: { what: 'plan instalment 1 of 2', at: '2025-03-16T10:00:00Z' } } },
  },
  closeCollection: {
    request: { outcome: 'settled', reason: 'settlement agreed with the lender' },
    responses: { 202: { loanId, accepted: true, signal: 'closedByLender' } },
  },
  reassignCollection: {
    request: { collectorId: 'collector-9' },
    responses: { 202: { loanId, accepted: true, signal: 'collectorReassigned', collectorId: 'collector-9' } },
  },
  reportLegalOutcome: {
    request: { outcome: 'written_off' },
    responses: { 202: { loanId, accepted: true, signal: 'legalOutcomeReported', outcome: 'written_off' } },
  },
  optOutOfChannel: { request: { channel: 'sms' }, responses: { 202: { loanId, recorded: 'opt_out', signalled: true } } },
  recordPromise: {
    request: { amountMinor: 120_000, currency: 'CNY', dueAt: '2025-03-10T10:00:00Z' },
    responses: {
      200: { ...collectionState, stage: 'negotiation', waitingFor: 'promised payment', nextAction: { what: 'promised payment', at: '2025-03-11T10:00:00Z' }, promise: { amountMinor: 120_000, dueAt: '2025-03-10T10:00:00Z', status: 'open' } },
      422: { error: { type: 'validation_error', message: 'dueAt must be no later than 2025-03-17T02:00:00.000Z (got 2025-04-10T10:00:00Z)', field: 'dueAt' } },
    },
  },
};
