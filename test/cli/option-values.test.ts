import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  durationIn,
  integerIn,
  parseExitCodes,
  parseInstanceTarget,
  parseSignalArgument,
  parseTarget,
} from '../../src/cli/option-values.js';
import { TendError } from '../../src/errors.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof TendError, String(error));
    return error.code;
  }
}

test('whole numbers: bounds, signs, junk', () => {
  const parse = integerIn(1, 10);
  assert.equal(parse('3', '--n'), 3);
  assert.equal(parse(' 10 ', '--n'), 10);
  for (const bad of ['0', '11', '-1', '1.5', '1e3', '', 'abc', '3x', '0x10']) {
    assert.equal(
      codeOf(() => parse(bad, '--n')),
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      bad,
    );
  }
});

test('durations: milliseconds by default, or ms/s/m/h', () => {
  const parse = durationIn(0, 3_600_000);
  assert.equal(parse('0', '--d'), 0);
  assert.equal(parse('750', '--d'), 750);
  assert.equal(parse('2s', '--d'), 2000);
  assert.equal(parse('0.5s', '--d'), 500);
  assert.equal(parse('1h', '--d'), 3_600_000);
  for (const bad of ['-1', '2h', '5 s', 'fast', '1d']) {
    assert.equal(
      codeOf(() => parse(bad, '--d')),
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      bad,
    );
  }
});

test('exit codes: a comma list of 0–255 without duplicates', () => {
  assert.deepEqual(parseExitCodes('0,3', '--x'), [0, 3]);
  assert.deepEqual(parseExitCodes(' 0 , 3,3 ', '--x'), [0, 3]);
  for (const bad of ['', '0,', '-1', '256', 'a', '0;3']) {
    assert.equal(
      codeOf(() => parseExitCodes(bad, '--x')),
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      bad,
    );
  }
});

test('signals by name with or without SIG, in any case, or by number', () => {
  assert.equal(parseSignalArgument('HUP'), 'SIGHUP');
  assert.equal(parseSignalArgument('sigusr1'), 'SIGUSR1');
  assert.equal(parseSignalArgument('9'), 'SIGKILL');
  for (const bad of ['FOO', 'SIG', '999', '-9', '']) {
    assert.equal(
      codeOf(() => parseSignalArgument(bad)),
      'TEND_ERR_SIGNAL_UNKNOWN',
      bad,
    );
  }
});

test('targets: a valid name or all; name:instance for signal', () => {
  assert.equal(parseTarget('all'), 'all');
  assert.equal(parseTarget('web-1.api'), 'web-1.api');
  for (const bad of ['', '../x', 'a/b', '.hidden', '-dash', 'a b']) {
    assert.equal(
      codeOf(() => parseTarget(bad)),
      'TEND_ERR_PROGRAM_INVALID_NAME',
      bad,
    );
  }
  assert.deepEqual(parseInstanceTarget('web'), { name: 'web', instance: undefined });
  assert.deepEqual(parseInstanceTarget('web:2'), { name: 'web', instance: 2 });
  assert.equal(
    codeOf(() => parseInstanceTarget('web:')),
    'TEND_ERR_USAGE_INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => parseInstanceTarget('web:-1')),
    'TEND_ERR_USAGE_INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => parseInstanceTarget('web:x')),
    'TEND_ERR_USAGE_INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => parseInstanceTarget('all:0')),
    'TEND_ERR_USAGE_INVALID_ARGUMENT',
  );
  assert.equal(
    codeOf(() => parseInstanceTarget(':0')),
    'TEND_ERR_PROGRAM_INVALID_NAME',
  );
});
