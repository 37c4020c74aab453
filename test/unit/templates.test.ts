import { describe, expect, it } from 'vitest';
import { UnknownTemplateError } from '../../channels/errors';
import { findForbiddenWording } from '../../domain/compliance/wording';
import { languageFor, renderMessage, TEMPLATE_IDS } from '../../channels/templates';
import { messageData } from '../support/message-data';

const data = messageData;
const { sender } = messageData();

// Threats, shaming, third parties, exposure and false legal claims: the one list, with its sources, is
// domain/compliance/wording (test/unit/compliance/wording.test.ts checks every template against it too).

describe('message templates', () => {
  for (const locale of ['en', 'zh-CN'] as const) {
    for (const id of TEMPLATE_IDS) {
      it(`renders ${id} in ${locale} with text, HTML, the statement and an opt-out line`, () => {
        const m = renderMessage(id, locale, data());
        expect(m.locale).toBe(locale);
        expect(m.subject.length).toBeGreaterThan(5);
        const optOut = languageFor(locale).emailOptOut(data().optOutLink);
        for (const part of [m.text, m.html]) {
          expect(part).toContain('L-1001');
          expect(part).toContain(sender.paymentUrl);
          expect(part).toContain(sender.disputeUrl);
        }
        expect(m.text).toContain(optOut);
        expect(m.html).toContain(data().optOutLink.replace(/&/g, '&amp;'));
        expect(m.html).toMatch(/^<!doctype html>/);
        expect(m.sms).toContain(languageFor(locale).smsOptOut);
        // What a reader sees: tags and styles are not words.
        const visibleHtml = m.html.replace(/<[^>]*>/g, ' ');
        for (const part of [m.subject, m.text, visibleHtml, m.sms]) {
          expect(findForbiddenWording(part).map((f) => `${f.id}: ${f.match}`), `${id}/${locale}`).toEqual([]);
        }
      });
    }
  }

  it('formats amounts and dates in each language', () => {
    const zh = renderMessage('reminder-friendly', 'zh-CN', data());
    expect(zh.text).toContain('逾期应还金额：¥1,234.56');
    expect(zh.text).toContain('第1期（应还日 2025年2月1日）：¥617.28');
    expect(zh.text).toContain('最早未还款的应还日：2025年2月1日');
    expect(zh.text).toContain('¥5,000.00');
    expect(zh.sms).toContain('¥1,234.56');
    expect(zh.sms.startsWith('【Acme Credit】')).toBe(true);

    const us = renderMessage('reminder-friendly', 'en', data({ currency: 'USD' }));
    expect(us.text).toContain('Amount overdue: $1,234.56');
    expect(us.text).toContain('Instalment 2, due March 1, 2025: $617.28');
    expect(us.text).toContain('Oldest unpaid due date: February 1, 2025');
    expect(us.html).toContain('<li>Instalment 1, due February 1, 2025: $617.28</li>');

    const yen = renderMessage('reminder-firm', 'en', data({ currency: 'JPY', pastDueMinor: 12_345, installments: [] }));
    expect(yen.text).toContain('¥12,345');
  });

  it('states the validation period end and the dispute right in the validation notice', () => {
    expect(renderMessage('validation-notice', 'en', data()).text).toContain('If you tell us by April 15, 2025 that you dispute it');
    expect(renderMessage('validation-notice', 'zh-CN', data()).text).toContain('2025年4月15日 前告知我们有异议');
  });

  it('falls back by language, then to English', () => {
    expect(renderMessage('reminder-friendly', 'zh-Hans-CN', data()).locale).toBe('zh-CN');
    expect(renderMessage('reminder-friendly', 'en-GB', data()).locale).toBe('en');
    expect(renderMessage('reminder-friendly', 'fr', data()).locale).toBe('en');
  });

  it('escapes the borrower name in HTML', () => {
    const m = renderMessage('reminder-friendly', 'en', data({ borrowerName: '<b>Bob & Co</b>' }));
    expect(m.html).toContain('&lt;b&gt;Bob &amp; Co&lt;/b&gt;');
    expect(m.html).not.toContain('<b>Bob');
  });

  it('refuses an unknown template id with a non-retryable error naming the known ones', () => {
    let error: unknown;
    try {
      renderMessage('reminder-angry', 'en', data());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UnknownTemplateError);
    expect((error as UnknownTemplateError).retryable).toBe(false);
    expect((error as Error).message).toMatch(/unknown message template "reminder-angry".*reminder-friendly/);
  });
});
