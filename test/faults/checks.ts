// What the fault suite verifies after the run, from what a user or an auditor can observe: the
// workflows' results and histories (Temporal), the contact record, ledger and facts (PostgreSQL), and
// what actually reached the SMTP server and the SMS gateway.
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Client } from '@temporalio/client';
import { inArray, sql } from 'drizzle-orm';
import { messageIdFor } from '../../channels/email';
import { queryRows, type Database } from '../../db/client';
import {
  auditEvents,
  collectionCases,
  collectorTasks,
  contactAttempts,
  disputes,
  installments,
  paymentAllocations,
  payments,
  type ContactAttempt,
} from '../../db/schema';
import { findViolations, type AuditBorrower, type AuditChange, type AuditContact } from '../../domain/compliance/audit';
// The rule module's own classification (a final demand is collection; only required disclosures pass a
// dispute), the same the send-time gate and the auditor's report use.
import { contactKindOf } from '../../domain/compliance/kinds';
import * as m from '../../contracts/messages';
import { checkLedger } from '../support/ledger-checks';
import { expectedOutcomes, type PlannedLoan } from './borrowers';
import type { ReceivedMail, SmsRequest } from './infra';

export interface Finding {
  kind: 'duplicate' | 'violation' | 'lost' | 'outcome' | 'stuck' | 'ledger';
  loanId?: string;
  detail: string;
}

export interface Figures {
  loans: number;
  byPath: Record<string, number>;
  byBehaviour: Record<string, number>;
  outcomes: Record<string, number>;
  contacts: Record<string, number>;
  deliveredEmail: number;
  deliveredSms: number;
  /** presumed_sent contacts that never reached the provider: allowed (better missed than twice). */
  missed: number;
  /** presumed_sent contacts that did reach it. */
  presumedDelivered: number;
  callTasks: number;
  payments: number;
  duplicates: number;
  violations: number;
  lost: number;
  findings: Finding[];
}


const count = <T>(items: readonly T[], key: (item: T) => string) => {
  const map = new Map<string, number>();
  for (const item of items) map.set(key(item), (map.get(key(item)) ?? 0) + 1);
  return map;
};

/**
 * A borrower scripted to pay whose payment reached the ledger only after the case had closed (the
 * script fell behind a loaded machine and outages) did not in fact pay in time: handed_to_legal is then
 * the right outcome. A payment in the ledger that covered the past-due amount before the case closed
 * must have cured it, so that is still a wrong outcome.
 */
async function paidTooLate(db: Database, loan: PlannedLoan, result: m.CollectionResult): Promise<boolean> {
  if (result.outcome !== 'handed_to_legal' || !expectedOutcomes[loan.behaviour].includes('cured')) return false;
  const rows = await queryRows<{ paid: string | number }>(
    db,
    sql`SELECT coalesce(sum(p.amount_minor), 0) AS paid FROM payments p JOIN collection_cases c ON c.id = ${result.caseId}::uuid
        WHERE p.loan_id = ${loan.loanId} AND p.received_at <= c.closed_at`,
  );
  return Number(rows[0]?.paid ?? 0) < loan.pastDueMinor;
}

export async function checkRun(options: {
  db: Database;
  client: Client;
  loans: PlannedLoan[];
  mail: ReceivedMail[];
  sms: SmsRequest[];
  paymentsMade: Map<string, { loanId: string; amountMinor: number }>;
}): Promise<Figures> {
  const { db, client, loans } = options;
  const ids = loans.map((l) => l.loanId);
  const findings: Finding[] = [];
  const add = (kind: Finding['kind'], detail: string, loanId?: string) => findings.push({ kind, detail, ...(loanId ? { loanId } : {}) });

  // ---- workflows: closed, completed, with the scripted outcome; no contact scheduled twice ----
  const outcomes: Record<string, number> = {};
  for (const loan of loans) {
    const handle = client.workflow.getHandle(m.workflowIdForLoan(loan.loanId));
    const description = await handle.describe();
    if (description.status.name !== 'COMPLETED') {
      // Say why: the last failed workflow task (a non-determinism error keeps a workflow RUNNING forever).
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      // Kept beside the worker logs: the history is what a replay test needs to reproduce the failure.
      if (process.env.FAULTS_KEEP_HISTORIES) writeFileSync(`${process.env.FAULTS_KEEP_HISTORIES}/${loan.loanId}.json`, historyToJSON(history));
      const failed = [...events].reverse().find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message;
      add('stuck', `workflow is ${description.status.name}, not COMPLETED${failed ? `; last workflow task failure: ${failed}` : ''}`, loan.loanId);
      continue;
    }
    const result = (await handle.result()) as m.CollectionResult;
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
    if (!expectedOutcomes[loan.behaviour].includes(result.outcome) && !(await paidTooLate(options.db, loan, result))) {
      add('outcome', `${loan.behaviour} on ${loan.pathId} ended ${result.outcome}, expected ${expectedOutcomes[loan.behaviour].join(' or ')}`, loan.loanId);
    }
    const history = await handle.fetchHistory();
    const scheduled: string[] = [];
    for (const event of history.events ?? []) {
      const attrs = event.activityTaskScheduledEventAttributes;
      if (!attrs || !/^send/.test(attrs.activityType?.name ?? '')) continue;
      const payload = attrs.input?.payloads?.[0];
      const request = payload?.data ? (JSON.parse(Buffer.from(payload.data).toString('utf8')) as { idempotencyKey?: string }) : {};
      scheduled.push(request.idempotencyKey ?? '?');
    }
    for (const [key, n] of count(scheduled, (k) => k)) if (n > 1) add('duplicate', `history schedules contact ${key} ${n} times`, loan.loanId);
  }

  // ---- the contact record against what reached the providers ----
  const rows = await db.select().from(contactAttempts).where(inArray(contactAttempts.loanId, ids));
  const ourKeys = new Set(rows.map((r) => r.idempotencyKey));
  const byMessageId = new Map(rows.filter((r) => r.channel === 'email').map((r) => [messageIdFor(r.idempotencyKey), r]));
  const mailCount = count(options.mail, (mail) => mail.messageId);
  const smsCount = count(options.sms, (call) => call.idempotencyKey);
  for (const [messageId, n] of mailCount) {
    const row = byMessageId.get(messageId);
    if (n > 1) add('duplicate', `email ${messageId} (${row?.idempotencyKey ?? 'no record'}) reached the SMTP server ${n} times`, row?.loanId);
    if (!row) add('violation', `email ${messageId} reached the SMTP server with no contact record`);
    else if (row.status !== 'sent' && row.status !== 'presumed_sent') add('violation', `email ${row.idempotencyKey} reached the SMTP server but is recorded ${row.status}`, row.loanId);
  }
  for (const [key, n] of smsCount) {
    const row = rows.find((r) => r.idempotencyKey === key);
    if (n > 1) add('duplicate', `SMS ${key} reached the gateway ${n} times`, row?.loanId);
    if (!ourKeys.has(key)) add('violation', `SMS ${key} reached the gateway with no contact record`);
    else if (row && row.status !== 'sent' && row.status !== 'presumed_sent') add('violation', `SMS ${key} reached the gateway but is recorded ${row.status}`, row.loanId);
  }
  const arrival = (row: ContactAttempt): number | undefined => {
    if (row.channel === 'email') return options.mail.find((mail) => mail.messageId === messageIdFor(row.idempotencyKey))?.at;
    if (row.channel === 'sms') return options.sms.find((call) => call.idempotencyKey === row.idempotencyKey)?.at;
    return row.sentAt?.getTime();
  };
  let missed = 0;
  let presumedDelivered = 0;
  const contacts: AuditContact[] = [];
  for (const row of rows) {
    if (row.status !== 'sent' && row.status !== 'presumed_sent') continue;
    const at = arrival(row);
    if (row.status === 'sent' && at === undefined) add('lost', `${row.channel} ${row.idempotencyKey} is recorded sent but never reached the provider`, row.loanId);
    if (row.status === 'presumed_sent') {
      if (at === undefined) missed += 1;
      else presumedDelivered += 1;
    }
    if (at === undefined) continue;
    contacts.push({ caseId: row.caseId ?? '', loanId: row.loanId, channel: row.channel, at: new Date(at).toISOString(), status: row.status, kind: contactKindOf(row.template) });
  }
  const tasks = await db.select().from(collectorTasks).where(inArray(collectorTasks.loanId, ids));
  for (const task of tasks) {
    // A task born cancelled (the rules forbade its call when it was queued) was never claimable: no contact.
    if (task.status === 'cancelled' && task.cancelledAt && task.cancelledAt.getTime() <= task.createdAt.getTime()) continue;
    contacts.push({ caseId: task.caseId ?? '', loanId: task.loanId, channel: 'call', at: task.createdAt.toISOString(), status: 'sent', kind: 'collection' });
  }
  for (const [key, n] of count(tasks, (t) => t.idempotencyKey)) if (n > 1) add('duplicate', `collector task ${key} queued ${n} times`);

  // ---- compliance: every contact re-checked against the facts as they stood at its instant ----
  const [disputeRows, paymentRows, allocationRows, installmentRows, factRows, caseRows] = await Promise.all([
    db.select().from(disputes).where(inArray(disputes.loanId, ids)),
    db.select().from(payments).where(inArray(payments.loanId, ids)),
    db.select().from(paymentAllocations).where(inArray(paymentAllocations.loanId, ids)),
    db.select().from(installments).where(inArray(installments.loanId, ids)),
    db.select().from(auditEvents).where(inArray(auditEvents.loanId, ids)),
    db.select().from(collectionCases).where(inArray(collectionCases.loanId, ids)),
  ]);
  const facts = new Map<string, AuditBorrower>();
  for (const loan of loans) {
    const changes: AuditChange[] = [];
    for (const d of disputeRows.filter((r) => r.loanId === loan.loanId)) {
      changes.push({ at: d.openedAt.toISOString(), set: { state: { disputed: true } } });
      if (d.resolvedAt && d.outcome !== 'upheld') changes.push({ at: d.resolvedAt.toISOString(), set: { state: { disputed: false } } });
    }
    let paid = 0;
    for (const p of paymentRows.filter((r) => r.loanId === loan.loanId).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
      paid += p.amountMinor;
      if (paid >= loan.pastDueMinor) {
        changes.push({ at: p.createdAt.toISOString(), set: { state: { nothingDue: true } } });
        break;
      }
    }
    for (const e of factRows.filter((r) => r.loanId === loan.loanId)) {
      if (e.action === 'borrower.cease') changes.push({ at: e.at.toISOString(), set: { state: { ceaseRequested: true } } });
      if (e.action === 'borrower.barred') changes.push({ at: e.at.toISOString(), set: { state: { bankruptcy: true } } });
    }
    facts.set(loan.loanId, {
      pack: 'sandbox',
      timeZone: 'Asia/Shanghai',
      inconvenientTimes: [],
      optedOut: [],
      agreedToQuietHours: false,
      state: { disputed: false, ceaseRequested: false, nothingDue: false, bankruptcy: false, deceased: false, representedByAttorney: false },
      changes,
    });
  }
  for (const v of findViolations(contacts, facts)) add('violation', `${v.detail}`, v.loanId);
  // Nothing goes out once the case is closed, whatever the reason.
  for (const c of contacts) {
    const closed = caseRows.find((r) => r.loanId === c.loanId)?.closedAt;
    if (closed && Date.parse(c.at) > closed.getTime()) add('violation', `${c.channel} at ${c.at} after the case closed at ${closed.toISOString()}`, c.loanId);
  }

  // ---- the ledger: every payment once, and the balances add up ----
  for (const f of checkLedger({ loanIds: ids, paymentsMade: options.paymentsMade, payments: paymentRows, allocations: allocationRows, installments: installmentRows })) {
    add(f.kind, f.detail, f.loanId);
  }

  const tally = (key: (l: PlannedLoan) => string) => Object.fromEntries(count(loans, key));
  const statuses = Object.fromEntries(count(rows, (r) => `${r.channel}:${r.status}`));
  return {
    loans: loans.length,
    byPath: tally((l) => l.pathId),
    byBehaviour: tally((l) => l.behaviour),
    outcomes,
    contacts: statuses,
    deliveredEmail: options.mail.length,
    deliveredSms: options.sms.length,
    missed,
    presumedDelivered,
    callTasks: tasks.length,
    payments: paymentRows.length,
    duplicates: findings.filter((f) => f.kind === 'duplicate').length,
    violations: findings.filter((f) => f.kind === 'violation' || f.kind === 'ledger').length,
    lost: findings.filter((f) => f.kind === 'lost').length,
    findings,
  };
}
