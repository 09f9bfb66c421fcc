import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import type { ProgramDetail } from '../../src/api/wire.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { fixture, pollUntil, useTend } from './harness.js';
import { startPool, untilPoolOnline } from './pool-harness.js';

interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request; a connection closed without an answer resolves with status 0. */
function httpCall(
  port: number,
  options: { method?: string; path?: string; body?: string; agent?: Agent } = {},
) {
  return new Promise<HttpAnswer>((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        agent: options.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('error', (error) => resolve({ status: 0, body: String(error) }));
    req.end(options.body);
  });
}

test('scaling past max or below min is refused with the pool unchanged; within bounds it grows and shrinks', async (t) => {
  const tend = useTend(t);
  await tend.ok([
    'start',
    '--name',
    'web',
    '--instances',
    '3',
    '--min',
    '2',
    '--max',
    '5',
    ...fixture('forever'),
  ]);
  const before = (await tend.list()).map((row) => row.pid);

  const tooMany = await tend.run(['scale', 'web', '6']);
  assert.equal(tooMany.code, 1);
  assert.match(tooMany.stderr, /cannot scale web to 6: max is 5/);
  const tooFew = await tend.run(['scale', 'web', '-2']);
  assert.equal(tooFew.code, 1);
  assert.match(tooFew.stderr, /cannot scale web to 1: min is 2/);
  assert.deepEqual(
    (await tend.list()).map((row) => row.pid),
    before,
  );

  await tend.ok(['scale', 'web', '+2']);
  const grown = await tend.list();
  assert.deepEqual(
    grown.map((row) => [row.instance, row.status]),
    [0, 1, 2, 3, 4].map((index) => [index, 'online']),
  );
  await tend.ok(['scale', 'web', '2']);
  const shrunk = await tend.list();
  assert.deepEqual(
    shrunk.map((row) => row.pid),
    before.slice(0, 2),
    'the highest instances go first; the others are untouched',
  );
});

test('a restarted instance gets its own port back', async (t) => {
  const tend = useTend(t);
  const { base } = await startPool(tend, 'echo', { instances: 3, fixture: ['http-echo'] });
  const before = await tend.program('echo');
  const victim = before.instances[1]?.pid;
  assert.ok(victim);
  process.kill(victim, 'SIGKILL');
  const after = await tend.until('instance 1 back online', async () => {
    const detail = await tend.program('echo');
    const instance = detail.instances[1];
    return instance?.status === 'online' && instance.pid !== victim ? instance : undefined;
  });
  assert.equal(after.port, base + 1);
  const answer = await httpCall(base + 1);
  assert.equal(answer.status, 200);
  assert.equal(JSON.parse(answer.body).instance, '1');
  assert.equal(JSON.parse(answer.body).pid, after.pid);
});

test('instances killed at random while requests flow: every idempotent request succeeds', async (t) => {
  const tend = useTend(t);
  const { proxyPort } = await startPool(tend, 'busy', { instances: 3, fixture: ['http-echo'] });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => agent.destroy());

  let isLoading = true;
  // A failed assertion must not leave the request loops running.
  t.after(() => {
    isLoading = false;
  });
  const answers: HttpAnswer[] = [];
  const clients = Array.from({ length: 6 }, async (_, client) => {
    let sequence = 0;
    while (isLoading) {
      const method = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'][sequence++ % 5] as string;
      answers.push(await httpCall(proxyPort, { method, path: `/c${client}/${sequence}`, agent }));
    }
  });

  const signals = ['SIGKILL', 'SIGABRT', 'SIGILL'] as const;
  let kills = 0;
  for (let round = 0; round < 12; round++) {
    const detail = await untilPoolOnline(tend, 'busy', 3);
    const index = round % 3;
    const victim = detail.instances[index]?.pid;
    assert.ok(victim);
    const answeredBefore = answers.length;
    process.kill(victim, signals[round % signals.length]);
    kills++;
    await tend.until(`instance ${index} restarted`, async () => {
      const instance = (await tend.program('busy')).instances[index];
      return instance?.status === 'online' && instance.pid !== victim;
    });
    await pollUntil(
      'the proxy to have served more',
      async () => answers.length > answeredBefore + 20,
    );
  }
  isLoading = false;
  await Promise.all(clients);

  const failures = answers.filter((answer) => answer.status !== 200);
  assert.ok(answers.length > 240, `only ${answers.length} requests`);
  assert.deepEqual(
    failures.slice(0, 5),
    [],
    `${failures.length} of ${answers.length} requests failed`,
  );
  const detail = await tend.program('busy');
  const restarts = detail.instances.reduce((sum, instance) => sum + instance.restarts, 0);
  assert.equal(restarts, kills);
  const signalsSeen = new Set(
    detail.instances.flatMap((instance) => instance.exits.map((exit) => exit.signal)),
  );
  assert.deepEqual([...signalsSeen].sort(), ['SIGABRT', 'SIGILL', 'SIGKILL']);
  const counters = detail.proxy?.instances ?? [];
  assert.equal(
    counters.reduce((sum, counter) => sum + counter.requests - counter.retries, 0),
    answers.length,
  );
});

test('a POST that reached an instance is not replayed when the instance dies before answering', async (t) => {
  const tend = useTend(t);
  const { proxyPort } = await startPool(tend, 'orders', {
    instances: 2,
    fixture: ['crash-on-post'],
  });
  const answer = await httpCall(proxyPort, { method: 'POST', path: '/orders', body: 'order-1' });
  assert.ok(answer.status === 502 || answer.status === 0, `got ${answer.status}`);

  await tend.until('the crash to be recorded', async () => {
    const detail = await tend.program('orders');
    return detail.instances.some((instance) => instance.exits.length > 0);
  });
  const logs = await tend.ok(['logs', 'orders', '--out', '--lines', '50']);
  assert.equal(logs.match(/received POST order-1/g)?.length, 1, logs);

  await untilPoolOnline(tend, 'orders', 2);
  const get = await httpCall(proxyPort);
  assert.equal(get.status, 200);
});

test('when every instance is down, a request waits for the wait limit and then gets 503 naming the pool', async (t) => {
  const tend = useTend(t);
  await tend.ok(['ls']);
  const base = await findFreePortRange(3);
  const created = await tend.api<ProgramDetail>('POST', '/v1/programs', {
    name: 'gone',
    command: process.execPath,
    args: fixture('http-echo').slice(1),
    cwd: tend.home,
    instances: 2,
    port: base,
    restart: 'never',
    proxy: { port: base + 2, waitForReadyMs: 300 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await untilPoolOnline(tend, 'gone', 2);
  await tend.ok(['signal', 'KILL', 'gone']);
  // The proxy learns membership over its control socket, after the daemon: wait for both to know.
  await tend.until('both instances down, for the daemon and the proxy', async () => {
    const detail = await tend.program('gone');
    return (
      detail.instances.every((instance) => instance.status === 'stopped') &&
      detail.proxy?.instances.length === 2 &&
      detail.proxy.instances.every((counters) => !counters.isReady)
    );
  });

  const startedAt = Date.now();
  const answer = await httpCall(base + 2);
  const waitedMs = Date.now() - startedAt;
  assert.equal(answer.status, 503);
  assert.match(answer.body, /gone/);
  assert.ok(waitedMs >= 250, `answered after ${waitedMs} ms`);

  await tend.ok(['start', 'gone']);
  await untilPoolOnline(tend, 'gone', 2);
  // A 300 ms wait is shorter than the proxy's membership update may take on a loaded machine.
  await tend.until('the proxy sees an instance ready again', async () => {
    const detail = await tend.program('gone');
    return detail.proxy?.instances.some((counters) => counters.isReady) === true;
  });
  assert.equal((await httpCall(base + 2)).status, 200);
});

test('a WebSocket connection passes through the proxy and echoes', async (t) => {
  const tend = useTend(t);
  const { base, proxyPort } = await startPool(tend, 'sockets', {
    instances: 2,
    fixture: ['ws-echo'],
  });
  const socket = new WebSocket(`ws://127.0.0.1:${proxyPort}/chat`);
  t.after(() => socket.terminate());
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const reply = new Promise<string>((resolve) =>
    socket.once('message', (data) => resolve(data.toString())),
  );
  socket.send('hello');
  // The echo names the port of the instance that answered.
  assert.match(await reply, new RegExp(`^(${base}|${base + 1}):hello$`));
});

test('--proxy-mode tcp balances connections across the instances', async (t) => {
  const tend = useTend(t);
  const { proxyPort } = await startPool(tend, 'raw', {
    instances: 2,
    fixture: ['http-echo'],
    extra: ['--proxy-mode', 'tcp'],
  });
  const instances = new Set<string>();
  // A new connection for each request: TCP mode balances connections, not requests.
  const agent = new Agent({ keepAlive: false });
  t.after(() => agent.destroy());
  for (let attempt = 0; attempt < 6; attempt++) {
    const answer = await httpCall(proxyPort, { agent });
    assert.equal(answer.status, 200);
    instances.add(JSON.parse(answer.body).instance);
  }
  assert.deepEqual([...instances].sort(), ['0', '1']);
  const detail = await tend.program('raw');
  assert.equal(detail.proxy?.mode, 'tcp');
});
