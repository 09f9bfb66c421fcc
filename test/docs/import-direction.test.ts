import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** The relative module specifiers a TypeScript file imports or re-exports. */
function relativeImports(source: string): string[] {
  const found = source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/g);
  return [...found].map((match) => match[1] ?? '');
}

// Regression: docs/architecture.md said imports flow "→ process" while process/ imported supervisor/.
test('src/process imports only process/, config/ and errors.ts, as docs/architecture.md says', () => {
  const folder = join(SRC, 'process');
  const wrong: string[] = [];
  for (const file of readdirSync(folder, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const path = join(folder, file);
    for (const specifier of relativeImports(readFileSync(path, 'utf8'))) {
      const target = relative(SRC, join(dirname(path), specifier));
      const isAllowed =
        target.startsWith('process/') || target.startsWith('config/') || target === 'errors.js';
      if (!isAllowed) wrong.push(`src/process/${file} imports ${specifier}`);
    }
  }
  assert.deepEqual(wrong, []);
});
