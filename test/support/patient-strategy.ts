// fast-test, but patient: calls, offers and the legal outcome wait ten minutes instead of seconds, so a
// case stays where a test acts on it (a dispute 300 ms later must find the call still waiting), and the
// 'late' path negotiates after its call, so a collector may take a promise there, up to a year ahead.
import { findDefaultStrategy } from '../../domain/strategy/defaults';

type Stage = Record<string, unknown>;

/**
 * A strategy document to store as `id` version 1 (saveStrategy checks the document says so too).
 * `negotiationFields`: further fields for every negotiation stage (plan limits).
 */
export function patientStrategy(id: string, negotiationFields: Stage = {}): Record<string, unknown> {
  const doc = structuredClone(findDefaultStrategy('fast-test')!) as unknown as { id: string; version: number; paths: Record<string, Stage[]> };
  doc.id = id;
  doc.version = 1;
  const negotiation = doc.paths['calls-first']!.find((stage) => stage.kind === 'negotiation')!;
  doc.paths.late!.splice(1, 0, structuredClone(negotiation));
  for (const stages of Object.values(doc.paths)) {
    for (const stage of stages) {
      if (stage.kind === 'call') stage.outcomeTimeout = 'PT10M';
      if (stage.kind === 'negotiation') Object.assign(stage, { offerTimeout: 'PT10M', maxPromiseHorizon: 'P365D' }, negotiationFields);
      if (stage.kind === 'legal' && stage.afterHandOff === 'awaitOutcome') stage.outcomeTimeout = 'PT10M';
    }
  }
  return doc;
}
