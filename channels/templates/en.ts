// English messages. Tone: plain, polite, factual; say what is owed and how to sort it out. Never threaten,
// never exaggerate consequences, never mention anyone but the borrower (collections.md, "What goes wrong").
import type { LanguagePack } from './types';

export const en: LanguagePack = {
  locale: 'en',
  formatLocale: 'en-US',
  greeting: (name) => `Dear ${name},`,
  statement: {
    heading: 'What is currently overdue',
    pastDue: (amount) => `Amount overdue: ${amount}`,
    oldestDue: (date) => `Oldest unpaid due date: ${date}`,
    line: (seq, date, amount) => `Instalment ${seq}, due ${date}: ${amount}`,
    outstanding: (amount) => `Total balance still to repay (including instalments not yet due): ${amount}`,
  },
  howToPay: (url) => `How to pay: you can pay online at ${url}. If you have already paid, thank you, and please ignore this message.`,
  howToDispute: (url, supportEmail) =>
    `If you think this is wrong, or you want to dispute the amount, tell us at ${url} or write to ${supportEmail}. We will look into it and pause collection of the disputed amount meanwhile.`,
  selfService: (link) => `See your statement, promise a payment date, choose a payment plan, dispute the debt or tell us about difficulties on your own page: ${link} (the link is personal; do not share it).`,
  smsSelfService: (link) => `Your page: ${link}`,
  signOff: (lenderName) => ['Kind regards,', lenderName],
  emailOptOut: (link) => `To stop receiving emails from us about this account, use this link: ${link}`,
  smsOptOut: 'Reply STOP to opt out.',
  smsPrefix: (lenderName) => `[${lenderName}]`,
  templates: {
    'reminder-friendly': (d, f) => ({
      subject: `A friendly reminder about your payment to ${d.sender.lenderName}`,
      intro: [
        `We have not yet received a payment that was due on your account ${d.loanReference}. This can easily happen, so this is just a friendly reminder.`,
      ],
      sms: `Hello, a payment of ${f.money(d.pastDueMinor)} on your account ${d.loanReference} is overdue. Pay at ${d.sender.paymentUrl}. Questions or disputes: ${d.sender.disputeUrl}.`,
    }),
    'reminder-firm': (d, f) => ({
      subject: `Your account ${d.loanReference} is overdue: please pay or contact us`,
      intro: [
        `Your account ${d.loanReference} is still overdue and we have not heard from you. Please pay the amount below, or contact us so that we can agree a way forward that works for you.`,
      ],
      sms: `Your account ${d.loanReference} has ${f.money(d.pastDueMinor)} overdue. Please pay at ${d.sender.paymentUrl} or contact us. Disputes: ${d.sender.disputeUrl}.`,
    }),
    'final-demand': (d, f) => ({
      subject: `Final reminder: overdue balance on account ${d.loanReference}`,
      intro: [
        `This is our final reminder about the overdue amount on your account ${d.loanReference}.`,
        d.respondBy
          ? `Please pay or get in touch with us by ${f.date(d.respondBy)}. If we cannot reach an arrangement, the account may be referred to our legal team for review.`
          : `Please pay or get in touch with us as soon as you can. If we cannot reach an arrangement, the account may be referred to our legal team for review.`,
        `We would much rather agree a plan with you, so please contact us if you cannot pay the full amount.`,
      ],
      sms: `Final reminder: ${f.money(d.pastDueMinor)} is overdue on account ${d.loanReference}. Please pay at ${d.sender.paymentUrl} or contact us to agree a plan. Disputes: ${d.sender.disputeUrl}.`,
    }),
    'forbearance-offer': (d, f) => ({
      subject: `We can help with your payments to ${d.sender.lenderName}`,
      intro: [
        `If you are finding it hard to keep up with payments on your account ${d.loanReference}, we would like to help.`,
        `We can offer options such as a payment plan in smaller instalments, a lower payment for a while, or more time to pay. Free, independent debt advice is also available from non-profit debt advice services.`,
        `Tell us what you can afford and we will work it out with you.`,
      ],
      sms: `If paying ${f.money(d.pastDueMinor)} on account ${d.loanReference} is hard right now, we can help with a plan. Visit ${d.sender.paymentUrl} or contact us.`,
    }),
    // Announces a field visit (a strategy's call-stage visit step); the rule pack's notice period runs from it.
    'visit-notice': (d, f) => ({
      subject: `We would like to talk with you about account ${d.loanReference}`,
      intro: [
        `We have not been able to reach you by phone about the overdue amount of ${f.money(d.pastDueMinor)} on account ${d.loanReference}.`,
        `A member of our team may visit you at your home, during the day, in the coming days, to talk about how to sort this out. They will show their identification and will speak only with you.`,
        `If you would rather we did not visit, or you want to suggest a better time, please contact us. If you pay or get in touch first, no visit will be needed.`,
      ],
      sms: `We could not reach you by phone about account ${d.loanReference}. A member of our team may visit you at home in the daytime soon. To agree a time or avoid a visit, contact us or pay at ${d.sender.paymentUrl}.`,
    }),
    'validation-notice': (d, f) => ({
      subject: `Information about your debt with ${d.sender.lenderName}`,
      intro: [
        `${d.sender.lenderName} is collecting a debt that you owe on account ${d.loanReference}. Below is how much is owed and what you can do if you think it is wrong.`,
      ],
      after: [
        d.validationEndDate
          ? `You may dispute all or part of the debt. If you tell us by ${f.date(d.validationEndDate)} that you dispute it, we must stop collecting the disputed amount until we send you information that shows it is owed.`
          : `You may dispute all or part of the debt. If you tell us that you dispute it, we stop collecting the disputed amount until we send you information that shows it is owed.`,
        `You may also ask us for the name and address of the original creditor, if different from the current creditor.`,
      ],
      sms: `${d.sender.lenderName} has sent you information about account ${d.loanReference}, including how to dispute it. Details: ${d.sender.disputeUrl}.`,
    }),
  },
};
