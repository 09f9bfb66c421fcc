import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitCommandLine } from '../../src/config/split-command-line.js';

test('words split on whitespace; quotes and backslashes work as in sh', () => {
  assert.deepEqual(splitCommandLine('  ls   --json '), ['ls', '--json']);
  assert.deepEqual(splitCommandLine(`start --name web -- sh -c 'echo "hi there"; exit 3'`), [
    'start',
    '--name',
    'web',
    '--',
    'sh',
    '-c',
    'echo "hi there"; exit 3',
  ]);
  assert.deepEqual(splitCommandLine('a "b \\"c\\" \\\\ \\n" d\\ e'), ['a', 'b "c" \\ \\n', 'd e']);
  assert.deepEqual(splitCommandLine(`x '' ""`), ['x', '', '']);
  assert.deepEqual(splitCommandLine('a"b"\'c\''), ['abc']);
  assert.deepEqual(splitCommandLine(''), []);
});

test('an unclosed quote is a usage error', () => {
  assert.throws(() => splitCommandLine(`start 'oops`), {
    code: 'TEND_ERR_USAGE',
    message: /closing '/,
  });
  assert.throws(() => splitCommandLine('start "oops'), {
    code: 'TEND_ERR_USAGE',
    message: /closing "/,
  });
});
