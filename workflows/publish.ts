// What the Temporal UI shows of a case: search attributes an operator filters and sorts on, and the
// current details of the workflow's page. Derived from the case state alone; no personal data (ids,
// codes, amounts and the borrower's time zone only).
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { formatMoney } from '../domain/money';
import { currentStageKind, isClosed, patchedBefore5, pauses, type CaseState } from './case-state';
import type { PauseState } from '../contracts/messages';
import * as sa from '../contracts/search-attributes';

/** An operator's pause reason is free text: the details show its start, so the line stays readable. */
const MAX_REASON_CHARS = 80;

/** Waits shorter than this leave NextActionAt as it was (see nextActionAt). */
const NEXT_ACTION_RESOLUTION_MS = 60_000;

/** Publishes the case to the Temporal UI: search attributes (on change only) and the current details. */
export function publish(state: CaseState): void {
  upsertOnChange(state, searchAttributes(state));
  setCurrentDetails(detailLines(state, Date.now()).join('\n\n'));
}

function searchAttributes(state: CaseState): SearchAttributeUpdatePair[] {
  const p = state.position;
  const attributes: SearchAttributeUpdatePair[] = [
    { key: sa.CollectionStage, value: currentStageKind(state) },
    { key: sa.DaysPastDue, value: p.dpd },
    { key: sa.PastDueMinor, value: p.pastDueMinor },
    { key: sa.OutstandingMinor, value: p.outstandingMinor },
    { key: sa.Segment, value: state.treatment.segment },
    // Unset (null), not "", while nobody holds the case: `AssignedCollector IS NULL` finds those.
    { key: sa.AssignedCollector, value: state.assignedCollector ?? null },
    { key: sa.Disputed, value: state.dispute?.status === 'open' },
    { key: sa.StrategyId, value: `${state.strategy.id}@${state.strategy.version}` },
    { key: sa.CollectionOutcome, value: state.outcome ?? '' },
  ];
  // Paused and NextActionAt change at other moments than the attributes above (NextActionAt at every
  // wait), so they add upserts: running loans whose histories predate them keep the old sequence.
  if (patchedBefore5(state, 'ui-paused-next-action-attributes')) {
    attributes.push(
      { key: sa.Paused, value: !isClosed(state) && pauses(state, Date.now()).length > 0 },
      { key: sa.NextActionAt, value: nextActionAt(state, Date.now()) },
    );
  }
  // Only once a model scored the case: runs from before scoring (and cases with no active model) upsert
  // exactly what they did. The score arrives with openCase's result, so it rides on the first upsert.
  if (state.score?.status === 'scored') attributes.push({ key: sa.CurePropensity, value: state.score.probability });
  return attributes;
}

/**
 * When the run next acts by itself, to the minute: the end of its current wait. Every change is a history
 * event, so the value is kept while the run acts between two waits, and a wait shorter than a minute
 * (the spacing of sends, a retry) leaves it as it was; unset while the run waits without a deadline (an
 * operator's pause) and once the case is closed.
 */
function nextActionAt(state: CaseState, nowMs: number): Date | null {
  const until = state.waitingFor && state.waitingFor.until;
  if (isClosed(state)) state.nextActionAt = undefined;
  else if (state.waitingFor && !until) state.nextActionAt = undefined;
  else if (until && Date.parse(until) - nowMs >= NEXT_ACTION_RESOLUTION_MS) state.nextActionAt = until;
  return state.nextActionAt ? new Date(state.nextActionAt) : null;
}

/**
 * Only a change is written: every upsert is a history event. Derived from state alone, so a replay makes
 * the same decision. Unset (null) counts as "" in the comparison, as when AssignedCollector was written
 * "": a run continued from one of those carries that string, and must decide as its history did.
 */
function upsertOnChange(state: CaseState, attributes: SearchAttributeUpdatePair[]): void {
  const published = JSON.stringify(attributes.map((a) => a.value ?? ''));
  if (published === state.publishedAttributes) return;
  upsertSearchAttributes(attributes);
  state.publishedAttributes = published;
}

/**
 * Four lines at most, so the UI's details panel cuts none off: who (loan, case, strategy), where (stage,
 * why it is paused, outcome), money and contacts, and what comes next (or what was last blocked).
 */
export function detailLines(state: CaseState, nowMs: number): string[] {
  const p = state.position;
  const zone = state.borrower.timeZone;
  const stage = currentStageKind(state);
  const held = isClosed(state) ? [] : pauses(state, nowMs).map((pause) => pauseText(state, pause));
  const lines = [
    `**Loan** ${state.loanId} · case ${state.caseId} · ${state.strategy.id} v${state.strategy.version} (${state.treatment.segment}/${state.treatment.pathId}, ${state.treatment.arm})${scoreText(state)}`,
    `**Stage** ${stage}${held.length ? ` — ${held.join(', ')}` : ''}${state.outcome ? ` — outcome: ${state.outcome}` : ''}`,
    `**Past due** ${money(p.pastDueMinor, p.currency)} of ${money(p.outstandingMinor, p.currency)} outstanding · ${p.dpd} days past due · ${state.contacts.sent} contacts sent, ${state.contacts.blocked} blocked`,
  ];
  const blocked = state.lastBlocked && `${state.lastBlocked.channel} by ${state.lastBlocked.rule}${state.lastBlocked.until ? ` until ${localTime(state.lastBlocked.until, zone)}` : ''}`;
  if (state.waitingFor) {
    const until = state.waitingFor.until ? ` until ${localTime(state.waitingFor.until, zone)} (${zone})` : '';
    lines.push(`**Waiting for** ${state.waitingFor.what}${until}${blocked ? ` · last blocked: ${blocked}` : ''}`);
  } else if (blocked) {
    lines.push(`**Last blocked** ${blocked} (${zone})`);
  }
  return lines;
}

/** " · cure 42% (model v3: two broken promises in 90 days)", " · not scored (no active model)", or nothing before scoring existed. */
function scoreText(state: CaseState): string {
  const score = state.score;
  if (!score) return '';
  if (score.status === 'skipped') return ' · not scored (no active model)';
  const top = score.reasons[0];
  return ` · cure ${Math.round(score.probability * 100)}% (model v${score.modelVersion}${top ? `: ${top.en}` : ''})`;
}

/** Why contact is on hold, in words: "disputed", "hardship until …", "paused by operator: <reason>". */
function pauseText(state: CaseState, pause: PauseState): string {
  switch (pause) {
    case 'disputed':
      return 'disputed';
    case 'hardship':
      return `hardship until ${localTime(state.pausedUntil!, state.borrower.timeZone)}`;
    case 'paused': {
      const reason = state.pauseReason?.trim();
      if (!reason) return 'paused by operator';
      return `paused by operator: ${reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason}`;
    }
  }
}

/**
 * The details are rebuilt at every publish, several times a workflow task, while the amounts and instants
 * in them rarely change: Intl formatting was most of that cost on the workflow thread (#19). The last few
 * results are kept (this module is loaded once per run, so per case).
 */
const RECENT = 8;
const recentMoney = new Map<string, string>();
const recentTimes = new Map<string, string>();
function remembered(cache: Map<string, string>, key: string, make: () => string): string {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    if (cache.size >= RECENT) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
  }
  return value;
}
const money = (amountMinor: number, currency: string) => remembered(recentMoney, `${amountMinor} ${currency}`, () => formatMoney(amountMinor, currency));

/** One formatter per time zone: built once, not at every publish (#19); bounded by the zones in use. */
const localTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** An instant as the borrower's wall-clock time, e.g. 2026-03-05, 09:00:00. */
export function localTime(instant: string, timeZone: string): string {
  return remembered(recentTimes, `${instant} ${timeZone}`, () => formatLocalTime(instant, timeZone));
}

function formatLocalTime(instant: string, timeZone: string): string {
  let format = localTimeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    localTimeFormats.set(timeZone, format);
  }
  return format.format(new Date(instant));
}

/** 1st, 2nd, 3rd, 4th, … 11th, 12th, 13th, … 21st. */
export function ordinal(n: number): string {
  const suffix = n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
}
