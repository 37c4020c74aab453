// The shape every language file fills in. A language is one file (en.ts, zh-CN.ts, ...) registered in
// index.ts; each must define every template id, so a strategy can never pick a message a borrower's
// language lacks.

export const TEMPLATE_IDS = [
  'reminder-friendly',
  'reminder-firm',
  'final-demand',
  'forbearance-offer',
  'validation-notice',
  'visit-notice',
] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

/** Who the message is from and where the borrower acts; the same for every borrower of a lender. */
export interface SenderDetails {
  lenderName: string;
  paymentUrl: string;
  disputeUrl: string;
  /** Opt-out page; the message adds the loan and channel as query parameters. */
  optOutUrl: string;
  supportEmail: string;
}

/** One past-due instalment in the statement. */
export interface StatementLine {
  seq: number;
  /** 'YYYY-MM-DD'. */
  dueDate: string;
  unpaidMinor: number;
}

/** Everything a template may show. Built by the activity from the database at send time. */
export interface MessageData {
  sender: SenderDetails;
  borrowerName: string;
  /** The loan id, shown as the account reference. */
  loanReference: string;
  currency: string;
  pastDueMinor: number;
  outstandingMinor: number;
  /** 'YYYY-MM-DD', or null when nothing is late. */
  oldestUnpaidDueDate: string | null;
  dpd: number;
  /** Past-due instalments, oldest first. */
  installments: StatementLine[];
  /**
   * The borrower's own signed self-service link (issue #16): statement, promise, plan, dispute, opt-out.
   * Absent when no link could be issued (e.g. rendering outside a send).
   */
  selfServiceLink?: string;
  /** Opt-out link for this loan and channel (sender.optOutUrl with parameters). */
  optOutLink: string;
  /** validation-notice: last day of the validation period (Reg F 1006.34(b)(5)), 'YYYY-MM-DD'. */
  validationEndDate?: string;
  /** final-demand: the date by which the borrower is asked to pay or get in touch, 'YYYY-MM-DD'. */
  respondBy?: string;
}

/** Helpers a language file gets with the data: amounts and dates in its own conventions. */
export interface Format {
  money(amountMinor: number): string;
  date(isoDate: string): string;
}

/** What one template says in one language; the shared parts (statement, pay, dispute, opt-out) are added around it. */
export interface TemplateText {
  subject: string;
  /** Opening paragraphs, before the statement of what is owed. */
  intro: string[];
  /** Paragraphs after how to pay and how to dispute (e.g. the validation rights). */
  after?: string[];
  /** The SMS body without the opt-out line (added by the renderer). Keep it short. */
  sms: string;
}

export interface LanguagePack {
  /** BCP 47 tag the file serves, e.g. 'en', 'zh-CN'. */
  locale: string;
  /** Locale for Intl number and date formatting, e.g. 'en-US'. */
  formatLocale: string;
  greeting(name: string): string;
  statement: {
    heading: string;
    pastDue(amount: string): string;
    oldestDue(date: string): string;
    line(seq: number, date: string, amount: string): string;
    outstanding(amount: string): string;
  };
  howToPay(url: string): string;
  howToDispute(url: string, supportEmail: string): string;
  /** The line pointing to the borrower's self-service page (email and letter). */
  selfService(link: string): string;
  /** The same, short, appended to the SMS. */
  smsSelfService(link: string): string;
  signOff(lenderName: string): string[];
  /** The opt-out line every email carries (Reg F 1006.6(e)). */
  emailOptOut(link: string): string;
  /** The opt-out line every SMS carries. */
  smsOptOut: string;
  /** SMS sender prefix, e.g. "[Lender]" / "【贷款方】". */
  smsPrefix(lenderName: string): string;
  templates: Record<TemplateId, (data: MessageData, format: Format) => TemplateText>;
}

export interface RenderedMessage {
  locale: string;
  subject: string;
  text: string;
  html: string;
  sms: string;
}
