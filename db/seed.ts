// A synthetic loan portfolio for demos, manual testing and benchmarks: borrowers across time zones and
// locales, monthly schedules, and a chosen share of loans 1-120 days past due. Deterministic for a
// given seed and as-of date. Names and contacts are fictional (example.com / example.cn, reserved or
// fictional phone ranges).
import type { Database } from './client';
import { borrowers, installments, loans, paymentAllocations, payments } from './schema';
import { addDays, addMonths, businessDate } from '../domain/ledger';
import { prng } from '../domain/random';

export interface SeedOptions {
  /** Number of loans (one borrower each). Default 200. */
  loans?: number;
  /** Share of loans past due, 0..1. Default 0.6. */
  overdueShare?: number;
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Calendar date the portfolio is built around ('YYYY-MM-DD'). Default today (UTC). */
  asOf?: string;
  /** Id prefix, so several portfolios can live in one database. Default 'S'. */
  idPrefix?: string;
  /**
   * Share of borrowers who name 12:00-14:00 local on weekdays as an inconvenient time, 0..1. Default 0.1.
   * The engine bench sets 0: its reminders must not wait for the end of a borrower's window. With 0.1 it
   * hung whenever it ran during some seeded zone's weekday lunch (Sydney 01-03 UTC, Shanghai 04-06, ...).
   */
  inconvenientTimeShare?: number;
  /** Loans per insert batch. Default 500. */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  borrowers: number;
  loans: number;
  overdueLoans: number;
  installments: number;
  payments: number;
  asOf: string;
  /** Ids of the loans seeded past due. */
  overdueLoanIds: string[];
}

interface Region {
  timeZone: string;
  locale: 'zh-CN' | 'en';
  currency: string;
  domain: string;
  phone: (n: number) => string;
  names: () => string;
}


const ZH_SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];
const ZH_GIVEN = ['伟', '芳', '娜', '敏', '静', '强', '磊', '洋', '艳', '军', '杰', '婷'];
const EN_FIRST = ['Alex', 'Sam', 'Jordan', 'Taylor', 'Morgan', 'Casey', 'Riley', 'Jamie', 'Avery', 'Quinn', 'Drew', 'Robin'];
const EN_LAST = ['Smith', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Miller', 'Clarke'];

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export async function seedPortfolio(db: Database, options: SeedOptions = {}): Promise<SeedResult> {
  const total = options.loans ?? 200;
  const overdueShare = options.overdueShare ?? 0.6;
  const asOf = options.asOf ?? businessDate(new Date());
  const prefix = options.idPrefix ?? 'S';
  const batchSize = options.batchSize ?? 500;
  const inconvenientTimeShare = options.inconvenientTimeShare ?? 0.1;
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`loans must be a non-negative integer (got ${total})`);
  if (!(overdueShare >= 0 && overdueShare <= 1)) throw new RangeError(`overdueShare must be within 0..1 (got ${overdueShare})`);
  if (!(inconvenientTimeShare >= 0 && inconvenientTimeShare <= 1)) throw new RangeError(`inconvenientTimeShare must be within 0..1 (got ${inconvenientTimeShare})`);
  const random = prng(options.seed ?? 1);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  const regions: Region[] = [
    {
      timeZone: 'Asia/Shanghai',
      locale: 'zh-CN',
      currency: 'CNY',
      domain: 'example.cn',
      phone: (n) => `+86138${pad(n % 100_000_000, 8)}`,
      names: () => pick(ZH_SURNAMES) + pick(ZH_GIVEN) + (random() < 0.5 ? pick(ZH_GIVEN) : ''),
    },
    { timeZone: 'America/Los_Angeles', locale: 'en', currency: 'USD', domain: 'example.com', phone: (n) => `+1213555${pad(100 + (n % 100), 4)}`, names: enName },
    { timeZone: 'America/New_York', locale: 'en', currency: 'USD', domain: 'example.com', phone: (n) => `+1212555${pad(100 + (n % 100), 4)}`, names: enName },
    { timeZone: 'Europe/London', locale: 'en', currency: 'GBP', domain: 'example.com', phone: (n) => `+447700900${pad(n % 1000, 3)}`, names: enName },
    { timeZone: 'Australia/Sydney', locale: 'en', currency: 'AUD', domain: 'example.com', phone: (n) => `+61491570${pad(n % 1000, 3)}`, names: enName },
  ];
  function enName() {
    return `${pick(EN_FIRST)} ${pick(EN_LAST)}`;
  }

  const result: SeedResult = { borrowers: 0, loans: 0, overdueLoans: 0, installments: 0, payments: 0, asOf, overdueLoanIds: [] };
  for (let start = 0; start < total; start += batchSize) {
    const borrowerRows: (typeof borrowers.$inferInsert)[] = [];
    const loanRows: (typeof loans.$inferInsert)[] = [];
    const installmentRows: (typeof installments.$inferInsert)[] = [];
    const paymentRows: (typeof payments.$inferInsert)[] = [];
    const allocationRows: (typeof paymentAllocations.$inferInsert)[] = [];

    for (let n = start + 1; n <= Math.min(total, start + batchSize); n++) {
      // Half the portfolio in China (zh-CN), the rest across US, UK and Australian time zones.
      const region = random() < 0.5 ? regions[0]! : regions[int(1, regions.length - 1)]!;
      const borrowerId = `${prefix}-B${pad(n, 7)}`;
      const loanId = `${prefix}-L${pad(n, 7)}`;
      const name = region.names();
      borrowerRows.push({
        id: borrowerId,
        externalRef: `${prefix}-ext-${pad(n, 7)}`,
        name,
        email: `borrower${n}@${region.domain}`,
        phone: region.phone(n),
        timeZone: region.timeZone,
        locale: region.locale,
        consents: { email: { consentAt: `${asOf}T00:00:00.000Z` }, ...(random() < 0.05 ? { sms: { optedOutAt: `${asOf}T00:00:00.000Z` } } : {}) },
        inconvenientTimes: random() < inconvenientTimeShare ? [{ from: '12:00', to: '14:00', weekdays: [1, 2, 3, 4, 5] }] : [],
        agreedToQuietHours: false,
        vulnerable: random() < 0.02,
      });

      const count = 12;
      const amountDueMinor = int(50, 500) * 100;
      const overdue = random() < overdueShare;
      // Anchor = the due date of the first instalment left unpaid: 1-120 days ago when overdue,
      // 0-27 days ahead when current. Earlier instalments are paid.
      const anchor = overdue ? addDays(asOf, -int(1, 120)) : addDays(asOf, int(0, 27));
      const paidBefore = int(0, overdue ? 5 : 8);
      const firstDue = addMonths(anchor, -paidBefore);
      loanRows.push({
        id: loanId,
        borrowerId,
        product: pick(['personal-12m', 'bnpl-12m', 'cash-12m']),
        currency: region.currency,
        principalMinor: amountDueMinor * count,
        riskScore: int(300, 850),
        openedAt: new Date(`${addMonths(firstDue, -1)}T00:00:00Z`),
      });
      // A partial payment on the oldest unpaid instalment of some overdue loans: still past due.
      const partial = overdue && random() < 0.25 ? Math.floor(amountDueMinor / 2) : 0;
      for (let seq = 1; seq <= count; seq++) {
        const paid = seq <= paidBefore ? amountDueMinor : seq === paidBefore + 1 ? partial : 0;
        const dueDate = addMonths(firstDue, seq - 1);
        installmentRows.push({ loanId, seq, dueDate, amountDueMinor, amountPaidMinor: paid });
        if (paid > 0) {
          const paymentId = `${prefix}-P${pad(n, 7)}-${seq}`;
          paymentRows.push({ id: paymentId, loanId, amountMinor: paid, currency: region.currency, receivedAt: new Date(`${dueDate}T09:00:00Z`) });
          allocationRows.push({ paymentId, loanId, installmentSeq: seq, amountMinor: paid });
        }
      }
      if (overdue) result.overdueLoanIds.push(loanId);
    }

    await db.transaction(async (tx) => {
      await tx.insert(borrowers).values(borrowerRows).onConflictDoNothing();
      await tx.insert(loans).values(loanRows).onConflictDoNothing();
      await tx.insert(installments).values(installmentRows).onConflictDoNothing();
      if (paymentRows.length) await tx.insert(payments).values(paymentRows).onConflictDoNothing();
      if (allocationRows.length) await tx.insert(paymentAllocations).values(allocationRows).onConflictDoNothing();
    });
    result.borrowers += borrowerRows.length;
    result.loans += loanRows.length;
    result.installments += installmentRows.length;
    result.payments += paymentRows.length;
    options.onProgress?.(result.loans, total);
  }
  result.overdueLoans = result.overdueLoanIds.length;
  return result;
}
