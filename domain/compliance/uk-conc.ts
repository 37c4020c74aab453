// UK FCA CONC 7 helpers: the pauses it requires are expressed as ContactContext.state.pausedUntil, and
// legal escalation waits for forbearance. Pure; instants are ISO-8601 UTC.
import type { RulePackId } from '../strategy/types';
import { MS_PER_DAY, formatInstant, parseInstant } from './local-time';

/** CONC 7.3.11R: suspend recovery for a reasonable period, generally 30 days, while a debt adviser builds a plan. */
export const DEBT_ADVICE_HOLD_DAYS = 30;
/** Breathing Space (England and Wales): a standard moratorium of up to 60 days. */
export const BREATHING_SPACE_MAX_DAYS = 60;

/** pausedUntil for a debt-adviser hold starting at `at`: 30 days (of 24 h) later. */
export function debtAdviceHoldUntil(at: string): string {
  return formatInstant(parseInstant(at, 'at') + DEBT_ADVICE_HOLD_DAYS * MS_PER_DAY);
}

/** pausedUntil for a Breathing Space moratorium starting at `at`, lasting `days` (1..60, default 60). */
export function breathingSpaceUntil(at: string, days: number = BREATHING_SPACE_MAX_DAYS): string {
  if (!Number.isInteger(days) || days < 1 || days > BREATHING_SPACE_MAX_DAYS) {
    throw new RangeError(`Breathing Space days must be a whole number from 1 to ${BREATHING_SPACE_MAX_DAYS} (got ${days})`);
  }
  return formatInstant(parseInstant(at, 'at') + days * MS_PER_DAY);
}

/**
 * CONC 7.3.4R: customers in arrears are treated with forbearance, so under uk-conc legal escalation waits
 * until forbearance has been offered. Other packs carry no such precondition.
 */
export function mayEscalateToLegal({ pack, forbearanceOffered }: { pack: RulePackId; forbearanceOffered: boolean }): boolean {
  return pack === 'uk-conc' ? forbearanceOffered : true;
}
