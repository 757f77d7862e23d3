import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { editDistance } from '../../../lambdas/contracts/edit-distance.ts';

/** The definition, written as plainly as it reads: slow, and the reference the fast one must match. */
function byDefinition(a: string, b: string): number {
  if (a === '') return b.length;
  if (b === '') return a.length;
  const cost = a.at(-1) === b.at(-1) ? 0 : 1;
  const candidates = [
    byDefinition(a.slice(0, -1), b) + 1,
    byDefinition(a, b.slice(0, -1)) + 1,
    byDefinition(a.slice(0, -1), b.slice(0, -1)) + cost,
  ];
  if (a.length > 1 && b.length > 1 && a.at(-1) === b.at(-2) && a.at(-2) === b.at(-1)) {
    candidates.push(byDefinition(a.slice(0, -2), b.slice(0, -2)) + 1);
  }
  return Math.min(...candidates);
}

describe('editDistance', () => {
  test.each([
    ['', '', 0],
    ['stage', '', 5],
    ['', 'auth', 4],
    ['stage', 'stage', 0],
    ['apiKeyHeadr', 'apiKeyHeader', 1],
    ['concurency', 'concurrency', 1],
    ['chek', 'check', 1],
    ['endpiont', 'endpoint', 1],
    ['kitten', 'sitting', 3],
    // Optimal string alignment edits no letter twice: "ca" to "abc" is 3, not Damerau's 2.
    ['ca', 'abc', 3],
  ])('from %j to %j is %d', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });

  test('agrees with the definition on any short strings', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 6 });
    fc.assert(fc.property(word, word, (a, b) => editDistance(a, b) === byDefinition(a, b)));
  });
});
