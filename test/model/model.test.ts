// Issue #12, "Prove it": model-based random testing, the long mode (`npm run test:model`, 1,000 loans
// by default). Seeded scripts of payments, disputes, borrower facts, operator and collector actions,
// promises, plans and sweeps are played against the real stack; the run must end with 0 violations.
// MODEL_SEED replays the same scripts; MODEL_LOANS and MODEL_BATCH size the run.
import { expect, it } from 'vitest';
import { printReport, runModel } from './run';

const loans = Number(process.env.MODEL_LOANS ?? 1000);
const seed = Number(process.env.MODEL_SEED ?? 12);
const batch = Number(process.env.MODEL_BATCH ?? 50);

it(`${loans} loans through random interleavings break no invariant (seed ${seed})`, async () => {
  const report = await runModel({ loans, seed, batch, startWindowMs: 15_000 });
  printReport(report);
  expect(report.violationsByInvariant).toEqual(Object.fromEntries(Object.keys(report.violationsByInvariant).map((k) => [k, 0])));
});
