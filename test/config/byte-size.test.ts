import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteSizeAtLeast } from '../../src/cli/option-values.js';
import { parseByteSize } from '../../src/config/byte-size.js';

test('sizes take K, M, G, T and KiB, MiB, GiB, TiB, all 1024-based, with decimals', () => {
  assert.deepEqual(parseByteSize('300M'), { bytes: 300 * 1024 ** 2 });
  assert.deepEqual(parseByteSize('300MiB'), { bytes: 300 * 1024 ** 2 });
  assert.deepEqual(parseByteSize('1.5G'), { bytes: 1.5 * 1024 ** 3 });
  assert.deepEqual(parseByteSize('512k'), { bytes: 512 * 1024 });
  assert.deepEqual(parseByteSize('2 TiB'), { bytes: 2 * 1024 ** 4 });
});

test('--max-memory without a unit or with a bad one says what was expected', () => {
  const parse = byteSizeAtLeast(1024 * 1024);
  const cases: Array<[string, RegExp]> = [
    [
      '300',
      /Expected --max-memory to be a size with a unit, such as 300M.*a bare number has no unit, got "300"/,
    ],
    ['300MB', /MB is ambiguous \(1000 or 1024\), write 300M for 1024-based, got "300MB"/],
    ['300X', /unknown unit "X", got "300X"/],
    ['lots', /Expected --max-memory to be a size with a unit/],
    ['-5M', /Expected --max-memory to be a size with a unit/],
    ['512K', /Expected --max-memory to be at least 1M, got "512K"/],
  ];
  for (const [raw, message] of cases) {
    assert.throws(
      () => parse(raw, '--max-memory'),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'TEND_ERR_USAGE_INVALID_ARGUMENT');
        assert.match(error.message, message);
        return true;
      },
      raw,
    );
  }
});
