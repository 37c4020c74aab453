// JSON Schemas of the API's inputs and outputs: Fastify validates requests with them and /openapi.json
// publishes them. Schemas check shape (types, required and unknown fields: 400); rules about values
// (positive integer amounts, ISO 4217 codes, email addresses, dates within bounds, the loan's currency)
// are checked once in the repository (db/repository/validate.ts) or the operations and answered 422, so
// `amountMinor` is typed `number` here on purpose. The descriptions say what the 422 checks.
import { ERROR_TYPES } from './errors';
import {
  BAR_REASONS, BORROWER_FACTS, CASE_STAGES, CHANNELS, CLOSE_OUTCOMES, DISPUTE_OUTCOMES, DISPUTE_STATUSES,
  LEGAL_OUTCOMES, PAUSES, RECORDED_CALL_OUTCOMES, SCORE_STATUSES, SCORE_TRIGGERS,
} from '../domain/vocabulary';

export const id = (what: string) => ({
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  description: `${what}: letters, digits and . _ : - (at most 128)`,
});

export const amountMinor = {
  type: 'number',
  description: 'Amount in minor units (cents, fen): a positive integer; anything else is answered 422.',
};
export const currency = { type: 'string', pattern: '^[A-Z]{3}$', description: "ISO 4217 code (\"ZZZ\" is 422); a payment's, promise's or dispute's must be the loan's currency (422 otherwise)." };
export const instant = { type: 'string', format: 'date-time', description: 'ISO-8601 instant, e.g. 2025-03-01T09:00:00Z' };
export const date = { type: 'string', format: 'date', description: "Calendar date 'YYYY-MM-DD'" };
export const channel = { type: 'string', enum: [...CHANNELS] };
export const stage = { type: 'string', enum: [...CASE_STAGES] };
export const callOutcome = {
  type: 'string',
  enum: [...RECORDED_CALL_OUTCOMES],
  description: 'A promise to pay is recorded with the /promise endpoint, which carries its amount and date.',
};

const object = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});

export const loanParams = object({ loanId: id('Loan id') }, ['loanId']);
export const borrowerParams = object({ borrowerId: id('Borrower id') }, ['borrowerId']);
export const disputeParams = object({ loanId: id('Loan id'), disputeId: { type: 'string', format: 'uuid' } }, ['loanId', 'disputeId']);

const inconvenientTime = object(
  {
    from: { type: 'string', description: 'HH:MM in the borrower’s zone' },
    to: { type: 'string', description: 'HH:MM or 24:00' },
    weekdays: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 7 } },
  },
  ['from', 'to'],
);
const consent = object({ consentedAt: { type: 'string' }, optedOutAt: { type: 'string' } });

export const borrowerBody = object(
  {
    externalRef: { type: 'string', minLength: 1, maxLength: 200, description: "Your reference for the borrower; unique (another borrower's is 409)" },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    email: { type: ['string', 'null'], maxLength: 320, description: 'One address, name@example.com (422 otherwise)' },
    phone: { type: ['string', 'null'], description: 'E.164, e.g. +8613800000000' },
    timeZone: { type: 'string', description: 'IANA zone, e.g. Asia/Shanghai' },
    locale: { type: 'string', description: 'BCP 47, e.g. zh-CN, en' },
    consents: object({ email: consent, sms: consent, call: consent, letter: consent }),
    inconvenientTimes: { type: 'array', maxItems: 20, items: inconvenientTime },
    agreedToQuietHours: { type: 'boolean' },
    deceased: { type: 'boolean' },
    bankruptcy: { type: 'boolean' },
    representedByAttorney: { type: 'boolean' },
    vulnerable: { type: 'boolean' },
  },
  ['externalRef', 'name', 'timeZone', 'locale'],
);

export const loanBody = object(
  {
    borrowerId: id('Borrower id'),
    product: { type: 'string', minLength: 1, maxLength: 100 },
    currency,
    principalMinor: amountMinor,
    riskScore: { type: ['integer', 'null'] },
    openedAt: { ...instant, description: 'When the loan opened: from 1970 to now (422 otherwise)' },
    installments: {
      type: 'array',
      minItems: 1,
      maxItems: 600,
      items: object(
        {
          seq: { type: 'integer', minimum: 1 },
          dueDate: { ...date, description: "'YYYY-MM-DD', from the day before openedAt to 50 years after it (422 otherwise)" },
          amountDueMinor: amountMinor,
        },
        ['seq', 'dueDate', 'amountDueMinor'],
      ),
    },
  },
  ['borrowerId', 'product', 'currency', 'principalMinor', 'openedAt', 'installments'],
);

export const startBody = object({
  strategyId: {
    type: 'string',
    minLength: 1,
    maxLength: 100,
    description: 'A stored or shipped strategy (cn-consumer, us-consumer, fast-test; unknown is 422); default: DEFAULT_STRATEGY',
  },
  reopen: {
    ...object({ reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'Why the loan is collected again; audited with who asked.' } }, ['reason']),
    description: 'Collect again after a terminal outcome (not after bankruptcy or death).',
  },
});

export const paymentBody = object(
  {
    paymentId: { ...id('Payment id, the idempotency key (the same id with another amount, currency or loan is 409)'), minLength: 1 },
    amountMinor,
    currency,
    receivedAt: { ...instant, description: 'When the money arrived: not before the loan opened, not in the future (422 otherwise)' },
  },
  ['paymentId', 'amountMinor', 'currency', 'receivedAt'],
);

export const disputeBody = object(
  {
    idempotencyKey: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'Your id for this dispute; the same key again returns the same dispute, with other content it is 409.',
    },
    reason: { type: 'string', minLength: 1, maxLength: 2000 },
    amountMinor,
    currency,
  },
  ['idempotencyKey', 'reason'],
);

export const resolutionBody = object({ outcome: { type: 'string', enum: [...DISPUTE_OUTCOMES] } }, ['outcome']);
export const closeBody = object(
  { outcome: { type: 'string', enum: [...CLOSE_OUTCOMES] }, reason: { type: 'string', maxLength: 500 } },
  ['outcome'],
);
export const optOutBody = object({ channel }, ['channel']);
export const legalOutcomeBody = object({ outcome: { type: 'string', enum: [...LEGAL_OUTCOMES] } }, ['outcome']);
export const barBody = object({ reason: { type: 'string', enum: [...BAR_REASONS] } }, ['reason']);

export const claimBody = object({ leaseSeconds: { type: 'integer', minimum: 30, maximum: 86_400, default: 900 } });
export const callOutcomeBody = object({ outcome: callOutcome }, ['outcome']);
export const promiseBody = object({ amountMinor, currency, dueAt: instant }, ['amountMinor', 'currency', 'dueAt']);
export const planBody = object(
  {
    currency,
    installments: { type: 'array', minItems: 1, maxItems: 60, items: object({ dueAt: instant, amountMinor }, ['dueAt', 'amountMinor']) },
  },
  ['currency', 'installments'],
);

export const pauseBody = object({ reason: { type: 'string', minLength: 1, maxLength: 500 } }, ['reason']);
export const reassignBody = object({ collectorId: { type: ['string', 'null'], minLength: 1, maxLength: 100 } }, ['collectorId']);
export const collectionsQuery = object({
  stage,
  assignedCollector: { type: 'string', minLength: 1, maxLength: 100 },
  limit: { type: 'string', pattern: '^[1-9][0-9]{0,2}$', description: '1..999, default 100' },
});

// ---- responses (documentation only: replies are not filtered through them) ----

export const errorResponse = {
  type: 'object',
  properties: {
    error: object(
      {
        type: {
          type: 'string',
          enum: ERROR_TYPES,
        },
        message: { type: 'string' },
        field: { type: 'string' },
      },
      ['type', 'message'],
    ),
  },
  required: ['error'],
};

const money = { currency: { type: 'string' }, pastDueMinor: { type: 'integer' }, outstandingMinor: { type: 'integer' } };

export const collectionState = {
  type: 'object',
  description: "The workflow's view of the case (query getState).",
  properties: {
    loanId: { type: 'string' },
    caseId: { type: 'string', description: 'Absent while the stage is opening' },
    stage: { ...stage, enum: ['opening', ...stage.enum], description: 'opening: for a moment after the start, before the case is read (no caseId, strategy or amounts yet)' },
    pauses: { type: 'array', items: { type: 'string', enum: [...PAUSES] } },
    pausedUntil: instant,
    waitingFor: { type: 'string' },
    nextAction: { type: 'object', properties: { what: { type: 'string' }, at: instant } },
    ...money,
    dpd: { type: 'integer' },
    assignedCollector: { type: ['string', 'null'] },
    promise: { type: 'object', properties: { amountMinor: { type: 'integer' }, dueAt: instant, status: { type: 'string' } } },
    plan: {
      type: 'object',
      properties: {
        installments: { type: 'array', items: { type: 'object', properties: { dueAt: instant, amountMinor: { type: 'integer' }, status: { type: 'string' } } } },
        status: { type: 'string' },
        discountMinor: { type: 'integer', minimum: 1, description: 'The plan\'s discount on the past-due amount (contract 6), written down when it is completed; absent: none' },
      },
    },
    dispute: { type: 'object', properties: { disputeId: { type: 'string' }, status: { type: 'string' } } },
    ceaseRequested: { type: 'boolean' },
    optedOut: { type: 'array', items: channel },
    contacts: { type: 'object' },
    outcome: { type: 'string' },
    score: {
      type: 'object',
      description:
        'The latest cure-propensity score (status scored: probability, model version, the three strongest reasons in en and zh-CN, and the plan Overdue proposes within the strategy\'s limits, with why), or status skipped with the reason (no active model). Absent in runs from before scoring.',
      properties: {
        status: { type: 'string', enum: [...SCORE_STATUSES] },
        trigger: { type: 'string', enum: [...SCORE_TRIGGERS] },
        at: instant,
        modelVersion: { type: 'integer' },
        probability: { type: 'number', minimum: 0, maximum: 1 },
        reasons: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, contribution: { type: 'number' }, en: { type: 'string' }, 'zh-CN': { type: 'string' } } } },
        offer: {
          type: 'object',
          description:
            'The proposed plan, within the negotiation stage\'s maxPlanInstallments, minPlanInstallmentMinor and maxPlanDiscountPercent: installments - 1 payments of amountMinor and one of lastAmountMinor, totalMinor in all (pastDueMinor - discountMinor). ' +
            'Agreed as it stands through POST /v1/loans/{id}/collection/plan it is accepted; on a case opened on contract 6 or later a discounted one too, whose discount is written down and the case settled once it is paid.',
          properties: {
            installments: { type: 'integer' },
            amountMinor: { type: 'integer', description: 'Each instalment but the last' },
            lastAmountMinor: { type: 'integer', description: 'The last instalment, never more than amountMinor' },
            totalMinor: { type: 'integer', description: 'The instalments\' sum: pastDueMinor - discountMinor' },
            pastDueMinor: { type: 'integer', description: 'The past-due amount the offer was made for (absent in offers before #15)' },
            discountMinor: { type: 'integer', minimum: 0, description: 'How much of the past-due amount the offer lets go; 0 without a discount (absent in offers before #15)' },
            currency: { type: 'string' },
            reasons: { type: 'array', items: { type: 'object', properties: { en: { type: 'string' }, 'zh-CN': { type: 'string' } } } },
          },
        },
        reason: { type: 'string', description: 'skipped: why' },
      },
    },
  },
};

export const startResponse = {
  type: 'object',
  properties: { loanId: { type: 'string' }, workflowId: { type: 'string' }, runId: { type: 'string' }, started: { type: 'boolean' } },
};
export const paymentResponse = {
  type: 'object',
  properties: {
    recorded: { type: 'boolean', description: 'false when this payment id was already recorded' },
    paymentId: { type: 'string' },
    loanId: { type: 'string' },
    amountMinor: { type: 'integer' },
    currency: { type: 'string' },
    position: { type: 'object', properties: { ...money, dpd: { type: 'integer' } } },
    signalled: { type: 'boolean', description: 'false when no collection was running for the loan' },
  },
};
export const acceptedResponse = {
  type: 'object',
  properties: {
    loanId: { type: 'string' },
    accepted: { type: 'boolean' },
    signal: { type: 'string', description: 'The signal sent to the collection workflow' },
    outcome: { type: 'string', description: 'legal-outcome only: the outcome reported' },
    collectorId: { type: ['string', 'null'], description: 'reassign only: the new collector' },
  },
  required: ['loanId', 'accepted', 'signal'],
};
export const borrowerResponse = {
  type: 'object',
  properties: { borrowerId: { type: 'string' }, externalRef: { type: 'string' }, timeZone: { type: 'string' }, locale: { type: 'string' }, updatedAt: instant },
  required: ['borrowerId', 'externalRef', 'timeZone', 'locale', 'updatedAt'],
};
export const loanResponse = {
  type: 'object',
  properties: { loanId: { type: 'string' }, borrowerId: { type: 'string' }, currency: { type: 'string' }, installments: { type: 'integer', description: 'How many instalments the loan now has' } },
  required: ['loanId', 'borrowerId', 'currency', 'installments'],
};
export const disputeResponse = {
  type: 'object',
  properties: {
    created: { type: 'boolean', description: 'false when this idempotencyKey had already filed the dispute' },
    disputeId: { type: 'string', format: 'uuid' },
    loanId: { type: 'string' },
    status: { type: 'string', enum: [...DISPUTE_STATUSES] },
    signalled: { type: 'boolean', description: 'false when no collection was running for the loan' },
  },
  required: ['created', 'disputeId', 'loanId', 'status', 'signalled'],
};
export const resolutionResponse = {
  type: 'object',
  properties: {
    disputeId: { type: 'string', format: 'uuid' },
    loanId: { type: 'string' },
    outcome: { type: 'string', enum: [...DISPUTE_OUTCOMES] },
    resolvedAt: { ...instant, type: ['string', 'null'] },
    signalled: { type: 'boolean', description: 'false when no collection was running for the loan' },
  },
  required: ['disputeId', 'loanId', 'outcome', 'resolvedAt', 'signalled'],
};
export const borrowerFactResponse = {
  type: 'object',
  properties: {
    loanId: { type: 'string' },
    recorded: { type: 'string', enum: [...BORROWER_FACTS], description: 'The fact recorded on the borrower' },
    signalled: { type: 'boolean', description: 'false when no collection was running for the loan' },
  },
  required: ['loanId', 'recorded', 'signalled'],
};
export const collectionsResponse = {
  type: 'object',
  properties: {
    collections: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          loanId: { type: 'string' },
          workflowId: { type: 'string' },
          status: { type: 'string', description: 'Temporal execution status (RUNNING)' },
          stage: { type: ['string', 'null'] },
          daysPastDue: { type: ['integer', 'null'] },
          pastDueMinor: { type: ['integer', 'null'] },
          assignedCollector: { type: ['string', 'null'] },
          startedAt: instant,
        },
        required: ['loanId', 'workflowId', 'status', 'stage', 'daysPastDue', 'pastDueMinor', 'assignedCollector', 'startedAt'],
      },
    },
  },
  required: ['collections'],
};
export const task = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    loanId: { type: 'string' },
    caseId: { type: ['string', 'null'] },
    kind: { type: 'string' },
    status: { type: 'string' },
    collectorId: { type: ['string', 'null'] },
    claimedBy: { type: ['string', 'null'] },
    availableAt: instant,
    leaseUntil: { type: ['string', 'null'] },
    attempt: { type: ['integer', 'null'] },
  },
};
