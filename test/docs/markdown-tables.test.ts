import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How many cells a table row has: a `|` that is not escaped (`\|`) separates them, even inside a code span, as in GitHub's renderer. */
function cellCount(row: string): number {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).length;
}

// Regression: README's "Coming from another tool" table had `pm2 stop|restart|delete api` in a code span, which split the row.
test('every row of every table in README.md and docs/*.md has as many cells as its header', () => {
  const files = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((file) => file.endsWith('.md'))
      .map((file) => `docs/${file}`),
  ];
  const wrong: string[] = [];
  let tables = 0;
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8').replace(
      /^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm,
      (block) => block.replace(/[^\n]/g, ''),
    );
    const lines = text.split('\n');
    for (let index = 1; index < lines.length; index++) {
      const delimiter = lines[index] ?? '';
      if (!/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(delimiter)) continue;
      tables++;
      const columns = cellCount(lines[index - 1] ?? '');
      for (let row = index + 1; (lines[row] ?? '').trim().startsWith('|'); row++) {
        const cells = cellCount(lines[row] ?? '');
        if (cells !== columns)
          wrong.push(`${file}:${row + 1}: ${cells} cells, header has ${columns}`);
      }
    }
  }
  assert.ok(tables > 5, `the tables were found (${tables})`);
  assert.deepEqual(wrong, []);
});
