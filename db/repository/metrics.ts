// The few reads behind Overdue's application metrics (observability/metrics.ts): how many open cases
// sit in each stage, and when a loan's latest payment arrived (for payment-to-close latency).
import { desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { collectionCases, payments } from '../schema';

/** Open cases per stage (a closed case counts under its outcome elsewhere). */
export async function countOpenCasesByStage(db: Database): Promise<Array<{ stage: string; count: number }>> {
  const rows = await db
    .select({ stage: collectionCases.stage, count: sql<number>`count(*)::int` })
    .from(collectionCases)
    .where(isNull(collectionCases.closedAt))
    .groupBy(collectionCases.stage);
  return rows.map((row) => ({ stage: row.stage, count: Number(row.count) }));
}

/** When the loan's most recent payment was received, or undefined without one. */
export async function latestPaymentAt(db: Database, loanId: string): Promise<Date | undefined> {
  const [row] = await db.select({ receivedAt: payments.receivedAt }).from(payments).where(eq(payments.loanId, loanId)).orderBy(desc(payments.receivedAt)).limit(1);
  return row?.receivedAt ?? undefined;
}
