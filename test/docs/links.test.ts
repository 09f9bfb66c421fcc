import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** README.md and every docs/*.md, as absolute paths. */
function markdownFiles(): string[] {
  const docs = join(ROOT, 'docs');
  return [
    join(ROOT, 'README.md'),
    ...readdirSync(docs)
      .filter((file) => file.endsWith('.md'))
      .map((file) => join(docs, file)),
  ];
}

/** The text outside fenced code blocks and code spans, where a link is a link. */
function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Targets of inline links `[text](target "title")` and reference definitions `[id]: target`. */
function linkTargets(markdown: string): string[] {
  const prose = proseOf(markdown);
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)];
  const references = [...prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)];
  return [...inline, ...references].map((match) => match[1] ?? '');
}

/** The anchors GitHub gives the headings of a markdown file (github-slugger's rules). */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = (heading ?? '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*]/g, '')
      .replace(/<[^>]+>/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

test('every relative link in README.md and docs/*.md points to a file that exists, and to a heading in it', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    const source = relative(ROOT, file);
    for (const target of linkTargets(readFileSync(file, 'utf8'))) {
      if (isExternal(target)) continue;
      checked++;
      const [pathPart = '', anchor] = target.split('#');
      const path = pathPart === '' ? file : join(dirname(file), decodeURI(pathPart));
      if (!existsSync(path)) {
        broken.push(`${source}: ${target} (no such file)`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (!path.endsWith('.md') || statSync(path).isDirectory()) {
        broken.push(`${source}: ${target} (an anchor into a file that is not markdown)`);
      } else if (!headingAnchors(readFileSync(path, 'utf8')).has(decodeURIComponent(anchor))) {
        broken.push(`${source}: ${target} (no heading with that anchor)`);
      }
    }
  }
  assert.ok(checked > 10, `the links were found (${checked})`);
  assert.deepEqual(broken, []);
});

test('heading anchors follow GitHub: lower case, punctuation dropped, spaces as dashes, repeats numbered', () => {
  assert.deepEqual(
    [
      ...headingAnchors(
        '# `tend logs`\n## Pools and the proxy\n### `POST /v1/programs/:name/scale`\n## Pools and the proxy\n```\n# not a heading\n```\n',
      ),
    ],
    ['tend-logs', 'pools-and-the-proxy', 'post-v1programsnamescale', 'pools-and-the-proxy-1'],
  );
});
