/**
 * "Did you mean": the known name a mistyped one was most likely meant to be, found by edit
 * distance (a letter or two added, dropped, swapped or changed) or by case.
 */
import { editDistance } from '../../lambdas/contracts/edit-distance.ts';

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
