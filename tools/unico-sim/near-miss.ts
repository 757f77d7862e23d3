/**
 * "Did you mean": the known name a mistyped one was most likely meant to be, found by edit
 * distance (a letter or two added, dropped, swapped or changed) or by case.
 */

/** The closest of `known` to `given`, or undefined when none is close. */
export function nearMiss(given: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    if (name.toLowerCase() === given.toLowerCase()) return name;
    const distance = editDistance(given.toLowerCase(), name.toLowerCase());
    if (distance <= allowedDistance(name) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Short names tolerate one edit, longer ones two. */
function allowedDistance(name: string): number {
  return name.length <= 5 ? 1 : 2;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1);
      const row = rows[i];
      if (row !== undefined) row[j] = distance;
    }
  }
  return at(a.length, b.length);
}
