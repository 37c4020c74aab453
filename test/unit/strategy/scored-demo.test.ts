// strategies/cn-consumer-scored.json, the demo's champion against a cure-propensity challenger (#15):
// the champion must stay today's unscored cn-consumer treatment, and the challenger must be what the
// README says it is, or the demo's comparison measures something else than it claims.
import { describe, expect, it } from 'vitest';
import scoredDocument from '../../../strategies/cn-consumer-scored.json';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import { chooseTreatment, experimentBucket } from '../../../domain/strategy/select';
import type { Stage } from '../../../domain/strategy/types';
import { parseStrategy } from '../../../domain/strategy/validate';

const scored = parseStrategy(scoredDocument);
const today = findDefaultStrategy('cn-consumer')!;
const messages = (stages: Stage[]) => stages.flatMap((s) => (s.kind === 'reminder' ? s.steps : [])).length;
const calls = (stages: Stage[]) => stages.flatMap((s) => (s.kind === 'call' ? [s.attempts] : []))[0];
// Two loan ids on either side of the 50% split, found by the same hash chooseTreatment uses.
const ids = Array.from({ length: 50 }, (_, n) => `DEMO-L${n}`);
const challengerLoan = ids.find((id) => experimentBucket(id) < 50)!;
const championLoan = ids.find((id) => experimentBucket(id) >= 50)!;

describe('the demo strategy cn-consumer-scored', () => {
  it('is valid and uses every path it defines', () => {
    const used = new Set(scored.segments.flatMap((s) => [s.path, ...(s.challenger ? [s.challenger.path] : [])]));
    expect([...used].sort()).toEqual(Object.keys(scored.paths).sort());
  });

  it("keeps today's cn-consumer paths, unchanged, as the champion of every segment", () => {
    for (const segment of scored.segments) expect(scored.paths[segment.path], segment.id).toEqual(today.paths[segment.path]);
    expect([scored.rulePack, scored.currency, scored.minMessageGap, scored.hardshipPause]).toEqual([today.rulePack, today.currency, today.minMessageGap, today.hardshipPause]);
  });

  it('sends half the scored early and mid loans to a challenger that reads the score', () => {
    const pick = (loanId: string, dpd: number, curePropensity?: number) => chooseTreatment(scored, { loanId, dpd, pastDueMinor: 10_000, curePropensity });
    // Likely to cure: fewer messages and calls than the champion.
    const light = pick(challengerLoan, 10, 0.8);
    expect([light.segment, light.arm, light.pathId]).toEqual(['early-likely', 'challenger', 'early-light']);
    expect(messages(light.stages)).toBeLessThan(messages(today.paths.early!));
    expect(calls(light.stages)).toBeLessThan(calls(today.paths.early!)!);
    // Unlikely to cure: one message, then calls sooner.
    const direct = pick(challengerLoan, 45, 0.2);
    expect([direct.segment, direct.arm, direct.pathId]).toEqual(['mid-unlikely', 'challenger', 'mid-call-first']);
    expect(messages(direct.stages)).toBe(1);
    // The other half keeps today's treatment; so does a loan without a score, outside the experiment.
    expect(pick(championLoan, 10, 0.8)).toMatchObject({ segment: 'early-likely', arm: 'champion', pathId: 'early' });
    expect(pick(challengerLoan, 10)).toMatchObject({ segment: 'early', arm: 'champion', pathId: 'early' });
    expect(pick(challengerLoan, 120, 0.9)).toMatchObject({ segment: 'late', pathId: 'late' });
  });
});
