// Renders a template id in the borrower's language into an email (subject, plain text, HTML) and an SMS.
// Every message has the same frame around the template's own words: greeting, the statement of what is
// owed (past-due amount, each past-due instalment, oldest due date), how to pay, how to dispute, sign-off,
// and the opt-out line (Reg F 1006.6(e): every email and text carries a clear, simple way to opt out).
// Add a language by writing one file like en.ts and listing it in LANGUAGES.
import { formatMoney } from '../../domain/money';
import { UnknownTemplateError } from '../errors';
import { en } from './en';
import type { Format, LanguagePack, MessageData, RenderedMessage, SenderDetails, TemplateId } from './types';
import { TEMPLATE_IDS } from './types';
import { zhCN } from './zh-CN';

export { TEMPLATE_IDS } from './types';
export type { LanguagePack, MessageData, RenderedMessage, SenderDetails, StatementLine, TemplateId } from './types';

export const LANGUAGES: readonly LanguagePack[] = [en, zhCN];
const FALLBACK = en;

export function isTemplateId(id: string): id is TemplateId {
  return (TEMPLATE_IDS as readonly string[]).includes(id);
}

/** The language file for a BCP 47 tag: exact match, then same language ('zh-Hans-CN' → zh-CN, 'en-GB' → en), then English. */
export function languageFor(locale: string): LanguagePack {
  const wanted = locale.toLowerCase();
  const exact = LANGUAGES.find((l) => l.locale.toLowerCase() === wanted);
  if (exact) return exact;
  const primary = wanted.split(/[-_]/)[0];
  return LANGUAGES.find((l) => l.locale.toLowerCase().split('-')[0] === primary) ?? FALLBACK;
}

/** Lender details from the environment, with placeholders fit for local runs only. */
export function senderDetailsFromEnv(env: NodeJS.ProcessEnv = process.env): SenderDetails {
  return {
    lenderName: env.LENDER_NAME ?? 'Overdue Lending',
    paymentUrl: env.PAYMENT_URL ?? 'https://pay.example.com',
    disputeUrl: env.DISPUTE_URL ?? 'https://help.example.com/dispute',
    optOutUrl: env.OPT_OUT_URL ?? 'https://help.example.com/opt-out',
    supportEmail: env.SUPPORT_EMAIL ?? 'support@example.com',
  };
}

/** The opt-out link for one loan and channel. */
export function optOutLink(sender: SenderDetails, loanId: string, channel: string): string {
  const url = new URL(sender.optOutUrl);
  url.searchParams.set('account', loanId);
  url.searchParams.set('channel', channel);
  return url.toString();
}

/** Date formatters per locale, built once rather than per message (#19). */
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function formatFor(lang: LanguagePack, currency: string): Format {
  let dates = dateFormats.get(lang.formatLocale);
  if (!dates) {
    dates = new Intl.DateTimeFormat(lang.formatLocale, { dateStyle: 'long', timeZone: 'UTC' });
    dateFormats.set(lang.formatLocale, dates);
  }
  return {
    money: (amountMinor) => formatMoney(amountMinor, currency, lang.formatLocale),
    date: (isoDate) => dates.format(new Date(`${isoDate}T00:00:00Z`)),
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Escapes text and turns bare http(s) URLs into links. */
function htmlInline(s: string): string {
  return escapeHtml(s).replace(/https?:\/\/[^\s<>"'，。；）]+/g, (url) => `<a href="${url}">${url}</a>`);
}

/**
 * Renders `templateId` for `locale`. Throws UnknownTemplateError (a permanent, non-retryable channel error)
 * for an id no language defines, rather than sending something generic.
 */
export function renderMessage(templateId: string, locale: string, data: MessageData): RenderedMessage {
  if (!isTemplateId(templateId)) throw new UnknownTemplateError(templateId, TEMPLATE_IDS);
  const lang = languageFor(locale);
  const f = formatFor(lang, data.currency);
  const t = lang.templates[templateId](data, f);
  const s = lang.statement;

  const statement = [
    s.pastDue(f.money(data.pastDueMinor)),
    ...(data.oldestUnpaidDueDate ? [s.oldestDue(f.date(data.oldestUnpaidDueDate))] : []),
  ];
  const lines = data.installments.map((i) => s.line(i.seq, f.date(i.dueDate), f.money(i.unpaidMinor)));
  const outstanding = data.outstandingMinor > data.pastDueMinor ? [s.outstanding(f.money(data.outstandingMinor))] : [];
  const pay = lang.howToPay(data.sender.paymentUrl);
  const dispute = lang.howToDispute(data.sender.disputeUrl, data.sender.supportEmail);
  const selfService = data.selfServiceLink ? [lang.selfService(data.selfServiceLink)] : [];
  const after = t.after ?? [];
  const signOff = lang.signOff(data.sender.lenderName);
  const optOut = lang.emailOptOut(data.optOutLink);

  const text = [
    lang.greeting(data.borrowerName),
    '',
    ...t.intro.flatMap((p) => [p, '']),
    s.heading,
    ...statement.map((l) => `  ${l}`),
    ...lines.map((l) => `  - ${l}`),
    ...outstanding.map((l) => `  ${l}`),
    '',
    pay,
    '',
    ...selfService.flatMap((l) => [l, '']),
    dispute,
    '',
    ...after.flatMap((p) => [p, '']),
    ...signOff,
    '',
    '--',
    optOut,
    '',
  ].join('\n');

  const p = (para: string) => `<p>${htmlInline(para)}</p>`;
  const html = [
    '<!doctype html>',
    `<html lang="${lang.locale}"><head><meta charset="utf-8"><title>${escapeHtml(t.subject)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.5; color: #222;">',
    p(lang.greeting(data.borrowerName)),
    ...t.intro.map(p),
    `<h3>${escapeHtml(s.heading)}</h3>`,
    ...statement.map(p),
    lines.length ? `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : '',
    ...outstanding.map(p),
    p(pay),
    ...selfService.map(p),
    p(dispute),
    ...after.map(p),
    `<p>${signOff.map(escapeHtml).join('<br>')}</p>`,
    `<hr><p style="font-size: 12px; color: #555;">${htmlInline(optOut)}</p>`,
    '</body></html>',
  ]
    .filter(Boolean)
    .join('\n');

  // Chinese text runs on without spaces between sentences.
  const gap = lang.locale.startsWith('zh') ? '' : ' ';
  const smsLink = data.selfServiceLink ? `${gap}${lang.smsSelfService(data.selfServiceLink)}` : '';
  const sms = `${lang.smsPrefix(data.sender.lenderName)}${gap}${t.sms}${smsLink}${gap}${lang.smsOptOut}`;
  return { locale: lang.locale, subject: t.subject, text, html, sms };
}
