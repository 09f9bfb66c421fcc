import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import type { InstanceDetail } from '../../src/api/wire.js';
import { formatDuration } from '../../src/config/human-units.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { listenHere, startListeningFamily } from '../helpers/listeners.js';
import { fixture, pollUntil, type TendUnderTest, useTend } from './harness.js';

/** The status code and body of one GET, or status 0 when the connection failed. */
function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

async function instanceOf(tend: TendUnderTest, name: string): Promise<InstanceDetail> {
  const instance = (await tend.program(name)).instances[0];
  assert.ok(instance, `${name} has an instance 0`);
  return instance;
}

test('regression: tend start refuses a port another process listens on, naming its pid, and creates nothing', async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(3);
  const foreign = await startListeningFamily(t, { port: base + 1 });

  const taken = await tend.run([
    'start',
    '--name',
    'clash',
    '--instances',
    '2',
    '--port',
    String(base),
    '--proxy-port',
    String(base + 2),
    '--',
    ...fixture('http-echo'),
  ]);
  assert.equal(taken.code, 1, taken.stderr);
  assert.match(
    taken.stderr,
    new RegExp(
      `port ${base + 1} is already in use by pid ${foreign.pid} \\(node\\); instance 1 of \`clash\``,
    ),
  );
  assert.doesNotMatch(taken.stdout, /online/);
  assert.deepEqual(await tend.list(), []);

  // The proxy's port too, here held by the test process itself.
  const proxy = await listenHere(t);
  const proxyTaken = await tend.run([
    'start',
    '--name',
    'clash',
    '--port',
    String(base),
    '--proxy-port',
    String(proxy.port),
    '--',
    ...fixture('http-echo'),
  ]);
  assert.equal(proxyTaken.code, 1, proxyTaken.stderr);
  assert.match(
    proxyTaken.stderr,
    new RegExp(
      `port ${proxy.port} is already in use by pid ${process.pid} \\(.+\\); the proxy of \`clash\``,
    ),
  );
  assert.deepEqual(await tend.list(), []);
});

test('regression: scale and a start of a stopped program refuse a port another process took meanwhile', async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(2);
  await tend.ok([
    'start',
    '--name',
    'web',
    '--min',
    '1',
    '--max',
    '2',
    '--port',
    String(base),
    '--',
    ...fixture('http-echo'),
  ]);
  await tend.until('web online', async () => (await instanceOf(tend, 'web')).status === 'online');

  const second = await startListeningFamily(t, { port: base + 1 });
  const scaled = await tend.run(['scale', 'web', '2']);
  assert.equal(scaled.code, 1, scaled.stderr);
  assert.match(
    scaled.stderr,
    new RegExp(`port ${base + 1} is already in use by pid ${second.pid}`),
  );
  assert.equal((await tend.program('web')).instances.length, 1);

  // Its own instance holds the first port: a restart is not refused.
  await tend.ok(['restart', 'web']);
  await tend.ok(['stop', 'web']);
  const first = await startListeningFamily(t, { port: base });
  const started = await tend.run(['start', 'web']);
  assert.equal(started.code, 1, started.stderr);
  assert.match(started.stderr, new RegExp(`port ${base} is already in use by pid ${first.pid}`));
  assert.equal((await instanceOf(tend, 'web')).status, 'stopped');
});

test('regression: a port taken by another process while the program runs is not reported ready, and the instance backs off', async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(2);
  const gate = join(tend.home, 'gate');
  await tend.ok([
    'start',
    '--no-wait',
    '--name',
    'clash',
    '--port',
    String(base),
    '--proxy-port',
    String(base + 1),
    '--proxy-wait',
    '100ms',
    '--',
    ...fixture('listen-when', gate),
  ]);
  // The instance has not listened yet; now another process takes its port.
  const foreign = await startListeningFamily(t, { port: base });
  const held = `port ${base} is already in use by pid ${foreign.pid} \\(node\\)`;
  // The reason changes without a change of state, so no event tells: poll.
  const noticed = await pollUntil('the port held by another process to be noticed', async () => {
    const instance = await instanceOf(tend, 'clash');
    return instance.reason !== null && new RegExp(held).test(instance.reason) && instance;
  });
  assert.equal(noticed.status, 'starting', 'another process answering is not readiness');
  const proxied = await get(base + 1);
  assert.equal(proxied.status, 503, `the proxy does not serve the other process: ${proxied.body}`);

  // Now the instance tries to listen, fails with EADDRINUSE and exits 1 on every start.
  writeFileSync(gate, '');
  // Polls may miss a short wait under load, so any state from the second young death on will do.
  const backingOff = await tend.until('two or more young deaths in a row', async () => {
    const instance = await instanceOf(tend, 'clash');
    return (
      instance.status === 'waiting' && /\d+ times in a row/.test(instance.reason ?? '') && instance
    );
  });
  const deaths = Number(/(\d+) times in a row/.exec(backingOff.reason ?? '')?.[1]);
  assert.match(
    backingOff.reason ?? '',
    new RegExp(
      `^code 1 \\d+ms after starting \\(${deaths} times in a row\\); ${held}.*; restarting in ${formatDuration(100 * 2 ** (deaths - 1))}$`,
    ),
    'each restart waits a doubling backoff',
  );
});

test('regression: an instance whose port another process holds ends errored, with a reason that names the port', async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(1);
  const gate = join(tend.home, 'gate');
  const [command, ...args] = fixture('listen-when', gate);
  await tend.ok(['ls']); // starts the daemon
  // Through the API: the CLI has no option for the restart intensity, and the defaults take minutes to give up.
  const created = await tend.api('POST', '/v1/programs', {
    name: 'clash',
    command,
    args,
    cwd: tend.home,
    port: base,
    maxRestarts: 2,
    backoffInitialMs: 20,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const foreign = await startListeningFamily(t, { port: base });
  await pollUntil('the port held by another process to be noticed', async () =>
    /already in use/.test((await instanceOf(tend, 'clash')).reason ?? ''),
  );
  writeFileSync(gate, '');
  const errored = await tend.until('errored', async () => {
    const instance = await instanceOf(tend, 'clash');
    return instance.status === 'errored' && instance;
  });
  assert.match(
    errored.reason ?? '',
    new RegExp(
      `^crashed 3 times .*last exit: code 1; port ${base} is already in use by pid ${foreign.pid} \\(node\\)`,
    ),
  );
  const status = await tend.ok(['status', 'clash']);
  assert.match(status, new RegExp(`port ${base} is already in use by pid ${foreign.pid}`));
});
