import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramDetail } from '../../src/api/wire.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { fixture, useTend } from './harness.js';

test('bad probe options are refused at tend start, before the daemon changes anything', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'steady', ...fixture('forever')]);
  const [before] = await tend.list();
  const cases: Array<{ args: string[]; message: RegExp }> = [
    {
      args: ['--liveness', 'grpc'],
      message:
        /Expected --liveness to be http\[:PORT\]\[\/PATH\], tcp\[:PORT\] or exec:COMMAND, got "grpc"/,
    },
    { args: ['--readiness', 'http:healthz'], message: /a path starts with \/: http:\/healthz/ },
    {
      args: ['--liveness', 'tcp', '--liveness-period', '0'],
      message: /--liveness-period to be a duration/,
    },
    { args: ['--liveness-failures', '3'], message: /Expected a probe with --liveness/ },
    {
      args: ['--port', '39999', '--liveness', 'tcp', '--liveness-period', '500ms'],
      message:
        /`livenessProbe\.timeoutMs`: Expected `timeoutMs` to be at most `periodMs` \(500\), got 1000/,
    },
    {
      args: ['--liveness', 'tcp'],
      message: /`livenessProbe\.port`: Expected a `port` on the tcp probe or on the program/,
    },
    {
      args: ['--startup', 'exec:./no-such-check --quick'],
      message:
        /`startupProbe\.command` to be a program that can run, got "\.\/no-such-check": .*no-such-check does not exist/,
    },
  ];
  for (const { args, message } of cases) {
    const result = await tend.run(['start', '--name', 'probed', ...args, ...fixture('forever')]);
    assert.equal(result.code, 2, `tend start ${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, `tend start ${args.join(' ')}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
  const after = await tend.list();
  assert.deepEqual(
    after.map((instance) => instance.name),
    ['steady'],
  );
  assert.equal(after[0]?.pid, before?.pid);
});

test('the API refuses a bad probe with 400 and the field named', async (t) => {
  const tend = useTend(t);
  await tend.ok(['ls']); // starts the daemon
  const reply = await tend.api<{ error: { code: string; message: string } }>(
    'POST',
    '/v1/programs',
    {
      name: 'probed',
      command: 'true',
      cwd: tend.home,
      port: 39_999,
      livenessProbe: { kind: 'http', path: 'healthz', periodMs: -1 },
    },
  );
  assert.equal(reply.status, 400);
  assert.equal(reply.body.error.code, 'TEND_ERR_API_INVALID_BODY');
  assert.match(reply.body.error.message, /`livenessProbe\.periodMs`/);
  assert.match(reply.body.error.message, /`livenessProbe\.path`: Expected `path` to start with \//);
});

test('probes given to tend start are kept with their defaults; the program runs as before', async (t) => {
  const tend = useTend(t);
  const port = await findFreePortRange(1);
  await tend.ok([
    'start',
    '--name',
    'web',
    '--port',
    String(port),
    '--readiness',
    'tcp',
    '--liveness',
    'http:/healthz',
    '--liveness-period',
    '5s',
    '--liveness-failures',
    '2',
    ...fixture('http-echo'),
  ]);
  const program = await tend.program('web');
  assert.deepEqual(program.spec.livenessProbe, {
    kind: 'http',
    path: '/healthz',
    periodMs: 5000,
    timeoutMs: 1000,
    failureThreshold: 2,
    successThreshold: 1,
    initialDelayMs: 0,
  });
  assert.equal(program.spec.readiness, 'tcp');
  assert.equal(program.spec.readinessProbe?.kind, 'tcp');
  await tend.until('web online', async () => {
    const detail = await tend.api<ProgramDetail>('GET', '/v1/programs/web');
    return detail.body.instances[0]?.status === 'online';
  });
});
