// "Did you mean …?" for the command line: the nearest known word to a typo, by edit distance.

/**
 * Edits (insert, delete, substitute, or swap two neighbours) that turn `a` into `b`: the optimal string
 * alignment distance, so the common typo "stauts" is one edit from "status", not two.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known word the user most likely meant, or undefined when none is close: within a third of the
 * word's length in edits (at least one), or the only word it is a prefix of ("rep" → "report").
 */
export function suggest(typed: string, known: readonly string[]): string | undefined {
  const word = typed.toLowerCase();
  const prefixed = known.filter((k) => word.length >= 2 && k.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { word: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(word, candidate);
    if (distance <= limit && (!best || distance < best.distance)) best = { word: candidate, distance };
  }
  return best?.word;
}

/** "; did you mean "status"?" or "" — appended to an unknown-word message. */
export const didYouMean = (typed: string, known: readonly string[], show = (w: string) => JSON.stringify(w)): string => {
  const hit = suggest(typed, known);
  return hit ? `; did you mean ${show(hit)}?` : '';
};
