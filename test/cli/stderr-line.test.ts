import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stderrLine, warningLine } from '../../src/cli/output/stderr-line.js';

const CLI_SRC = fileURLToPath(new URL('../../../src/cli/', import.meta.url));

test('errors, notes and warnings share one prefix', () => {
  assert.equal(stderrLine('No program named `web`'), 'tend: No program named `web`\n');
  assert.equal(
    warningLine('app api: `watch` is ignored'),
    'tend: warning: app api: `watch` is ignored\n',
  );
});

test('every write of the CLI to standard error goes through the one printer', () => {
  // What may follow `stderr.write(`: the two printers, the slow-start note (built with stderrLine),
  // and in main.ts the --json error body and TEND_DEBUG's stack.
  const allowed =
    /^\s*(stderrLine\(|warningLine\(|formatSlowStart\(|isJson \? `\$\{JSON\.stringify|`\$\{cause\.stack\}\\n`)/;
  const wrong: string[] = [];
  for (const entry of readdirSync(CLI_SRC, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.ts')) continue;
    const text = readFileSync(join(CLI_SRC, entry), 'utf8');
    for (const match of text.matchAll(/stderr\.write\(([\s\S]{0,80})/g)) {
      if (!allowed.test(match[1] ?? '')) wrong.push(`${entry}: ${match[0].split('\n').join(' ')}`);
    }
  }
  assert.deepEqual(wrong, []);
});
