import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findCommand } from '../../src/cli/command-table.js';
import { planLogs } from '../../src/cli/commands/logs.js';
import { planNotify } from '../../src/cli/commands/notify.js';
import { planSignal } from '../../src/cli/commands/signal.js';
import { existingCandidateOf, planNewProgram } from '../../src/cli/commands/start.js';
import { checkOptionValues } from '../../src/cli/option-values.js';
import { parseCommandArgs } from '../../src/cli/parse-args.js';
import { defaultProgramName, pickFreeName } from '../../src/cli/program-naming.js';
import { TendError } from '../../src/errors.js';

const WHERE = { cwd: '/srv/app', env: { PATH: '/usr/bin', HOME: '/root', UNSET: undefined } };

function parse(name: string, argv: string[]) {
  const command = findCommand(name);
  assert.ok(command);
  return checkOptionValues(parseCommandArgs(command, argv));
}

test('start: the spec gets the command, its args, an absolute cwd and the CLI environment plus --env, naming the variables that came from the shell', () => {
  const plan = planNewProgram(
    parse('start', [
      '--cwd',
      'sub',
      '--env',
      'PORT=1',
      '--env',
      'HOME=/h',
      '--',
      'node',
      'server.js',
      '--port',
      '3000',
    ]),
    WHERE,
  );
  assert.deepEqual(plan.spec, {
    name: 'server',
    command: 'node',
    args: ['server.js', '--port', '3000'],
    cwd: '/srv/app/sub',
    env: { PATH: '/usr/bin', HOME: '/h', PORT: '1' },
    shellEnvNames: ['PATH'],
  });
  assert.equal(plan.isNameDefault, true);
});

test('start: every option lands in the spec under its API name', () => {
  const plan = planNewProgram(
    parse('start', [
      '--name',
      'web',
      '--restart',
      'on-failure',
      '--no-restart-exit-codes',
      '0,3',
      '--instances',
      '2',
      '--port',
      '3000',
      '--stop-signal',
      'INT',
      '--stop-timeout',
      '2s',
      '--min-uptime',
      '500',
      '--shell',
      'node server.js | tee out.log',
    ]),
    WHERE,
  );
  const { env: _env, shellEnvNames: _shell, ...spec } = plan.spec;
  assert.deepEqual(spec, {
    name: 'web',
    command: 'node server.js | tee out.log',
    args: [],
    cwd: '/srv/app',
    shell: true,
    restart: 'on-failure',
    noRestartExitCodes: [0, 3],
    instances: 2,
    port: 3000,
    stopSignal: 'SIGINT',
    stopTimeoutMs: 2000,
    minUptimeMs: 500,
  });
  assert.equal(plan.isNameDefault, false);
});

test('start: pool and proxy options land in the spec; the proxy settings under `proxy`', () => {
  const plan = planNewProgram(
    parse('start', [
      '--name',
      'web',
      '--min',
      '2',
      '--max',
      '5',
      '--port',
      '8080',
      '--readiness',
      'tcp',
      '--proxy-port',
      '1337',
      '--proxy-host',
      '0.0.0.0',
      '--proxy-mode',
      'tcp',
      '--balance',
      'least-outstanding',
      '--proxy-wait',
      '2s',
      'node',
      'server.js',
    ]),
    WHERE,
  );
  const { env: _env, shellEnvNames: _shell, ...spec } = plan.spec;
  assert.deepEqual(spec, {
    name: 'web',
    command: 'node',
    args: ['server.js'],
    cwd: '/srv/app',
    port: 8080,
    min: 2,
    max: 5,
    readiness: 'tcp',
    readinessProbe: { kind: 'tcp' },
    proxy: {
      port: 1337,
      host: '0.0.0.0',
      mode: 'tcp',
      balance: 'least-outstanding',
      waitForReadyMs: 2000,
    },
  });
});

test('start: options not given stay out of the spec, so the daemon applies its defaults', () => {
  const bare = planNewProgram(parse('start', ['--port', '8080', 'node', 'server.js']), WHERE).spec;
  for (const key of ['min', 'max', 'instances', 'readiness', 'proxy', 'livenessProbe']) {
    assert.equal(key in bare, false, key);
  }
  const proxied = planNewProgram(
    parse('start', [
      '--port',
      '8080',
      '--proxy-port',
      '1337',
      '--readiness',
      'none',
      'node',
      's.js',
    ]),
    WHERE,
  ).spec;
  assert.deepEqual(proxied.proxy, { port: 1337 });
  assert.equal(proxied.readiness, 'none');
});

test('start: a proxy setting without --proxy-port is a usage error that names it', () => {
  const cases: string[][] = [
    ['--proxy-mode', 'http'],
    ['--proxy-host', '0.0.0.0'],
    ['--balance', 'round-robin'],
    ['--proxy-wait', '1s'],
  ];
  for (const option of cases) {
    assert.throws(
      () => planNewProgram(parse('start', ['--port', '8080', ...option, 'node', 's.js']), WHERE),
      (error: unknown) =>
        error instanceof TendError &&
        error.code === 'TEND_ERR_USAGE_INVALID_ARGUMENT' &&
        error.exitCode === 2 &&
        error.message === `Expected --proxy-port with ${option[0]}`,
      option.join(' '),
    );
  }
});

test('start: bad pool and proxy option values are usage errors before any plan', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--min', '0'], /--min/],
    [['--max', '1025'], /--max/],
    [['--max', 'many'], /--max/],
    [
      ['--readiness', 'grpc'],
      /--readiness to be http\[:PORT\]\[\/PATH\], tcp\[:PORT\] or exec:COMMAND \(or none\), got "grpc"/,
    ],
    [['--proxy-port', '0'], /--proxy-port/],
    [['--proxy-port', '70000'], /--proxy-port/],
    [['--proxy-mode', 'udp'], /--proxy-mode.*http, tcp/],
    [['--balance', 'random'], /--balance.*round-robin, least-outstanding/],
    [['--proxy-wait', 'soon'], /--proxy-wait/],
  ];
  for (const [option, message] of cases) {
    assert.throws(
      () => parse('start', [...option, 'node', 's.js']),
      (error: unknown) =>
        error instanceof TendError &&
        error.code === 'TEND_ERR_USAGE_INVALID_ARGUMENT' &&
        message.test(error.message),
      option.join(' '),
    );
  }
});

test('start: a single word without options may name an existing program; anything more is a new one', () => {
  assert.equal(existingCandidateOf(parse('start', ['web'])), 'web');
  assert.equal(existingCandidateOf(parse('start', ['--json', 'web'])), 'web');
  assert.equal(existingCandidateOf(parse('start', ['all'])), 'all');
  assert.equal(existingCandidateOf(parse('start', ['web', 'x'])), undefined);
  assert.equal(existingCandidateOf(parse('start', ['--', 'web'])), undefined);
  assert.equal(existingCandidateOf(parse('start', ['--instances', '2', 'web'])), undefined);
});

test('start: a command that yields no valid name asks for --name', () => {
  assert.throws(
    () => planNewProgram(parse('start', ['--', '...']), WHERE),
    (error: unknown) =>
      error instanceof TendError &&
      error.code === 'TEND_ERR_PROGRAM_INVALID_NAME' &&
      /--name/.test(error.message),
  );
});

test('default names: base name without extension, the script of an interpreter, made valid', () => {
  assert.equal(defaultProgramName('/usr/bin/sleep', ['10'], false), 'sleep');
  assert.equal(defaultProgramName('./worker.sh', [], false), 'worker');
  assert.equal(defaultProgramName('node', ['src/server.mjs', '--port', '1'], false), 'server');
  assert.equal(defaultProgramName('node', ['--inspect', 'server.js'], false), 'node');
  assert.equal(defaultProgramName('python3', ['-m', 'http.server'], false), 'python3');
  assert.equal(defaultProgramName('deno', ['run', '-A', 'main.ts'], false), 'deno');
  assert.equal(defaultProgramName('bun', ['run', 'api.ts'], false), 'api');
  assert.equal(defaultProgramName('node app.js | tee log', [], true), 'app');
  assert.equal(defaultProgramName('./my server!', [], false), 'my-server-');
  assert.equal(defaultProgramName('.hidden', [], false), 'hidden');
  assert.equal(defaultProgramName('all', [], false), undefined);
  assert.equal(defaultProgramName('x'.repeat(80), [], false)?.length, 64);
});

test('a taken default name gets the first free numeric suffix, within the length limit', () => {
  assert.equal(pickFreeName('web', new Set()), 'web');
  assert.equal(pickFreeName('web', new Set(['web', 'web-2'])), 'web-3');
  const long = 'x'.repeat(64);
  assert.equal(pickFreeName(long, new Set([long])), `${'x'.repeat(62)}-2`);
});

test('signal: the name is normalised, the instance and group are sent only when given', () => {
  assert.deepEqual(planSignal(parse('signal', ['hup', 'web'])), {
    target: 'web',
    request: { signal: 'SIGHUP' },
  });
  assert.deepEqual(planSignal(parse('signal', ['9', 'web:1', '--group'])), {
    target: 'web',
    request: { signal: 'SIGKILL', instance: 1, group: true },
  });
  assert.throws(() => planSignal(parse('signal', ['BOGUS', 'web'])), {
    code: 'TEND_ERR_SIGNAL_UNKNOWN',
  });
  assert.throws(() => planSignal(parse('signal', ['HUP', 'bad name'])), {
    code: 'TEND_ERR_PROGRAM_INVALID_NAME',
  });
});

test('logs: defaults, streams and the target', () => {
  assert.deepEqual(planLogs(parse('logs', [])), {
    target: 'all',
    query: { lines: 20, stream: 'both', isFollowing: false },
  });
  assert.deepEqual(planLogs(parse('logs', ['web', '--err', '-f', '-n', '5'])), {
    target: 'web',
    query: { lines: 5, stream: 'err', isFollowing: true, name: 'web' },
  });
  assert.equal(planLogs(parse('logs', ['--out'])).query.stream, 'out');
  assert.throws(() => planLogs(parse('logs', ['web', '--out', '--err'])), {
    code: 'TEND_ERR_USAGE_INVALID_ARGUMENT',
    message: /Expected --err or --out, not both: give neither to see both streams merged/,
  });
  assert.throws(() => planLogs(parse('logs', ['../etc'])), {
    code: 'TEND_ERR_PROGRAM_INVALID_NAME',
  });
});

test('start: --tasks and its settings land in the spec; a setting without --tasks is a usage error', () => {
  const plan = planNewProgram(
    parse('start', [
      '--port',
      '7000',
      '--tasks',
      '--ready-buffer',
      '2',
      '--end-when',
      'grace',
      '--grace',
      '5s',
      '--connect-wait',
      '2s',
      '--allocate-token',
      'a-token-of-sixteen-chars',
      'node',
      'room.js',
    ]),
    WHERE,
  );
  assert.deepEqual(plan.spec.tasks, {
    readyBuffer: 2,
    endWhen: 'grace',
    graceMs: 5_000,
    connectWaitMs: 2_000,
    allocateToken: 'a-token-of-sixteen-chars',
  });
  assert.deepEqual(
    planNewProgram(parse('start', ['--port', '7000', '--tasks', 'node', 'room.js']), WHERE).spec
      .tasks,
    {},
  );
  assert.throws(
    () => planNewProgram(parse('start', ['--ready-buffer', '2', 'node', 'room.js']), WHERE),
    (error: unknown) =>
      error instanceof TendError &&
      error.code === 'TEND_ERR_USAGE_INVALID_ARGUMENT' &&
      /Expected --tasks with --ready-buffer/.test(error.message),
  );
  assert.throws(() => parse('start', ['--tasks', '--end-when', 'sometimes', 'node', 'x.js']));
});

test("notify: --free, --allocated and --shutdown are tend's task lines; --free with --allocated is refused", () => {
  assert.equal(
    planNotify(parse('notify', ['--status', 'done', '--free', '--shutdown'])),
    'STATUS=done\nTASK_STATE=free\nSHUTDOWN=1\n',
  );
  assert.equal(planNotify(parse('notify', ['--allocated'])), 'TASK_STATE=allocated\n');
  assert.throws(
    () => planNotify(parse('notify', ['--free', '--allocated'])),
    (error: unknown) =>
      error instanceof TendError && error.code === 'TEND_ERR_USAGE_INVALID_ARGUMENT',
  );
});
