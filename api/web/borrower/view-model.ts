// Everything the borrower's page shows, read for one link's loan only: the statement from the ledger, the
// case from the workflow's state query, and the strategy's terms from the case's pinned strategy.
import { asc, desc, eq } from 'drizzle-orm';
import type { CollectionState } from '../../../contracts/messages';
import { getOpenCase } from '../../../db/repository/cases';
import { pinnedStrategy } from '../../../db/repository/contact-facts';
import { getLoan, getLoanPosition } from '../../../db/repository/ledger';
import { borrowers, paymentPlans, payments, type ContactConsents } from '../../../db/schema';
import { formatMoney, minorUnitExponent } from '../../../domain/money';
import { planOffers, localToday, type PlanOffer } from '../../../domain/self-service';
import { parseDuration } from '../../../domain/strategy/duration';
import type { NegotiationStage, Strategy } from '../../../domain/strategy/types';
import { ApiError } from '../../errors';
import { readState, type OperationDeps } from '../../operations';
import type { Words } from './i18n';

const DAY_MS = 86_400_000;

export interface CaseFacts {
  loanId: string;
  currency: string;
  timeZone: string;
  locale: string;
  pastDueMinor: number;
  optedOut: string[];
  state: CollectionState | null;
  terms: NegotiationStage | null;
  offers: PlanOffer[];
}

/** The negotiation terms on the case's path in its pinned strategy, or the first negotiation stage. */
function negotiationTerms(strategy: Partial<Strategy> | undefined, pathId: string | undefined): NegotiationStage | null {
  const paths = (strategy?.paths ?? {}) as Record<string, Array<{ kind: string }>>;
  const stages = (pathId && paths[pathId]) || Object.values(paths).flat();
  return (stages.find((s) => s.kind === 'negotiation') as NegotiationStage | undefined) ?? null;
}

async function stateOrNull(deps: OperationDeps, loanId: string): Promise<CollectionState | null> {
  try {
    return await readState(deps, loanId);
  } catch (error) {
    if (error instanceof ApiError && error.type === 'not_found') return null;
    throw error;
  }
}

export async function caseFacts(deps: OperationDeps, loanId: string, now = Date.now()): Promise<CaseFacts> {
  const loan = (await getLoan(deps.db, loanId))!;
  const [borrower] = await deps.db
    .select({ timeZone: borrowers.timeZone, locale: borrowers.locale, consents: borrowers.consents })
    .from(borrowers)
    .where(eq(borrowers.id, loan.borrowerId));
  const position = await getLoanPosition(deps.db, loanId, new Date(now));
  const state = await stateOrNull(deps, loanId);
  const open = await getOpenCase(deps.db, loanId);
  const strategy = open ? await pinnedStrategy(deps.db, open.strategyId, open.strategyVersion) : undefined;
  const terms = negotiationTerms(strategy, state?.strategy?.pathId);
  const pastDueMinor = state?.pastDueMinor ?? position.pastDueMinor;
  const consents = (borrower?.consents ?? {}) as ContactConsents;
  return {
    loanId,
    currency: loan.currency,
    timeZone: borrower?.timeZone ?? 'UTC',
    locale: borrower?.locale ?? 'en',
    pastDueMinor,
    optedOut: Object.entries(consents).filter(([, c]) => c?.optedOutAt).map(([channel]) => channel),
    state,
    terms,
    // The strategy's smallest instalment is in its own currency: it says nothing about a loan in another.
    offers: terms ? planOffers(pastDueMinor, strategy?.currency === loan.currency ? terms : { ...terms, minPlanInstallmentMinor: undefined }, now) : [],
  };
}

/** Parses "1,234.50" / "1234.5" in major units into minor units; null when it is not a positive amount. */
export function parseAmount(text: unknown, currency: string): number | null {
  if (typeof text !== 'string') return null;
  const clean = text.replace(/[,\s]/g, '');
  const exponent = minorUnitExponent(currency);
  const m = new RegExp(`^(\\d{1,12})(?:\\.(\\d{1,${Math.max(exponent, 1)}}))?$`).exec(clean);
  if (!m || (exponent === 0 && m[2])) return null;
  const minor = Number(m[1]) * 10 ** exponent + Number((m[2] ?? '').padEnd(exponent, '0') || 0);
  return minor > 0 && Number.isSafeInteger(minor) ? minor : null;
}

/** The major-unit text of an amount, for a form's default value ("1234.50"). */
export function amountText(minor: number, currency: string): string {
  const exponent = minorUnitExponent(currency);
  return exponent === 0 ? String(minor) : (minor / 10 ** exponent).toFixed(exponent);
}

/** The statement and everything else the template renders, in the borrower's language. */
export async function pageModel(deps: OperationDeps, facts: CaseFacts, w: Words, now = Date.now()) {
  const loan = (await getLoan(deps.db, facts.loanId))!;
  const position = await getLoanPosition(deps.db, facts.loanId, new Date(now));
  const received = await deps.db.select().from(payments).where(eq(payments.loanId, facts.loanId)).orderBy(asc(payments.receivedAt));
  const money = (n: number) => formatMoney(n, facts.currency, w.formatLocale);
  const dates = new Intl.DateTimeFormat(w.formatLocale, { dateStyle: 'long', timeZone: 'UTC' });
  const date = (iso: string) => dates.format(new Date(`${iso}T00:00:00Z`));
  const instants = new Intl.DateTimeFormat(w.formatLocale, { dateStyle: 'long', timeStyle: 'short', timeZone: facts.timeZone });
  const instant = (iso: string) => instants.format(new Date(iso));
  const scheduled = position.installments.reduce((sum, i) => sum + i.amountDueMinor, 0);
  const interest = Math.max(0, scheduled - loan.principalMinor);
  const [latestPlan] = await deps.db.select({ status: paymentPlans.status }).from(paymentPlans).where(eq(paymentPlans.loanId, facts.loanId)).orderBy(desc(paymentPlans.createdAt)).limit(1);
  const next = w.whatNext(facts.state, { money, instant });
  if (latestPlan?.status === 'broken' && !facts.state?.plan) next.unshift(w.planEnded);
  const days = (d: string | undefined) => (d ? Math.round(parseDuration(d) / DAY_MS) : null);
  const terms = facts.terms;
  return {
    w,
    lang: w.htmlLang,
    account: facts.loanId,
    statement: {
      principal: money(loan.principalMinor),
      interest: money(interest),
      scheduled: money(scheduled),
      outstanding: money(position.outstandingMinor),
      pastDue: position.pastDueMinor > 0 ? money(position.pastDueMinor) : null,
      since: position.oldestUnpaidDueDate ? w.pastDueSince(date(position.oldestUnpaidDueDate), position.dpd) : null,
    },
    schedule: position.installments.map((i) => ({
      seq: i.seq,
      due: date(i.dueDate),
      amount: money(i.amountDueMinor),
      paid: money(i.amountPaidMinor),
      status: i.unpaidMinor === 0 ? w.statusPaid : i.pastDue ? w.statusLate : w.statusUpcoming,
      late: i.unpaidMinor > 0 && i.pastDue,
    })),
    payments: received.map((p) => ({ at: instant(p.receivedAt.toISOString()), amount: money(p.amountMinor) })),
    terms: w.termLines({
      promiseHorizonDays: terms ? Math.max(1, days(terms.maxPromiseHorizon) ?? 0) : null,
      maxPlan: terms?.maxPlanInstallments ?? null,
      graceDays: terms ? days(terms.grace) : null,
    }),
    next,
    promiseMin: localToday(now, facts.timeZone),
    promiseAmount: amountText(facts.pastDueMinor, facts.currency),
    currency: facts.currency,
    offers: facts.offers.map((o) => ({
      count: o.count,
      label: w.planOption(o.count, money(o.installments[0]!.amountMinor), money(o.installments[1]?.amountMinor ?? o.installments[0]!.amountMinor)),
    })),
    channels: (['email', 'sms', 'call', 'letter'] as const).map((c) => ({ value: c, label: w.channelNames[c], optedOut: facts.optedOut.includes(c) })),
  };
}
