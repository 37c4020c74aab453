// Complaints through the JSON API (issue #16): a backend files a borrower's complaint, the case pauses
// through the operator pause path, an operator lists and reviews it, and the case resumes. Real worker,
// Temporal, PostgreSQL and HTTP (fastify.inject).
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../api/server';
import { createApiKey } from '../../../db/repository/apiKeys';
import { findLink, issueLink } from '../../../db/repository/links';
import { auditEvents, collectorTasks } from '../../../db/schema';
import { requestCallback } from '../../../api/self-service';
import type { Principal } from '../../../api/operations';
import { buildReport, renderReportTable } from '../../../scripts/lib/report';
import { getState, workflowIdForLoan } from '../../../contracts/messages';
import { apiCaller } from '../../support/api';
import { waitForState, type Harness } from '../../support/harness';
import { startPatientApi } from '../../support/patient-api';

const STRATEGY = 'complaints-test';
let h: Harness;
let api: FastifyInstance;
let backendKey = '';
let operatorKey = '';

beforeAll(async () => {
  // Its own database: the call-back test claims a task, and a claim takes any unassigned one.
  ({ h, api, backendKey, operatorKey } = await startPatientApi('complaints', STRATEGY));
});
afterAll(async () => {
  await api?.close();
  await h?.close();
});

const call = (...args: Parameters<ReturnType<typeof apiCaller>>) => apiCaller(api)(...args);
const state = (loanId: string) => h.client.workflow.getHandle(workflowIdForLoan(loanId)).query(getState);

describe('complaints', () => {
  it('pause the case until an operator reviews them, then it resumes', async () => {
    const loan = await h.seedLoan({ dpd: 5 });
    await h.startCollection(loan.loanId);
    await waitForState(() => state(loan.loanId), (s) => s.stage !== 'opening', { what: 'case open' });
    const key = `c-${randomUUID()}`;
    const filed = await call('POST', `/v1/loans/${loan.loanId}/complaints`, backendKey, { idempotencyKey: key, text: 'They called me at work.' });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ created: true, paused: true, status: 'open', source: 'api' });
    await waitForState(() => state(loan.loanId), (s) => s.pauses.includes('paused'), { what: 'paused' });

    const again = await call('POST', `/v1/loans/${loan.loanId}/complaints`, backendKey, { idempotencyKey: key, text: 'They called me at work.' });
    expect(again.status).toBe(200);
    expect(again.body.complaintId).toBe(filed.body.complaintId);
    const reused = await call('POST', `/v1/loans/${loan.loanId}/complaints`, backendKey, { idempotencyKey: key, text: 'Something else.' });
    expect(reused.status).toBe(409);
    expect(reused.body.error.field).toBe('idempotencyKey');

    const list = await call('GET', `/v1/complaints?loanId=${loan.loanId}`, operatorKey);
    expect(list.status).toBe(200);
    expect(list.body.complaints.map((c: { complaintId: string }) => c.complaintId)).toEqual([filed.body.complaintId]);
    expect((await call('GET', '/v1/complaints', backendKey)).status).toBe(403);

    const reviewed = await call('POST', `/v1/complaints/${filed.body.complaintId}/review`, operatorKey, { resolution: 'Calls at work stopped; apologised.' });
    expect(reviewed.status).toBe(200);
    expect(reviewed.body).toMatchObject({ status: 'reviewed', resumed: true });
    await waitForState(() => state(loan.loanId), (s) => !s.pauses.includes('paused'), { what: 'resumed' });
    expect((await call('POST', `/v1/complaints/${filed.body.complaintId}/review`, operatorKey, { resolution: 'again' })).status).toBe(409);

    // The audit trail names the complaint, never its words.
    const audits = await h.db.select().from(auditEvents).where(eq(auditEvents.loanId, loan.loanId));
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['complaint.filed', 'complaint.reviewed']));
    expect(JSON.stringify(audits)).not.toContain('at work');

    // The portfolio report counts it per 1,000 cases, by the case's stage and collector (issue #17).
    const report = await buildReport(h.db, { loanIdPrefix: loan.loanId });
    expect(report.complaintsPer1000?.byStage).toEqual([{ key: expect.any(String), complaints: 1, cases: 1, per1000: 1000 }]);
    expect(report.complaintsPer1000?.byCollector).toEqual([{ key: 'unassigned', complaints: 1, cases: 1, per1000: 1000 }]);
    expect(renderReportTable(report)).toMatch(/complaints by stage\s+per 1,000 cases/);
  });

  it('lets a collector record the outcome of a borrower’s call-back while no call stage waits for one', async () => {
    const loan = await h.seedLoan({ dpd: 5, borrower: { timeZone: 'Etc/GMT' } });
    await h.startCollection(loan.loanId);
    await waitForState(() => state(loan.loanId), (s) => s.stage === 'reminder', { what: 'the reminder stage' });
    const collectorKey = (await createApiKey(h.db, { role: 'collector', collectorId: 'c-callback' })).key;
    // The borrower asks for a call now; the task is queued at the first instant the rules allow.
    const requested = await requestCallback({ db: h.db, client: h.client, taskQueue: h.queues.collections }, loan.loanId, new Date().toISOString(), { role: 'borrower', keyId: `link-${loan.loanId}` } as Principal);
    const task = (await h.db.select().from(collectorTasks).where(eq(collectorTasks.id, requested.taskId)))[0]!;
    if (task.availableAt.getTime() > Date.now()) await h.db.update(collectorTasks).set({ availableAt: new Date() }).where(eq(collectorTasks.id, task.id));
    const claimed = await call('POST', '/v1/tasks/claim', collectorKey, {});
    expect(claimed.body.task).toMatchObject({ id: task.id, loanId: loan.loanId });
    const outcome = await call('POST', `/v1/loans/${loan.loanId}/collection/call-outcome`, collectorKey, { outcome: 'right_party_contact' });
    expect(outcome.status).toBe(200);
    expect((await h.db.select().from(collectorTasks).where(eq(collectorTasks.id, task.id)))[0]).toMatchObject({ status: 'done', outcome: 'right_party_contact' });
    const audits = await h.db.select().from(auditEvents).where(eq(auditEvents.loanId, loan.loanId));
    expect(audits.filter((a) => a.action === 'callback.outcome_recorded')).toMatchObject([{ after: { taskId: task.id, outcome: 'right_party_contact' } }]);
    // The workflow was not waiting for a call: it stays where it was.
    expect((await state(loan.loanId)).stage).toBe('reminder');
  });

  it('names the field of a bad complaint', async () => {
    const loan = await h.seedLoan({ dpd: 5 });
    const missing = await call('POST', `/v1/loans/${loan.loanId}/complaints`, backendKey, { idempotencyKey: 'k' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.field).toBe('text');
    const blank = await call('POST', `/v1/loans/${loan.loanId}/complaints`, backendKey, { idempotencyKey: `k-${randomUUID()}`, text: '   ' });
    expect(blank.status).toBe(422);
    expect(blank.body.error.field).toBe('text');
    const unknown = await call('POST', `/v1/complaints/${randomUUID()}/review`, operatorKey, { resolution: 'x' });
    expect(unknown.status).toBe(404);
  });

  it('lets an operator revoke a loan’s self-service links', async () => {
    const loan = await h.seedLoan({ dpd: 5 });
    const link = await issueLink(h.db, { loanId: loan.loanId, caseId: null, contactKey: null, expiresAt: new Date(Date.now() + 3600_000) });
    const revoked = await call('POST', `/v1/loans/${loan.loanId}/links/revoke`, operatorKey, { reason: 'sent to an old address' });
    expect(revoked.body).toEqual({ loanId: loan.loanId, revoked: 1 });
    expect((await findLink(h.db, link.id))?.revokedReason).toBe('sent to an old address');
    expect((await call('POST', `/v1/loans/${loan.loanId}/links/revoke`, backendKey, { reason: 'x' })).status).toBe(403);
  });

  it('rate-limits the borrower pages only, with a page in the borrower’s language', async () => {
    const limited = buildApi({ db: h.db, client: h.client, taskQueue: h.queues.collections, borrowerPages: { rateLimitPerMinute: 2 } });
    try {
      const forged = `/b/${randomUUID()}.abc.${'A'.repeat(43)}`;
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await limited.inject({ method: 'GET', url: forged, headers: { 'accept-language': 'zh-CN,zh;q=0.9' } })).statusCode);
      expect(statuses).toEqual([403, 403, 429]);
      const page = await limited.inject({ method: 'GET', url: forged, headers: { 'accept-language': 'zh-CN' } });
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.body).toContain('请求过于频繁');
      expect(page.headers['content-security-policy']).toContain("script-src 'none'");
      // The JSON API is not limited or given the page's headers.
      for (let i = 0; i < 3; i += 1) expect((await limited.inject({ method: 'GET', url: '/v1/complaints', headers: { authorization: `Bearer ${operatorKey}` } })).statusCode).toBe(200);
      expect((await limited.inject({ method: 'GET', url: '/v1/complaints', headers: { authorization: `Bearer ${operatorKey}` } })).headers['content-security-policy']).toBeUndefined();
    } finally {
      await limited.close();
    }
  });
});
