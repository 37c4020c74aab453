// The ledger's own invariants, checked from its rows after a run (the fault suite and the model suite):
// every payment a script made is in the ledger exactly once with its data, nothing is there that nobody
// paid, and allocations, unallocated remainders and instalments add up.
import type { Installment, Payment, PaymentAllocation } from '../../db/schema';

export interface LedgerFinding {
  kind: 'lost' | 'ledger';
  loanId?: string;
  detail: string;
}

export function checkLedger(options: {
  loanIds: readonly string[];
  /** Payment id -> what the script paid. */
  paymentsMade: ReadonlyMap<string, { loanId: string; amountMinor: number }>;
  payments: readonly Payment[];
  allocations: readonly PaymentAllocation[];
  installments: readonly Installment[];
}): LedgerFinding[] {
  const findings: LedgerFinding[] = [];
  const add = (kind: LedgerFinding['kind'], detail: string, loanId?: string) => findings.push({ kind, detail, ...(loanId ? { loanId } : {}) });
  for (const [paymentId, made] of options.paymentsMade) {
    const found = options.payments.filter((p) => p.id === paymentId);
    if (found.length !== 1) add('lost', `payment ${paymentId} is in the ledger ${found.length} times`, made.loanId);
    else if (found[0]!.amountMinor !== made.amountMinor || found[0]!.loanId !== made.loanId) add('ledger', `payment ${paymentId} recorded with other data`, made.loanId);
  }
  for (const p of options.payments) if (!options.paymentsMade.has(p.id)) add('ledger', `payment ${p.id} in the ledger was never made`, p.loanId);
  for (const loanId of options.loanIds) {
    const paid = options.payments.filter((p) => p.loanId === loanId);
    const sumPayments = paid.reduce((s, p) => s + p.amountMinor, 0);
    const unallocated = paid.reduce((s, p) => s + p.unallocatedMinor, 0);
    const sumAllocations = options.allocations.filter((a) => a.loanId === loanId).reduce((s, a) => s + a.amountMinor, 0);
    const mine = options.installments.filter((i) => i.loanId === loanId);
    const sumPaidOnInstallments = mine.reduce((s, i) => s + i.amountPaidMinor, 0);
    if (sumAllocations + unallocated !== sumPayments) add('ledger', `allocations ${sumAllocations} + unallocated ${unallocated} != payments ${sumPayments}`, loanId);
    if (sumPaidOnInstallments !== sumAllocations) add('ledger', `instalments paid ${sumPaidOnInstallments} != allocations ${sumAllocations}`, loanId);
    for (const i of mine) if (i.amountPaidMinor > i.amountDueMinor) add('ledger', `instalment ${i.seq} paid ${i.amountPaidMinor} > due ${i.amountDueMinor}`, loanId);
  }
  return findings;
}
