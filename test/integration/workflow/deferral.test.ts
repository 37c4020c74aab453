// The workflow plans contacts with the same rules the send-time gate checks: under the cn pack a
// reminder due in the borrower's night is deferred to 08:00 local, and the deferral is explained in
// the query and the audit trail.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveStrategy } from '../../../db/repository/strategies';
import { auditEvents, contactAttempts } from '../../../db/schema';
import { findDefaultStrategy } from '../../../domain/strategy/defaults';
import * as m from '../../../contracts/messages';
import { startHarness, waitForState, type Harness } from '../../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('deferral');
  const fast = findDefaultStrategy('fast-test')!;
  await saveStrategy(h.db, { id: 'fast-test-cn', version: 1, document: { ...fast, id: 'fast-test-cn', version: 1, rulePack: 'cn' } });
});
afterAll(async () => {
  await h?.close();
});

/** A fixed-offset zone where it is now 02:xx, deep in the cn quiet hours (22:00-08:00). */
function zoneAtTwoAm(): { zone: string; offsetHours: number } {
  const utcHour = new Date().getUTCHours();
  // local = utc + offset; Etc/GMT-N means UTC+N.
  let offset = 2 - utcHour;
  if (offset < -12) offset += 24;
  if (offset > 14) offset -= 24;
  return { zone: offset === 0 ? 'Etc/UTC' : offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`, offsetHours: offset };
}

describe('contact planning under a real rule pack', () => {
  it('defers a night-time reminder to 08:00 local and explains why', async () => {
    const { zone, offsetHours } = zoneAtTwoAm();
    const loan = await h.seedLoan({ dpd: 3, timeZone: zone });
    const handle = await h.startCollection(loan.loanId, { strategyId: 'fast-test-cn' });
    const s = await waitForState(() => handle.query(m.getState), (s) => s.lastBlocked !== undefined && s.waitingFor !== undefined, { what: 'a deferred reminder' });
    expect(s.lastBlocked?.rule).toBe('cn.quiet-hours');
    const until = new Date(s.lastBlocked!.until!);
    // 08:00 local, expressed in UTC.
    expect((until.getUTCHours() + offsetHours + 24) % 24).toBe(8);
    expect(until.getUTCMinutes()).toBe(0);
    expect(s.waitingFor).toMatch(/deferred by cn\.quiet-hours/);
    expect(await h.db.select().from(contactAttempts).where(eq(contactAttempts.loanId, loan.loanId))).toHaveLength(0);
    const audit = await waitForState(
      () => h.db.select().from(auditEvents).where(and(eq(auditEvents.loanId, loan.loanId), eq(auditEvents.action, 'workflow.contact_deferred'))),
      (rows) => rows.length > 0,
      { what: 'the deferral in the audit trail' },
    );
    expect(audit[0]!.after).toMatchObject({ rule: 'cn.quiet-hours', until: s.lastBlocked!.until, channel: 'sms' });
    await handle.signal(m.closedByLender, { outcome: 'cancelled' });
    expect((await handle.result()).outcome).toBe('cancelled');
  });
});
