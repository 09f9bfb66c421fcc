import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatBytes,
  formatCpu,
  formatExit,
  formatLatency,
  formatTime,
  orDash,
  plural,
} from '../../src/cli/output/format.js';

test('bytes use binary units with one decimal below 10', () => {
  const cases: Array<[number, string]> = [
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [20_971_520, '20 MiB'],
    [9.87 * 1024 ** 3, '9.8 GiB'],
    [5 * 1024 ** 5, '5120 TiB'],
  ];
  for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text, String(bytes));
});

test('cpu, exits, dashes and plurals', () => {
  assert.equal(formatCpu(0), '0%');
  assert.equal(formatCpu(0.34), '0.3%');
  assert.equal(formatCpu(12.6), '13%');
  assert.equal(formatCpu(250), '250%');
  assert.equal(formatExit(0, null), 'code 0');
  assert.equal(formatExit(null, 'SIGKILL'), 'SIGKILL');
  assert.equal(formatExit(null, null), 'unknown');
  assert.equal(orDash(null, String), '-');
  assert.equal(orDash(0, String), '0');
  assert.equal(plural(1, 'instance'), '1 instance');
  assert.equal(plural(2, 'instance'), '2 instances');
  assert.equal(formatLatency(0.42), '0.4ms');
  assert.equal(formatLatency(12.6), '13ms');
  assert.equal(formatLatency(1500), '1.5s');
});

test('times are shown in local time, to the second', () => {
  const date = new Date(2024, 4, 1, 9, 5, 7);
  assert.equal(formatTime(date.toISOString()), '2024-05-01 09:05:07');
  assert.equal(formatTime('not a time'), 'not a time');
});
