// Database round trips per loan path (issue #19): one loan at a time through a path, on workers of its
// own whose activities use database handles that count every statement they send (postgres.js's debug
// hook, BEGIN and COMMIT included; statements sent in parallel count one each). The case activities
// (collections queue), the channel sends (the send-time gate) and the payment (the ledger's transaction,
// written by the bench as the API would: recordPaymentAndSignal) are counted apart. Part of
// `npm run bench` (phase 5).
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { and, eq, inArray } from 'drizzle-orm';
import { createCaseActivities } from '../activities/case';
import { createChannelActivities } from '../activities/channels';
import type { EmailSender } from '../channels/email';
import { createConsoleLetterQueue } from '../channels/letter';
import { createConsoleSmsProvider } from '../channels/sms';
import { recordPaymentAndSignal, startCollectionRun } from '../client/collection';
import { createDatabase, type Database } from '../db/client';
import { upsertBorrower } from '../db/repository/borrowers';
import { getLoanPosition, upsertLoan } from '../db/repository/ledger';
import { saveStrategy } from '../db/repository/strategies';
import { contactAttempts } from '../db/schema';
import { findDefaultStrategy } from '../domain/strategy/defaults';
import type { ReminderStage } from '../domain/strategy/types';
import { createStrategyLoader } from '../worker/strategies';
import { bundleWorkflows, createWorkers } from '../worker/workers';

export interface RoundTrips {
  /** Statements the case activities sent (openCase, task writes, audit writes, closes, ...). */
  caseActivities: number;
  /** Statements the channel activities sent, the send-time gate included. */
  channelSends: number;
  /** Statements the payment's ledger transaction sent (0 on a path without one). */
  payment: number;
  /** Messages the path sent (or blocked at send time). */
  sends: number;
  total: number;
}

const DAY_MS = 24 * 3600 * 1000;

export async function databaseRoundTripsPerPath(deps: {
  /** The bench's own database (seeding and the payment; not counted). */
  db: Database;
  databaseUrl: string;
  connection: NativeConnection;
  client: Client;
  namespace: string;
  /** Called with each counted statement (which side sent it), to see what a path's count is made of. */
  onStatement?: (side: 'case' | 'channel' | 'payment', statement: string) => void;
}): Promise<Record<string, RoundTrips>> {
  const { db, client, onStatement } = deps;
  const counts = { case: 0, channel: 0, payment: 0 };
  const caseDb = await createDatabase(deps.databaseUrl, { max: 2, onQuery: (s) => ((counts.case += 1), onStatement?.('case', s)) });
  const channelDb = await createDatabase(deps.databaseUrl, { max: 2, onQuery: (s) => ((counts.channel += 1), onStatement?.('channel', s)) });
  const paymentDb = await createDatabase(deps.databaseUrl, { max: 1, onQuery: (s) => ((counts.payment += 1), onStatement?.('payment', s)) });
  const suffix = randomUUID().slice(0, 8);
  const queues = { collections: `bench-rt-${suffix}`, email: `bench-rt-email-${suffix}`, sms: `bench-rt-sms-${suffix}`, letter: `bench-rt-letter-${suffix}` };
  const quietMailer: EmailSender = { send: async (m) => ({ providerMessageId: `<${m.idempotencyKey}@bench>` }) };
  const workers = await createWorkers({
    connection: deps.connection,
    namespace: deps.namespace,
    queues,
    emailPerSecond: 100,
    smsPerSecond: 100,
    bundle: await bundleWorkflows(),
    caseActivities: createCaseActivities({ db: caseDb.db, loadStrategy: createStrategyLoader(caseDb.db, 'fast-test'), queues }),
    channelActivities: createChannelActivities({ db: channelDb.db, mailer: quietMailer, sms: createConsoleSmsProvider(() => {}), letters: createConsoleLetterQueue(() => {}) }),
  });
  const running = workers.run();

  // fast-test ("a day is a second") with the second reminder 8 s out, so the payment lands between them.
  const fastTest = findDefaultStrategy('fast-test')!;
  const ladder = structuredClone(fastTest.paths['full-ladder']!);
  (ladder[0] as ReminderStage).steps[1]!.after = 'PT8S';
  const slowSecond = { ...fastTest, id: 'bench-rt-slow-second', version: 1, paths: { ...fastTest.paths, 'full-ladder': ladder } };
  await saveStrategy(db, { id: slowSecond.id, version: 1, document: slowSecond });

  let n = 0;
  async function seedLoan(): Promise<string> {
    n += 1;
    const loanId = `BRT${suffix}-${n}`;
    const borrowerId = `b-${loanId}`;
    await upsertBorrower(db, { id: borrowerId, externalRef: `ext-${borrowerId}`, name: 'Bench Borrower', email: `${borrowerId}@example.com`, phone: '+8613800138000', timeZone: 'Asia/Shanghai', locale: 'zh-CN' });
    const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    await upsertLoan(db, {
      id: loanId,
      borrowerId,
      product: 'consumer-loan',
      currency: 'CNY',
      principalMinor: 150_000,
      openedAt: new Date(Date.now() - 63 * DAY_MS),
      installments: [
        { seq: 1, dueDate: date(Date.now() - 3 * DAY_MS), amountDueMinor: 50_000 },
        { seq: 2, dueDate: date(Date.now() + 30 * DAY_MS), amountDueMinor: 50_000 },
        { seq: 3, dueDate: date(Date.now() + 60 * DAY_MS), amountDueMinor: 50_000 },
      ],
    });
    return loanId;
  }
  const sent = (loanId: string) =>
    db.select().from(contactAttempts).where(and(eq(contactAttempts.loanId, loanId), inArray(contactAttempts.status, ['sent', 'presumed_sent', 'blocked', 'failed'])));

  /** Runs one loan through `drive` and returns the statements its activities sent. */
  async function measure(strategyId: string, drive: (loanId: string) => Promise<void>): Promise<RoundTrips> {
    const loanId = await seedLoan();
    counts.case = 0;
    counts.channel = 0;
    counts.payment = 0;
    const handle = await startCollectionRun(client, queues.collections, loanId, { strategyId });
    await drive(loanId);
    await client.workflow.getHandle(handle.workflowId).result();
    const sends = (await sent(loanId)).length;
    return { caseActivities: counts.case, channelSends: counts.channel, payment: counts.payment, sends, total: counts.case + counts.channel + counts.payment };
  }

  try {
    const paysAfterFirstReminder = await measure(slowSecond.id, async (loanId) => {
      const deadline = Date.now() + 60_000;
      while ((await sent(loanId)).length === 0) {
        if (Date.now() > deadline) throw new Error(`round trips: the first reminder of ${loanId} was never sent`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const position = await getLoanPosition(db, loanId);
      await recordPaymentAndSignal({ db: paymentDb.db, client }, { paymentId: `${loanId}-pay`, loanId, amountMinor: position.pastDueMinor, currency: position.currency, receivedAt: new Date() });
    });
    const fullLadder = await measure('fast-test', async () => {});
    return { 'pays-after-first-reminder': paysAfterFirstReminder, 'full-ladder-to-legal': fullLadder };
  } finally {
    workers.shutdown();
    await running.catch(() => {});
    await Promise.all([caseDb.close(), channelDb.close(), paymentDb.close()]);
  }
}

/** "41 (case activities 29, channel sends 12 for 1 send, payment 10)" for a table. */
export function describeRoundTrips(r: RoundTrips): string {
  const payment = r.payment > 0 ? `, payment ${r.payment}` : '';
  return `${r.total} (case activities ${r.caseActivities}, channel sends ${r.channelSends} for ${r.sends} send${r.sends === 1 ? '' : 's'}${payment})`;
}
