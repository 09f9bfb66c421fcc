import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter, MAX_LINE_BYTES } from '../../src/logs/line-splitter.js';

function texts(lines: Buffer[]): string[] {
  return lines.map((line) => line.toString('utf8'));
}

test('complete lines come out at once; the partial tail waits for the next chunk', () => {
  const splitter = new LineSplitter();
  assert.deepEqual(texts(splitter.push(Buffer.from('one\ntwo\nthr'))), ['one', 'two']);
  assert.equal(splitter.pendingBytes, 3);
  assert.deepEqual(texts(splitter.push(Buffer.from('ee\n'))), ['three']);
  assert.equal(splitter.pendingBytes, 0);
});

test('empty lines are kept, and a carriage return stays part of its line', () => {
  const splitter = new LineSplitter();
  assert.deepEqual(texts(splitter.push(Buffer.from('\n\na\r\n\n'))), ['', '', 'a\r', '']);
});

test('a chunk without a newline produces nothing until one arrives', () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(Buffer.from('abc')), []);
  assert.deepEqual(splitter.push(Buffer.from('def')), []);
  assert.deepEqual(texts(splitter.push(Buffer.from('\n'))), ['abcdef']);
});

test('a partial line is flushed as a line at the end, and only once', () => {
  const splitter = new LineSplitter();
  splitter.push(Buffer.from('done\nno newline'));
  assert.deepEqual(texts(splitter.end()), ['no newline']);
  assert.deepEqual(splitter.end(), []);
});

test('end with nothing pending flushes nothing (no spurious empty line)', () => {
  const splitter = new LineSplitter();
  splitter.push(Buffer.from('a\n'));
  assert.deepEqual(splitter.end(), []);
});

test('a multibyte character split across chunks decodes whole', () => {
  const bytes = Buffer.from('prix: 5 €, naïve 😀\n');
  for (let cut = 1; cut < bytes.length; cut++) {
    const splitter = new LineSplitter();
    const lines = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))];
    assert.deepEqual(texts(lines), ['prix: 5 €, naïve 😀'], `cut at byte ${cut}`);
  }
});

test('one byte at a time still yields the same lines', () => {
  const input = Buffer.from('α\nβγ\n\nδ');
  const splitter = new LineSplitter();
  const lines: Buffer[] = [];
  for (const byte of input) lines.push(...splitter.push(Buffer.from([byte])));
  lines.push(...splitter.end());
  assert.deepEqual(texts(lines), ['α', 'βγ', '', 'δ']);
});

test('a line of exactly the cap stays one line', () => {
  const line = 'x'.repeat(MAX_LINE_BYTES);
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(Buffer.from(line)), []);
  assert.deepEqual(texts(splitter.push(Buffer.from('\n'))), [line]);
});

test('a line longer than the cap is split into capped pieces, nothing dropped', () => {
  const line = 'y'.repeat(MAX_LINE_BYTES * 2 + 10);
  const splitter = new LineSplitter();
  const lines = splitter.push(Buffer.from(`${line}\nnext\n`));
  assert.deepEqual(
    lines.map((piece) => piece.length),
    [MAX_LINE_BYTES, MAX_LINE_BYTES, 10, 4],
  );
  assert.equal(texts(lines.slice(0, 3)).join(''), line);
});

test('a long line without newline is split as it streams in, so the held tail stays under the cap', () => {
  const splitter = new LineSplitter(16);
  const pieces: Buffer[] = [];
  for (let i = 0; i < 10; i++) {
    pieces.push(...splitter.push(Buffer.from('abcdefghij')));
    assert.ok(splitter.pendingBytes <= 16);
  }
  pieces.push(...splitter.end());
  assert.equal(texts(pieces).join(''), 'abcdefghij'.repeat(10));
  assert.ok(pieces.every((piece) => piece.length <= 16));
});

test('the cap never cuts a multibyte character', () => {
  // 5 bytes of ASCII then 3-byte characters: the cap of 16 falls inside a character.
  const line = `abcde${'€'.repeat(10)}`;
  const splitter = new LineSplitter(16);
  const pieces = [...splitter.push(Buffer.from(`${line}\n`))];
  const decoded = texts(pieces);
  assert.ok(
    decoded.every((piece) => !piece.includes('\uFFFD')),
    'no replacement character',
  );
  assert.equal(decoded.join(''), line);
  assert.ok(pieces.every((piece) => piece.length <= 16));
});

test('bytes that are not UTF-8 are kept as they are', () => {
  const splitter = new LineSplitter(8);
  const garbage = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x0a]);
  const pieces = splitter.push(garbage);
  assert.deepEqual(Buffer.concat(pieces), garbage.subarray(0, 10));
});

test('a cap under 4 bytes is refused (a UTF-8 character must fit)', () => {
  assert.throws(() => new LineSplitter(3), RangeError);
});

/** The lines of a block as pushBlock gives them (each followed by '\n'). */
function blockTexts(block: Buffer | undefined): string[] {
  if (block === undefined) return [];
  assert.equal(block.at(-1), 0x0a, 'a block ends with a newline');
  return block.toString('utf8').slice(0, -1).split('\n');
}

test('pushBlock gives the same lines as push, long lines cut at the cap included, with the same partial tail', () => {
  const cap = 16;
  const chunks = [
    'one\ntwo\nthr',
    'ee\n',
    'no newline yet',
    ' and more than the cap\nshort\n',
    `${'x'.repeat(40)}\ntail`,
    '\n\n',
    'é'.repeat(10),
    '\n',
  ].map((text) => Buffer.from(text));
  const byLine = new LineSplitter(cap);
  const byBlock = new LineSplitter(cap);
  for (const chunk of chunks) {
    assert.deepEqual(blockTexts(byBlock.pushBlock(chunk)), texts(byLine.push(chunk)));
    assert.equal(byBlock.pendingBytes, byLine.pendingBytes);
  }
  byLine.push(Buffer.from('end'));
  byBlock.pushBlock(Buffer.from('end'));
  assert.deepEqual(blockTexts(byBlock.endBlock()), texts(byLine.end()));
  assert.equal(byBlock.endBlock(), undefined);
});

test('pushBlock of a flood of short lines keeps every line, whatever the chunk boundaries', () => {
  const text = Array.from({ length: 5000 }, (_, index) => String(index)).join('\n');
  const bytes = Buffer.from(`${text}\n`);
  const splitter = new LineSplitter();
  const seen: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 4093) {
    seen.push(...blockTexts(splitter.pushBlock(bytes.subarray(offset, offset + 4093))));
  }
  seen.push(...blockTexts(splitter.endBlock()));
  assert.deepEqual(seen, text.split('\n'));
});
