// The borrower's self-service pages (issue #16), one encapsulated Fastify plugin: its view engine, form
// parser, security headers and rate limit apply to these routes only, so other web plugins (the collector
// workbench) register their own beside it. Server-rendered, readable without JavaScript, en and zh-CN.
//
//   GET  /b/:token           the statement, what happens next, and the forms
//   POST /b/:token/:action   promise | plan | dispute | hardship | optout | inconvenient | callback | complaint
//
// The token is the signed link from the borrower's latest message (channels/self-service-link.ts); the
// loan is taken from the link row only, so one borrower can never reach another's case. Each POST carries
// the link's form token (CSRF) and calls the same operation as the JSON API, with its validation.
import { fileURLToPath } from 'node:url';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkFormToken, formToken, selfServiceConfigFromEnv, verifyToken, type SelfServiceConfig } from '../../../channels/self-service-link';
import { senderDetailsFromEnv, type SenderDetails } from '../../../channels/templates';
import { findLink, touchLink } from '../../../db/repository/links';
import { eq } from 'drizzle-orm';
import { borrowers, loans, type BorrowerLink } from '../../../db/schema';
import { localDateTimeToInstant, promisedDateToInstant } from '../../../domain/self-service';
import { fileComplaint } from '../../complaints';
import { ApiError, toApiError } from '../../errors';
import { fileDispute, reportBorrowerFact, submitPlan, submitPromise, type OperationDeps, type Principal } from '../../operations';
import { addInconvenientTime, digest, requestCallback } from '../../self-service';
import { en, wordsFor, zhCN, type Words } from './i18n';
import { caseFacts, pageModel, parseAmount, type CaseFacts } from './view-model';

export interface BorrowerPagesOptions {
  deps: OperationDeps;
  /** Link secret, base URL and lifetime; default from the environment. */
  config?: SelfServiceConfig;
  /** Lender name, payment link and support address; default from the environment. */
  sender?: SenderDetails;
  /** Requests per client address per minute on these pages (default 60). */
  rateLimitPerMinute?: number;
}

const ACTIONS = ['promise', 'plan', 'dispute', 'hardship', 'optout', 'inconvenient', 'callback', 'complaint'] as const;
type Action = (typeof ACTIONS)[number];
type Form = Record<string, string | string[] | undefined>;

const TEMPLATES = fileURLToPath(new URL('./templates', import.meta.url));
const TOKEN_PATTERN = '^[0-9a-f-]{36}\\.[0-9a-z]{1,10}\\.[A-Za-z0-9_-]{43}$';

type Resolved = { ok: true; link: BorrowerLink } | { ok: false; why: 'forged' | 'expired' | 'revoked'; loanId?: string };

const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();
const many = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function invalid(field: string, message: string): ApiError {
  return new ApiError('validation_error', message, field);
}

export async function borrowerPages(app: FastifyInstance, opts: BorrowerPagesOptions): Promise<void> {
  const { deps } = opts;
  const config = opts.config ?? selfServiceConfigFromEnv();
  const sender = opts.sender ?? senderDetailsFromEnv();

  await app.register(fastifyHelmet, {
    // Served over plain HTTP in local runs; the deployment's proxy adds HSTS and upgrades.
    contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null, 'script-src': ["'none'"], 'form-action': ["'self'"] } },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: false,
  });
  await app.register(fastifyRateLimit, { max: opts.rateLimitPerMinute ?? 60, timeWindow: '1 minute' });
  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });
  await app.register(fastifyView, { engine: { eta: new Eta({ views: TEMPLATES, autoEscape: true }) }, templates: TEMPLATES });

  const lender = sender.lenderName;
  const words = (request: FastifyRequest, facts?: Pick<CaseFacts, 'locale'>): Words => {
    const asked = (request.query as { lang?: string } | undefined)?.lang ?? (request.body as Form | undefined)?.lang;
    if (asked === 'en') return en;
    if (asked === 'zh-CN') return zhCN;
    // No case known (a forged link): the browser's first language.
    return wordsFor(facts?.locale ?? String(request.headers['accept-language'] ?? '').split(',')[0]);
  };

  /** The refusal in the language of the link's borrower when the link is a real (revoked, expired) one. */
  async function refusalWords(request: FastifyRequest, resolved: Resolved): Promise<Words> {
    if (resolved.ok || !resolved.loanId) return words(request);
    return words(request, await borrowerLocale(resolved.loanId));
  }

  async function borrowerLocale(loanId: string): Promise<{ locale: string }> {
    const [row] = await deps.db
      .select({ locale: borrowers.locale })
      .from(loans)
      .innerJoin(borrowers, eq(borrowers.id, loans.borrowerId))
      .where(eq(loans.id, loanId));
    return { locale: row?.locale ?? 'en' };
  }

  async function resolve(token: string): Promise<Resolved> {
    const checked = verifyToken(config.secret, token);
    if (!checked.ok) return checked;
    const link = await findLink(deps.db, checked.linkId);
    if (!link) return { ok: false, why: 'forged' };
    if (link.revokedAt) return { ok: false, why: 'revoked', loanId: link.loanId };
    if (link.expiresAt.getTime() <= Date.now()) return { ok: false, why: 'expired', loanId: link.loanId };
    return { ok: true, link };
  }

  function deny(reply: FastifyReply, w: Words, why: 'forged' | 'expired' | 'revoked' | 'form') {
    const reason = why === 'form' ? w.errors.form! : w.denied[why];
    return reply
      .status(403)
      .header('cache-control', 'no-store')
      .view('denied.eta', { w, lang: w.htmlLang, title: w.denied.title, lender, reason, support: sender.supportEmail });
  }

  async function render(request: FastifyRequest, reply: FastifyReply, link: BorrowerLink, token: string, extra: { done?: string; error?: string; status?: number }) {
    const facts = await caseFacts(deps, link.loanId);
    const w = words(request, facts);
    const model = await pageModel(deps, facts, w);
    return reply
      .status(extra.status ?? 200)
      .header('cache-control', 'no-store')
      .view('page.eta', {
        ...model,
        title: `${w.title} · ${lender}`,
        lender,
        self: `/b/${token}`,
        form: formToken(config.secret, link.id),
        paymentUrl: sender.paymentUrl,
        done: extra.done,
        error: extra.error,
      });
  }

  const tokenParams = { type: 'object', properties: { token: { type: 'string', pattern: TOKEN_PATTERN } }, required: ['token'] };

  app.setErrorHandler(async (error, request, reply) => {
    const w = words(request);
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    // A token that is not even the shape of one is a forged link, not a bad request.
    if ((error as { validationContext?: string }).validationContext === 'params') return deny(reply, w, 'forged');
    if (status >= 500) request.log.error({ err: { type: (error as Error).name, message: (error as Error).message } }, 'borrower page failed');
    const message = status === 429 ? w.tooMany : w.errorFallback;
    return reply.status(status).header('cache-control', 'no-store').view('denied.eta', { w, lang: w.htmlLang, title: w.errorHeading, lender, reason: message, support: sender.supportEmail });
  });

  app.get('/b/:token', { schema: { params: tokenParams }, logLevel: 'warn' }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const resolved = await resolve(token);
    if (!resolved.ok) return deny(reply, await refusalWords(request, resolved), resolved.why);
    await touchLink(deps.db, resolved.link.id);
    const done = (request.query as { done?: string }).done;
    const w = words(request, await borrowerLocale(resolved.link.loanId));
    return render(request, reply, resolved.link, token, { ...(done && w.done[done] ? { done: w.done[done] } : {}) });
  });

  app.post(
    '/b/:token/:action',
    {
      schema: { params: { type: 'object', properties: { token: tokenParams.properties.token, action: { type: 'string', enum: [...ACTIONS] } }, required: ['token', 'action'] } },
      logLevel: 'warn',
    },
    async (request, reply) => {
      const { token, action } = request.params as { token: string; action: Action };
      const resolved = await resolve(token);
      if (!resolved.ok) return deny(reply, await refusalWords(request, resolved), resolved.why);
      const link = resolved.link;
      const form = (request.body ?? {}) as Form;
      if (!checkFormToken(config.secret, link.id, one(form.form))) return deny(reply, words(request), 'form');
      const by: Principal = { keyId: link.id, role: 'borrower', collectorId: null };
      const facts = await caseFacts(deps, link.loanId);
      try {
        await perform(action, form, facts, by);
      } catch (error) {
        // The same mapping as the JSON API (a workflow validator's refusal names its field); a date the
        // domain could not read is the borrower's mistake too.
        const apiError = error instanceof RangeError ? new ApiError('validation_error', error.message) : toApiError(error);
        if (apiError.status >= 500) throw error;
        const w = words(request, facts);
        const message = (apiError.field && w.errors[apiError.field]) || (apiError.type === 'not_found' ? w.errors.loanId! : w.errorFallback);
        return render(request, reply, link, token, { error: message, status: 422 });
      }
      const lang = one(form.lang);
      return reply.redirect(`/b/${token}?done=${action}${lang === 'en' || lang === 'zh-CN' ? `&lang=${lang}` : ''}`, 303);
    },
  );

  async function perform(action: Action, form: Form, facts: CaseFacts, by: Principal): Promise<void> {
    const loanId = facts.loanId;
    switch (action) {
      case 'promise': {
        const date = one(form.date);
        let dueAt: string;
        try {
          dueAt = promisedDateToInstant(date, facts.timeZone, 'date');
        } catch {
          throw invalid('date', `date must be a calendar date YYYY-MM-DD (got ${JSON.stringify(date)})`);
        }
        const amountMinor = parseAmount(one(form.amount), facts.currency);
        if (amountMinor === null) throw invalid('amount', 'amount must be a positive amount such as 100.00');
        await submitPromise(deps, loanId, { amountMinor, currency: facts.currency, dueAt }, by);
        return;
      }
      case 'plan': {
        const offer = facts.offers.find((o) => String(o.count) === one(form.offer));
        if (!offer) throw invalid('offer', 'offer must be one of the plans shown');
        await submitPlan(deps, loanId, { currency: facts.currency, installments: offer.installments }, by);
        return;
      }
      case 'dispute': {
        const reason = one(form.reason);
        if (reason === '' || reason.length > 2000) throw invalid('reason', 'reason must say what is wrong (at most 2,000 characters)');
        await fileDispute(deps, loanId, { idempotencyKey: `self-service:${by.keyId}:dispute:${digest(reason)}`, reason }, by);
        return;
      }
      case 'hardship':
        await reportBorrowerFact(deps, loanId, { kind: 'hardship' }, by);
        return;
      case 'optout': {
        const channel = one(form.channel);
        if (channel !== 'email' && channel !== 'sms' && channel !== 'call' && channel !== 'letter') throw invalid('channel', 'channel must be email, sms, call or letter');
        await reportBorrowerFact(deps, loanId, { kind: 'opt_out', channel }, by);
        return;
      }
      case 'inconvenient': {
        const weekdays = many(form.weekdays).map(Number);
        await addInconvenientTime(deps, loanId, { from: one(form.from), to: one(form.to), ...(weekdays.length ? { weekdays } : {}) }, by);
        return;
      }
      case 'callback': {
        let at: string;
        try {
          at = localDateTimeToInstant(one(form.at), facts.timeZone, 'at');
        } catch {
          throw invalid('at', 'at must be a local date and time');
        }
        await requestCallback(deps, loanId, at, by);
        return;
      }
      case 'complaint': {
        const text = one(form.text);
        if (text === '' || text.length > 4000) throw invalid('text', 'text must say what the complaint is about (at most 4,000 characters)');
        await fileComplaint(deps, loanId, { idempotencyKey: `self-service:${by.keyId}:complaint:${digest(text)}`, text }, 'self_service', by);
        return;
      }
    }
  }
}
