import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findCommand } from '../../src/cli/command-table.js';
import { planNewProgram } from '../../src/cli/commands/start.js';
import { checkOptionValues } from '../../src/cli/option-values.js';
import { parseCommandArgs } from '../../src/cli/parse-args.js';
import { ProgramSpecSchema } from '../../src/config/program-spec.js';
import { TendError } from '../../src/errors.js';

const WHERE = { cwd: '/srv/app', env: { PATH: '/usr/bin' } };

function plan(options: string[]) {
  const command = findCommand('start');
  assert.ok(command);
  const args = checkOptionValues(parseCommandArgs(command, [...options, 'node', 'server.js']));
  return planNewProgram(args, WHERE).spec;
}

function assertUsageError(options: string[], message: RegExp): void {
  assert.throws(
    () => plan(options),
    (error: unknown) =>
      error instanceof TendError &&
      error.code === 'TEND_ERR_USAGE_INVALID_ARGUMENT' &&
      message.test(error.message),
    options.join(' '),
  );
}

test('--liveness http:/healthz with its tuning options lands in livenessProbe, durations with units', () => {
  const spec = plan([
    '--port',
    '3000',
    '--liveness',
    'http:/healthz',
    '--liveness-period',
    '5s',
    '--liveness-timeout',
    '500ms',
    '--liveness-failures',
    '2',
    '--liveness-delay',
    '1m',
  ]);
  assert.deepEqual(spec.livenessProbe, {
    kind: 'http',
    path: '/healthz',
    periodMs: 5000,
    timeoutMs: 500,
    failureThreshold: 2,
    initialDelayMs: 60_000,
  });
  // What the CLI sends, the daemon's schema takes.
  assert.equal(ProgramSpecSchema.safeParse(spec).success, true);
});

test('each probe form: http, http:PORT/PATH, tcp, tcp:PORT, exec:COMMAND ARGS', () => {
  assert.deepEqual(plan(['--startup', 'http']).startupProbe, { kind: 'http' });
  assert.deepEqual(plan(['--startup', 'http:8081/ready']).startupProbe, {
    kind: 'http',
    port: 8081,
    path: '/ready',
  });
  assert.deepEqual(plan(['--liveness', 'tcp:6379']).livenessProbe, { kind: 'tcp', port: 6379 });
  assert.deepEqual(plan(['--startup', 'exec:./check']).startupProbe, {
    kind: 'exec',
    command: './check',
  });
  assert.deepEqual(plan(['--liveness', "exec:./check --db 'a b'"]).livenessProbe, {
    kind: 'exec',
    command: './check',
    args: ['--db', 'a b'],
  });
  assert.deepEqual(
    plan(['--readiness', 'exec:true', '--readiness-successes', '2']).readinessProbe,
    {
      kind: 'exec',
      command: 'true',
      successThreshold: 2,
    },
  );
});

test('--readiness none and tcp keep their meaning; tcp also sets a TCP readiness probe', () => {
  const none = plan(['--port', '3000', '--readiness', 'none']);
  assert.equal(none.readiness, 'none');
  assert.equal(none.readinessProbe, undefined);
  const tcp = plan(['--port', '3000', '--readiness', 'tcp', '--readiness-period', '2s']);
  assert.equal(tcp.readiness, 'tcp');
  assert.deepEqual(tcp.readinessProbe, { kind: 'tcp', periodMs: 2000 });
  const http = plan(['--port', '3000', '--readiness', 'http:/ready']);
  assert.equal(http.readiness, undefined, 'the one-shot gate keeps its default');
  assert.deepEqual(http.readinessProbe, { kind: 'http', path: '/ready' });
});

test('bad probe options are usage errors that say what was expected', () => {
  assertUsageError(
    ['--liveness', 'grpc'],
    /Expected --liveness to be http\[:PORT\]\[\/PATH\], tcp\[:PORT\] or exec:COMMAND, got "grpc"/,
  );
  assertUsageError(['--liveness', 'none'], /--liveness to be .* got "none"/);
  assertUsageError(['--liveness', 'http:healthz'], /a path starts with \/: http:\/healthz/);
  assertUsageError(['--readiness', 'tcp:/x'], /--readiness to be/);
  assertUsageError(
    ['--liveness', 'tcp:70000'],
    /the port of --liveness to be a whole number from 1 to 65535/,
  );
  assertUsageError(['--startup', 'exec:'], /Expected a command after exec: in --startup/);
  assertUsageError(['--liveness-period', '0'], /--liveness-period to be a duration/);
  assertUsageError(['--liveness-period', 'soon'], /--liveness-period/);
  assertUsageError(['--liveness-failures', '0'], /--liveness-failures/);
  assertUsageError(
    ['--liveness-period', '5s'],
    /Expected a probe with --liveness .* for --liveness-period/,
  );
  assertUsageError(['--readiness', 'none', '--readiness-timeout', '1s'], /for --readiness-timeout/);
});

test('a probe the daemon would refuse is refused by its schema with the field named', () => {
  const spec = plan(['--liveness', 'tcp', '--liveness-period', '500ms']);
  const result = ProgramSpecSchema.safeParse(spec);
  assert.equal(result.success, false);
});
