// The borrower page's own rules (domain/self-service.ts) and its link tokens (channels/self-service-link.ts).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkFormToken, formToken, signLink, verifyToken } from '../../channels/self-service-link';
import { localDateTimeToInstant, localToday, planOffers, promisedDateToInstant } from '../../domain/self-service';

const NOW = Date.parse('2026-03-10T04:00:00Z');

describe('plan offers', () => {
  it('split what is past due into 2..max equal instalments, the remainder on the first, each `every` apart', () => {
    const offers = planOffers(100_001, { maxPlanInstallments: 3, planInstallmentEvery: 'P14D' }, NOW);
    expect(offers.map((o) => o.count)).toEqual([2, 3]);
    expect(offers[1]!.installments.map((i) => i.amountMinor)).toEqual([33_335, 33_333, 33_333]);
    for (const offer of offers) expect(offer.installments.reduce((n, i) => n + i.amountMinor, 0)).toBe(100_001);
    expect(offers[0]!.installments.map((i) => i.dueAt)).toEqual(['2026-03-24T04:00:00.000Z', '2026-04-07T04:00:00.000Z']);
  });

  it('leave out splits with an instalment below the strategy\'s smallest', () => {
    // 300.00 over 2 and 3 keeps every instalment at 100.00 or more; over 4 it would be 75.00.
    expect(planOffers(30_000, { maxPlanInstallments: 6, minPlanInstallmentMinor: 10_000 }, NOW).map((o) => o.count)).toEqual([2, 3]);
    expect(planOffers(15_000, { maxPlanInstallments: 6, minPlanInstallmentMinor: 10_000 }, NOW)).toEqual([]);
    expect(planOffers(30_000, { maxPlanInstallments: 6, minPlanInstallmentMinor: 0 }, NOW).map((o) => o.count)).toEqual([2, 3, 4, 5, 6]);
  });

  it('default to thirty days apart and offer nothing when nothing is past due or one instalment is the limit', () => {
    expect(planOffers(5_000, { maxPlanInstallments: 2 }, NOW)[0]!.installments[0]!.dueAt).toBe('2026-04-09T04:00:00.000Z');
    expect(planOffers(0, { maxPlanInstallments: 6 }, NOW)).toEqual([]);
    expect(planOffers(5_000, { maxPlanInstallments: 1 }, NOW)).toEqual([]);
  });
});

describe('dates the borrower types', () => {
  it('take a promised date as the end of that day in the borrower’s zone', () => {
    expect(promisedDateToInstant('2026-03-11', 'Asia/Shanghai')).toBe('2026-03-11T15:59:59.999Z');
    expect(promisedDateToInstant('2026-03-08', 'America/New_York')).toBe('2026-03-09T03:59:59.999Z');
    expect(() => promisedDateToInstant('2026-02-30', 'UTC', 'date')).toThrow(/date/);
  });

  it('read local wall times and today in the borrower’s zone', () => {
    expect(localDateTimeToInstant('2026-03-11T09:30', 'Asia/Shanghai')).toBe('2026-03-11T01:30:00.000Z');
    expect(() => localDateTimeToInstant('2026-03-11 09:30', 'UTC')).toThrow(RangeError);
    expect(localToday(Date.parse('2026-03-10T17:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-11');
  });
});

describe('link tokens', () => {
  const secret = Buffer.from('x'.repeat(32));
  const id = randomUUID();
  const later = new Date(Date.now() + 3600_000);

  it('verify their own signature and expiry, and nothing else', () => {
    const token = signLink(secret, id, later);
    expect(verifyToken(secret, token)).toMatchObject({ ok: true, linkId: id });
    expect(verifyToken(Buffer.from('y'.repeat(32)), token)).toEqual({ ok: false, why: 'forged' });
    const [, exp, mac] = token.split('.');
    expect(verifyToken(secret, `${randomUUID()}.${exp}.${mac}`)).toEqual({ ok: false, why: 'forged' });
    expect(verifyToken(secret, `${id}.${(Number.parseInt(exp!, 36) + 1).toString(36)}.${mac}`)).toEqual({ ok: false, why: 'forged' });
    expect(verifyToken(secret, signLink(secret, id, new Date(Date.now() - 1000)))).toEqual({ ok: false, why: 'expired' });
    expect(verifyToken(secret, 'not-a-token')).toEqual({ ok: false, why: 'forged' });
  });

  it('carry a form token bound to the link', () => {
    expect(checkFormToken(secret, id, formToken(secret, id))).toBe(true);
    expect(checkFormToken(secret, id, formToken(secret, randomUUID()))).toBe(false);
    expect(checkFormToken(secret, id, undefined)).toBe(false);
  });
});
