import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Every link of the README and of docs/ resolves inside the repository: the file (or folder) it
 * names exists, and a `#fragment` into a Markdown page names one of its headings, as GitHub slugs
 * them. Links to the web are left alone (they cannot be checked offline).
 */
const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** `[text](target)` and `![alt](target)`, outside fenced code blocks; the target up to a space or `)`. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1] ?? '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2. */
function anchorsOf(markdown: string): Set<string> {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading = ''] of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

function brokenLinks(page: string): string[] {
  const path = join(ROOT, page);
  const markdown = readFileSync(path, 'utf8');
  const broken: string[] = [];
  for (const link of linksOf(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:, ...
    const [target = '', fragment] = link.split('#', 2);
    const file = target === '' ? path : resolve(dirname(path), decodeURIComponent(target));
    if (relative(ROOT, file).startsWith('..')) {
      broken.push(`${link} (outside the repository)`);
      continue;
    }
    if (!existsSync(file)) {
      broken.push(`${link} (no such file)`);
      continue;
    }
    if (fragment !== undefined && file.endsWith('.md') && statSync(file).isFile()) {
      if (!anchorsOf(readFileSync(file, 'utf8')).has(fragment)) broken.push(`${link} (no heading #${fragment})`);
    }
  }
  return broken;
}

describe('links in the README and docs/', () => {
  test('the pages are found', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md']));
  });

  test.each(PAGES)('%s: every link resolves inside the repository', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  // An unclosed fence would hide the rest of the page's links (and break its rendering).
  test.each(PAGES)('%s: every code fence is closed', (page) => {
    const fences = readFileSync(join(ROOT, page), 'utf8').match(/^```/gm) ?? [];
    expect(fences.length % 2).toBe(0);
  });

  test('the checker itself finds a missing file, a missing heading and a link out of the repository', () => {
    const markdown = '# A heading\n[x](#a-heading) [y](#nope) [z](no-such.md) [w](../../../etc/passwd)';
    expect(linksOf(markdown)).toEqual(['#a-heading', '#nope', 'no-such.md', '../../../etc/passwd']);
    expect([...anchorsOf("## What to enter in Unico's webhook form\n## Tests\n## Tests")]).toEqual([
      'what-to-enter-in-unicos-webhook-form',
      'tests',
      'tests-1',
    ]);
  });
});
