import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatStoredLines } from '../../src/logs/log-format.js';
import { logFilePath, programLogDirectory, rotatedPath } from '../../src/logs/log-paths.js';
import { readLastLines } from '../../src/logs/read-last-lines.js';
import { tailLogs } from '../../src/logs/tail.js';
import type { LogRecord } from '../../src/logs/types.js';
import { makeTempHome } from '../helpers/temp-home.js';

const T0 = Date.parse('2026-11-22T10:00:00.000Z');

function stored(entries: Array<[number, string]>): Buffer {
  return Buffer.concat(
    entries.map(([at, line]) => formatStoredLines([Buffer.from(line)], T0 + at)),
  );
}

function writeLog(
  home: string,
  name: string,
  instance: number,
  stream: 'out' | 'err',
  entries: Array<[number, string]>,
  generation = 0,
): void {
  mkdirSync(programLogDirectory(home, name), { recursive: true });
  writeFileSync(
    rotatedPath(logFilePath(home, name, instance, stream), generation),
    stored(entries),
  );
}

function summary(records: LogRecord[]): string[] {
  return records.map((r) => `${r.name}:${r.instance}:${r.stream}:${r.time - T0}:${r.line}`);
}

test('readLastLines returns the last lines, oldest first, across many blocks', (t) => {
  const path = join(makeTempHome(t), 'big.log');
  const lines = Array.from(
    { length: 50_000 },
    (_, i) => `${i} ${'é'.repeat(i % 7)} ${'x'.repeat(i % 13)}`,
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  assert.deepEqual(readLastLines(path, 3), lines.slice(-3));
  assert.deepEqual(readLastLines(path, 20_000), lines.slice(-20_000));
  assert.deepEqual(readLastLines(path, 60_000), lines);
  assert.deepEqual(readLastLines(path, 0), []);
});

test('readLastLines handles an empty file, a file without final newline, and empty lines', (t) => {
  const home = makeTempHome(t);
  writeFileSync(join(home, 'empty'), '');
  writeFileSync(join(home, 'torn'), 'a\nb\nc');
  writeFileSync(join(home, 'blank'), 'a\n\n\nb\n');
  assert.deepEqual(readLastLines(join(home, 'empty'), 5), []);
  assert.deepEqual(readLastLines(join(home, 'torn'), 2), ['b', 'c']);
  assert.deepEqual(readLastLines(join(home, 'blank'), 3), ['', '', 'b']);
});

test('tail merges instances and streams by read time', (t) => {
  const home = makeTempHome(t);
  writeLog(home, 'web', 0, 'out', [
    [1, 'a'],
    [4, 'd'],
    [7, 'g'],
  ]);
  writeLog(home, 'web', 0, 'err', [
    [2, 'b'],
    [6, 'f'],
  ]);
  writeLog(home, 'web', 1, 'out', [
    [3, 'c'],
    [5, 'e'],
    [8, 'h'],
  ]);
  assert.deepEqual(
    tailLogs(home, ['web'], 100, 'both').map((r) => r.line),
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
  );
});

// Regression: `tend logs web` showed 20 lines in total while the docs promised 20 per instance.
test('tail shows the last N lines of each instance, its streams merged, not N in total', (t) => {
  const home = makeTempHome(t);
  writeLog(home, 'web', 0, 'out', [
    [1, 'a'],
    [4, 'd'],
    [7, 'g'],
  ]);
  writeLog(home, 'web', 0, 'err', [
    [2, 'b'],
    [6, 'f'],
  ]);
  writeLog(home, 'web', 1, 'out', [
    [3, 'c'],
    [5, 'e'],
    [8, 'h'],
  ]);
  // Two lines each: instance 0's busy streams do not crowd out instance 1.
  assert.deepEqual(summary(tailLogs(home, ['web'], 2, 'both')), [
    'web:1:out:5:e',
    'web:0:err:6:f',
    'web:0:out:7:g',
    'web:1:out:8:h',
  ]);
  assert.deepEqual(summary(tailLogs(home, ['web'], 3, 'both')), [
    'web:1:out:3:c',
    'web:0:out:4:d',
    'web:1:out:5:e',
    'web:0:err:6:f',
    'web:0:out:7:g',
    'web:1:out:8:h',
  ]);
});

test('tail can read one stream only', (t) => {
  const home = makeTempHome(t);
  writeLog(home, 'web', 0, 'out', [[1, 'out line']]);
  writeLog(home, 'web', 0, 'err', [[2, 'err line']]);
  assert.deepEqual(summary(tailLogs(home, ['web'], 10, 'err')), ['web:0:err:2:err line']);
  assert.deepEqual(summary(tailLogs(home, ['web'], 10, 'out')), ['web:0:out:1:out line']);
});

test('tail reads rotated files when the current one has fewer lines', (t) => {
  const home = makeTempHome(t);
  writeLog(
    home,
    'api',
    0,
    'out',
    [
      [1, 'oldest'],
      [2, 'older'],
    ],
    2,
  );
  writeLog(
    home,
    'api',
    0,
    'out',
    [
      [3, 'old'],
      [4, 'recent'],
    ],
    1,
  );
  writeLog(home, 'api', 0, 'out', [[5, 'newest']]);
  assert.deepEqual(
    tailLogs(home, ['api'], 4, 'out').map((r) => r.line),
    ['older', 'old', 'recent', 'newest'],
  );
  assert.deepEqual(
    tailLogs(home, ['api'], 50, 'out').map((r) => r.line),
    ['oldest', 'older', 'old', 'recent', 'newest'],
  );
});

test('tail reads rotated files when the current one is empty or missing', (t) => {
  const home = makeTempHome(t);
  writeLog(home, 'api', 0, 'out', [[1, 'rotated']], 1);
  writeLog(home, 'api', 0, 'out', []);
  writeLog(home, 'api', 1, 'err', [[2, 'only rotated']], 1);
  assert.deepEqual(
    tailLogs(home, ['api'], 5, 'both').map((r) => r.line),
    ['rotated', 'only rotated'],
  );
});

test('tail keeps each file in its own order when the clock stepped back', (t) => {
  const home = makeTempHome(t);
  writeLog(home, 'job', 0, 'out', [
    [10, 'first'],
    [5, 'second (clock stepped back)'],
    [11, 'third'],
  ]);
  writeLog(home, 'job', 0, 'err', [[7, 'err']]);
  const lines = tailLogs(home, ['job'], 10, 'both').map((r) => r.line);
  assert.ok(lines.indexOf('first') < lines.indexOf('second (clock stepped back)'));
  assert.ok(lines.indexOf('second (clock stepped back)') < lines.indexOf('third'));
});

test('tail across several programs merges them too; unknown programs have no lines', (t) => {
  const home = makeTempHome(t);
  writeLog(home, 'a', 0, 'out', [
    [1, 'a1'],
    [3, 'a3'],
  ]);
  writeLog(home, 'b', 0, 'out', [[2, 'b2']]);
  assert.deepEqual(
    tailLogs(home, ['a', 'b', 'nothing'], 10, 'both').map((r) => r.line),
    ['a1', 'b2', 'a3'],
  );
  assert.deepEqual(
    tailLogs(home, ['a', 'b'], 1, 'both').map((r) => r.line),
    ['b2', 'a3'],
  );
  assert.deepEqual(tailLogs(home, ['nothing'], 10, 'both'), []);
});

test('a stored line without a time prefix is returned whole, with the time of the line before', (t) => {
  const home = makeTempHome(t);
  mkdirSync(programLogDirectory(home, 'raw'), { recursive: true });
  writeFileSync(
    logFilePath(home, 'raw', 0, 'out'),
    Buffer.concat([stored([[1, 'stamped']]), Buffer.from('written by hand\n')]),
  );
  assert.deepEqual(summary(tailLogs(home, ['raw'], 10, 'both')), [
    'raw:0:out:1:stamped',
    'raw:0:out:1:written by hand',
  ]);
});
