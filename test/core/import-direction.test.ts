import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Every folder of src/ that a file imports from (relative imports only), by file. */
function importedFolders(folder: string): Array<{ file: string; target: string }> {
  const found: Array<{ file: string; target: string }> = [];
  for (const entry of readdirSync(join(SRC, folder), { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.ts')) continue;
    const file = join(SRC, folder, entry);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = relative(SRC, resolve(join(file, '..'), match[1] ?? ''));
      found.push({ file: relative(SRC, file), target: target.split('/')[0] ?? '' });
    }
  }
  return found;
}

test('the core imports nothing from the API or the daemon', () => {
  const wrong = importedFolders('core').filter(
    ({ target }) => target === 'api' || target === 'daemon',
  );
  assert.deepEqual(wrong, []);
});

test('the API imports nothing from the daemon (the daemon wires the API, not the other way round)', () => {
  const wrong = importedFolders('api').filter(({ target }) => target === 'daemon');
  assert.deepEqual(wrong, []);
});
