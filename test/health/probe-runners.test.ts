import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server } from 'node:net';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { runExecProbe } from '../../src/health/exec-probe.js';
import { runHttpProbe } from '../../src/health/http-probe.js';
import { probeCheckFor } from '../../src/health/probe-runner.js';
import { runTcpProbe } from '../../src/health/tcp-check.js';
import { fixturePath } from '../fixtures/fixture-path.js';
import { isProcessAlive } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { waitUntil } from '../process/harness.js';

const never = new AbortController().signal;

async function listen(t: TestContext, server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: one that was just listened on and closed. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function httpServer(t: TestContext): Promise<number> {
  const server = createHttpServer((request, response) => {
    if (request.url === '/hang') return; // accepts, never answers
    const status = Number(request.url?.slice(1)) || 200;
    response.writeHead(status, status === 302 ? { location: '/elsewhere' } : {}).end('body');
  });
  return listen(t, server);
}

test('http: 2xx and 3xx pass; another status fails with it; no answer times out; refused says so', async (t) => {
  const port = await httpServer(t);
  const probe = (path: string, timeoutMs = 1000) => runHttpProbe({ port, path, timeoutMs }, never);
  assert.deepEqual(await probe('/200'), { ok: true, reason: null });
  assert.deepEqual(await probe('/204'), { ok: true, reason: null });
  assert.deepEqual(await probe('/302'), { ok: true, reason: null });
  assert.deepEqual(await probe('/500'), { ok: false, reason: 'GET /500 answered 500' });
  assert.deepEqual(await probe('/404'), { ok: false, reason: 'GET /404 answered 404' });
  assert.deepEqual(await probe('/hang', 100), {
    ok: false,
    reason: 'GET /hang timed out after 100ms',
  });
  const refused = await runHttpProbe(
    { port: await closedPort(), path: '/healthz', timeoutMs: 1000 },
    never,
  );
  assert.deepEqual(refused, { ok: false, reason: 'GET /healthz failed: connection refused' });
});

test('http: a check reuses its connection, and one the server dropped meanwhile is tried again on a new one, not failed', async (t) => {
  const requestsOn = new WeakMap<object, number>();
  let connections = 0;
  let drops = 0;
  const server = createHttpServer((request, response) => {
    const count = requestsOn.get(request.socket) ?? 0;
    requestsOn.set(request.socket, count + 1);
    // The second request on a connection finds it gone, as after a server's keep-alive timeout.
    if (count === 1) {
      drops += 1;
      request.socket.destroy();
      return;
    }
    response.end('ok');
  });
  server.on('connection', () => {
    connections += 1;
  });
  const port = await listen(t, server);
  for (let check = 0; check < 4; check++) {
    assert.deepEqual(await runHttpProbe({ port, path: '/', timeoutMs: 1000 }, never), {
      ok: true,
      reason: null,
    });
  }
  assert.ok(drops >= 1, 'a reused connection was dropped at least once');
  assert.ok(connections < 4 + drops, 'some checks reused a connection');
});

test('http: an abort ends the check at once', async (t) => {
  const port = await httpServer(t);
  const abort = new AbortController();
  const result = runHttpProbe({ port, path: '/hang', timeoutMs: 60_000 }, abort.signal);
  abort.abort();
  assert.equal((await result).ok, false);
});

test('tcp: a listening port passes, a closed one fails with the reason', async (t) => {
  const port = await listen(
    t,
    createTcpServer((socket) => socket.end()),
  );
  assert.deepEqual(await runTcpProbe({ port, timeoutMs: 1000 }, never), { ok: true, reason: null });
  const closed = await closedPort();
  assert.deepEqual(await runTcpProbe({ port: closed, timeoutMs: 1000 }, never), {
    ok: false,
    reason: `connect to port ${closed} failed: connection refused`,
  });
});

test('exec: exit 0 passes; another exit fails with the first line of stderr', async (t) => {
  const cwd = makeTempHome(t);
  const run = (command: string, args: string[], shell = false) =>
    runExecProbe(
      { command, args, shell, cwd, env: { PATH: process.env.PATH ?? '' }, timeoutMs: 5000 },
      never,
    );
  assert.deepEqual(await run('true', []), { ok: true, reason: null });
  assert.deepEqual(await run('sh', ['-c', 'echo >&2; echo "db down" >&2; echo more >&2; exit 2']), {
    ok: false,
    reason: 'exec sh exited 2: db down',
  });
  assert.deepEqual(await run('false', []), { ok: false, reason: 'exec false exited 1' });
  // Never through a shell unless asked: the line is taken as a program name.
  assert.deepEqual(await run('exit 3', []), {
    ok: false,
    reason: 'exec exit 3 could not start: no such file or directory',
  });
  assert.deepEqual(await run('exit 3', [], true), { ok: false, reason: 'exec exit 3 exited 3' });
});

test('exec: the command runs in the instance cwd with its environment (TEND_INSTANCE, PORT)', async (t) => {
  const cwd = makeTempHome(t);
  const check = probeCheckFor(
    {
      kind: 'exec',
      command: 'sh',
      args: ['-c', 'echo "$TEND_INSTANCE $PORT $(pwd)" > seen'],
      periodMs: 10_000,
      timeoutMs: 5000,
      failureThreshold: 3,
      successThreshold: 1,
      initialDelayMs: 0,
    },
    { port: 8082, cwd, env: { PATH: process.env.PATH ?? '', TEND_INSTANCE: '2', PORT: '8082' } },
  );
  assert.deepEqual(await check(never), { ok: true, reason: null });
  assert.equal(readFileSync(join(cwd, 'seen'), 'utf8'), `2 8082 ${cwd}\n`);
});

test('exec: on timeout the whole group is killed, what the check started included', async (t) => {
  const cwd = makeTempHome(t);
  const result = await runExecProbe(
    {
      command: 'sh',
      args: ['-c', 'sleep 60 & echo $! > child; sleep 60'],
      shell: false,
      cwd,
      env: { PATH: process.env.PATH ?? '' },
      timeoutMs: 300,
    },
    never,
  );
  assert.deepEqual(result, { ok: false, reason: 'exec sh timed out after 300ms' });
  const child = Number(readFileSync(join(cwd, 'child'), 'utf8'));
  t.after(() => {
    if (isProcessAlive(child)) process.kill(child, 'SIGKILL');
  });
  // SIGKILL was sent before the result; the kernel ends the process right after.
  await waitUntil(() => !isProcessAlive(child), `the end of the check's child ${child}`, 2000);
});

test('the check of an http or tcp probe uses the probe port, else the instance port', async (t) => {
  const port = await httpServer(t);
  const base = {
    periodMs: 10_000,
    timeoutMs: 1000,
    failureThreshold: 3,
    successThreshold: 1,
    initialDelayMs: 0,
  };
  const instance = { port, cwd: '/', env: {} };
  assert.equal(
    (await probeCheckFor({ ...base, kind: 'http', path: '/503' }, instance)(never)).reason,
    'GET /503 answered 503',
  );
  assert.equal((await probeCheckFor({ ...base, kind: 'tcp' }, instance)(never)).ok, true);
  const other = await closedPort();
  assert.match(
    (await probeCheckFor({ ...base, kind: 'http', port: other }, { ...instance, port })(never))
      .reason ?? '',
    /GET \/ failed/,
  );
});

test('a server frozen by SIGSTOP still accepts TCP connections, but its http probe times out', async (t) => {
  const server = spawn(process.execPath, [fixturePath('http-echo')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(server, 'exit');
  t.after(async () => {
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    await exited;
  });
  server.stdout.setEncoding('utf8');
  let output = '';
  while (!/listening \d+\n/.test(output)) {
    const [chunk] = (await once(server.stdout, 'data')) as [string];
    output += chunk;
  }
  const port = Number(/listening (\d+)/.exec(output)?.[1]);
  assert.deepEqual(await runHttpProbe({ port, path: '/healthz', timeoutMs: 2000 }, never), {
    ok: true,
    reason: null,
  });
  server.kill('SIGSTOP');
  // The kernel completes the handshake from the listen backlog: connecting proves nothing.
  assert.equal((await runTcpProbe({ port, timeoutMs: 2000 }, never)).ok, true);
  assert.deepEqual(await runHttpProbe({ port, path: '/healthz', timeoutMs: 300 }, never), {
    ok: false,
    reason: 'GET /healthz timed out after 300ms',
  });
});
