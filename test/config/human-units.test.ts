import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatElapsed, parseDurationMs } from '../../src/config/human-units.js';

test('a set duration prints in its shortest exact form: the largest unit with at most one decimal', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [250, '250ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1234, '1234ms'],
    [1500, '1.5s'],
    [4000, '4s'],
    [12_500, '12.5s'],
    [60_000, '1m'],
    [61_000, '61s'],
    [90_000, '1.5m'],
    [3_600_000, '1h'],
    [5_400_000, '1.5h'],
    [3_660_000, '61m'],
    [86_400_000, '24h'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
});

test('every printed set duration reads back as the same milliseconds', () => {
  for (const ms of [
    0, 1, 99, 250, 1000, 1001, 1500, 4000, 59_999, 60_000, 90_000, 3_600_001, 5_400_000,
  ]) {
    assert.equal(parseDurationMs(formatDuration(ms)), ms, formatDuration(ms));
  }
});

test('a measured span uses at most two units and drops a zero remainder', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [-5, '0ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1234, '1.2s'],
    [9999, '9.9s'],
    [10_000, '10s'],
    [59_999, '59s'],
    [60_000, '1m'],
    [61_000, '1m 1s'],
    [3_599_000, '59m 59s'],
    [3_600_000, '1h'],
    [3_660_000, '1h 1m'],
    [86_399_999, '23h 59m'],
    [86_400_000, '1d'],
    [90_000_000, '1d 1h'],
    [400 * 86_400_000, '400d'],
  ];
  for (const [ms, text] of cases) assert.equal(formatElapsed(ms), text, String(ms));
});
