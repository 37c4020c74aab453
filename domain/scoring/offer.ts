// A payment plan the borrower can likely keep: how many instalments and how much each, from what the
// borrower has actually paid per month lately and the predicted cure probability, within the strategy's
// negotiation limits (longest term, smallest instalment, largest discount). Advice for the collector:
// the plan agreed is recorded and watched exactly as any other (workflow negotiation stage). An offer
// keeps to the same limits as the plan update (domain/plan-terms, workflows/validators validatePlan), so
// an offer taken as it stands is accepted: on a case opened on contract 6 or later, a discounted one too,
// and when it is paid the discount is written down and the case closes settled (README, "Personalised
// plan offer").
import type { PaymentRow, ScheduleRow } from './features';
import type { ReasonText } from './reasons';
import { formatMoney } from '../money';
import { largestPlanDiscountMinor, planInstallmentFloorMinor } from '../plan-terms';

const DAY_MS = 86_400_000;

export interface PlanLimits {
  /** Most instalments a plan may have (the longest term): the negotiation stage's maxPlanInstallments. */
  maxInstallments: number;
  /** Smallest instalment a plan may ask for, minor units of `currency`; absent or 0: no floor. */
  minInstallmentMinor?: number;
  /** Largest discount on the past-due amount, a whole percent 0..100; absent or 0: no discount. */
  maxDiscountPercent?: number;
  /** The currency minInstallmentMinor is in (the strategy's); a loan in another currency gets no floor. */
  currency?: string;
}

/**
 * A discount is offered only to a borrower predicted less likely than not to cure (and only when the
 * longest plan they can afford falls short): one likely to cure is expected to pay in full.
 */
export const DISCOUNT_BELOW_PROBABILITY = 0.5;

export interface PlanOffer {
  /** How many instalments, one a month. */
  installments: number;
  /** Each instalment but the last. */
  amountMinor: number;
  /** The last instalment (what remains; never more than amountMinor). */
  lastAmountMinor: number;
  /** What the plan asks for in all: pastDueMinor - discountMinor, exactly the instalments' sum. */
  totalMinor: number;
  /** The past-due amount the offer was made for. */
  pastDueMinor: number;
  /** How much of the past-due amount the offer lets go (0: none), within the strategy's largest discount. */
  discountMinor: number;
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
const percentOf = (part: number, whole: number) => Math.round((part / whole) * 100);

/**
 * The plan for `totalMinor` in at most `count` instalments: equal ones rounded up, the last what remains.
 * Rounding up can leave nothing for the last (9 over 4 is 3, 3, 3): it is dropped.
 */
function split(totalMinor: number, count: number): { installments: number; amountMinor: number; lastAmountMinor: number } {
  const amountMinor = Math.ceil(totalMinor / count);
  const installments = Math.ceil(totalMinor / amountMinor);
  return { installments, amountMinor, lastAmountMinor: totalMinor - amountMinor * (installments - 1) };
}

/**
 * What the borrower can likely pay a month: their typical monthly payment (or, with no payments in six
 * months, the scheduled instalment), scaled by the cure probability from half (p = 0) to all (p = 1) of
 * it. The plan spreads the past-due amount over as many months as that needs, within the limits:
 * - never more instalments than the longest term (maxInstallments);
 * - a discount, up to the strategy's largest, only when the borrower is unlikely to cure (p below
 *   DISCOUNT_BELOW_PROBABILITY) and the longest term at what they can afford leaves part of the past-due
 *   amount uncovered: the discount is that shortfall, so the plan they are offered is one they can keep;
 * - no instalment below the smallest (minInstallmentMinor): fewer, larger instalments instead, and an
 *   amount below the smallest is asked for in one.
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
  const reasons: ReasonText[] = [
    typical !== undefined
      ? { en: `pays about ${money(typical, currency)} a month (median of the last six months)`, 'zh-CN': `近六个月每月还款约${money(typical, currency)}（中位数）` }
      : { en: `no payments in six months: based on the scheduled instalment of ${money(scheduled, currency)}`, 'zh-CN': `近六个月无还款：按每期应还${money(scheduled, currency)}计算` },
    { en: `predicted cure probability ${Math.round(p * 100)}%: instalments set at ${Math.round(share * 100)}% of that`, 'zh-CN': `预测结清概率${Math.round(p * 100)}%：每期金额按其${Math.round(share * 100)}%设定` },
  ];

  const discountMinor = discountFor(pastDueMinor, p, affordable, maxCount, limits, currency, reasons);
  const totalMinor = pastDueMinor - discountMinor;
  const needed = Math.ceil(totalMinor / affordable);
  if (needed > maxCount) {
    reasons.push({ en: `capped at the strategy's ${maxCount} instalments`, 'zh-CN': `受策略上限${maxCount}期限制` });
  }
  let plan = split(totalMinor, Math.min(maxCount, needed));

  const floor = floorOf(limits, currency, reasons);
  if (floor > 0 && plan.installments > 1 && plan.lastAmountMinor < floor) {
    // The most instalments, fewer than planned, whose every one (the last included) is at least the floor.
    let count = plan.installments - 1;
    while (count > 1 && split(totalMinor, count).lastAmountMinor < floor) count -= 1;
    plan = split(totalMinor, count);
    reasons.push(
      totalMinor < floor
        ? { en: `less than the strategy's smallest instalment of ${money(floor, currency)}: asked for in one payment`, 'zh-CN': `不足策略规定的最低每期${money(floor, currency)}：一次还清` }
        : { en: `no instalment below the strategy's ${money(floor, currency)}`, 'zh-CN': `每期不低于策略规定的${money(floor, currency)}` },
    );
  }
  return { ...plan, totalMinor, pastDueMinor, discountMinor, currency, reasons };
}

/** The discount the rule in proposePlan allows, with its reason (or why none, when the strategy allows one). */
function discountFor(pastDueMinor: number, p: number, affordable: number, maxCount: number, limits: PlanLimits, currency: string, reasons: ReasonText[]): number {
  const percent = Math.min(100, Math.max(0, Math.floor(limits.maxDiscountPercent ?? 0)));
  const largest = largestPlanDiscountMinor(pastDueMinor, percent);
  const covered = affordable * maxCount;
  const shortfall = pastDueMinor - covered;
  if (largest === 0 || shortfall <= 0) return 0;
  if (p >= DISCOUNT_BELOW_PROBABILITY) {
    reasons.push({
      en: `no discount: a cure is likely (${Math.round(p * 100)}%)`,
      'zh-CN': `不减免：结清可能性较高（${Math.round(p * 100)}%）`,
    });
    return 0;
  }
  const discount = Math.min(shortfall, largest);
  const atLargest = discount < shortfall;
  reasons.push({
    en:
      `${money(discount, currency)} off the ${money(pastDueMinor, currency)} past due (${percentOf(discount, pastDueMinor)}%): ` +
      `a cure is unlikely and ${maxCount} instalments of ${money(affordable, currency)} cover only ${money(covered, currency)}` +
      (atLargest ? `; the strategy allows at most ${percent}% off` : ''),
    'zh-CN':
      `逾期${money(pastDueMinor, currency)}减免${money(discount, currency)}（${percentOf(discount, pastDueMinor)}%）：` +
      `结清可能性低，${maxCount}期每期${money(affordable, currency)}只能还${money(covered, currency)}` +
      (atLargest ? `；策略最多减免${percent}%` : ''),
  });
  return discount;
}

/** The smallest instalment that applies to this loan: none when the strategy's amounts are in another currency. */
function floorOf(limits: PlanLimits, currency: string, reasons: ReasonText[]): number {
  const floor = planInstallmentFloorMinor(limits.minInstallmentMinor, limits.currency, currency);
  if (floor === 0 && (limits.minInstallmentMinor ?? 0) > 0) {
    reasons.push({
      en: `the strategy's smallest instalment is in ${limits.currency}, not the loan's ${currency}: not applied`,
      'zh-CN': `策略的最低每期金额以${limits.currency}计，与贷款币种${currency}不同：未采用`,
    });
  }
  return floor;
}
