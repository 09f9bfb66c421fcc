import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_TABLE } from '../../src/errors.js';

test('docs/errors.md lists every error code with its HTTP status and exit code', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, { status, exitCode }] of Object.entries(ERROR_TABLE)) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` `));
    assert.ok(row, `${code} has a row in docs/errors.md`);
    const cells = row.split('|').map((cell) => cell.trim());
    assert.equal(cells[2], String(status), `${code} status`);
    assert.equal(cells[3], String(exitCode), `${code} exit code`);
  }
});
