// Reason codes in plain words, en and zh-CN: what the borrower's value of a feature was, said the way a
// collector would say it ("two broken promises in 90 days"). The scorecard decides WHICH features are
// reasons (their weights pulled the probability down); this file only says them.
import type { NumericFeature } from './features';

export interface ReasonText {
  en: string;
  'zh-CN': string;
}

const EN_NUMBERS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const count = (n: number) => EN_NUMBERS[n] ?? String(n);
const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;
const pct = (share: number) => `${Math.round(share * 100)}%`;

export function reasonText(feature: NumericFeature | 'product', value: number | string): ReasonText {
  const v = typeof value === 'number' ? value : Number.NaN;
  switch (feature) {
    case 'dpd':
      return { en: `${v} days past due`, 'zh-CN': `已逾期${v}天` };
    case 'pastDueShare':
      return { en: `${pct(v)} of the balance is past due`, 'zh-CN': `逾期金额占未还余额的${pct(v)}` };
    case 'onTimeShare':
      return v < 0
        ? { en: 'no instalment has fallen due yet', 'zh-CN': '尚无到期的还款' }
        : { en: `${pct(v)} of instalments paid on time`, 'zh-CN': `按时还款的期数占${pct(v)}` };
    case 'latenessTrend':
      return v > 0
        ? { en: `recent instalments paid ${Math.round(v)} days later than earlier ones`, 'zh-CN': `近期还款比以往平均晚${Math.round(v)}天` }
        : { en: 'recent instalments paid no later than earlier ones', 'zh-CN': '近期还款没有比以往更晚' };
    case 'partialPayments':
      return { en: `${plural(v, 'instalment', 'instalments')} only partly paid`, 'zh-CN': `${v}期仅部分还款` };
    case 'paidShare':
      return { en: `${pct(v)} of the loan repaid so far`, 'zh-CN': `已偿还贷款的${pct(v)}` };
    case 'priorCases':
      return { en: `${plural(v, 'earlier collection case', 'earlier collection cases')}`, 'zh-CN': `此前有${v}次催收案件` };
    case 'priorCured':
      return { en: `${plural(v, 'earlier case', 'earlier cases')} ended in a cure`, 'zh-CN': `此前${v}次催收案件以结清逾期结束` };
    case 'promisesKept90':
      return { en: `${plural(v, 'promise', 'promises')} kept in 90 days`, 'zh-CN': `90天内兑现了${v}次还款承诺` };
    case 'promisesBroken90':
      return { en: `${plural(v, 'broken promise', 'broken promises')} in 90 days`, 'zh-CN': `90天内有${v}次还款承诺未兑现` };
    case 'plansBroken365':
      return { en: `${plural(v, 'broken payment plan', 'broken payment plans')} in a year`, 'zh-CN': `一年内有${v}个还款计划中断` };
    case 'contactAttempts30':
      return { en: `${plural(v, 'contact attempt', 'contact attempts')} in 30 days`, 'zh-CN': `30天内联系了${v}次` };
    case 'rightPartyRate90':
      return v < 0
        ? { en: 'no calls in 90 days', 'zh-CN': '90天内没有电话联系' }
        : { en: `${pct(v)} of calls in 90 days reached the borrower`, 'zh-CN': `90天内${pct(v)}的电话联系到本人` };
    case 'paysAfterMessage180':
      return v < 0
        ? { en: 'no messages in 180 days', 'zh-CN': '180天内没有发送过提醒' }
        : { en: `paid within 3 days after ${pct(v)} of messages`, 'zh-CN': `${pct(v)}的提醒发出后3天内有还款` };
    case 'openDispute':
      return v > 0 ? { en: 'a dispute is open', 'zh-CN': '有未解决的争议' } : { en: 'no open dispute', 'zh-CN': '没有未解决的争议' };
    case 'tenureMonths':
      return { en: `loan opened ${plural(v, 'month', 'months')} ago`, 'zh-CN': `贷款发放已${v}个月` };
    case 'product':
      return { en: `product ${value}`, 'zh-CN': `产品 ${value}` };
  }
}
