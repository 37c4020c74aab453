// Channel activities: send one email, SMS or letter, exactly once per idempotency key, and only if the
// compliance rules allow it at the moment of sending (the last gate: the workflow planned with the same
// evaluateContact, but the database may know more by now: a payment, a dispute, an opt-out).
//
// The protocol, per request.idempotencyKey (the contact_attempts row is the source of truth):
//  1. An attempt already settled answers for itself: sent / presumed_sent / blocked / failed are returned
//     as recorded, never sent again. An attempt found in 'sending' means an earlier run may have handed the
//     message to the provider and then died: it becomes presumed_sent, is not sent again, and counts
//     against the contact caps (a missed reminder is better than a double one).
//  2. The gate: borrower, loan position, open disputes, the case's pauses and contact history are read from
//     the database (db/repository/contact-facts, shared with the task claim) and evaluateContact decides. A refusal is recorded as 'blocked' with the rule and returned (not thrown).
//  3. The attempt is claimed ('planned' → 'sending', committed) before the provider is called, then marked
//     'sent' with the provider's message id. A failure that proves nothing was taken (connection refused,
//     SMTP 4xx, HTTP 5xx) puts the attempt back to 'planned' and throws a retryable ApplicationFailure, so
//     Temporal retries it. A permanent refusal (SMTP 5xx, HTTP 4xx, no address, unknown template) is
//     recorded as 'failed' and RETURNED as { status: 'failed' } (not thrown), so one unreachable borrower
//     never fails the collection workflow. An unknown outcome (timeout after the request left) is
//     recorded and returned as presumed_sent.
// Programming and data errors (unknown loan or case, a request whose channel does not match the activity)
// throw non-retryable ApplicationFailures. Inputs and results carry ids and codes only; the activity loads
// addresses itself, and failure messages never include them.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ContactRequest, ContactResult, ChannelActivities } from '../contracts/activities';
import type { Database } from '../db/client';
import {
  beginContactAttempt,
  claimContactForSending,
  findContactAttempt,
  markContactBlocked,
  markContactFailed,
  markContactPresumedSent,
  markContactSent,
  releaseContactForRetry,
} from '../db/repository/contacts';
import { RepositoryError } from '../db/repository/errors';
import { contactContextOf, loadContactFacts, type ContactFacts } from '../db/repository/contact-facts';
import type { ContactAttempt } from '../db/schema';
import { contactKindOf, evaluateContact, localDateOf, validationPeriodEnd } from '../domain/compliance';
import type { ContactContext } from '../domain/compliance/types';
import type { MessageChannel } from '../domain/strategy/types';
import type { EmailSender } from '../channels/email';
import { ChannelError } from '../channels/errors';
import { createConsoleLetterQueue, type LetterProvider } from '../channels/letter';
import type { SmsProvider } from '../channels/sms';
import { optOutLink, renderMessage, senderDetailsFromEnv, type MessageData, type SenderDetails } from '../channels/templates';
import { linkUrl, selfServiceConfigFromEnv, type SelfServiceConfig } from '../channels/self-service-link';
import { issueLink, supersedeOlderLinks } from '../db/repository/links';
import { writeWorkflowAudits } from './case';

export interface ChannelLog {
  info(message: string, attrs?: Record<string, unknown>): void;
  warn(message: string, attrs?: Record<string, unknown>): void;
}

export interface ChannelDeps {
  db: Database;
  mailer: EmailSender;
  sms: SmsProvider;
  /** Print-and-mail queue; default logs the letter (local runs). */
  letters?: LetterProvider;
  /** Lender name and links shown in messages; default from LENDER_NAME, PAYMENT_URL, ... (channels/templates). */
  sender?: SenderDetails;
  now?: () => Date;
  log?: ChannelLog;
  /** Self-service links (base URL, secret, lifetime); default read from the environment at each send. */
  selfService?: () => SelfServiceConfig;
}


/** Inside an activity, Temporal's activity logger (it tags workflow and activity ids); else the console. */
function activityOrConsole(level: 'info' | 'warn') {
  return (message: string, attrs?: Record<string, unknown>) => {
    try {
      Context.current().log[level](message, attrs);
    } catch {
      console[level === 'info' ? 'log' : 'warn'](message, attrs ?? '');
    }
  };
}
const consoleLog: ChannelLog = { info: activityOrConsole('info'), warn: activityOrConsole('warn') };

export function createChannelActivities(deps: ChannelDeps): ChannelActivities {
  const { db, mailer, sms } = deps;
  const letters = deps.letters ?? createConsoleLetterQueue();
  const sender = deps.sender ?? senderDetailsFromEnv();
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? consoleLog;
  const selfService = deps.selfService ?? (() => selfServiceConfigFromEnv());
  // A bad BORROWER_* variable fails the worker's start, naming it, rather than every send.
  selfService();

  async function contact(request: ContactRequest, channel: MessageChannel): Promise<ContactResult> {
    checkRequest(request, channel);
    const key = request.idempotencyKey;
    const attrs = { idempotencyKey: key, loanId: request.loanId, caseId: request.caseId, channel, template: request.template };
    // The workflow's audit events that led to this send (contract 5), each once by its key, whatever the
    // send's outcome: they record the workflow's steps, not the message.
    if (request.audits?.length) await writeWorkflowAudits(db, { caseId: request.caseId, loanId: request.loanId, audits: request.audits });

    // 1. The facts the gate reads (a request naming an unknown case, or a case of another loan, fails here
    // with nothing written), then the attempt, recorded as planned: one recorded earlier answers for itself
    // once settled. The insert finds an earlier attempt by its key, so a first attempt costs no read (#19).
    const at = now();
    const facts = await loadFacts(db, request, at);
    const { attempt, created } = await beginContactAttempt(db, { idempotencyKey: key, caseId: request.caseId, loanId: request.loanId, channel, template: request.template, scheduledFor: at });
    if (!created) {
      const settled = await settle(attempt);
      if (settled) {
        log.info('contact already settled; not sending again', { ...attrs, status: settled.status });
        return settled;
      }
    }

    // 2. The last gate, on those facts.
    const decision = evaluateContact(contactContext(facts, request, channel), at.toISOString());
    if (!decision.allowed) {
      const row = await markContactBlocked(db, key, decision.rule, decision.until ? new Date(decision.until) : null);
      if (row.status !== 'blocked') return (await settle(row)) ?? blockedResult(decision.rule, decision.until);
      log.info('contact blocked at send time', { ...attrs, rule: decision.rule, until: decision.until });
      return blockedResult(decision.rule, decision.until);
    }

    // Everything that can fail for good without the provider fails here, before the claim.
    let send: () => Promise<{ providerMessageId: string }>;
    // Every message carries the borrower's page; the link is issued once per attempt (a retry reuses it)
    // and supersedes the links of older messages.
    const links = selfService();
    const link = await issueLink(db, { loanId: request.loanId, caseId: request.caseId, contactKey: key, expiresAt: new Date(at.getTime() + links.ttlMs) });
    const selfServiceLink = linkUrl(links, link.id, link.expiresAt);
    try {
      send = prepare(request, channel, facts, at, selfServiceLink);
    } catch (err) {
      if (err instanceof ChannelError && err.kind === 'permanent') return fail(key, err, attrs);
      throw err;
    }

    // 3. Claim, send, record.
    const claimed = await claimContactForSending(db, key);
    if (!claimed) {
      // Another run got here first (e.g. a retry while a slow first run was still sending).
      const again = await findContactAttempt(db, key);
      const settled = again && (await settle(again));
      if (settled) return settled;
      throw ApplicationFailure.retryable(`contact ${key} changed while claiming it; will retry`, 'ContactClaimConflict');
    }

    let providerMessageId: string;
    try {
      ({ providerMessageId } = await send());
    } catch (err) {
      if (!(err instanceof ChannelError)) {
        // Not classified: leave the attempt in 'sending' so the retry presumes it sent rather than risk a double.
        log.warn('provider call failed with an unclassified error; the retry will presume it sent', { ...attrs, error: String(err) });
        throw err;
      }
      if (err.kind === 'transient') {
        await releaseContactForRetry(db, key, `${err.code}: ${err.message}`);
        log.warn('provider did not take the message; will retry', { ...attrs, code: err.code });
        throw ApplicationFailure.retryable(`${channel} ${err.message}`, 'ChannelUnavailable', { code: err.code });
      }
      if (err.kind === 'permanent') return fail(key, err, attrs);
      const row = await markContactPresumedSent(db, key, { sentAt: now(), error: `${err.code}: ${err.message}` });
      await supersedeOlderLinks(db, link);
      log.warn('provider outcome unknown; presumed sent, never resent', { ...attrs, code: err.code });
      return (await settle(row)) ?? { status: 'presumed_sent' };
    }
    // One statement: superseding the older links needs only the message to have gone out, which it has.
    const row = await markContactSent(db, key, { sentAt: now(), providerMessageId }, { supersedeLinksBefore: link });
    log.info('contact sent', { ...attrs, providerMessageId });
    return { status: 'sent', providerMessageId: row.providerMessageId ?? providerMessageId };
  }

  /** The recorded outcome of an attempt, or null when it is still to be sent ('planned'). */
  async function settle(attempt: ContactAttempt): Promise<ContactResult | null> {
    switch (attempt.status) {
      case 'sent':
        return { status: 'sent', ...(attempt.providerMessageId ? { providerMessageId: attempt.providerMessageId } : {}) };
      case 'presumed_sent':
        return { status: 'presumed_sent' };
      case 'blocked':
        return blockedResult(attempt.blockedRule ?? 'unknown', attempt.blockedUntil?.toISOString());
      case 'failed':
        return { status: 'failed' };
      case 'sending': {
        const row = await markContactPresumedSent(db, attempt.idempotencyKey, {
          sentAt: now(),
          error: 'a previous run stopped after handing the message to the provider; presumed sent, never resent',
        });
        log.warn('found an attempt left in sending; presumed sent', { idempotencyKey: attempt.idempotencyKey, loanId: attempt.loanId });
        return row.status === 'sending' ? { status: 'presumed_sent' } : settle(row);
      }
      case 'planned':
        return null;
    }
  }

  async function fail(key: string, err: ChannelError, attrs: Record<string, unknown>): Promise<ContactResult> {
    const row = await markContactFailed(db, key, `${err.code}: ${err.message}`);
    log.warn('contact failed permanently; not retried', { ...attrs, code: err.code });
    return row.status === 'failed' ? { status: 'failed' } : ((await settle(row)) ?? { status: 'failed' });
  }

  /** Renders the message and returns the provider call; throws permanent ChannelErrors (no address, unknown template). */
  function prepare(request: ContactRequest, channel: MessageChannel, facts: SendFacts, at: Date, selfServiceLink: string): () => Promise<{ providerMessageId: string }> {
    const { borrower } = facts;
    const data = { ...messageData(facts, request, channel, at), selfServiceLink };
    const message = renderMessage(request.template, borrower.locale, data);
    switch (channel) {
      case 'email': {
        const to = borrower.email;
        if (!to) throw new ChannelError('permanent', 'email.no-address', 'no email address on file for the borrower');
        return () =>
          mailer.send({ idempotencyKey: request.idempotencyKey, to, subject: message.subject, text: message.text, html: message.html, unsubscribeUrl: data.optOutLink });
      }
      case 'sms': {
        const to = borrower.phone;
        if (!to) throw new ChannelError('permanent', 'sms.no-number', 'no phone number on file for the borrower');
        return () => sms.send({ idempotencyKey: request.idempotencyKey, to, text: message.sms });
      }
      case 'letter':
        return () =>
          letters.send({
            idempotencyKey: request.idempotencyKey,
            borrowerId: borrower.borrowerId,
            loanId: request.loanId,
            locale: message.locale,
            subject: message.subject,
            text: message.text,
            html: message.html,
          });
    }
  }

  function messageData(facts: SendFacts, request: ContactRequest, channel: MessageChannel, at: Date): MessageData {
    const { borrower, position } = facts;
    return {
      sender,
      borrowerName: borrower.name,
      loanReference: request.loanId,
      currency: position.currency,
      pastDueMinor: position.pastDueMinor,
      outstandingMinor: position.outstandingMinor,
      oldestUnpaidDueDate: position.oldestUnpaidDueDate,
      dpd: position.dpd,
      installments: position.installments
        .filter((i) => i.pastDue)
        .map((i) => ({ seq: i.seq, dueDate: i.dueDate, unpaidMinor: i.unpaidMinor })),
      optOutLink: optOutLink(sender, request.loanId, channel),
      ...(request.template === 'validation-notice'
        ? { validationEndDate: validationPeriodEnd(localDateOf(at.toISOString(), borrower.timeZone)) }
        : {}),
    };
  }

  return {
    sendEmail: (request) => contact(request, 'email'),
    sendSms: (request) => contact(request, 'sms'),
    sendLetter: (request) => contact(request, 'letter'),
  };
}

function blockedResult(rule: string, until?: string): ContactResult {
  return { status: 'blocked', rule, ...(until ? { until } : {}) };
}

function checkRequest(request: ContactRequest, channel: MessageChannel): void {
  const missing = (['idempotencyKey', 'caseId', 'loanId', 'template'] as const).filter((f) => typeof request[f] !== 'string' || request[f] === '');
  if (missing.length) {
    throw ApplicationFailure.nonRetryable(`contact request needs ${missing.join(', ')} as non-empty strings`, 'ValidationError', { fields: missing });
  }
  if (request.channel !== channel) {
    throw ApplicationFailure.nonRetryable(
      `contact request for channel ${JSON.stringify(request.channel)} was sent to the ${channel} activity; route it to send${request.channel === 'sms' ? 'Sms' : request.channel === 'letter' ? 'Letter' : 'Email'}`,
      'ValidationError',
      { field: 'channel' },
    );
  }
}

// ---- what the gate reads ----

type SendFacts = ContactFacts;

/** The shared facts (db/repository/contact-facts), with repository errors made non-retryable failures. */
async function loadFacts(db: Database, request: ContactRequest, at: Date): Promise<SendFacts> {
  try {
    return await loadContactFacts(db, { loanId: request.loanId, caseId: request.caseId, at, excludeKey: request.idempotencyKey });
  } catch (err) {
    // Validation, not-found and conflict errors do not get better by retrying (db/repository/errors.ts).
    if (err instanceof RepositoryError) throw ApplicationFailure.nonRetryable(err.message, err.name, { field: err.field });
    throw err;
  }
}

function contactContext(facts: SendFacts, request: ContactRequest, channel: MessageChannel): ContactContext {
  // The rule module classifies the message by its template; a caller cannot exempt one by its label.
  return contactContextOf(facts, channel, contactKindOf(request.template));
}

