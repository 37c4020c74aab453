// The setup the collector-facing API tests share: a harness with a database of its own (a task claim
// takes any unassigned task in the table), the patient strategy saved under the given id, the API in
// process, and a backend and an operator key.
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/server';
import { createApiKey } from '../../db/repository/apiKeys';
import { saveStrategy } from '../../db/repository/strategies';
import { startHarness, type Harness } from './harness';
import { patientStrategy } from './patient-strategy';

export interface PatientApi {
  h: Harness;
  api: FastifyInstance;
  backendKey: string;
  operatorKey: string;
}

/** `negotiation`: fields set on every negotiation stage of the patient strategy (plan limits). */
export async function startPatientApi(name: string, strategyId: string, negotiation: Record<string, unknown> = {}): Promise<PatientApi> {
  const h = await startHarness(name, { strategyId, ownDatabase: true });
  await saveStrategy(h.db, { id: strategyId, version: 1, document: patientStrategy(strategyId, negotiation) });
  const api = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections });
  const backendKey = (await createApiKey(h.db, { role: 'backend' })).key;
  const operatorKey = (await createApiKey(h.db, { role: 'operator' })).key;
  return { h, api, backendKey, operatorKey };
}
