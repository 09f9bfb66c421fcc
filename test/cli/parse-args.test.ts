import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findCommand } from '../../src/cli/command-table.js';
import type { CommandSpec } from '../../src/cli/command-types.js';
import {
  hasFlag,
  numberOption,
  readCommandArgs,
  repeatedOption,
  stringOption,
} from '../../src/cli/parse-args.js';
import { TendError } from '../../src/errors.js';

function command(name: string): CommandSpec {
  const spec = findCommand(name);
  assert.ok(spec, `command ${name}`);
  return spec;
}

/** Asserts that parsing rejects with a TendError with this code (and a message matching `message`). */
async function assertRejects(
  name: string,
  argv: string[],
  code: string,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(readCommandArgs(command(name), argv), (error: unknown) => {
    assert.ok(error instanceof TendError, `a TendError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

test("start: options before the command are tend options, everything after it is the command's", async () => {
  const args = await readCommandArgs(command('start'), [
    '--name',
    'web',
    'node',
    'server.js',
    '--port',
    '3000',
    '--name',
    'x',
  ]);
  assert.equal(stringOption(args, 'name'), 'web');
  assert.equal(numberOption(args, 'port'), undefined);
  assert.deepEqual(args.positionals, ['node', 'server.js', '--port', '3000', '--name', 'x']);
  assert.equal(args.hasDoubleDash, false);
});

test('start: `--` ends tend options, so the command may start with a dash or carry its own options', async () => {
  const args = await readCommandArgs(command('start'), [
    '--name',
    'web',
    '--port',
    '3000',
    '--',
    'node',
    'server.js',
    '--port',
    '3000',
  ]);
  assert.equal(stringOption(args, 'name'), 'web');
  assert.equal(numberOption(args, 'port'), 3000);
  assert.deepEqual(args.positionals, ['node', 'server.js', '--port', '3000']);
  assert.equal(args.hasDoubleDash, true);
  const dashed = await readCommandArgs(command('start'), ['--', '-weird-command']);
  assert.deepEqual(dashed.positionals, ['-weird-command']);
});

test('--env repeats and keeps every value in order; --opt=value and short options work', async () => {
  const args = await readCommandArgs(command('start'), [
    '--env',
    'A=1',
    '--env=B=2=3',
    '-i',
    '3',
    '--env',
    'A=4',
    'cmd',
  ]);
  assert.deepEqual(repeatedOption(args, 'env'), ['A=1', 'B=2=3', 'A=4']);
  assert.equal(numberOption(args, 'instances'), 3);
  const logs = await readCommandArgs(command('logs'), ['-fn50', 'web']);
  assert.equal(hasFlag(logs, 'follow'), true);
  assert.equal(numberOption(logs, 'lines'), 50);
  assert.deepEqual(logs.positionals, ['web']);
  const later = await readCommandArgs(command('logs'), ['web', '-n', '0', '--timestamps']);
  assert.equal(numberOption(later, 'lines'), 0);
  assert.equal(hasFlag(later, 'timestamps'), true);
});

test('options may follow the positionals of commands without a command tail', async () => {
  const args = await readCommandArgs(command('stop'), ['web', '--json']);
  assert.deepEqual(args.positionals, ['web']);
  assert.equal(hasFlag(args, 'json'), true);
});

test('--help is accepted by every command and skips the argument count check', async () => {
  for (const name of ['start', 'stop', 'signal', 'completion']) {
    const args = await readCommandArgs(command(name), ['--help']);
    assert.equal(hasFlag(args, 'help'), true, name);
  }
});

test('unknown options are usage errors that name the option and suggest a near one', async () => {
  await assertRejects(
    'list',
    ['--jsn'],
    'TEND_ERR_USAGE_UNKNOWN_OPTION',
    /--jsn.*did you mean --json/,
  );
  await assertRejects('start', ['--bogus', 'cmd'], 'TEND_ERR_USAGE_UNKNOWN_OPTION', /--bogus/);
  await assertRejects('logs', ['-x'], 'TEND_ERR_USAGE_UNKNOWN_OPTION', /-x/);
});

test('missing and extra arguments are usage errors that show the usage', async () => {
  await assertRejects(
    'stop',
    [],
    'TEND_ERR_USAGE_MISSING_ARGUMENT',
    /<name\.\.\.\|all>.*tend stop <name\.\.\.\|all>/,
  );
  await assertRejects('start', [], 'TEND_ERR_USAGE_MISSING_ARGUMENT', /<command>/);
  await assertRejects('start', ['--name', 'web'], 'TEND_ERR_USAGE_MISSING_ARGUMENT', /<command>/);
  await assertRejects('signal', ['HUP'], 'TEND_ERR_USAGE_MISSING_ARGUMENT', /name/);
  await assertRejects('scale', ['a', '1', '2'], 'TEND_ERR_USAGE', /Unexpected argument "2"/);
  // As supervisorctl's `status web` or a filter would be read: point to the command that shows one.
  await assertRejects(
    'list',
    ['web'],
    'TEND_ERR_USAGE',
    /^`tend ls` takes no name: it lists every program; `tend status web` shows one/,
  );
});

test('an option without its value, a repeated single option, and a flag with a value are rejected', async () => {
  await assertRejects('start', ['--name'], 'TEND_ERR_USAGE_MISSING_ARGUMENT', /--name/);
  await assertRejects(
    'logs',
    ['--lines', '--follow'],
    'TEND_ERR_USAGE_MISSING_ARGUMENT',
    /--lines/,
  );
  await assertRejects(
    'start',
    ['--name', 'a', '--name', 'b', 'cmd'],
    'TEND_ERR_USAGE_INVALID_ARGUMENT',
    /--name once/,
  );
  await assertRejects('list', ['--json=yes'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /takes no value/);
});

test('bad option values are rejected with what was expected', async () => {
  const cases: Array<[string, string[], string, RegExp]> = [
    [
      'start',
      ['--instances', '-1', 'cmd'],
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      /--instances.*≥ 1.*"-1"/,
    ],
    ['start', ['--instances', '0', 'cmd'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /--instances/],
    ['start', ['--instances', '2.5', 'cmd'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /whole number/],
    ['start', ['--instances', 'abc', 'cmd'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /"abc"/],
    ['start', ['--port', '70000', 'cmd'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /--port.*1 to 65535/],
    [
      'start',
      ['--restart', 'sometimes', 'cmd'],
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      /always, on-failure, never/,
    ],
    [
      'start',
      ['--no-restart-exit-codes', '0,x', 'cmd'],
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      /exit codes/,
    ],
    [
      'start',
      ['--no-restart-exit-codes', '256', 'cmd'],
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      /0–255/,
    ],
    ['start', ['--stop-signal', 'FOO', 'cmd'], 'TEND_ERR_SIGNAL_UNKNOWN', /signal/],
    ['start', ['--stop-timeout', '0', 'cmd'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /--stop-timeout/],
    [
      'start',
      ['--stop-timeout', 'soon', 'cmd'],
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      /--stop-timeout/,
    ],
    ['start', ['--min-uptime', '-5', 'cmd'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /--min-uptime/],
    ['start', ['--env', 'NOEQUALS', 'cmd'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /KEY=VALUE/],
    ['start', ['--env', '=x', 'cmd'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /KEY=VALUE/],
    ['start', ['--name', 'a b', 'cmd'], 'TEND_ERR_PROGRAM_INVALID_NAME', /letters, digits/],
    ['start', ['--name', 'all', 'cmd'], 'TEND_ERR_PROGRAM_INVALID_NAME', /reserved/],
    ['start', ['--name', 'x'.repeat(65), 'cmd'], 'TEND_ERR_PROGRAM_INVALID_NAME', /64/],
    ['logs', ['--lines', 'abc'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /--lines.*"abc"/],
    ['logs', ['--lines', '-3'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /--lines/],
    ['logs', ['-n', '100001'], 'TEND_ERR_USAGE_INVALID_ARGUMENT', /100000/],
  ];
  for (const [name, argv, code, message] of cases) await assertRejects(name, argv, code, message);
});

test('durations take milliseconds or a unit', async () => {
  const args = await readCommandArgs(command('start'), [
    '--stop-timeout',
    '2s',
    '--min-uptime',
    '1500',
    'cmd',
  ]);
  assert.equal(numberOption(args, 'stop-timeout'), 2000);
  assert.equal(numberOption(args, 'min-uptime'), 1500);
  const more = await readCommandArgs(command('start'), [
    '--stop-timeout',
    '1.5m',
    '--min-uptime',
    '250ms',
    'cmd',
  ]);
  assert.equal(numberOption(more, 'stop-timeout'), 90_000);
  assert.equal(numberOption(more, 'min-uptime'), 250);
});
