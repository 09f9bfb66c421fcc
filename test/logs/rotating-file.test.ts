import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { rotatedPath } from '../../src/logs/log-paths.js';
import { LogWriteError, RotatingFile } from '../../src/logs/rotating-file.js';
import { makeTempHome } from '../helpers/temp-home.js';

function linesOf(from: number, to: number): Buffer {
  let text = '';
  for (let i = from; i < to; i++) text += `line ${i}\n`;
  return Buffer.from(text);
}

/** Every generation that exists, oldest first. */
function generations(path: string): string[] {
  const paths: string[] = [];
  for (let generation = 0; existsSync(rotatedPath(path, generation)); generation++) {
    paths.unshift(rotatedPath(path, generation));
  }
  return paths;
}

function failOnRotateError(error: Error): never {
  throw error;
}

test('rotation keeps each file under maxBytes, and all files together hold every line once, in order', (t) => {
  const path = join(makeTempHome(t), 'logs', 'app', '0.out.log');
  const file = new RotatingFile(path, { maxBytes: 200, maxFiles: 1000 }, failOnRotateError);
  t.after(() => file.close());
  // Chunks of varying size, some larger than a whole file.
  let next = 0;
  for (const size of [1, 3, 30, 2, 7, 50, 1, 1, 13, 40]) {
    file.write(linesOf(next, next + size));
    next += size;
  }
  const paths = generations(path);
  assert.ok(paths.length > 5, `expected several files, got ${paths.length}`);
  for (const p of paths) assert.ok(statSync(p).size <= 200, `${p} is ${statSync(p).size} bytes`);
  const all = paths.map((p) => readFileSync(p, 'utf8')).join('');
  assert.equal(all, linesOf(0, next).toString());
});

test('no line is cut across files', (t) => {
  const path = join(makeTempHome(t), '0.out.log');
  const file = new RotatingFile(path, { maxBytes: 64, maxFiles: 100 }, failOnRotateError);
  t.after(() => file.close());
  for (let i = 0; i < 40; i++) file.write(Buffer.from(`${'z'.repeat(i % 17)}\n`));
  for (const p of generations(path)) {
    const content = readFileSync(p, 'utf8');
    assert.ok(content.endsWith('\n'), `${p} ends with a whole line`);
  }
});

test('the number of files is bounded by maxFiles, and the newest lines are the ones kept', (t) => {
  const path = join(makeTempHome(t), '0.out.log');
  const file = new RotatingFile(path, { maxBytes: 100, maxFiles: 3 }, failOnRotateError);
  t.after(() => file.close());
  for (let i = 0; i < 200; i++) file.write(linesOf(i, i + 1));
  assert.equal(existsSync(rotatedPath(path, 3)), false);
  const paths = generations(path);
  assert.equal(paths.length, 3);
  const kept = paths.map((p) => readFileSync(p, 'utf8')).join('');
  assert.ok(linesOf(0, 200).toString().endsWith(kept), 'kept lines are the latest, contiguous');
  assert.ok(kept.endsWith('line 199\n'));
});

test('maxFiles 1 keeps only the current file', (t) => {
  const path = join(makeTempHome(t), '0.out.log');
  const file = new RotatingFile(path, { maxBytes: 50, maxFiles: 1 }, failOnRotateError);
  t.after(() => file.close());
  file.write(linesOf(0, 20));
  assert.deepEqual(generations(path), [path]);
  assert.ok(statSync(path).size <= 50);
  assert.ok(readFileSync(path, 'utf8').endsWith('line 19\n'));
});

test('a line longer than maxBytes gets a file of its own instead of being cut', (t) => {
  const path = join(makeTempHome(t), '0.out.log');
  const file = new RotatingFile(path, { maxBytes: 20, maxFiles: 10 }, failOnRotateError);
  t.after(() => file.close());
  const long = `${'L'.repeat(50)}\n`;
  file.write(Buffer.from(`a\n${long}b\n`));
  const contents = generations(path).map((p) => readFileSync(p, 'utf8'));
  assert.deepEqual(contents, ['a\n', long, 'b\n']);
});

test('an existing file is appended to, and its size counts towards rotation', (t) => {
  const path = join(makeTempHome(t), '0.out.log');
  writeFileSync(path, 'old 1\nold 2\n');
  const file = new RotatingFile(path, { maxBytes: 20, maxFiles: 5 }, failOnRotateError);
  t.after(() => file.close());
  assert.equal(file.size, 12);
  file.write(Buffer.from('new 1\n'));
  assert.equal(readFileSync(path, 'utf8'), 'old 1\nold 2\nnew 1\n');
  file.write(Buffer.from('new 2\n'));
  assert.equal(readFileSync(rotatedPath(path, 1), 'utf8'), 'old 1\nold 2\nnew 1\n');
  assert.equal(readFileSync(path, 'utf8'), 'new 2\n');
});

test('an existing file that ends mid-line gets that line ended before new lines are appended', (t) => {
  const path = join(makeTempHome(t), '0.out.log');
  writeFileSync(path, 'complete\ntorn');
  const file = new RotatingFile(path, { maxBytes: 1000, maxFiles: 2 }, failOnRotateError);
  t.after(() => file.close());
  file.write(Buffer.from('next\n'));
  assert.equal(readFileSync(path, 'utf8'), 'complete\ntorn\nnext\n');
});

test('lowering maxFiles removes the generations beyond the new limit at the next rotation', (t) => {
  const path = join(makeTempHome(t), '0.out.log');
  const file = new RotatingFile(path, { maxBytes: 10, maxFiles: 6 }, failOnRotateError);
  t.after(() => file.close());
  for (let i = 0; i < 10; i++) file.write(Buffer.from(`${i}${i}${i}${i}${i}${i}\n`));
  assert.ok(existsSync(rotatedPath(path, 5)));
  file.setLimits({ maxBytes: 10, maxFiles: 2 });
  file.write(Buffer.from('after\n'));
  assert.deepEqual(generations(path), [rotatedPath(path, 1), path]);
});

test('when rotation fails, lines are still appended and the failure is reported', (t) => {
  const home = makeTempHome(t);
  const path = join(home, '0.out.log');
  const errors: Error[] = [];
  // A non-empty directory where the rotated file should go makes the rename fail (EISDIR).
  mkdirSync(join(rotatedPath(path, 1), 'x'), { recursive: true });
  const file = new RotatingFile(path, { maxBytes: 10, maxFiles: 2 }, (error) => errors.push(error));
  t.after(() => file.close());
  file.write(Buffer.from('first line\nsecond line\n'));
  assert.equal(readFileSync(path, 'utf8'), 'first line\nsecond line\n');
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', /Could not rotate/);
});

test('the file and its folder are made at the first write, not before', (t) => {
  const path = join(makeTempHome(t), 'logs', 'quiet', '0.err.log');
  const file = new RotatingFile(path, { maxBytes: 100, maxFiles: 2 }, failOnRotateError);
  t.after(() => file.close());
  assert.equal(existsSync(join(path, '..')), false);
  file.write(Buffer.from('first\n'));
  assert.equal(readFileSync(path, 'utf8'), 'first\n');
});

test('a file that cannot be opened fails the write with nothing written, and the next write tries again', (t) => {
  const home = makeTempHome(t);
  const folder = join(home, 'logs');
  // A file where the folder should be: the open fails (ENOTDIR) until it is gone.
  writeFileSync(folder, '');
  const path = join(folder, '0.out.log');
  const file = new RotatingFile(path, { maxBytes: 100, maxFiles: 2 }, failOnRotateError);
  t.after(() => file.close());
  assert.throws(
    () => file.write(Buffer.from('lost\n')),
    (error: unknown) => error instanceof LogWriteError && error.bytesWritten === 0,
  );
  rmSync(folder);
  file.write(Buffer.from('kept\n'));
  assert.equal(readFileSync(path, 'utf8'), 'kept\n');
});
