// The page's words in the borrower's language (en, zh-CN). A language is one object; every key is required.
// Tone as in channels/templates: plain, polite, factual, no threats.
import type { CollectionState } from '../../../contracts/messages';

export type Lang = 'en' | 'zh-CN';

export interface Words {
  htmlLang: string;
  formatLocale: string;
  title: string;
  skip: string;
  otherLanguage: { label: string; lang: Lang };
  statement: string;
  account: string;
  principal: string;
  interestAndFees: string;
  interestAndFeesNote: string;
  totalScheduled: string;
  outstanding: string;
  pastDue: string;
  pastDueSince(date: string, days: number): string;
  nothingPastDue: string;
  schedule: string;
  colNo: string;
  colDue: string;
  colAmount: string;
  colPaid: string;
  colStatus: string;
  statusPaid: string;
  statusLate: string;
  statusUpcoming: string;
  payments: string;
  noPayments: string;
  terms: string;
  termLines(t: { promiseHorizonDays: number | null; maxPlan: number | null; graceDays: number | null }): string[];
  next: string;
  whatNext(state: CollectionState | null, fmt: { money(n: number): string; instant(iso: string): string }): string[];
  actions: string;
  planEnded: string;
  pay: string;
  payHint: string;
  promise: string;
  promiseHint: string;
  promiseDate: string;
  promiseAmount: string;
  submitPromise: string;
  plan: string;
  planHint: string;
  planOption(count: number, first: string, each: string): string;
  submitPlan: string;
  noPlans: string;
  dispute: string;
  disputeHint: string;
  disputeReason: string;
  submitDispute: string;
  hardship: string;
  hardshipHint: string;
  submitHardship: string;
  optOut: string;
  optOutHint: string;
  channelNames: Record<'email' | 'sms' | 'call' | 'letter', string>;
  optedOut: string;
  submitOptOut: string;
  inconvenient: string;
  inconvenientHint: string;
  from: string;
  to: string;
  weekdays: string;
  weekdayNames: string[];
  submitInconvenient: string;
  callback: string;
  callbackHint: string;
  callbackAt: string;
  submitCallback: string;
  complaint: string;
  complaintHint: string;
  complaintText: string;
  submitComplaint: string;
  done: Record<string, string>;
  errorHeading: string;
  errors: Record<string, string>;
  errorFallback: string;
  denied: { title: string; forged: string; expired: string; revoked: string; what: string };
  tooMany: string;
  privacy: string;
}

const pauseEn: Record<string, string> = {
  disputed: 'Collection is paused while we look into your dispute. We will not ask you to pay the disputed amount meanwhile.',
  hardship: 'Collection is paused because you told us about financial difficulty.',
  paused: 'Your case is paused for review by our team (for example, to review a complaint). We will not contact you about payment meanwhile.',
};
const pauseZh: Record<string, string> = {
  disputed: '我们正在核查您提出的异议，期间暂停催收，不会要求您支付有争议的金额。',
  hardship: '您已告知我们经济困难，催收已暂停。',
  paused: '您的案件正在由我们的团队审核（例如处理投诉），期间我们不会就还款联系您。',
};

export const en: Words = {
  htmlLang: 'en',
  formatLocale: 'en-US',
  title: 'Your account',
  skip: 'Skip to your options',
  otherLanguage: { label: '中文', lang: 'zh-CN' },
  statement: 'Statement',
  account: 'Account',
  principal: 'Amount borrowed',
  interestAndFees: 'Interest and fees',
  interestAndFeesNote: 'The schedule total minus the amount borrowed.',
  totalScheduled: 'Total of all instalments',
  outstanding: 'Still to repay in total',
  pastDue: 'Overdue now',
  pastDueSince: (date, days) => `Overdue since ${date} (${days} ${days === 1 ? 'day' : 'days'})`,
  nothingPastDue: 'Nothing is overdue. Thank you.',
  schedule: 'Repayment schedule',
  colNo: 'No.',
  colDue: 'Due',
  colAmount: 'Amount',
  colPaid: 'Paid',
  colStatus: 'Status',
  statusPaid: 'Paid',
  statusLate: 'Overdue',
  statusUpcoming: 'Not yet due',
  payments: 'Payments received',
  noPayments: 'No payments received yet.',
  terms: 'Key terms in plain words',
  termLines: (t) => [
    ...(t.promiseHorizonDays !== null ? [`You can promise to pay on a date up to ${t.promiseHorizonDays} days from today. If the payment has not arrived by then, the promise counts as broken.`] : []),
    ...(t.maxPlan !== null ? [`You can spread what is overdue over up to ${t.maxPlan} instalments. If an instalment is missed, the plan ends and collection continues.`] : []),
    ...(t.graceDays !== null ? [`We allow ${t.graceDays} ${t.graceDays === 1 ? 'day' : 'days'} of grace after a promised date or instalment before we treat it as missed.`] : []),
    'A dispute pauses collection of the disputed amount until we have looked into it.',
    'You can stop any channel (email, text, calls, letters) at any time; we will use the others.',
  ],
  next: 'What happens next',
  whatNext: (s, f) => {
    if (!s) return ['There is no collection running on this account. Nothing else is needed from you now.'];
    if (s.outcome) {
      const out: Record<string, string> = {
        paid: 'Your account is up to date. Thank you; nothing else is needed.',
        cured: 'Your account is up to date. Thank you; nothing else is needed.',
        dispute_upheld: 'Your dispute was upheld. We have stopped collecting this debt.',
        handed_to_legal: 'Your account has been passed to our legal team for review. You can still pay or contact us.',
      };
      return [out[s.outcome] ?? 'Collection on this account has ended.'];
    }
    const lines = s.pauses.flatMap((p) => (pauseEn[p] ? [pauseEn[p]] : []));
    if (s.promise?.status === 'open') lines.push(`You promised to pay ${f.money(s.promise.amountMinor)} by ${f.instant(s.promise.dueAt)}. We will not chase you before then.`);
    if (s.promise?.status === 'broken') lines.push('The payment you promised did not arrive in time.');
    if (s.plan) {
      const missed = s.plan.installments.some((i) => i.status === 'missed');
      if (s.plan.status === 'open') lines.push(`You are on a payment plan of ${s.plan.installments.length} instalments. Next: ${s.plan.installments.filter((i) => i.status === 'open').map((i) => `${f.money(i.amountMinor)} by ${f.instant(i.dueAt)}`)[0] ?? '—'}.`);
      if (missed || s.plan.status === 'broken') lines.push('An instalment of your payment plan was missed, so the plan has ended.');
    }
    if (s.nextAction && s.pauses.length === 0) {
      const what: Record<string, string> = { reminder: 'a reminder', call: 'a call from our team', negotiation: 'time to agree a promise or a plan', legal: 'a final notice, then a review by our legal team' };
      lines.push(`Next step: ${what[s.stage] ?? s.nextAction.what}, not before ${f.instant(s.nextAction.at)}. Paying, promising a date or taking a plan now avoids it.`);
    }
    if (lines.length === 0) lines.push('We are waiting for your payment or for you to choose an option below.');
    return lines;
  },
  actions: 'What you can do',
  planEnded: 'An instalment of your payment plan was missed, so the plan has ended and collection continues.',
  pay: 'Pay now',
  payHint: 'Opens the lender’s secure payment page.',
  promise: 'Promise to pay on a date',
  promiseHint: 'Choose a date and the amount you will pay by then.',
  promiseDate: 'Date',
  promiseAmount: 'Amount',
  submitPromise: 'Make this promise',
  plan: 'Pay in instalments',
  planHint: 'Choose a plan that covers what is overdue.',
  planOption: (count, first, each) => `${count} instalments: first ${first}, then ${each} each`,
  submitPlan: 'Take this plan',
  noPlans: 'No plan can be offered right now.',
  dispute: 'Dispute this debt',
  disputeHint: 'Tell us what you think is wrong. Collection of the disputed amount pauses while we look into it.',
  disputeReason: 'What is wrong',
  submitDispute: 'Send my dispute',
  hardship: 'I am in financial difficulty',
  hardshipHint: 'We will pause collection for a while and can offer a plan.',
  submitHardship: 'Tell us about difficulty',
  optOut: 'Stop a way of contacting me',
  optOutHint: 'We will not use this channel again for this account.',
  channelNames: { email: 'Email', sms: 'Text message', call: 'Phone calls', letter: 'Letters' },
  optedOut: 'already stopped',
  submitOptOut: 'Stop this channel',
  inconvenient: 'Times that are inconvenient for calls',
  inconvenientHint: 'We will not call you at these times.',
  from: 'From',
  to: 'To',
  weekdays: 'Days (none ticked: every day)',
  weekdayNames: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
  submitInconvenient: 'Save these times',
  callback: 'Ask for a call back',
  callbackHint: 'We will call at the first time allowed at or after the time you choose (your local time).',
  callbackAt: 'Call me at',
  submitCallback: 'Request a call back',
  complaint: 'Make a complaint',
  complaintHint: 'A complaint pauses collection until a member of our team has reviewed it.',
  complaintText: 'Your complaint',
  submitComplaint: 'Send my complaint',
  done: {
    promise: 'Thank you. Your promise is recorded.',
    plan: 'Thank you. Your payment plan is set up.',
    dispute: 'Your dispute is recorded. Collection of the disputed amount is paused while we look into it.',
    hardship: 'Thank you for telling us. Collection is paused for a while.',
    optout: 'Done. We will not use that channel again for this account.',
    inconvenient: 'Saved. We will not call you at those times.',
    callback: 'Your call-back request is recorded.',
    complaint: 'Your complaint is recorded. Collection is paused until it has been reviewed.',
  },
  errorHeading: 'That did not work',
  errors: {
    dueAt: 'Please choose a date from today within the allowed period.',
    date: 'Please enter a valid date.',
    amountMinor: 'Please enter an amount greater than zero, for example 100.00.',
    amount: 'Please enter an amount greater than zero, for example 100.00.',
    stage: 'This option is not available at this stage of your account. You can still pay, dispute or contact us.',
    installments: 'This plan is not available now. Please choose another option.',
    offer: 'Please choose one of the plans shown.',
    reason: 'Please say what is wrong.',
    text: 'Please write your complaint (at most 4,000 characters).',
    channel: 'Please choose a channel.',
    from: 'Please enter a start time earlier than the end time.',
    to: 'Please enter a start time earlier than the end time.',
    at: 'We cannot call you at the moment (for example while a dispute is open or calls are stopped). Please choose another option.',
    loanId: 'There is no active collection on this account right now.',
    form: 'This form has expired. Please open the page again from your latest message.',
  },
  errorFallback: 'Something went wrong. Please try again, or contact us.',
  denied: {
    title: 'This link cannot be used',
    forged: 'This link is not valid. Please check you copied the whole link from our message.',
    expired: 'This link has expired.',
    revoked: 'This link is no longer valid, because a newer message was sent to you or the link was withdrawn.',
    what: 'Please use the link in the most recent message we sent you, or contact us and we will send you a new one.',
  },
  tooMany: 'Too many requests. Please wait a minute and try again.',
  privacy: 'This page is for you only. Please do not share its link.',
};

export const zhCN: Words = {
  htmlLang: 'zh-CN',
  formatLocale: 'zh-CN',
  title: '您的账户',
  skip: '跳至可办理事项',
  otherLanguage: { label: 'English', lang: 'en' },
  statement: '账单',
  account: '账户',
  principal: '借款本金',
  interestAndFees: '利息和费用',
  interestAndFeesNote: '还款计划总额减去借款本金。',
  totalScheduled: '各期应还合计',
  outstanding: '剩余应还总额',
  pastDue: '当前逾期金额',
  pastDueSince: (date, days) => `自 ${date} 起逾期（${days} 天）`,
  nothingPastDue: '目前没有逾期款项，谢谢。',
  schedule: '还款计划',
  colNo: '期数',
  colDue: '到期日',
  colAmount: '应还',
  colPaid: '已还',
  colStatus: '状态',
  statusPaid: '已还清',
  statusLate: '已逾期',
  statusUpcoming: '未到期',
  payments: '已收到的还款',
  noPayments: '尚未收到还款。',
  terms: '主要条款说明',
  termLines: (t) => [
    ...(t.promiseHorizonDays !== null ? [`您可以承诺在今天起 ${t.promiseHorizonDays} 天内的某一天还款。如到期未收到还款，该承诺视为未履行。`] : []),
    ...(t.maxPlan !== null ? [`您可以将逾期金额分为最多 ${t.maxPlan} 期偿还。如有一期未按时还款，分期计划终止，催收将继续。`] : []),
    ...(t.graceDays !== null ? [`承诺日期或分期到期日之后有 ${t.graceDays} 天宽限期。`] : []),
    '提出异议后，有争议的金额在核查期间暂停催收。',
    '您可以随时停止任一联系方式（邮件、短信、电话、信件），我们将使用其他方式。',
  ],
  next: '接下来会发生什么',
  whatNext: (s, f) => {
    if (!s) return ['此账户目前没有进行中的催收，您暂时无需进行任何操作。'];
    if (s.outcome) {
      const out: Record<string, string> = {
        paid: '您的账户已结清逾期款项，谢谢，无需其他操作。',
        cured: '您的账户已结清逾期款项，谢谢，无需其他操作。',
        dispute_upheld: '您的异议成立，我们已停止催收此笔欠款。',
        handed_to_legal: '您的账户已转交法务团队审核。您仍可还款或联系我们。',
      };
      return [out[s.outcome] ?? '此账户的催收已结束。'];
    }
    const lines = s.pauses.flatMap((p) => (pauseZh[p] ? [pauseZh[p]] : []));
    if (s.promise?.status === 'open') lines.push(`您已承诺在 ${f.instant(s.promise.dueAt)} 前还款 ${f.money(s.promise.amountMinor)}，在此之前我们不会催促您。`);
    if (s.promise?.status === 'broken') lines.push('您承诺的还款未按时到账。');
    if (s.plan) {
      const missed = s.plan.installments.some((i) => i.status === 'missed');
      if (s.plan.status === 'open') lines.push(`您正在执行 ${s.plan.installments.length} 期分期计划。下一期：${s.plan.installments.filter((i) => i.status === 'open').map((i) => `${f.instant(i.dueAt)} 前还款 ${f.money(i.amountMinor)}`)[0] ?? '—'}。`);
      if (missed || s.plan.status === 'broken') lines.push('您的分期计划有一期未按时还款，计划已终止。');
    }
    if (s.nextAction && s.pauses.length === 0) {
      const what: Record<string, string> = { reminder: '发送提醒', call: '我们的团队致电您', negotiation: '与您商定还款承诺或分期计划', legal: '发送最终通知，之后转交法务团队审核' };
      lines.push(`下一步：${what[s.stage] ?? s.nextAction.what}，最早在 ${f.instant(s.nextAction.at)}。现在还款、承诺还款日期或选择分期即可避免。`);
    }
    if (lines.length === 0) lines.push('我们正在等待您的还款或您在下方选择的办理事项。');
    return lines;
  },
  actions: '您可以办理的事项',
  planEnded: '您的分期计划有一期未按时还款，计划已终止，催收将继续。',
  pay: '立即还款',
  payHint: '将打开贷款方的安全支付页面。',
  promise: '承诺还款日期',
  promiseHint: '请选择日期以及届时将偿还的金额。',
  promiseDate: '日期',
  promiseAmount: '金额',
  submitPromise: '提交承诺',
  plan: '分期还款',
  planHint: '请选择一个覆盖逾期金额的计划。',
  planOption: (count, first, each) => `分 ${count} 期：首期 ${first}，其后每期 ${each}`,
  submitPlan: '选择此计划',
  noPlans: '目前无法提供分期计划。',
  dispute: '对欠款提出异议',
  disputeHint: '请告诉我们您认为哪里有误。核查期间，有争议的金额暂停催收。',
  disputeReason: '有误之处',
  submitDispute: '提交异议',
  hardship: '我遇到经济困难',
  hardshipHint: '我们将暂停催收一段时间，并可为您提供分期方案。',
  submitHardship: '告知困难',
  optOut: '停止某种联系方式',
  optOutHint: '此账户今后将不再使用该方式联系您。',
  channelNames: { email: '电子邮件', sms: '短信', call: '电话', letter: '信件' },
  optedOut: '已停止',
  submitOptOut: '停止此方式',
  inconvenient: '不方便接听电话的时间',
  inconvenientHint: '我们不会在这些时间致电您。',
  from: '开始',
  to: '结束',
  weekdays: '星期（不勾选则为每天）',
  weekdayNames: ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
  submitInconvenient: '保存时间',
  callback: '预约回电',
  callbackHint: '我们将在您选择的时间（当地时间）或之后最早允许的时间致电您。',
  callbackAt: '回电时间',
  submitCallback: '预约回电',
  complaint: '投诉',
  complaintHint: '提交投诉后，催收将暂停，直至我们的团队审核完毕。',
  complaintText: '投诉内容',
  submitComplaint: '提交投诉',
  done: {
    promise: '谢谢，您的还款承诺已记录。',
    plan: '谢谢，您的分期计划已生效。',
    dispute: '您的异议已记录，核查期间有争议的金额暂停催收。',
    hardship: '感谢您告知，催收将暂停一段时间。',
    optout: '已完成，此账户今后不再使用该方式联系您。',
    inconvenient: '已保存，我们不会在这些时间致电您。',
    callback: '您的回电预约已记录。',
    complaint: '您的投诉已记录，审核完成前催收暂停。',
  },
  errorHeading: '操作未成功',
  errors: {
    dueAt: '请选择今天起允许范围内的日期。',
    date: '请输入有效日期。',
    amountMinor: '请输入大于零的金额，例如 100.00。',
    amount: '请输入大于零的金额，例如 100.00。',
    stage: '您的账户当前阶段无法办理此项。您仍可还款、提出异议或联系我们。',
    installments: '此计划目前不可用，请选择其他方式。',
    offer: '请选择页面上列出的计划之一。',
    reason: '请说明有误之处。',
    text: '请填写投诉内容（最多 4000 字）。',
    channel: '请选择联系方式。',
    from: '请确保开始时间早于结束时间。',
    to: '请确保开始时间早于结束时间。',
    at: '目前无法致电您（例如异议处理期间或已停止电话联系），请选择其他方式。',
    loanId: '此账户目前没有进行中的催收。',
    form: '此表单已失效，请从最新消息中重新打开页面。',
  },
  errorFallback: '出现问题，请重试或联系我们。',
  denied: {
    title: '此链接无法使用',
    forged: '此链接无效，请确认您复制了消息中的完整链接。',
    expired: '此链接已过期。',
    revoked: '此链接已失效，因为我们向您发送了更新的消息，或该链接已被撤销。',
    what: '请使用我们最近一条消息中的链接，或联系我们为您发送新链接。',
  },
  tooMany: '请求过于频繁，请稍候一分钟再试。',
  privacy: '此页面仅供您本人使用，请勿分享链接。',
};

export function wordsFor(locale: string | undefined): Words {
  return (locale ?? '').toLowerCase().startsWith('zh') ? zhCN : en;
}
