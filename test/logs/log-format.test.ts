import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatStoredBlock,
  formatStoredLines,
  parseStoredLine,
  StoredBlockFormatter,
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

/** The stored form by its definition, one line at a time: what formatStoredBlock must produce. */
function storedByDefinition(block: Buffer, time: number): Buffer {
  const prefix = Buffer.from(`${new Date(time).toISOString()} `, 'latin1');
  const parts: Buffer[] = [];
  for (let start = 0; start < block.length; ) {
    const newline = block.indexOf(0x0a, start);
    const end = newline === -1 ? block.length : newline + 1;
    parts.push(prefix, block.subarray(start, end));
    start = end;
  }
  return Buffer.concat(parts);
}

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 2 ** 32;
  };
}

test('blocks of lines of every length, short and long, are stored as line-by-line prefixing stores them', () => {
  const random = randomFrom(9);
  const formatter = new StoredBlockFormatter();
  const times = [TIME, TIME + 1, TIME, 0, Date.parse('2099-12-31T23:59:59.999Z')];
  for (let round = 0; round < 200; round++) {
    const lines: Buffer[] = [];
    const lineCount = 1 + Math.floor(random() * 40);
    for (let index = 0; index < lineCount; index++) {
      // Mostly short lines, some around the byte-by-byte limit, a few long ones.
      const kind = random();
      const length = Math.floor(
        kind < 0.6 ? random() * 20 : kind < 0.9 ? 55 + random() * 20 : random() * 5000,
      );
      const line = Buffer.alloc(length);
      for (let at = 0; at < length; at++) {
        const byte = Math.floor(random() * 255);
        line[at] = byte >= 0x0a ? byte + 1 : byte;
      }
      lines.push(line, Buffer.of(0x0a));
    }
    const block = Buffer.concat(lines);
    const time = times[round % times.length] as number;
    const expected = storedByDefinition(block, time);
    assert.deepEqual(formatStoredBlock(block, time), expected, `round ${round}`);
    assert.deepEqual(formatter.format(block, time), expected, `round ${round}, reused memory`);
  }
});

test('a block cut inside its last line stores that line with its prefix and no newline added', () => {
  const block = Buffer.from('one\ntwo');
  assert.deepEqual(formatStoredBlock(block, TIME), storedByDefinition(block, TIME));
  assert.deepEqual(formatStoredBlock(Buffer.alloc(0), TIME), Buffer.alloc(0));
});

test('reused memory holds a block of nothing but empty lines, and a block after a larger one is cut to its own size', () => {
  const formatter = new StoredBlockFormatter();
  const empties = Buffer.alloc(4096, 0x0a);
  assert.deepEqual(formatter.format(empties, TIME), storedByDefinition(empties, TIME));
  const small = Buffer.from('a\n');
  assert.deepEqual(formatter.format(small, TIME + 1), storedByDefinition(small, TIME + 1));
  const bigger = Buffer.alloc(8192, 0x0a);
  assert.deepEqual(formatter.format(bigger, TIME), storedByDefinition(bigger, TIME));
});
