/**
 * Run by `npm run mutation` after Stryker: prints each mutated module's score from
 * reports/mutation/mutation.json and exits 1 when one is under 90%. Stryker's own `break`
 * threshold only looks at the score of all files together, where a weak module hides behind
 * strong ones.
 */
import { readFileSync } from 'node:fs';

export const MINIMUM_SCORE = 90;
const REPORT = new URL('../reports/mutation/mutation.json', import.meta.url);

/** Detected: a test failed (Killed) or the run hung (Timeout). Not counted: mutants that did not compile or run. */
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export interface ModuleScore {
  readonly file: string;
  readonly detected: number;
  readonly valid: number;
  /** Stryker's mutation score: detected ÷ (detected + undetected), in percent. */
  readonly score: number;
}

interface MutationReport {
  readonly files: Record<string, { readonly mutants: ReadonlyArray<{ readonly status: string }> }>;
}

export function moduleScores(report: MutationReport): ModuleScore[] {
  return Object.entries(report.files)
    .map(([file, { mutants }]) => {
      const detected = mutants.filter((mutant) => DETECTED.has(mutant.status)).length;
      const valid = detected + mutants.filter((mutant) => UNDETECTED.has(mutant.status)).length;
      // A module with no valid mutant has nothing left undetected.
      return { file, detected, valid, score: valid === 0 ? 100 : (100 * detected) / valid };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

if (import.meta.main) {
  const scores = moduleScores(JSON.parse(readFileSync(REPORT, 'utf8')) as MutationReport);
  const width = Math.max(...scores.map((score) => score.file.length));
  for (const { file, detected, valid, score } of scores) {
    const verdict = score >= MINIMUM_SCORE ? 'ok' : `UNDER ${MINIMUM_SCORE}%`;
    console.log(`${file.padEnd(width)}  ${score.toFixed(2).padStart(6)}%  ${detected}/${valid}  ${verdict}`);
  }
  const under = scores.filter((score) => score.score < MINIMUM_SCORE);
  if (scores.length === 0 || under.length > 0) {
    console.error(
      scores.length === 0
        ? 'mutation report lists no module'
        : `${under.length} module(s) under ${MINIMUM_SCORE}%: ${under.map((score) => score.file).join(', ')}`,
    );
    process.exitCode = 1;
  }
}
