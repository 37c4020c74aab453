// Wording no collection message, call script or visit script may contain, in every language Overdue
// writes (en, zh-CN): threats, shaming, telling third parties, public exposure and false legal claims.
// One list, with the rule behind each entry; the template and script tests check every shipped text
// against it, and the collector's call script shows each entry's `never` line as "what never to say".
// Pure data and one function: no I/O.
//
// Sources, cited per entry below:
// - US: FDCPA 15 U.S.C. 1692c(b) / 1692d / 1692e and CFPB Regulation F, 12 CFR 1006.6(d) (no
//   communication with third parties about the debt), 1006.14 (harassing, oppressive or abusive conduct:
//   violence or criminal means, obscene or profane language, publishing lists of consumers who allegedly
//   refuse to pay), 1006.18 (false, deceptive or misleading representations: that non-payment will
//   result in arrest or imprisonment, or seizure or garnishment, unless lawful and intended; threatening
//   action that cannot legally be taken or is not intended; implying the consumer committed a crime).
// - China: NIFA post-loan collection guideline (2024), GB/T 45251-2025 and the China Banking Association
//   consumer-loan collection guideline (2026), as summarised in ../shared/domain/collections.md (collect
//   only from the debtor; third parties never told of the debt); the CBRC Measures on the Supervision and
//   Administration of Credit Card Business of Commercial Banks (2011), which forbid collecting from
//   unrelated third parties and collection by violence, coercion, intimidation or insult; the Personal
//   Information Protection Law (2021), Arts. 5-10 (no use or disclosure of personal information, such as
//   a phone's contact list, beyond the purpose it was collected for); Criminal Law Art. 293-1 (2021,
//   collecting debts by violence, threats, stalking or harassment).
// - UK: FCA CONC 7.9.10R (do not act in a way likely to be publicly embarrassing; take reasonable steps
//   so third parties do not learn the customer is being pursued for a debt), CONC 7.11.1R (do not
//   misrepresent authority or the legal position), 7.11.6R (do not say action can or will be taken when
//   it legally cannot), 7.11.9R (do not say an action has been taken when it has not), CONC 7.3.1R/7.3.4R
//   (treat customers in arrears with forbearance and due consideration, no pressure).

export type WordingCategory = 'threat' | 'third_party' | 'exposure' | 'false_legal' | 'shaming';

export interface ForbiddenWording {
  /** Stable id, e.g. "wording.arrest". */
  id: string;
  category: WordingCategory;
  /** What the collector must never say, in each language (shown on the call script). */
  never: { en: string; 'zh-CN': string };
  /** Patterns that give the wording away, in English and Chinese. */
  patterns: RegExp[];
  /** The rules that forbid it. */
  sources: string[];
}

export const FORBIDDEN_WORDING: readonly ForbiddenWording[] = [
  {
    id: 'wording.arrest',
    category: 'threat',
    never: {
      en: 'Never say or hint that not paying leads to arrest, jail, prison or a criminal record.',
      'zh-CN': '不得声称或暗示不还款会被逮捕、拘留、坐牢或留下犯罪记录。',
    },
    patterns: [/\barrest/i, /\bjail/i, /\bprison/i, /\bimprison/i, /\bcriminal/i, /\bpolice\b/i, /\bwarrant\b/i, /逮捕/, /拘留/, /坐牢/, /判刑/, /刑事/, /报警/, /公安/, /警察/, /犯罪/],
    sources: ['FDCPA 1692e(4)', 'Reg F 12 CFR 1006.18', 'CONC 7.11.1R', 'CBRC credit card measures (2011)', 'PRC Criminal Law Art. 293-1'],
  },
  {
    id: 'wording.violence',
    category: 'threat',
    never: {
      en: 'Never threaten harm, never use abusive or obscene language, never say "or else".',
      'zh-CN': '不得以暴力或伤害相威胁，不得辱骂、使用不文明语言或说“后果自负”。',
    },
    patterns: [/\bor else\b/i, /\bhurt\b/i, /\bharm you\b/i, /\bwe know where you live\b/i, /后果自负/, /走着瞧/, /收拾你/, /上门堵/, /暴力/],
    sources: ['FDCPA 1692d(1)-(2)', 'Reg F 12 CFR 1006.14', 'CBRC credit card measures (2011)', 'PRC Criminal Law Art. 293-1'],
  },
  {
    id: 'wording.third-party',
    category: 'third_party',
    never: {
      en: 'Never tell, or threaten to tell, family, friends, an employer, colleagues or contacts about the debt.',
      'zh-CN': '不得告知或威胁告知借款人的家人、亲友、单位、同事或通讯录联系人其欠款情况。',
    },
    patterns: [
      /\bfamily\b/i, /\brelatives\b/i, /\bemployer\b/i, /\bcolleague/i, /\bneighbou?rs?\b/i, /\byour (boss|friends|contacts)\b/i,
      /家人/, /家属/, /亲友/, /亲戚/, /朋友/, /同事/, /领导/, /单位/, /通讯录/, /联系人/, /紧急联系人/,
    ],
    sources: ['FDCPA 1692c(b)', 'Reg F 12 CFR 1006.6(d)', 'CONC 7.9.10R', 'NIFA guideline (2024) / GB/T 45251-2025', 'PIPL (2021) Arts. 5-10'],
  },
  {
    id: 'wording.exposure',
    category: 'exposure',
    never: {
      en: 'Never threaten to publish, post or expose the debt (a list of debtors, social media, public notices).',
      'zh-CN': '不得威胁曝光欠款信息（公开名单、社交媒体、张贴公告、爆通讯录）。',
    },
    patterns: [/\bexpose\b/i, /\bexposure\b/i, /\bpublish/i, /\bsocial media\b/i, /\bblacklist/i, /\bname and shame\b/i, /曝光/, /公开/, /黑名单/, /爆通讯录/, /朋友圈/, /张贴/, /公示/],
    sources: ['Reg F 12 CFR 1006.14 (publishing lists of consumers)', 'FDCPA 1692d(3)', 'CONC 7.9.10R', 'PIPL (2021) Arts. 5-10'],
  },
  {
    id: 'wording.false-legal',
    category: 'false_legal',
    never: {
      en: 'Never claim a lawsuit, court order, bailiff or seizure that has not happened or is not lawful and intended.',
      'zh-CN': '不得虚称已起诉、已立案、法院传票、强制执行或查封，也不得冒充司法或政府人员。',
    },
    patterns: [
      /\bsue\b/i, /\bsued\b/i, /\blawsuit/i, /\bcourt order/i, /\bsummons\b/i, /\bbailiff/i, /\bseize/i, /\bseizure/i, /\bgarnish/i, /\bwage/i,
      /起诉/, /立案/, /传票/, /强制执行/, /查封/, /冻结/, /法院/, /律师函/,
    ],
    sources: ['FDCPA 1692e(4)-(5)', 'Reg F 12 CFR 1006.18', 'CONC 7.11.1R, 7.11.6R, 7.11.9R', 'CBRC credit card measures (2011)'],
  },
  {
    id: 'wording.shaming',
    category: 'shaming',
    never: {
      en: 'Never shame, insult or pressure: no "deadbeat", "liar", "last chance", "immediately or".',
      'zh-CN': '不得羞辱、贬低或施压：不说“老赖”“骗子”“最后机会”“立即还款否则”。',
    },
    patterns: [/\bshame/i, /\bdeadbeat/i, /\bliar\b/i, /\bthief\b/i, /\blast chance\b/i, /\bimmediately or\b/i, /!!/, /老赖/, /骗子/, /无耻/, /丢人/, /最后机会/, /否则/],
    sources: ['Reg F 12 CFR 1006.14', 'CONC 7.3.1R, 7.3.4R', 'CBRC credit card measures (2011)'],
  },
];

export interface WordingFinding {
  id: string;
  category: WordingCategory;
  match: string;
  sources: string[];
}

/** Every forbidden wording found in `text` (empty when the text is fine). */
export function findForbiddenWording(text: string): WordingFinding[] {
  const found: WordingFinding[] = [];
  for (const entry of FORBIDDEN_WORDING) {
    for (const pattern of entry.patterns) {
      const m = pattern.exec(text);
      if (m) found.push({ id: entry.id, category: entry.category, match: m[0], sources: entry.sources });
    }
  }
  return found;
}

/** The "never say" lines for a language (zh* gets Chinese, anything else English). */
export function neverSay(locale: string): string[] {
  const zh = locale.toLowerCase().startsWith('zh');
  return FORBIDDEN_WORDING.map((w) => (zh ? w.never['zh-CN'] : w.never.en));
}
