// What a message template is rendered with in the unit tests: a CNY loan 40 days past due, two unpaid
// instalments, with the US validation dates set. Each test overrides only what it is about.
import { senderDetailsFromEnv, type MessageData } from '../../channels/templates';

export const messageData = (over: Partial<MessageData> = {}): MessageData => ({
  sender: { ...senderDetailsFromEnv({}), lenderName: 'Acme Credit' },
  borrowerName: 'Li Lei',
  loanReference: 'L-1001',
  currency: 'CNY',
  pastDueMinor: 123_456,
  outstandingMinor: 500_000,
  oldestUnpaidDueDate: '2025-02-01',
  dpd: 40,
  installments: [
    { seq: 1, dueDate: '2025-02-01', unpaidMinor: 61_728 },
    { seq: 2, dueDate: '2025-03-01', unpaidMinor: 61_728 },
  ],
  optOutLink: 'https://help.example.com/opt-out?account=L-1001&channel=email',
  validationEndDate: '2025-04-15',
  respondBy: '2025-03-20',
  ...over,
});
