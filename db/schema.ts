// The collections data model. This file IS the data model: tables, indexes and constraints in one
// place; `npx drizzle-kit generate` turns it into the committed migrations in db/migrations.
//
// Conventions: money is integer minor units (`..._minor bigint`) next to an ISO 4217 `currency`;
// instants are `timestamptz` named `..._at`; calendar due dates are `date` ('YYYY-MM-DD').
// Derived numbers (outstanding balance, past-due amount, days past due) are NOT stored: they are
// computed from the instalments by domain/ledger.ts.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const money = (name: string) => bigint(name, { mode: 'number' });
const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => instant('created_at').notNull().defaultNow();

import { CALL_OUTCOMES, CHANNELS, COMPLAINT_SOURCES, OUTCOMES, STAGES, type Channel } from '../domain/vocabulary';
export { CALL_OUTCOMES, CHANNELS, OUTCOMES, STAGES };
export type { Channel };
export type CaseStage = (typeof STAGES)[number];
export type CaseOutcome = (typeof OUTCOMES)[number];
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export const CONTACT_STATUSES = ['planned', 'sending', 'sent', 'presumed_sent', 'failed', 'blocked'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

export const TASK_STATUSES = ['queued', 'claimed', 'done', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const API_ROLES = ['backend', 'collector', 'operator'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** SQL `col IN ('a','b')` for a check constraint over a fixed word list. */
const oneOf = (column: string, words: readonly string[]) =>
  sql.raw(`${column} IN (${words.map((w) => `'${w}'`).join(', ')})`);

/** Consent and opt-out per channel; ISO-8601 instants. A channel with `optedOutAt` is never used (Reg F 1006.14(h)). */
export interface ChannelConsent {
  consentAt?: string;
  optedOutAt?: string;
}
export type ContactConsents = Partial<Record<Channel, ChannelConsent>>;

/** A time the borrower said is inconvenient, local time, ISO weekdays 1=Mon..7=Sun (Reg F 1006.6(b)(1)). */
export interface InconvenientTimeRow {
  from: string;
  to: string;
  weekdays?: number[];
}

export const borrowers = pgTable(
  'borrowers',
  {
    id: text('id').primaryKey(),
    externalRef: text('external_ref').notNull().unique(),
    name: text('name').notNull(),
    email: text('email'),
    /** E.164, e.g. +8613800000000. */
    phone: text('phone'),
    /** IANA time zone, e.g. Asia/Shanghai. */
    timeZone: text('time_zone').notNull(),
    /** BCP 47 locale, e.g. zh-CN, en. */
    locale: text('locale').notNull().default('en'),
    consents: jsonb('consents').$type<ContactConsents>().notNull().default({}),
    inconvenientTimes: jsonb('inconvenient_times').$type<InconvenientTimeRow[]>().notNull().default([]),
    agreedToQuietHours: boolean('agreed_to_quiet_hours').notNull().default(false),
    deceased: boolean('deceased').notNull().default(false),
    bankruptcy: boolean('bankruptcy').notNull().default(false),
    representedByAttorney: boolean('represented_by_attorney').notNull().default(false),
    vulnerable: boolean('vulnerable').notNull().default(false),
    ceaseRequestedAt: instant('cease_requested_at'),
    createdAt: createdAt(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('borrowers_phone_e164', sql`${t.phone} IS NULL OR ${t.phone} ~ '^\\+[1-9][0-9]{6,14}$'`),
  ],
);

export const loans = pgTable(
  'loans',
  {
    id: text('id').primaryKey(),
    borrowerId: text('borrower_id')
      .notNull()
      .references(() => borrowers.id),
    product: text('product').notNull(),
    currency: text('currency').notNull(),
    principalMinor: money('principal_minor').notNull(),
    riskScore: integer('risk_score'),
    openedAt: instant('opened_at').notNull(),
    /** Set when the lender accelerates the loan: the whole outstanding balance falls due. */
    acceleratedAt: instant('accelerated_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('loans_borrower_idx').on(t.borrowerId),
    check('loans_currency_iso4217', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check('loans_principal_positive', sql`${t.principalMinor} > 0`),
  ],
);

export const installments = pgTable(
  'installments',
  {
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    seq: integer('seq').notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    amountDueMinor: money('amount_due_minor').notNull(),
    amountPaidMinor: money('amount_paid_minor').notNull().default(0),
    /**
     * Written down, not paid: the part a completed discounted plan let go (ledgerAdjustments). An
     * instalment is settled when paid + written down reaches what was due; only payments count as paid.
     */
    amountWrittenDownMinor: money('amount_written_down_minor').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.loanId, t.seq] }),
    check('installments_amount_due_positive', sql`${t.amountDueMinor} > 0`),
    check(
      'installments_amount_paid_range',
      sql`${t.amountPaidMinor} >= 0 AND ${t.amountWrittenDownMinor} >= 0 AND ${t.amountPaidMinor} + ${t.amountWrittenDownMinor} <= ${t.amountDueMinor}`,
    ),
    // Backs the delinquency sweep: only unsettled instalments are indexed, in loan id order (keyset paging).
    index('installments_unpaid_idx')
      .on(t.loanId, t.dueDate)
      .where(sql`${t.amountPaidMinor} + ${t.amountWrittenDownMinor} < ${t.amountDueMinor}`),
  ],
);

export const payments = pgTable(
  'payments',
  {
    /** The payment id from the platform backend; recording the same id twice is a no-op. */
    id: text('id').primaryKey(),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    amountMinor: money('amount_minor').notNull(),
    currency: text('currency').notNull(),
    receivedAt: instant('received_at').notNull(),
    /** Part of the payment not allocated to any instalment (paid beyond the whole balance). */
    unallocatedMinor: money('unallocated_minor').notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    index('payments_loan_idx').on(t.loanId, t.receivedAt),
    check('payments_amount_positive', sql`${t.amountMinor} > 0`),
  ],
);

export const paymentAllocations = pgTable(
  'payment_allocations',
  {
    paymentId: text('payment_id')
      .notNull()
      .references(() => payments.id),
    loanId: text('loan_id').notNull(),
    installmentSeq: integer('installment_seq').notNull(),
    amountMinor: money('amount_minor').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.paymentId, t.loanId, t.installmentSeq] }),
    foreignKey({
      name: 'payment_allocations_installment_fk',
      columns: [t.loanId, t.installmentSeq],
      foreignColumns: [installments.loanId, installments.seq],
    }),
    index('payment_allocations_installment_idx').on(t.loanId, t.installmentSeq),
    check('payment_allocations_amount_positive', sql`${t.amountMinor} > 0`),
  ],
);

/**
 * Ledger entries that are not payments: today only `plan_discount`, the past-due amount a completed
 * discounted plan lets go, spread over the oldest unsettled instalments (`allocations`, added to their
 * amount_written_down_minor in the same transaction). Written once per key; never edited.
 */
export const ledgerAdjustments = pgTable(
  'ledger_adjustments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    caseId: uuid('case_id').references(() => collectionCases.id),
    kind: text('kind').$type<'plan_discount'>().notNull(),
    amountMinor: money('amount_minor').notNull(),
    currency: text('currency').notNull(),
    allocations: jsonb('allocations').$type<Array<{ seq: number; amountMinor: number }>>().notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('ledger_adjustments_loan_idx').on(t.loanId, t.createdAt),
    check('ledger_adjustments_amount_positive', sql`${t.amountMinor} > 0`),
    check('ledger_adjustments_kind', oneOf('kind', ['plan_discount'])),
  ],
);

export const collectionCases = pgTable(
  'collection_cases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    /** `collection-<loanId>`. */
    workflowId: text('workflow_id').notNull(),
    /**
     * The workflow run that opened the case, so a retry of that run's open finds it even after a payment
     * closed it meanwhile. Null for cases opened before migration 0009 or outside a workflow.
     */
    runId: text('run_id'),
    strategyId: text('strategy_id').notNull(),
    strategyVersion: integer('strategy_version').notNull(),
    stage: text('stage').$type<CaseStage>().notNull().default('reminder'),
    segment: text('segment'),
    assignedCollector: text('assigned_collector'),
    openedAt: instant('opened_at').notNull().defaultNow(),
    closedAt: instant('closed_at'),
    outcome: text('outcome').$type<CaseOutcome>(),
    /**
     * The case's pauses as the API wrote them, so a task claim can check them inside its transaction
     * (the workflow holds the same pauses in its state): an operator pause until resumed, a hardship
     * pause until the instant.
     */
    operatorPausedAt: instant('operator_paused_at'),
    hardshipUntil: instant('hardship_until'),
  },
  (t) => [
    // At most one open case per loan; openCase() relies on it with ON CONFLICT.
    uniqueIndex('collection_cases_one_open_per_loan').on(t.loanId).where(sql`${t.closedAt} IS NULL`),
    index('collection_cases_loan_idx').on(t.loanId, t.openedAt),
    check('collection_cases_stage', oneOf('stage', STAGES)),
    check('collection_cases_outcome', sql`outcome IS NULL OR ${oneOf('outcome', OUTCOMES)}`),
    check('collection_cases_closed_has_outcome', sql`(${t.closedAt} IS NULL) = (${t.outcome} IS NULL)`),
  ],
);

export const contactAttempts = pgTable(
  'contact_attempts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Derived from the workflow and step, so a retried activity never sends twice. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    caseId: uuid('case_id').references(() => collectionCases.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    channel: text('channel').$type<Channel>().notNull(),
    template: text('template').notNull(),
    scheduledFor: instant('scheduled_for').notNull(),
    sentAt: instant('sent_at'),
    status: text('status').$type<ContactStatus>().notNull().default('planned'),
    providerMessageId: text('provider_message_id'),
    blockedRule: text('blocked_rule'),
    blockedUntil: instant('blocked_until'),
    error: text('error'),
    /** Calls: a conversation took place (Reg F 1006.14(b)(2)(ii), cn connected-call cap). */
    connected: boolean('connected'),
    callOutcome: text('call_outcome').$type<CallOutcome>(),
    createdAt: createdAt(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('contact_attempts_loan_idx').on(t.loanId, t.createdAt),
    index('contact_attempts_case_idx').on(t.caseId),
    // The rule gate's contact history (db/repository/contact-facts historySql): a loan's sent messages
    // by the instant they count from, read with one index range scan on every send (#19).
    index('contact_attempts_history_idx')
      .on(t.loanId, sql`coalesce(${t.sentAt}, ${t.createdAt})`)
      .where(sql`status IN ('sent', 'presumed_sent')`),
    check('contact_attempts_channel', oneOf('channel', CHANNELS)),
    check('contact_attempts_status', oneOf('status', CONTACT_STATUSES)),
    check('contact_attempts_call_outcome', sql`call_outcome IS NULL OR ${oneOf('call_outcome', CALL_OUTCOMES)}`),
  ],
);

export const promisesToPay = pgTable(
  'promises_to_pay',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => collectionCases.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    amountMinor: money('amount_minor').notNull(),
    currency: text('currency').notNull(),
    promisedFor: date('promised_for', { mode: 'string' }).notNull(),
    status: text('status').$type<'open' | 'kept' | 'broken' | 'cancelled'>().notNull().default('open'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    resolvedAt: instant('resolved_at'),
  },
  (t) => [
    index('promises_to_pay_case_idx').on(t.caseId),
    // The scoring features read a loan's promises across its cases (db/repository/scoring.ts).
    index('promises_to_pay_loan_idx').on(t.loanId),
    check('promises_to_pay_amount_positive', sql`${t.amountMinor} > 0`),
    check('promises_to_pay_status', oneOf('status', ['open', 'kept', 'broken', 'cancelled'])),
  ],
);

export const paymentPlans = pgTable(
  'payment_plans',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => collectionCases.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    currency: text('currency').notNull(),
    totalMinor: money('total_minor').notNull(),
    /** How much less than the past-due amount the plan asks for (contract 6); 0: it covers it all. */
    discountMinor: money('discount_minor').notNull().default(0),
    status: text('status').$type<'active' | 'completed' | 'broken' | 'cancelled'>().notNull().default('active'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    endedAt: instant('ended_at'),
  },
  (t) => [
    index('payment_plans_case_idx').on(t.caseId),
    index('payment_plans_loan_idx').on(t.loanId),
    check('payment_plans_total_positive', sql`${t.totalMinor} > 0`),
    check('payment_plans_discount_non_negative', sql`${t.discountMinor} >= 0`),
    check('payment_plans_status', oneOf('status', ['active', 'completed', 'broken', 'cancelled'])),
  ],
);

export const planInstallments = pgTable(
  'plan_installments',
  {
    planId: uuid('plan_id')
      .notNull()
      .references(() => paymentPlans.id),
    seq: integer('seq').notNull(),
    dueDate: date('due_date', { mode: 'string' }).notNull(),
    amountMinor: money('amount_minor').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.planId, t.seq] }),
    check('plan_installments_amount_positive', sql`${t.amountMinor} > 0`),
  ],
);

export const disputes = pgTable(
  'disputes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    caseId: uuid('case_id').references(() => collectionCases.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    reason: text('reason').notNull(),
    /** Disputed part of the debt; null = the whole debt. */
    amountMinor: money('amount_minor'),
    currency: text('currency'),
    openedAt: instant('opened_at').notNull().defaultNow(),
    resolvedAt: instant('resolved_at'),
    outcome: text('outcome').$type<'upheld' | 'rejected' | 'withdrawn'>(),
  },
  (t) => [
    index('disputes_loan_idx').on(t.loanId, t.openedAt),
    check('disputes_outcome', sql`outcome IS NULL OR ${oneOf('outcome', ['upheld', 'rejected', 'withdrawn'])}`),
    check('disputes_resolved_has_outcome', sql`(${t.resolvedAt} IS NULL) = (${t.outcome} IS NULL)`),
  ],
);

export const collectorTasks = pgTable(
  'collector_tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    caseId: uuid('case_id').references(() => collectionCases.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    /** e.g. 'call'. */
    kind: text('kind').notNull(),
    /** Assigned collector; null = any collector may claim it. */
    collectorId: text('collector_id'),
    status: text('status').$type<TaskStatus>().notNull().default('queued'),
    /** Not claimable before this instant (e.g. a call retry delay). */
    availableAt: instant('available_at').notNull().defaultNow(),
    claimedBy: text('claimed_by'),
    claimedAt: instant('claimed_at'),
    leaseUntil: instant('lease_until'),
    completedAt: instant('completed_at'),
    outcome: text('outcome'),
    notes: text('notes'),
    /** Why the task was cancelled by the rules (e.g. `common.dispute`) and when; null for other cancels. */
    cancelledRule: text('cancelled_rule'),
    cancelledAt: instant('cancelled_at'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    // The work queue: only tasks that may still be claimed are indexed.
    index('collector_tasks_claimable_idx')
      .on(t.availableAt, t.createdAt)
      .where(sql`status IN ('queued', 'claimed')`),
    index('collector_tasks_case_idx').on(t.caseId),
    // The calls and visits a loan's contact history counts: completed with an outcome (#19).
    index('collector_tasks_history_idx')
      .on(t.loanId, t.completedAt)
      .where(sql`status = 'done' AND outcome IS NOT NULL AND kind IN ('call', 'visit')`),
    check('collector_tasks_status', oneOf('status', TASK_STATUSES)),
  ],
);

export const legalCases = pgTable(
  'legal_cases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .unique()
      .references(() => collectionCases.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    agency: text('agency'),
    reference: text('reference'),
    status: text('status').$type<'handed_over' | 'closed'>().notNull().default('handed_over'),
    handedOverAt: instant('handed_over_at').notNull().defaultNow(),
    outcome: text('outcome'),
    closedAt: instant('closed_at'),
  },
  (t) => [check('legal_cases_status', oneOf('status', ['handed_over', 'closed']))],
);

export const strategies = pgTable(
  'strategies',
  {
    id: text('id').notNull(),
    version: integer('version').notNull(),
    /** The strategy document (domain/strategy/types Strategy). Immutable once in use (trigger). */
    document: jsonb('document').$type<Record<string, unknown>>().notNull(),
    inUse: boolean('in_use').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.id, t.version] }), check('strategies_version_positive', sql`${t.version} > 0`)],
);

/**
 * Fitted cure-propensity models (domain/scoring/scorecard Scorecard), versioned like strategies: a
 * version that scored any case is immutable (trigger scoring_models_in_use_immutable); a change is a
 * new version. At most one version is active: new scores use it.
 */
export const scoringModels = pgTable(
  'scoring_models',
  {
    version: integer('version').primaryKey(),
    /** The scorecard: bins, weights, label window. */
    document: jsonb('document').$type<Record<string, unknown>>().notNull(),
    /** How it was fitted and how it did on the holdout (AUC, KS, calibration by decile, counts, split). */
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull(),
    active: boolean('active').notNull().default(false),
    inUse: boolean('in_use').notNull().default(false),
    createdAt: createdAt(),
    activatedAt: instant('activated_at'),
  },
  (t) => [
    check('scoring_models_version_positive', sql`${t.version} > 0`),
    uniqueIndex('scoring_models_one_active').on(t.active).where(sql`${t.active}`),
  ],
);

/** Every score a case received: when, why (trigger), with which model, the probability and its reasons. */
export const caseScores = pgTable(
  'case_scores',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** From the workflow and step, so a retried scoring activity writes once. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => collectionCases.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    modelVersion: integer('model_version')
      .notNull()
      .references(() => scoringModels.version),
    /** What prompted it: case_opened, payment, promise_broken, plan_missed. */
    trigger: text('trigger').notNull(),
    probability: doublePrecision('probability').notNull(),
    /** The three strongest negative contributions, with en and zh-CN text. */
    reasons: jsonb('reasons').$type<unknown[]>().notNull(),
    /** The feature values the score was computed from. */
    features: jsonb('features').$type<Record<string, unknown>>().notNull(),
    /** The personalised plan offer computed with the score, if any. */
    offer: jsonb('offer').$type<Record<string, unknown>>(),
    scoredAt: instant('scored_at').notNull().defaultNow(),
  },
  (t) => [
    index('case_scores_case_idx').on(t.caseId, t.scoredAt),
    check('case_scores_probability_range', sql`${t.probability} >= 0 AND ${t.probability} <= 1`),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    /** sha256 hex of the whole plaintext key; the plaintext is shown once and never stored. */
    hashedKey: text('hashed_key').notNull().unique(),
    role: text('role').$type<ApiRole>().notNull(),
    collectorId: text('collector_id'),
    label: text('label'),
    createdAt: createdAt(),
    revokedAt: instant('revoked_at'),
  },
  (t) => [
    check('api_keys_role', oneOf('role', API_ROLES)),
    check('api_keys_collector_has_id', sql`role <> 'collector' OR ${t.collectorId} IS NOT NULL`),
  ],
);

/** Append-only: the database rejects UPDATE, DELETE and TRUNCATE (trigger in migration audit_append_only). */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: instant('at').notNull().defaultNow(),
    /** Who: 'system', 'workflow:collection-L1', 'collector:c7', 'operator:ann', 'backend'. */
    actor: text('actor').notNull(),
    /** What: 'payment.recorded', 'case.opened', 'case.stage_changed', ... */
    action: text('action').notNull(),
    caseId: uuid('case_id'),
    loanId: text('loan_id'),
    before: jsonb('before'),
    after: jsonb('after'),
    /**
     * Set when the event rides on an activity whose effect it records (a workflow transition written by
     * the send or task it led to): a retried activity finds it written and writes it no second time.
     */
    idempotencyKey: text('idempotency_key').unique(),
  },
  (t) => [index('audit_events_loan_idx').on(t.loanId, t.at), index('audit_events_case_idx').on(t.caseId, t.at)],
);

/**
 * A collector's free-text note on a case (the workbench). Kept here, never in a workflow's history (the
 * text may name people or circumstances); appending one writes an audit event with its id and length,
 * not its text. Notes are appended, never edited.
 */
export const caseNotes = pgTable(
  'case_notes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => collectionCases.id),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    /** Who wrote it: 'collector:c-17'. */
    author: text('author').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('case_notes_case_idx').on(t.caseId, t.createdAt), check('case_notes_body_length', sql`char_length(${t.body}) BETWEEN 1 AND 4000`)],
);

/**
 * Self-service links (issue #16): one per message that carries it. The URL holds only the row id, the
 * expiry and an HMAC over both (channels/self-service-link.ts); the row lets a link be revoked, and a newer
 * message's link supersedes the older ones of the same loan.
 */
export const borrowerLinks = pgTable(
  'borrower_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    caseId: uuid('case_id').references(() => collectionCases.id),
    /** The contact attempt whose message carries the link, so a retried send reuses it; null when issued by hand. */
    contactKey: text('contact_key').unique(),
    expiresAt: instant('expires_at').notNull(),
    revokedAt: instant('revoked_at'),
    /** 'superseded' (a newer message carries a newer link), or who revoked it and why. */
    revokedReason: text('revoked_reason'),
    lastUsedAt: instant('last_used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('borrower_links_loan_idx').on(t.loanId, t.createdAt)],
);

export type ComplaintSource = (typeof COMPLAINT_SOURCES)[number];

/** Complaints about how a debt is collected. An open one pauses the case until an operator reviews it. */
export const complaints = pgTable(
  'complaints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    loanId: text('loan_id')
      .notNull()
      .references(() => loans.id),
    caseId: uuid('case_id').references(() => collectionCases.id),
    source: text('source').$type<ComplaintSource>().notNull(),
    /** The borrower's words. Personal by nature: kept here only, never logged or sent to the workflow. */
    text: text('text').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    reviewedAt: instant('reviewed_at'),
    reviewedBy: text('reviewed_by'),
    /** What the operator found and did. */
    resolution: text('resolution'),
  },
  (t) => [
    index('complaints_loan_idx').on(t.loanId, t.createdAt),
    index('complaints_open_idx').on(t.createdAt).where(sql`${t.reviewedAt} IS NULL`),
    check('complaints_source', oneOf('source', COMPLAINT_SOURCES)),
    check('complaints_reviewed_has_resolution', sql`(${t.reviewedAt} IS NULL) = (${t.resolution} IS NULL)`),
  ],
);

export type Borrower = typeof borrowers.$inferSelect;
export type Loan = typeof loans.$inferSelect;
export type Installment = typeof installments.$inferSelect;
export type Payment = typeof payments.$inferSelect;
export type PaymentAllocation = typeof paymentAllocations.$inferSelect;
export type CollectionCase = typeof collectionCases.$inferSelect;
export type ContactAttempt = typeof contactAttempts.$inferSelect;
export type PromiseToPay = typeof promisesToPay.$inferSelect;
export type PaymentPlan = typeof paymentPlans.$inferSelect;
export type PlanInstallment = typeof planInstallments.$inferSelect;
export type Dispute = typeof disputes.$inferSelect;
export type CollectorTask = typeof collectorTasks.$inferSelect;
export type LegalCase = typeof legalCases.$inferSelect;
export type StrategyRow = typeof strategies.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type ScoringModelRow = typeof scoringModels.$inferSelect;
export type CaseScoreRow = typeof caseScores.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
export type CaseNote = typeof caseNotes.$inferSelect;
export type BorrowerLink = typeof borrowerLinks.$inferSelect;
export type Complaint = typeof complaints.$inferSelect;
