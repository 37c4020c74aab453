// 简体中文消息。语气：礼貌、平实，只讲欠款事实与解决办法；不威胁、不夸大后果，只联系借款人本人
// （NIFA 贷后催收指引、GB/T 45251-2025）。
import type { LanguagePack } from './types';

export const zhCN: LanguagePack = {
  locale: 'zh-CN',
  formatLocale: 'zh-CN',
  greeting: (name) => `尊敬的${name}，您好：`,
  statement: {
    heading: '当前逾期情况',
    pastDue: (amount) => `逾期应还金额：${amount}`,
    oldestDue: (date) => `最早未还款的应还日：${date}`,
    line: (seq, date, amount) => `第${seq}期（应还日 ${date}）：${amount}`,
    outstanding: (amount) => `剩余应还总额（含尚未到期的分期）：${amount}`,
  },
  howToPay: (url) => `还款方式：您可以在 ${url} 在线还款。如您已还款，感谢您的配合，请忽略本消息。`,
  howToDispute: (url, supportEmail) =>
    `如您认为金额有误或对欠款有异议，请通过 ${url} 或发送邮件至 ${supportEmail} 告知我们。我们会尽快核实，核实期间暂停对有异议部分的催收。`,
  signOff: (lenderName) => ['此致', lenderName],
  selfService: (link) => `您可以在个人页面查看账单、承诺还款日期、选择分期计划、提出异议或告知困难：${link} （此链接仅限本人使用，请勿转发）。`,
  smsSelfService: (link) => `个人页面：${link}`,
  emailOptOut: (link) => `如不希望再通过邮件收到关于此账户的通知，请点击此链接退订：${link}`,
  smsOptOut: '回复TD退订。',
  smsPrefix: (lenderName) => `【${lenderName}】`,
  templates: {
    'reminder-friendly': (d, f) => ({
      subject: `${d.sender.lenderName}温馨还款提醒`,
      intro: [`我们尚未收到您账户 ${d.loanReference} 的到期还款。这种情况很常见，特此友好提醒。`],
      sms: `您好，您账户${d.loanReference}有${f.money(d.pastDueMinor)}已逾期，请通过 ${d.sender.paymentUrl} 还款。如有疑问或异议：${d.sender.disputeUrl}。`,
    }),
    'reminder-firm': (d, f) => ({
      subject: `您的账户 ${d.loanReference} 已逾期，请尽快还款或联系我们`,
      intro: [`您的账户 ${d.loanReference} 仍处于逾期状态。请尽快偿还以下款项，或与我们联系，共同商量适合您的还款安排。`],
      sms: `您的账户${d.loanReference}仍有${f.money(d.pastDueMinor)}逾期未还，请通过 ${d.sender.paymentUrl} 还款或联系我们。异议：${d.sender.disputeUrl}。`,
    }),
    'final-demand': (d, f) => ({
      subject: `最后提醒：账户 ${d.loanReference} 的逾期款项`,
      intro: [
        `这是关于您账户 ${d.loanReference} 逾期款项的最后一次提醒。`,
        d.respondBy
          ? `请于 ${f.date(d.respondBy)} 前还款或与我们联系。如未能达成还款安排，该账户可能转交我们的法务团队审核。`
          : `请尽快还款或与我们联系。如未能达成还款安排，该账户可能转交我们的法务团队审核。`,
        `我们更希望与您商定还款计划；如您无法一次还清，请与我们联系。`,
      ],
      sms: `最后提醒：您的账户${d.loanReference}有${f.money(d.pastDueMinor)}逾期，请通过 ${d.sender.paymentUrl} 还款或联系我们商定还款计划。异议：${d.sender.disputeUrl}。`,
    }),
    'forbearance-offer': (d, f) => ({
      subject: `${d.sender.lenderName}可以协助您安排还款`,
      intro: [
        `如果您目前偿还账户 ${d.loanReference} 有困难，我们愿意提供帮助。`,
        `我们可以提供分期还款计划、阶段性降低还款金额或延长还款期限等方案。您也可以向公益性债务咨询机构寻求免费、独立的建议。`,
        `请告诉我们您能承担的金额，我们会与您一起商定方案。`,
      ],
      sms: `如您目前偿还账户${d.loanReference}的${f.money(d.pastDueMinor)}有困难，我们可以协助制定还款计划。详情：${d.sender.paymentUrl}，或联系我们。`,
    }),
    // 上门拜访告知（策略在电话阶段设置的上门步骤）；规则包的提前告知期自此起算。
    'visit-notice': (d, f) => ({
      subject: `关于账户 ${d.loanReference}，我们希望与您沟通`,
      intro: [
        `我们多次致电未能与您取得联系，您的账户 ${d.loanReference} 有${f.money(d.pastDueMinor)}逾期。`,
        `我们的工作人员近期可能在白天到您的住所拜访，与您商量解决办法。工作人员会出示证件，并且只与您本人沟通。`,
        `如您不希望我们上门，或希望另约时间，请与我们联系。如您先行还款或与我们联系，则无需上门。`,
      ],
      sms: `我们未能通过电话联系到您（账户${d.loanReference}）。工作人员近期可能在白天上门拜访。如需另约时间或不希望上门，请联系我们，或通过 ${d.sender.paymentUrl} 还款。`,
    }),
    'validation-notice': (d, f) => ({
      subject: `关于您在${d.sender.lenderName}的欠款信息`,
      intro: [`${d.sender.lenderName}正在就账户 ${d.loanReference} 的欠款与您联系。以下是欠款明细，以及您认为有误时可以采取的做法。`],
      after: [
        d.validationEndDate
          ? `您可以对全部或部分欠款提出异议。如您在 ${f.date(d.validationEndDate)} 前告知我们有异议，我们将暂停催收有异议的部分，直至向您提供欠款证明。`
          : `您可以对全部或部分欠款提出异议。如您告知我们有异议，我们将暂停催收有异议的部分，直至向您提供欠款证明。`,
        `您也可以要求我们提供原债权人的名称和地址（如与当前债权人不同）。`,
      ],
      sms: `${d.sender.lenderName}已向您发送账户${d.loanReference}的欠款信息及异议方式，详情：${d.sender.disputeUrl}。`,
    }),
  },
};
