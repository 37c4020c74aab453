// The README's evidence, kept true: a scorecard fitted on one synthetic book beats the backend's
// riskScore on another book (another seed), by AUC. Deterministic: the books come from their seeds.
import { describe, expect, it } from 'vitest';
import { modelEvidence } from '../../../scripts/model-evidence';

describe('scorecard against riskScore on a second portfolio', () => {
  it('ranks cures better than the backend-supplied riskScore', () => {
    const e = modelEvidence({ loans: 4000, fitSeed: 1, evalSeed: 2, days: 30 });
    expect(e.eval.cases).toBeGreaterThan(4000);
    expect(e.eval.riskScoreAuc).toBeGreaterThan(0.55);
    expect(e.eval.modelAuc).toBeGreaterThan(e.eval.riskScoreAuc);
  }, 120_000);
});
