import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatStoredBlock,
  formatStoredLines,
  parseStoredLine,
  TIMESTAMP_WIDTH,
} from '../../src/logs/log-format.js';

const TIME = Date.parse('2026-11-22T13:27:44.123Z');

test('stored lines are the read time, a space, the line and a newline', () => {
  const stored = formatStoredLines([Buffer.from('hello'), Buffer.from(''), Buffer.from('é')], TIME);
  assert.equal(
    stored.toString('utf8'),
    '2026-11-22T13:27:44.123Z hello\n2026-11-22T13:27:44.123Z \n2026-11-22T13:27:44.123Z é\n',
  );
});

test('the time prefix has a fixed width, whatever the milliseconds', () => {
  for (const time of [0, TIME, Date.parse('2026-01-01T00:00:00.000Z')]) {
    const stored = formatStoredLines([Buffer.from('x')], time).toString();
    assert.equal(stored.indexOf(' '), TIMESTAMP_WIDTH);
  }
});

test('a stored line parses back into its time and text', () => {
  const [stored] = formatStoredLines([Buffer.from('a b  c')], TIME)
    .toString()
    .split('\n');
  assert.deepEqual(parseStoredLine(stored ?? ''), { time: TIME, line: 'a b  c' });
});

test('a line without a valid prefix parses to a NaN time and the whole text', () => {
  const parsed = parseStoredLine('not a timestamp at all, just text');
  assert.ok(Number.isNaN(parsed.time));
  assert.equal(parsed.line, 'not a timestamp at all, just text');
});

test('a block of lines is stored byte for byte, bytes that are not UTF-8 included', () => {
  const stored = formatStoredBlock(Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x0a, 0x0a]), TIME);
  const prefix = Buffer.from('2026-11-22T13:27:44.123Z ');
  assert.deepEqual(
    stored,
    Buffer.concat([
      prefix,
      Buffer.from([0x61, 0x0a]),
      prefix,
      Buffer.from([0xff, 0xfe, 0x0a]),
      prefix,
      Buffer.from([0x0a]),
    ]),
  );
});
