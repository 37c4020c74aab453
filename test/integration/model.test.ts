// Issue #12, "Prove it": the seeded slice of the model-based suite that runs inside `npm test` (about
// 90 s): MODEL_SLICE_LOANS (default 40) loans play random scripts of payments, disputes, borrower facts,
// operator and collector actions, promises, plans and sweeps on the real stack, and every invariant in
// test/model/invariants.ts must hold. The long mode is `npm run test:model` (test/model/model.test.ts).
import { expect, it } from 'vitest';
import { printReport, runModel } from '../model/run';

const loans = Number(process.env.MODEL_SLICE_LOANS ?? 40);
const seed = Number(process.env.MODEL_SEED ?? 12);

it(`a seeded slice of ${loans} loans breaks no invariant (seed ${seed})`, { timeout: 240_000 }, async () => {
  const report = await runModel({ loans, seed, batch: loans, startWindowMs: 15_000 });
  printReport(report);
  expect(report.violationsByInvariant).toEqual(Object.fromEntries(Object.keys(report.violationsByInvariant).map((k) => [k, 0])));
});
