import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProxyConfigureError, ProxyControlClient } from '../../src/proxy/control-client.js';
import { CONTROL_PROTOCOL_VERSION, type ProxyMessage } from '../../src/proxy/control-protocol.js';
import { PROXY_MAIN_PATH, PROXY_READY_LINE } from '../../src/proxy/proxy-paths.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { members, refusedPort, send, startUpstream, until } from './harness.js';

type After = { after(fn: () => unknown): void };

/** Spawns the real proxy process and resolves once it printed its ready line. */
async function spawnProxy(t: After, socketPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [PROXY_MAIN_PATH, socketPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
    }
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr += text;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (text: string) => {
      stdout += text;
      if (stdout.includes(PROXY_READY_LINE)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`The proxy exited with ${code} before it was ready: ${stderr}`)),
    );
  });
  return child;
}

async function connectClient(t: After, socketPath: string): Promise<ProxyControlClient> {
  const client = await ProxyControlClient.connect(socketPath);
  t.after(() => client.close());
  return client;
}

function nextMessage(
  client: ProxyControlClient,
  type: ProxyMessage['type'],
): Promise<ProxyMessage> {
  return new Promise((resolve) => {
    const remove = client.onMessage((message) => {
      if (message.type === type) {
        remove();
        resolve(message);
      }
    });
  });
}

test('the proxy process: configure, upstreams, listening, stats, upstream-failed, SIGTERM', async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const child = await spawnProxy(t, socketPath);
  assert.equal(statSync(socketPath).mode & 0o777, 0o600);
  const client = await connectClient(t, socketPath);

  const address = await client.configure({
    pool: 'web',
    listen: { host: '127.0.0.1', port: 0 },
    mode: 'http',
    balance: 'round-robin',
    waitForReadyMs: 200,
    maxReplayBodyBytes: 1024,
    retryNonIdempotent: false,
  });
  assert.equal(address.host, '127.0.0.1');
  assert.ok(address.port > 0);

  const dead = await refusedPort();
  const held: ServerResponse[] = [];
  const live = await startUpstream(t, (req, res) => {
    if (req.url === '/hold') held.push(res);
    else res.end('through the process');
  });
  const failed = nextMessage(client, 'upstream-failed');
  client.setUpstreams(members([dead, true], [live.port, true]));

  const response = await send(address.port);
  assert.equal(response.body, 'through the process');
  assert.deepEqual(await failed, { type: 'upstream-failed', instance: 0, reason: 'ECONNREFUSED' });

  const stats = await client.stats();
  assert.deepEqual(
    stats.map((s) => [s.instance, s.requests, s.failures, s.retries]),
    [
      [0, 1, 1, 0],
      [1, 1, 0, 1],
    ],
  );
  assert.ok((stats[1]?.latencyMs.p50 ?? 0) > 0);

  // SIGTERM lets the request in flight finish, then the process exits 0 and removes its socket.
  const inFlight = send(address.port, { path: '/hold' });
  await until(() => held.length === 1);
  const exited = once(child, 'exit');
  process.kill(child.pid as number, 'SIGTERM');
  held[0]?.end('finished');
  assert.equal((await inFlight).body, 'finished');
  const [code] = await exited;
  assert.equal(code, 0);
  assert.equal(existsSync(socketPath), false);
});

test('a new daemon connection finds the proxy serving with the membership it had', async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  await spawnProxy(t, socketPath);
  const live = await startUpstream(t, (_req, res) => res.end('still here'));
  const configure = {
    pool: 'web',
    listen: { host: '127.0.0.1', port: 0 },
  } as const;

  const first = await ProxyControlClient.connect(socketPath);
  const address = await first.configure(configure);
  first.setUpstreams(members([live.port, true]));
  await first.stats();
  await first.close();

  assert.equal((await send(address.port)).body, 'still here');
  const second = await connectClient(t, socketPath);
  const again = await second.configure({
    pool: 'web',
    listen: { host: '127.0.0.1', port: address.port },
  });
  assert.deepEqual(again, address, 'the same listener keeps serving');
  assert.equal((await send(address.port)).body, 'still here');
});

test('a malformed control message is answered with an error and changes nothing', async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  await spawnProxy(t, socketPath);
  const client = await connectClient(t, socketPath);

  const notJson = nextMessage(client, 'error');
  (client as unknown as { send(raw: unknown): void }).send('this is not' as never);
  const error = await notJson;
  assert.equal(error.type === 'error' && error.code, 'EBADMSG');

  const invalid = nextMessage(client, 'error');
  client.send({ type: 'upstreams', upstreams: [{ instance: -1 }] } as never);
  const problem = await invalid;
  assert.equal(problem.type === 'error' && problem.code, 'EBADMSG');
  assert.match(problem.type === 'error' ? problem.message : '', /upstreams/);

  assert.deepEqual(await client.stats(), []);
});

test('the proxy says hello with its control protocol first, on every daemon connection', async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  await spawnProxy(t, socketPath);
  for (let connection = 0; connection < 2; connection++) {
    const client = await connectClient(t, socketPath);
    await client.configure({ pool: 'web', listen: { host: '127.0.0.1', port: 0 } });
    assert.equal(client.protocol, CONTROL_PROTOCOL_VERSION, 'hello came before listening');
  }
});

test('a message of a type from a newer daemon is ignored, logged once, and the connection stays', async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const child = await spawnProxy(t, socketPath);
  let stderr = '';
  const logged = new Promise<void>((resolve) => {
    child.stderr?.on('data', (text: string) => {
      stderr += text;
      if (stderr.includes('\n')) resolve();
    });
  });
  const live = await startUpstream(t, (_req, res) => res.end('still here'));
  const client = await connectClient(t, socketPath);
  const address = await client.configure({ pool: 'web', listen: { host: '127.0.0.1', port: 0 } });
  const answers: ProxyMessage[] = [];
  client.onMessage((message) => answers.push(message));

  const future = { type: 'from-the-future', tasks: [{ id: 'x' }] };
  client.send(future as never);
  client.send(future as never);
  client.setUpstreams(members([live.port, true]));
  // A stats answer comes after every message sent before its request has been handled.
  assert.deepEqual(
    (await client.stats()).map((counters) => counters.instance),
    [0],
    'the messages after it were applied',
  );
  assert.equal((await send(address.port)).body, 'still here');
  await logged;
  assert.deepEqual(
    answers.filter((message) => message.type === 'error'),
    [],
    'not answered with an error',
  );
  assert.match(
    stderr,
    /^tend proxy: ignoring control messages of type "from-the-future", unknown to this proxy \(control protocol \d+\): the daemon is newer; `tend restart <pool> --proxy` replaces this proxy with one that runs its code\n$/,
  );

  // Once per type: a second kind is logged, the first is not again.
  const second = new Promise<void>((resolve) => {
    child.stderr?.on('data', () => {
      if (stderr.split('\n').length > 2) resolve();
    });
  });
  client.send(future as never);
  client.send({ type: 'another-new-one' } as never);
  await second;
  await client.stats();
  assert.equal(stderr.split('\n').filter((line) => line.includes('from-the-future')).length, 1);
  assert.match(stderr, /"another-new-one"/);
});

test('a proxy that cannot listen reports EADDRINUSE and exits 1', async (t) => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  t.after(() => blocker.close());
  const taken = (blocker.address() as { port: number }).port;
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const child = await spawnProxy(t, socketPath);
  const client = await connectClient(t, socketPath);
  const exited = once(child, 'exit');

  await assert.rejects(
    client.configure({ pool: 'web', listen: { host: '127.0.0.1', port: taken } }),
    (error: unknown) => error instanceof ProxyConfigureError && error.code === 'EADDRINUSE',
  );
  const [code] = await exited;
  assert.equal(code, 1);
});

test('a second proxy on a control socket that is in use exits 1 and leaves the first alone', async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  await spawnProxy(t, socketPath);
  const second = spawn(process.execPath, [PROXY_MAIN_PATH, socketPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  second.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = await once(second, 'exit');
  assert.equal(code, 1);
  assert.match(stderr, /already listens/);
  const client = await connectClient(t, socketPath);
  assert.deepEqual(await client.stats(), []);
});

test('a stale socket file left by a killed proxy is replaced', async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const first = await spawnProxy(t, socketPath);
  const exited = once(first, 'exit');
  process.kill(first.pid as number, 'SIGKILL');
  await exited;
  assert.equal(existsSync(socketPath), true);

  await spawnProxy(t, socketPath);
  const client = await connectClient(t, socketPath);
  assert.deepEqual(await client.stats(), []);
});
