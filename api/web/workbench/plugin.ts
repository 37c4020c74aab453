// The collector workbench: server-rendered pages under /workbench, in an encapsulated Fastify plugin of
// its own (its cookie, form, CSRF and view plugins apply to these routes only). A collector signs in
// with their API key, exchanged for a signed HttpOnly session cookie; every form carries a CSRF token.
// Actions go through the same operations as the JSON API (api/operations), so the workflow validates
// them the same way and their messages are shown on the form.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyApiKey } from '../../../db/repository/apiKeys';
import { assignCollector, getOpenCase } from '../../../db/repository/cases';
import { getLoanPosition } from '../../../db/repository/ledger';
import { claimedTaskOf } from '../../../db/repository/tasks';
import {
  activeCollectorKey,
  addCaseNote,
  borrowerOfLoan,
  caseTimeline,
  claimTaskById,
  latestCaseOfLoan,
  workbenchQueue,
  type CurePropensity,
} from '../../../db/repository/workbench';
import { callScript } from '../../../channels/templates/scripts';
import { senderDetailsFromEnv } from '../../../channels/templates';
import { collectorReassigned, type CallOutcome, type CollectionState } from '../../../contracts/messages';
import { signalIfRunning } from '../../../client/collection';
import { RECORDED_CALL_OUTCOMES } from '../../../domain/vocabulary';
import { formatMoney } from '../../../domain/money';
import { ApiError, toApiError } from '../../errors';
import { actorOf, authorizeCollector, readState, submitCallOutcome, submitPlan, submitPromise, type OperationDeps, type Principal } from '../../operations';
import { dueAtOfLocalDate, parseMajorAmount } from './forms';

export interface WorkbenchOptions {
  deps: OperationDeps;
  /** Signs the session cookie. Default WORKBENCH_SESSION_SECRET, else a random one per process (sessions end at restart). */
  sessionSecret?: string;
  /** How long a session lasts (default 8 hours, a working day). */
  sessionMs?: number;
  /** Cure propensity per loan, when a scoring model exists; the queue orders by age without it. */
  propensity?: CurePropensity;
}

const SESSION_COOKIE = 'ovd_workbench';
const PREFIX = '/workbench';
const LEASE_MS = 30 * 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    collector?: Principal;
  }
}

type Form = Record<string, string | undefined>;
type LoanParams = { loanId: string };

export async function workbenchPlugin(app: FastifyInstance, options: WorkbenchOptions): Promise<void> {
  const { deps } = options;
  const sessionMs = options.sessionMs ?? 8 * 3_600_000;
  const secret = options.sessionSecret ?? process.env.WORKBENCH_SESSION_SECRET ?? randomBytes(32).toString('hex');
  const sender = senderDetailsFromEnv();

  await app.register(fastifyCookie, { secret });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, { cookieKey: '_wb_csrf', cookieOpts: { path: PREFIX, httpOnly: true, sameSite: 'strict', signed: true } });
  await app.register(fastifyView, {
    engine: { eta: new Eta({ autoEscape: true }) },
    root: fileURLToPath(new URL('./templates', import.meta.url)),
    layout: 'layout.eta',
  });

  const page = (reply: FastifyReply, template: string, data: Record<string, unknown>, status = 200) =>
    reply.status(status).header('cache-control', 'no-store').view(template, { title: 'Collector workbench', ...data, csrf: reply.generateCsrf() });

  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'workbench request failed');
    return page(reply, 'error.eta', { title: `Error ${apiError.status}`, status: apiError.status, message: apiError.message, collector: request.collector?.collectorId }, apiError.status);
  });

  /** Reads the signed session cookie; a revoked key or an expired session signs the collector out. */
  async function sessionOf(request: FastifyRequest): Promise<Principal | undefined> {
    const raw = request.cookies[SESSION_COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    const [keyId, expires] = unsigned.value.split('|');
    if (!keyId || !(Number(expires) > Date.now())) return undefined;
    const key = await activeCollectorKey(deps.db, keyId);
    return key ? { keyId: key.id, role: 'collector', collectorId: key.collectorId } : undefined;
  }

  /** Pages and forms behind the sign-in: no session, back to the sign-in page. */
  const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = await sessionOf(request);
    if (!principal) return reply.redirect(`${PREFIX}/login`, 303);
    request.collector = principal;
  };
  // Form tokens arrive in the body, so the check runs once the body is parsed (not onRequest).
  const csrf = app.csrfProtection;

  app.get('/login', async (_request, reply) => page(reply, 'login.eta', { title: 'Sign in' }));

  app.post('/login', { preValidation: csrf }, async (request, reply) => {
    const key = String((request.body as Form | undefined)?.apiKey ?? '').trim();
    const identity = key ? await verifyApiKey(deps.db, key) : null;
    if (!identity || identity.role !== 'collector' || !identity.collectorId) {
      const message = !identity ? 'That key is unknown or revoked.' : 'Only a collector key can sign in to the workbench.';
      return page(reply, 'login.eta', { title: 'Sign in', error: message }, 401);
    }
    const expires = Date.now() + sessionMs;
    void reply.setCookie(SESSION_COOKIE, `${identity.id}|${expires}`, {
      path: PREFIX,
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      signed: true,
      expires: new Date(expires),
    });
    return reply.redirect(`${PREFIX}/`, 303);
  });

  app.post('/logout', { preValidation: csrf }, async (_request, reply) => {
    void reply.clearCookie(SESSION_COOKIE, { path: PREFIX });
    return reply.redirect(`${PREFIX}/login`, 303);
  });

  app.get('/', { preHandler: signedIn }, async (request, reply) => {
    const collectorId = request.collector!.collectorId!;
    const items = await workbenchQueue(deps.db, collectorId, { propensity: options.propensity });
    const now = new Date();
    const rows = items.map(({ task, borrower, position, expectedValueMinor }) => ({
      taskId: task.id,
      loanId: task.loanId,
      kind: task.kind === 'visit' ? 'Field visit' : 'Call',
      held: task.status === 'claimed',
      borrower: borrower.name,
      localTime: localTime(now, borrower.timeZone),
      timeZone: borrower.timeZone,
      pastDue: formatMoney(position.pastDueMinor, position.currency),
      dpd: position.dpd,
      why: whyQueued(task, position.dpd, borrower.timeZone),
      value: expectedValueMinor === null ? null : formatMoney(expectedValueMinor, position.currency),
    }));
    const scored = items.some((i) => i.expectedValueMinor !== null);
    return page(reply, 'queue.eta', { title: 'My queue', collector: collectorId, rows, scored, notice: (request.query as Form).notice });
  });

  app.post<{ Params: { taskId: string } }>('/tasks/:taskId/claim', { preValidation: csrf, preHandler: signedIn }, async (request, reply) => {
    const principal = request.collector!;
    const result = await claimTaskById(deps.db, principal.collectorId!, request.params.taskId, LEASE_MS);
    if ('refused' in result) return reply.redirect(`${PREFIX}/?notice=${encodeURIComponent(result.refused)}`, 303);
    // As the JSON API's claim does: an unassigned case becomes the claiming collector's, in the workflow too.
    const open = await getOpenCase(deps.db, result.task.loanId);
    if (open && !open.assignedCollector) {
      await assignCollector(deps.db, open.id, principal.collectorId!, actorOf(principal));
      await signalIfRunning(deps.client, result.task.loanId, (h) => h.signal(collectorReassigned, { collectorId: principal.collectorId!, operator: `claim:${principal.collectorId}` }));
    }
    return reply.redirect(`${PREFIX}/cases/${encodeURIComponent(result.task.loanId)}`, 303);
  });

  /** The case page, with a form's message and values when an action was refused. */
  async function casePage(request: FastifyRequest, reply: FastifyReply, loanId: string, extra: { errors?: Record<string, string>; values?: Form; done?: string } = {}, status = 200) {
    const principal = request.collector!;
    await authorizeCollector(deps, loanId, principal);
    const [state, borrower, position, held, caseRow] = await Promise.all([
      readState(deps, loanId),
      borrowerOfLoan(deps.db, loanId),
      getLoanPosition(deps.db, loanId),
      claimedTaskOf(deps.db, loanId, principal.collectorId!),
      latestCaseOfLoan(deps.db, loanId),
    ]);
    if (!borrower) throw new ApiError('not_found', `loan ${loanId} not found`, 'loanId');
    const money = (minor: number) => formatMoney(minor, position.currency);
    const timeline = await caseTimeline(deps.db, loanId, money);
    const now = new Date();
    const script = callScript(held?.kind === 'visit' ? 'visit' : state.stage, borrower.locale, {
      lender: sender.lenderName,
      loan: loanId,
      pastDue: money(position.pastDueMinor),
      oldestDue: position.oldestUnpaidDueDate ?? '-',
    });
    const visit = held?.kind === 'visit' ? (held.payload as { visit?: { window?: { from: string; until: string } } }).visit : undefined;
    return page(
      reply,
      'case.eta',
      {
        title: `Case ${loanId}`,
        collector: principal.collectorId,
        loanId,
        caseId: caseRow?.id,
        borrower: { name: borrower.name, phone: borrower.phone, locale: borrower.locale, timeZone: borrower.timeZone, localTime: localTime(now, borrower.timeZone) },
        state: stateView(state, borrower.timeZone),
        statement: {
          pastDue: money(position.pastDueMinor),
          outstanding: money(position.outstandingMinor),
          dpd: position.dpd,
          oldestDue: position.oldestUnpaidDueDate,
          lines: position.installments.filter((i) => i.unpaidMinor > 0).map((i) => ({ seq: i.seq, dueDate: i.dueDate, unpaid: money(i.unpaidMinor), pastDue: i.pastDue })),
        },
        held: held ? { kind: held.kind === 'visit' ? 'field visit' : 'call', attempt: (held.payload as { attempt?: number }).attempt ?? null, window: visit?.window ? { from: localTime(new Date(visit.window.from), borrower.timeZone), until: localTime(new Date(visit.window.until), borrower.timeZone) } : null } : null,
        timeline: timeline.map((e) => ({ ...e, when: localTime(e.at, borrower.timeZone), iso: e.at.toISOString() })),
        script,
        outcomes: RECORDED_CALL_OUTCOMES,
        currency: position.currency,
        errors: extra.errors ?? {},
        values: extra.values ?? {},
        done: extra.done,
      },
      status,
    );
  }

  app.get<{ Params: LoanParams }>('/cases/:loanId', { preHandler: signedIn }, async (request, reply) =>
    casePage(request, reply, request.params.loanId, { done: (request.query as Form).done }),
  );

  /** Runs an action; a refusal (4xx) re-renders the case page with the message beside the form's field. */
  async function act(request: FastifyRequest<{ Params: LoanParams }>, reply: FastifyReply, form: string, run: (body: Form) => Promise<unknown>, done: string) {
    const body = (request.body ?? {}) as Form;
    const loanId = request.params.loanId;
    try {
      await run(body);
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.status >= 500 || apiError.status === 403 || apiError.status === 404) throw apiError;
      const field = `${form}.${apiError.field ?? 'form'}`;
      return casePage(request, reply, loanId, { errors: { [form]: apiError.message, [field]: apiError.message }, values: prefixed(form, body) }, apiError.status);
    }
    return reply.redirect(`${PREFIX}/cases/${encodeURIComponent(loanId)}?done=${encodeURIComponent(done)}`, 303);
  }

  app.post<{ Params: LoanParams }>('/cases/:loanId/outcome', { preValidation: csrf, preHandler: signedIn }, async (request, reply) =>
    act(request, reply, 'outcome', async (body) => {
      const outcome = body.outcome ?? '';
      if (!(RECORDED_CALL_OUTCOMES as readonly string[]).includes(outcome)) {
        throw new ApiError('validation_error', `choose an outcome (one of ${RECORDED_CALL_OUTCOMES.join(', ')})`, 'outcome');
      }
      await submitCallOutcome(deps, request.params.loanId, outcome as CallOutcome, request.collector!);
    }, 'Outcome recorded'),
  );

  app.post<{ Params: LoanParams }>('/cases/:loanId/promise', { preValidation: csrf, preHandler: signedIn }, async (request, reply) =>
    act(request, reply, 'promise', async (body) => {
      const loanId = request.params.loanId;
      const { currency, timeZone } = await loanMoneyAndZone(loanId);
      const amountMinor = parseMajorAmount(body.amount, currency, 'amountMinor');
      const dueAt = dueAtOfLocalDate(body.dueDate, timeZone, 'dueAt');
      await submitPromise(deps, loanId, { amountMinor, currency, dueAt }, request.collector!);
    }, 'Promise recorded'),
  );

  app.post<{ Params: LoanParams }>('/cases/:loanId/plan', { preValidation: csrf, preHandler: signedIn }, async (request, reply) =>
    act(request, reply, 'plan', async (body) => {
      const loanId = request.params.loanId;
      const { currency, timeZone } = await loanMoneyAndZone(loanId);
      const installments: Array<{ dueAt: string; amountMinor: number }> = [];
      for (let n = 1; n <= 6; n += 1) {
        const date = body[`dueDate${n}`]?.trim();
        const amount = body[`amount${n}`]?.trim();
        if (!date && !amount) continue;
        installments.push({
          amountMinor: parseMajorAmount(amount, currency, `installments[${installments.length}].amountMinor`),
          dueAt: dueAtOfLocalDate(date, timeZone, `installments[${installments.length}].dueAt`),
        });
      }
      if (installments.length === 0) throw new ApiError('validation_error', 'enter at least one instalment (a date and an amount)', 'installments');
      await submitPlan(deps, loanId, { currency, installments }, request.collector!);
    }, 'Plan recorded'),
  );

  app.post<{ Params: LoanParams }>('/cases/:loanId/notes', { preValidation: csrf, preHandler: signedIn }, async (request, reply) =>
    act(request, reply, 'note', async (body) => {
      const loanId = request.params.loanId;
      await authorizeCollector(deps, loanId, request.collector!);
      const open = await latestCaseOfLoan(deps.db, loanId);
      if (!open) throw new ApiError('not_found', `no case for loan ${loanId}`, 'loanId');
      await addCaseNote(deps.db, { caseId: open.id, loanId, author: actorOf(request.collector!), body: body.body ?? '' });
    }, 'Note added'),
  );

  async function loanMoneyAndZone(loanId: string): Promise<{ currency: string; timeZone: string }> {
    const borrower = await borrowerOfLoan(deps.db, loanId);
    if (!borrower) throw new ApiError('not_found', `loan ${loanId} not found`, 'loanId');
    return { currency: borrower.currency, timeZone: borrower.timeZone };
  }
}

function prefixed(form: string, body: Form): Form {
  return Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_csrf').map(([k, v]) => [`${form}.${k}`, v]));
}

/** Local date and time in the borrower's zone, e.g. "Sun 29 Nov, 17:05 (Asia/Shanghai)". */
function localTime(at: Date, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  return `${text} (${timeZone})`;
}

function whyQueued(task: { kind: string; payload: Record<string, unknown> | null; status: string }, dpd: number, timeZone: string): string {
  const attempt = typeof task.payload?.attempt === 'number' ? task.payload.attempt : null;
  if (task.kind === 'visit') {
    const until = (task.payload?.visit as { window?: { until?: string } } | undefined)?.window?.until;
    return `field visit to the borrower's home after unanswered calls, ${dpd} days past due${until ? `; allowed until ${localTime(new Date(until), timeZone)}` : ''}`;
  }
  return `call${attempt ? ` attempt ${attempt}` : ''} of the call stage, ${dpd} days past due`;
}

function stateView(state: CollectionState, timeZone: string) {
  const local = (iso: string) => localTime(new Date(iso), timeZone);
  const pauses = state.pauses.map((p) =>
    p === 'hardship' && state.pausedUntil ? `hardship until ${local(state.pausedUntil)}` : p === 'disputed' ? 'disputed (no collection until the dispute is resolved)' : p === 'paused' ? 'paused by an operator' : p,
  );
  return {
    stage: state.stage,
    pauses,
    waitingFor: state.nextAction ? `${state.nextAction.what} (until ${local(state.nextAction.at)})` : (state.waitingFor ?? null),
    assignedCollector: state.assignedCollector,
    lastBlocked: state.lastBlocked ? `${state.lastBlocked.channel} blocked by ${state.lastBlocked.rule}${state.lastBlocked.until ? ` until ${local(state.lastBlocked.until)}` : ''}` : null,
    promise: state.promise ? `${state.promise.status}: ${state.currency ? formatMoney(state.promise.amountMinor, state.currency) : state.promise.amountMinor} by ${state.promise.dueAt}` : null,
    plan: state.plan
      ? `${state.plan.status}, ${state.plan.installments.length} instalments` +
        (state.plan.discountMinor ? `, ${state.currency ? formatMoney(state.plan.discountMinor, state.currency) : state.plan.discountMinor} off the past-due amount` : '')
      : null,
    outcome: state.outcome ?? null,
  };
}
