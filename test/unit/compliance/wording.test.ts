import { describe, expect, it } from 'vitest';
import { LANGUAGES, renderMessage, TEMPLATE_IDS } from '../../../channels/templates';
import { messageData } from '../../support/message-data';
import { callScript, SCRIPT_LOCALES, SCRIPT_STAGES, SCRIPTS } from '../../../channels/templates/scripts';
import { FORBIDDEN_WORDING, findForbiddenWording, neverSay } from '../../../domain/compliance/wording';

const data = messageData({ installments: [{ seq: 1, dueDate: '2025-02-01', unpaidMinor: 123_456 }] });

const show = (text: string) => findForbiddenWording(text).map((f) => `${f.id} ("${f.match}")`);

describe('forbidden wording', () => {
  it('catches threats, third parties, exposure, false legal claims and shaming in English and Chinese', () => {
    const bad: Array<[string, string]> = [
      ['Pay now or you will be arrested.', 'wording.arrest'],
      ['不还钱就让你坐牢', 'wording.arrest'],
      ['We will call your employer about this.', 'wording.third-party'],
      ['我们会联系你的家人和通讯录里的人', 'wording.third-party'],
      ['再不还款就在朋友圈曝光你', 'wording.exposure'],
      ['We will post your name on social media.', 'wording.exposure'],
      ['A lawsuit has been filed against you.', 'wording.false-legal'],
      ['法院已经立案，马上强制执行', 'wording.false-legal'],
      ['This is your last chance, deadbeat.', 'wording.shaming'],
      ['老赖，后果自负', 'wording.shaming'],
    ];
    for (const [text, id] of bad) expect(findForbiddenWording(text).map((f) => f.id), text).toContain(id);
    expect(findForbiddenWording('Please pay the overdue amount or contact us to agree a plan.')).toEqual([]);
    expect(findForbiddenWording('请尽快还款或与我们联系，共同商量还款安排。')).toEqual([]);
  });

  it('names its sources for every entry and says what never to say in both languages', () => {
    for (const w of FORBIDDEN_WORDING) {
      expect(w.sources.length, w.id).toBeGreaterThan(0);
      expect(w.patterns.some((p) => /[\u4e00-\u9fff]/.test(p.source)), `${w.id} has Chinese patterns`).toBe(true);
      expect(w.patterns.some((p) => /[a-z]/i.test(p.source)), `${w.id} has English patterns`).toBe(true);
    }
    expect(neverSay('zh-Hans-CN')).toHaveLength(FORBIDDEN_WORDING.length);
    expect(neverSay('en-GB')[0]).toMatch(/arrest/);
  });

  it('every shipped message template passes, in every language and every part', () => {
    for (const lang of LANGUAGES) {
      for (const id of TEMPLATE_IDS) {
        for (const variant of [data, { ...data, validationEndDate: undefined, respondBy: undefined }]) {
          const m = renderMessage(id, lang.locale, variant);
          const visibleHtml = m.html.replace(/<[^>]*>/g, ' ');
          for (const part of [m.subject, m.text, visibleHtml, m.sms]) expect(show(part), `${id}/${lang.locale}`).toEqual([]);
        }
      }
    }
  });

  it('every call and visit script passes: what to say and what to offer, in every language and stage', () => {
    for (const locale of SCRIPT_LOCALES) {
      for (const stage of SCRIPT_STAGES) {
        const raw = SCRIPTS[locale][stage];
        for (const line of [raw.title, ...raw.say, ...raw.offer]) expect(show(line), `${stage}/${locale}: ${line}`).toEqual([]);
        const filled = callScript(stage, locale, { lender: 'Acme Credit', loan: 'L-1001', pastDue: '¥1,234.56', oldestDue: '2025-02-01' });
        for (const line of [filled.title, ...filled.say, ...filled.offer]) {
          expect(line).not.toMatch(/\{\w+\}/);
          expect(show(line), `${stage}/${locale}: ${line}`).toEqual([]);
        }
        expect(filled.never).toEqual(neverSay(locale));
      }
    }
  });
});
