import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  durationText,
  environmentLine,
  execLine,
  execWord,
} from '../../src/export/systemd-syntax.js';

test('a plain word stays bare; anything else is double-quoted with C escapes', () => {
  assert.equal(execWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(execWord('--port=3000'), '--port=3000');
  assert.equal(execWord('two words'), '"two words"');
  assert.equal(execWord('say "hi"'), '"say \\"hi\\""');
  assert.equal(execWord('a\\b'), '"a\\\\b"');
  assert.equal(execWord('line\nnext\ttab'), '"line\\nnext\\ttab"');
  assert.equal(execWord('bell\u0007'), '"bell\\x07"');
  assert.equal(execWord(''), '""');
});

test('$ and % are doubled on a command line, where systemd expands variables and specifiers', () => {
  assert.equal(execWord('$HOME'), '"$$HOME"');
  assert.equal(execWord('100%'), '100%%');
  assert.equal(execWord('$A %i'), '"$$A %%i"');
});

test('a lone ; is escaped so that it does not split the command in two', () => {
  assert.equal(execLine(['/bin/echo', ';', 'x;y']), '/bin/echo \\; "x;y"');
});

test('Environment= quotes the whole assignment; $ stays (no expansion there), % is doubled', () => {
  assert.equal(environmentLine('A', 'b c'), 'Environment="A=b c"');
  assert.equal(
    environmentLine('MSG', 'say "hi" to $USER at 100%\n'),
    'Environment="MSG=say \\"hi\\" to $USER at 100%%\\n"',
  );
});

test('durations are whole seconds when they can be, else milliseconds', () => {
  assert.equal(durationText(5000), '5s');
  assert.equal(durationText(1500), '1500ms');
  assert.equal(durationText(0), '0s');
});
