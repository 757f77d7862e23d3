/**
 * The layout's dependency rules, checked on the imports of every source file:
 * - nothing in lambdas/ imports lib/ (CDK) or tools/ (dev tools): a function bundle carries
 *   neither;
 * - lambdas/core/ (the domain) imports no AWS SDK or Powertools package: it works on ports;
 * - lambdas/contracts/ imports nothing of lambdas/ but other contracts: the CDK and the tools
 *   read it without pulling in a function;
 * - lib/ (CDK only) imports no dev tool.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** Every module a file imports: packages as written, relative paths resolved from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (match) => match[1] ?? match[2] ?? '',
  );
  return specifiers.map((specifier) =>
    specifier.startsWith('.') ? relative(ROOT, resolve(ROOT, file, '..', specifier)) : specifier,
  );
}

function violations(folder: string, forbidden: (imported: string) => boolean): string[] {
  return sourceFiles(folder).flatMap((file) =>
    importsOf(file)
      .filter(forbidden)
      .map((imported) => `${file} imports ${imported}`),
  );
}

describe('layout', () => {
  test('the reader finds imports (the rules below would pass on nothing otherwise)', () => {
    expect(importsOf('lambdas/adapters/intake-acceptor.ts')).toContain('lambdas/core/acceptance/accept-notification.ts');
    expect(importsOf('lambdas/adapters/sqs/sqs-intake-queue.ts')).toContain('@aws-sdk/client-sqs');
  });

  test('nothing in lambdas/ imports lib/ or tools/', () => {
    expect(violations('lambdas', (imported) => /^(lib|tools)\//.test(imported))).toEqual([]);
  });

  test('the domain (lambdas/core) imports no AWS SDK or Powertools package', () => {
    expect(violations('lambdas/core', (imported) => /^@aws-sdk\/|^@aws-lambda-powertools\/|^aws-lambda$/.test(imported))).toEqual(
      [],
    );
  });

  test('contracts import only other contracts (and packages), never a function or an adapter', () => {
    expect(violations('lambdas/contracts', (imported) => imported.startsWith('lambdas/') && !imported.startsWith('lambdas/contracts/'))).toEqual([]);
  });

  test('lib/ (CDK) imports no dev tool', () => {
    expect(violations('lib', (imported) => imported.startsWith('tools/'))).toEqual([]);
  });
});
