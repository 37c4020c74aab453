// The model suite's scripts (test/model/script.ts) come from the seed alone: the same seed gives the same
// scripts, a loan's script does not depend on how many loans the run has, and a run of the long mode's
// size exercises every kind of step on every path that can receive it.
import { describe, expect, it } from 'vitest';
import { planScripts, type StepKind } from '../../model/script';

describe('model scripts', () => {
  it('replays: the same seed gives the same scripts, and a loan keeps its script in a longer run', () => {
    const a = planScripts(50, 7, 'm7', 15_000);
    expect(planScripts(50, 7, 'm7', 15_000)).toEqual(a);
    expect(planScripts(200, 7, 'm7', 15_000).slice(0, 50)).toEqual(a);
    expect(planScripts(50, 8, 'm7', 15_000)).not.toEqual(a);
  });

  it('gives a thousand loans every kind of step, start and path', () => {
    const scripts = planScripts(1000, 12, 'm12', 15_000);
    const kinds = new Set<StepKind>(scripts.flatMap((s) => s.steps.map((x) => x.step.kind)));
    expect([...kinds].sort()).toEqual(
      ['bar', 'call', 'cease', 'close', 'dispute', 'hardship', 'opt-out', 'pause', 'pay', 'pay-duplicate', 'pay-out-of-order', 'plan', 'promise', 'reassign', 'restart', 'resolve-dispute', 'resume', 'sweep'].sort(),
    );
    expect(new Set(scripts.map((s) => s.start))).toEqual(new Set(['api', 'api-racing-sweep', 'sweep']));
    expect(new Set(scripts.map((s) => s.pathId))).toEqual(new Set(['full-ladder', 'calls-first', 'gentle-ladder', 'straight-to-legal', 'late']));
    // Calls only where the path has a call stage, offers only where it negotiates.
    for (const s of scripts) {
      for (const { step } of s.steps) {
        if (step.kind === 'call') expect(s.stages).toContain('call');
        if (step.kind === 'promise' || step.kind === 'plan') expect(s.stages).toContain('negotiation');
      }
    }
  });
});
