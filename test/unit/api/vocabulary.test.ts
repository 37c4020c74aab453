// One vocabulary (ARCHITECTURE.md "Words"): every enum the published API accepts or answers is one of
// domain/vocabulary.ts's lists, word for word and in order, so the API cannot drift from the words the
// schema, the workflow and the reports use.
import { describe, expect, it } from 'vitest';
import { ERROR_TYPES } from '../../../api/errors';
import { buildOpenApi } from '../../../api/openapi';
import { routes } from '../../../api/server';
import * as vocabulary from '../../../domain/vocabulary';

const lists = Object.entries(vocabulary as Record<string, unknown>).filter((entry): entry is [string, readonly string[]] => Array.isArray(entry[1]));
// The two enums that are not domain words: error types (api/errors.ts) and the workflow's brief 'opening'.
const known = [...lists.map(([, list]) => [...list]), [...ERROR_TYPES], ['opening', ...vocabulary.CASE_STAGES]];

function enumsIn(node: unknown, found: string[][] = []): string[][] {
  if (Array.isArray(node)) node.forEach((child) => enumsIn(child, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'enum' && Array.isArray(value)) found.push(value as string[]);
      else enumsIn(value, found);
    }
  }
  return found;
}

describe('the API vocabulary', () => {
  const enums = enumsIn(buildOpenApi(routes));

  it('publishes enums at all (so the checks below have something to check)', () => {
    expect(enums.length).toBeGreaterThan(5);
  });

  it('spells every enum exactly as a list in domain/vocabulary.ts', () => {
    const strays = enums.filter((e) => !known.some((list) => JSON.stringify(list) === JSON.stringify(e)));
    expect(strays).toEqual([]);
  });

  it('publishes the channels, the case stages and the recordable call outcomes from the vocabulary', () => {
    for (const list of [vocabulary.CHANNELS, vocabulary.CASE_STAGES, vocabulary.RECORDED_CALL_OUTCOMES, vocabulary.DISPUTE_OUTCOMES]) {
      expect(enums).toContainEqual([...list]);
    }
  });
});
