// Call and visit scripts for collectors, per stage and language: what to say, which options to offer,
// and what never to say. The "never" lines come from domain/compliance/wording (one list, with its
// sources), and every "say" and "offer" line is checked against that same list by the wording test.
// Placeholders in {braces} are filled by callScript from the case (amounts formatted, no other data).
import { neverSay } from '../../domain/compliance/wording';

export const SCRIPT_STAGES = ['call', 'negotiation', 'legal', 'visit'] as const;
export type ScriptStage = (typeof SCRIPT_STAGES)[number];

export interface ScriptText {
  title: string;
  /** What to say, in order. */
  say: string[];
  /** Options to offer the borrower. */
  offer: string[];
}

export const SCRIPT_LOCALES = ['en', 'zh-CN'] as const;
export type ScriptLocale = (typeof SCRIPT_LOCALES)[number];

export const SCRIPTS: Record<ScriptLocale, Record<ScriptStage, ScriptText>> = {
  en: {
    call: {
      title: 'First call: confirm, inform, listen',
      say: [
        'Give your name and say you are calling from {lender} about account {loan}.',
        'Before anything else, confirm you are speaking with the account holder. If not, do not mention the account or any debt: ask when is a good time to call back and end the call.',
        'Say that {pastDue} is overdue since {oldestDue}, and ask whether there is a reason the payment was missed.',
        'Listen. If the borrower says the amount is wrong, record a dispute rather than arguing.',
        'If the borrower mentions illness, job loss or other hardship, record hardship: the case pauses and they will be offered help.',
      ],
      offer: [
        'Pay the overdue amount online at the payment page.',
        'Promise to pay a stated amount by a date that suits them.',
        'A payment plan in smaller instalments.',
        'Free, independent debt advice.',
      ],
    },
    negotiation: {
      title: 'Agreeing a way forward',
      say: [
        'Thank the borrower for talking with you about account {loan}.',
        'Ask what they can afford each month after essential living costs.',
        'Repeat back the agreement (amounts and dates) and check they are comfortable with it before you record it.',
      ],
      offer: [
        'A promise to pay by a date they choose.',
        'A payment plan that covers {pastDue} in instalments.',
        'More time, or a lower payment for a while, if their situation has changed.',
      ],
    },
    legal: {
      title: 'Before referral to the legal team',
      say: [
        'Explain calmly that {pastDue} is still overdue on account {loan} and that, without an arrangement, the account may be referred to our legal team for review.',
        'Say clearly that no decision has been taken yet and that an arrangement now keeps the account with us.',
      ],
      offer: ['A payment plan or a promise to pay.', 'Free, independent debt advice.', 'A review if they believe the amount is wrong.'],
    },
    visit: {
      title: 'Field visit: announced, at home, in daytime',
      say: [
        'Visit only at the time announced in advance, at the borrower’s home, never at their place of work.',
        'Show your identification, give your name, and say you are visiting on behalf of {lender} about account {loan}.',
        'Speak only with the account holder. If someone else answers, do not mention the account or any debt: ask when the borrower is available and leave.',
        'Explain the purpose of the visit: to understand their situation and agree a way to settle {pastDue}.',
        'Leave at once if asked to, and do not enter unless invited.',
      ],
      offer: ['A promise to pay by a date that suits them.', 'A payment plan in smaller instalments.', 'Free, independent debt advice.'],
    },
  },
  'zh-CN': {
    call: {
      title: '首次通话：核实、告知、倾听',
      say: [
        '报出您的姓名，说明您代表{lender}就账户{loan}致电。',
        '先核实对方是否为借款人本人。如不是本人，不得提及账户或欠款，只询问方便回电的时间后结束通话。',
        '告知自{oldestDue}起有{pastDue}逾期未还，并询问未能按时还款的原因。',
        '认真倾听。如借款人认为金额有误，请记录异议，不要争辩。',
        '如借款人提到疾病、失业等困难，请记录困难情况：案件将暂停，并为其提供帮助方案。',
      ],
      offer: ['通过还款页面在线偿还逾期金额。', '承诺在其方便的日期前偿还约定金额。', '分成较小金额的分期还款计划。', '免费、独立的债务咨询。'],
    },
    negotiation: {
      title: '商定还款方案',
      say: [
        '感谢借款人就账户{loan}与您沟通。',
        '询问其在支付必要生活开支后每月能承担的金额。',
        '复述约定内容（金额和日期），确认借款人认可后再记录。',
      ],
      offer: ['在其选择的日期前还款的承诺。', '以分期方式偿还{pastDue}的还款计划。', '如情况有变，可延长期限或阶段性降低还款金额。'],
    },
    legal: {
      title: '转交法务团队之前',
      say: [
        '平和地说明账户{loan}仍有{pastDue}逾期，如未能达成还款安排，账户可能转交我们的法务团队审核。',
        '明确告知目前尚未作出任何决定，现在达成安排即可继续由我们跟进。',
      ],
      offer: ['还款计划或还款承诺。', '免费、独立的债务咨询。', '如认为金额有误，可申请复核。'],
    },
    visit: {
      title: '上门拜访：提前告知、白天、仅到住所',
      say: [
        '只在提前告知的时间、到借款人住所拜访，绝不到其工作地点。',
        '出示工作证件，报出姓名，说明您代表{lender}就账户{loan}来访。',
        '只与借款人本人沟通。如开门的不是本人，不得提及账户或欠款，只询问本人何时方便后离开。',
        '说明来访目的：了解其情况，商定偿还{pastDue}的方式。',
        '对方要求离开时立即离开；未经邀请不得进入。',
      ],
      offer: ['承诺在其方便的日期前还款。', '分成较小金额的分期还款计划。', '免费、独立的债务咨询。'],
    },
  },
};

export interface ScriptValues {
  lender: string;
  loan: string;
  pastDue: string;
  oldestDue: string;
}

export interface CallScript extends ScriptText {
  locale: ScriptLocale;
  stage: ScriptStage;
  /** What never to say: the forbidden wording list in this language. */
  never: string[];
}

/** The script language for a borrower's locale: zh* gets Chinese, anything else English. */
export function scriptLocaleFor(locale: string): ScriptLocale {
  return locale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** The script for a stage (a stage without one, e.g. reminder, gets the first call's) in the borrower's language. */
export function callScript(stage: string, locale: string, values: ScriptValues): CallScript {
  const lang = scriptLocaleFor(locale);
  const key: ScriptStage = (SCRIPT_STAGES as readonly string[]).includes(stage) ? (stage as ScriptStage) : 'call';
  const text = SCRIPTS[lang][key];
  const fill = (s: string) => s.replace(/\{(lender|loan|pastDue|oldestDue)\}/g, (_m, k: keyof ScriptValues) => values[k]);
  return { locale: lang, stage: key, title: fill(text.title), say: text.say.map(fill), offer: text.offer.map(fill), never: neverSay(lang) };
}
