// Tells the legal team that a case was handed over: an email to LEGAL_TEAM_EMAIL and/or a signed webhook
// to LEGAL_WEBHOOK_URL. Ids and amounts only; the team looks the borrower up in its own systems.
// Failures are ChannelErrors (channels/errors.ts); the calling activity decides about retries. Both
// channels carry the idempotency key (Message-ID, Idempotency-Key), so a retried notice can be deduped.
import { formatMoney } from '../domain/money';
import type { EmailSender } from './email';
import { postSignedJson } from './webhook';

export interface LegalHandOffNotice {
  idempotencyKey: string;
  legalCaseId: string;
  caseId: string;
  loanId: string;
  currency: string;
  pastDueMinor: number;
  outstandingMinor: number;
  dpd: number;
  /** ISO-8601 instant. */
  handedOverAt: string;
}

export interface LegalNotifier {
  /** Which channels were notified; neither configured is not an error (nothing to notify). */
  notifyHandOff(notice: LegalHandOffNotice): Promise<{ email: boolean; webhook: boolean }>;
}

export interface LegalNotifierOptions {
  mailer?: EmailSender;
  teamEmail?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  now?: () => Date;
}

export function createLegalNotifier(options: LegalNotifierOptions): LegalNotifier {
  if (options.teamEmail && !options.mailer) throw new Error('LEGAL_TEAM_EMAIL is set but no mailer was given (set SMTP_URL)');
  if (options.webhookUrl && !options.webhookSecret) throw new Error('LEGAL_WEBHOOK_SECRET must be set with LEGAL_WEBHOOK_URL: requests are signed with it');
  return {
    async notifyHandOff(n) {
      const result = { email: false, webhook: false };
      if (options.teamEmail && options.mailer) {
        const amount = (minor: number) => formatMoney(minor, n.currency, 'en-US');
        const lines = [
          `Case ${n.caseId} (loan ${n.loanId}) was handed over to the legal team.`,
          '',
          `Legal case: ${n.legalCaseId}`,
          `Handed over at: ${n.handedOverAt}`,
          `Past-due amount: ${amount(n.pastDueMinor)}`,
          `Outstanding balance: ${amount(n.outstandingMinor)}`,
          `Days past due: ${n.dpd}`,
        ];
        await options.mailer.send({
          idempotencyKey: n.idempotencyKey,
          to: options.teamEmail,
          subject: `Legal hand-off: loan ${n.loanId}`,
          text: lines.join('\n'),
          html: `<p>${lines.filter(Boolean).map((l) => l.replace(/&/g, '&amp;').replace(/</g, '&lt;')).join('<br>')}</p>`,
        });
        result.email = true;
      }
      if (options.webhookUrl && options.webhookSecret) {
        await postSignedJson(
          { type: 'legal.hand_off', ...n },
          { url: options.webhookUrl, secret: options.webhookSecret, idempotencyKey: n.idempotencyKey, now: options.now, what: 'legal webhook' },
        );
        result.webhook = true;
      }
      return result;
    },
  };
}

/** LEGAL_TEAM_EMAIL (needs a mailer), LEGAL_WEBHOOK_URL + LEGAL_WEBHOOK_SECRET. */
export function createLegalNotifierFromEnv(mailer?: EmailSender, env: NodeJS.ProcessEnv = process.env): LegalNotifier {
  return createLegalNotifier({
    mailer,
    teamEmail: env.LEGAL_TEAM_EMAIL || undefined,
    webhookUrl: env.LEGAL_WEBHOOK_URL || undefined,
    webhookSecret: env.LEGAL_WEBHOOK_SECRET || undefined,
  });
}
