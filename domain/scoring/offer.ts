// A payment plan the borrower can likely keep: how many instalments and how much each, from what the
// borrower has actually paid per month lately and the predicted cure probability, within the strategy's
// limits. Advice for the collector (and the borrower's self-service page): the plan agreed is recorded
// and watched exactly as any other (workflow negotiation stage).
import type { PaymentRow, ScheduleRow } from './features';
import type { ReasonText } from './reasons';
import { formatMoney } from '../money';

const DAY_MS = 86_400_000;

export interface PlanLimits {
  /** Most instalments a plan may have: the strategy's negotiation stage maxPlanInstallments. */
  maxInstallments: number;
  /** Smallest instalment a plan may ask for, minor units; absent: no floor. */
  minInstallmentMinor?: number;
}

export interface PlanOffer {
  /** How many instalments, one a month. */
  installments: number;
  /** Each instalment but the last. */
  amountMinor: number;
  /** The last instalment (what remains; never more than amountMinor). */
  lastAmountMinor: number;
  totalMinor: number;
  currency: string;
  /** Why these numbers, in en and zh-CN. */
  reasons: ReasonText[];
}

export interface OfferInput {
  pastDueMinor: number;
  currency: string;
  /** Predicted probability of a cure (the active model's score). */
  probability: number;
  payments: readonly PaymentRow[];
  installments: readonly ScheduleRow[];
  asOf: string;
  limits: PlanLimits;
}

/** The median of the borrower's non-zero monthly payment totals over the last six 30-day months. */
export function typicalMonthlyPayment(payments: readonly PaymentRow[], asOf: string): number | undefined {
  const now = Date.parse(asOf);
  const months = Array.from({ length: 6 }, () => 0);
  for (const p of payments) {
    const age = now - Date.parse(p.receivedAt);
    if (age < 0 || age >= 180 * DAY_MS) continue;
    months[Math.floor(age / (30 * DAY_MS))]! += p.amountMinor;
  }
  const paid = months.filter((m) => m > 0).sort((a, b) => a - b);
  if (!paid.length) return undefined;
  const mid = Math.floor(paid.length / 2);
  return paid.length % 2 ? paid[mid]! : Math.round((paid[mid - 1]! + paid[mid]!) / 2);
}

const money = (minor: number, currency: string) => formatMoney(minor, currency);

/**
 * What the borrower can likely pay a month: their typical monthly payment (or, with no payments in six
 * months, the scheduled instalment), scaled by the cure probability from half (p = 0) to all (p = 1) of
 * it. The plan spreads the past-due amount over as many months as that needs, within the limits.
 * Undefined when nothing is past due.
 */
export function proposePlan(input: OfferInput): PlanOffer | undefined {
  const { pastDueMinor, currency, limits } = input;
  if (!(pastDueMinor > 0)) return undefined;
  const p = Math.min(1, Math.max(0, input.probability));
  const typical = typicalMonthlyPayment(input.payments, input.asOf);
  const scheduled = input.installments.length ? [...input.installments].map((i) => i.amountDueMinor).sort((a, b) => a - b)[Math.floor(input.installments.length / 2)]! : pastDueMinor;
  const base = typical ?? scheduled;
  const share = 0.5 + 0.5 * p;
  const affordable = Math.max(1, Math.round(base * share));
  const maxCount = Math.max(1, Math.floor(limits.maxInstallments));
  let count = Math.min(maxCount, Math.max(1, Math.ceil(pastDueMinor / affordable)));
  const reasons: ReasonText[] = [
    typical !== undefined
      ? { en: `pays about ${money(typical, currency)} a month (median of the last six months)`, 'zh-CN': `近六个月每月还款约${money(typical, currency)}（中位数）` }
      : { en: `no payments in six months: based on the scheduled instalment of ${money(scheduled, currency)}`, 'zh-CN': `近六个月无还款：按每期应还${money(scheduled, currency)}计算` },
    { en: `predicted cure probability ${Math.round(p * 100)}%: instalments set at ${Math.round(share * 100)}% of that`, 'zh-CN': `预测结清概率${Math.round(p * 100)}%：每期金额按其${Math.round(share * 100)}%设定` },
  ];
  if (Math.ceil(pastDueMinor / affordable) > maxCount) {
    reasons.push({ en: `capped at the strategy's ${maxCount} instalments`, 'zh-CN': `受策略上限${maxCount}期限制` });
  }
  if (limits.minInstallmentMinor !== undefined && limits.minInstallmentMinor > 0) {
    const byFloor = Math.max(1, Math.floor(pastDueMinor / limits.minInstallmentMinor));
    if (byFloor < count) {
      count = byFloor;
      reasons.push({ en: `no instalment below the strategy's ${money(limits.minInstallmentMinor, currency)}`, 'zh-CN': `每期不低于策略规定的${money(limits.minInstallmentMinor, currency)}` });
    }
  }
  const amountMinor = Math.ceil(pastDueMinor / count);
  // Rounding up can leave nothing for the last instalment (9 over 4 is 3, 3, 3): drop it.
  count = Math.ceil(pastDueMinor / amountMinor);
  const lastAmountMinor = pastDueMinor - amountMinor * (count - 1);
  return { installments: count, amountMinor, lastAmountMinor, totalMinor: pastDueMinor, currency, reasons };
}
