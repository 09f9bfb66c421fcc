import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import type { InstanceDetail } from '../../src/api/wire.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { fixture, pollUntil, type TendUnderTest, useTend } from './harness.js';

/** A GET on 127.0.0.1, on a connection of its own; a failure resolves with status 0. */
function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', (error) => resolve({ status: 0, body: String(error) }));
    req.end();
  });
}

async function instanceOf(tend: TendUnderTest, index: number): Promise<InstanceDetail> {
  const detail = (await tend.program('web')).instances[index];
  assert.ok(detail, `instance ${index}`);
  return detail;
}

/** Waits until instance `index` runs a process other than `oldPid`, online, after a hung exit; returns it. */
function untilReplaced(tend: TendUnderTest, index: number, oldPid: number, timeoutMs = 20_000) {
  return tend.until(
    `web:${index} (pid ${oldPid}) replaced after a hang`,
    async () => {
      const instance = await instanceOf(tend, index);
      return (
        instance.status === 'online' &&
        instance.pid !== null &&
        instance.pid !== oldPid &&
        instance.exits.some((exit) => exit.reason?.startsWith('hung: ')) &&
        instance
      );
    },
    timeoutMs,
  );
}

const LIVENESS = ['--liveness', 'http:/healthz', '--liveness-period', '1s'];

test('a server frozen by SIGSTOP is shown frozen, found hung by its liveness probe, ended and restarted; the exit says hung', async (t) => {
  const tend = useTend(t);
  const port = await findFreePortRange(1);
  await tend.ok([
    'start',
    '--name',
    'web',
    '--port',
    String(port),
    ...LIVENESS,
    '--liveness-failures',
    '3',
    ...fixture('http-echo'),
  ]);
  const first = await tend.until('web online', async () => {
    const instance = await instanceOf(tend, 0);
    return instance.status === 'online' && instance.pid !== null && instance.pid;
  });
  await tend.ok(['signal', 'SIGSTOP', 'web']);
  // The kernel's state is read when asked: no event tells it.
  // One `tend ls` shows it: a second call could come after the probe replaced it.
  await pollUntil('web shown frozen by tend ls', async () =>
    /web\s+0\s+\d+\s+frozen\s/.test(await tend.ok(['ls'])),
  );

  const replaced = await untilReplaced(tend, 0, first);
  const hung = replaced.exits.find((exit) => exit.reason?.startsWith('hung: '));
  assert.equal(hung?.reason, 'hung: liveness failed 3 times (GET /healthz timed out after 1s)');
  assert.equal(hung?.isFailure, true);
  assert.equal(replaced.isFrozen, false);
  assert.equal(replaced.lastProbeFailure?.probe, 'liveness');
  assert.equal((await get(port)).status, 200, 'the new process answers');
  const status = await tend.ok(['status', 'web']);
  assert.match(status, /hung: liveness failed 3 times \(GET \/healthz timed out after 1s\)/);
  assert.match(status, /last probe failure\s+liveness: GET \/healthz timed out after 1s/);
});

test('a server that stops answering /healthz but keeps its port is found hung and restarted', async (t) => {
  const tend = useTend(t);
  const port = await findFreePortRange(1);
  await tend.ok([
    'start',
    '--name',
    'web',
    '--port',
    String(port),
    '--liveness',
    'http:/healthz',
    '--liveness-period',
    '500ms',
    '--liveness-timeout',
    '300ms',
    '--liveness-failures',
    '2',
    ...fixture('health-switch'),
  ]);
  const first = await tend.until('web online', async () => {
    const instance = await instanceOf(tend, 0);
    return instance.status === 'online' && instance.pid !== null && instance.pid;
  });
  assert.equal((await get(port, '/stall')).status, 200);
  assert.equal((await get(port, '/')).status, 200, 'the port still answers other paths');
  const replaced = await untilReplaced(tend, 0, first);
  assert.ok(
    replaced.exits.some(
      (exit) =>
        exit.reason === 'hung: liveness failed 2 times (GET /healthz timed out after 300ms)',
    ),
    JSON.stringify(replaced.exits),
  );
  assert.equal((await get(port, '/healthz')).status, 200, 'the new process is healthy');
});

/** Starts `web`: a pool of `instances` health-switch servers behind a proxy; waits until all are online. */
async function startPool(tend: TendUnderTest, instances: number, extra: string[]) {
  const base = await findFreePortRange(instances + 1);
  const proxyPort = base + instances;
  await tend.ok([
    'start',
    '--name',
    'web',
    '--instances',
    String(instances),
    '--port',
    String(base),
    '--proxy-port',
    String(proxyPort),
    ...extra,
    ...fixture('health-switch'),
  ]);
  await tend.until(
    'every instance online and in rotation',
    async () => {
      const program = await tend.program('web');
      return (
        program.instances.every((instance) => instance.status === 'online') &&
        program.proxy?.instances.length === instances &&
        program.proxy.instances.every((counters) => counters.isReady)
      );
    },
    30_000,
  );
  return { base, proxyPort };
}

/** Which instance (and pid) served each of `count` requests through the proxy; every one must succeed. */
async function answersOf(
  proxyPort: number,
  count: number,
): Promise<Array<{ instance: string; pid: number }>> {
  const served: Array<{ instance: string; pid: number }> = [];
  for (let sent = 0; sent < count; sent++) {
    const answer = await get(proxyPort, '/work');
    assert.equal(answer.status, 200, `request ${sent}: ${answer.body}`);
    served.push(JSON.parse(answer.body) as { instance: string; pid: number });
  }
  return served;
}

/** Which instance served each of `count` requests through the proxy; every one must succeed. */
async function servedBy(proxyPort: number, count: number): Promise<string[]> {
  return (await answersOf(proxyPort, count)).map((answer) => answer.instance);
}

test('an instance failing its readiness probe leaves the proxy rotation (nothing restarted) and comes back when it passes', async (t) => {
  const tend = useTend(t);
  const { base, proxyPort } = await startPool(tend, 2, [
    '--readiness',
    'http:/ready',
    '--readiness-period',
    '500ms',
    '--readiness-timeout',
    '500ms',
    '--readiness-failures',
    '1',
  ]);
  const pid = (await instanceOf(tend, 0)).pid;
  await get(base, '/unready');
  await tend.until('web:0 out of rotation', async () => {
    const program = await tend.program('web');
    return (
      program.instances[0]?.notReady !== null &&
      program.proxy?.instances.find((counters) => counters.instance === 0)?.isReady === false
    );
  });
  const instance = await instanceOf(tend, 0);
  assert.equal(instance.status, 'online');
  assert.equal(instance.pid, pid, 'not restarted');
  assert.equal(instance.notReady, 'not ready: readiness failed once (GET /ready answered 503)');
  assert.match(await tend.ok(['ls']), /web\s+0\s+\d+\s+online, not ready/);
  assert.deepEqual(new Set(await servedBy(proxyPort, 6)), new Set(['1']));

  await get(base, '/ready-again');
  await tend.until('web:0 back in rotation', async () => {
    const program = await tend.program('web');
    return (
      program.instances[0]?.notReady === null &&
      program.proxy?.instances.find((counters) => counters.instance === 0)?.isReady === true
    );
  });
  assert.deepEqual(new Set(await servedBy(proxyPort, 6)), new Set(['0', '1']));
  assert.equal((await instanceOf(tend, 0)).pid, pid);
});

test('watchdog lab: a worker of a pool freezes; clients are served throughout and the frozen one is replaced with nobody doing anything', async (t) => {
  const tend = useTend(t);
  const { proxyPort } = await startPool(tend, 3, [
    ...LIVENESS,
    '--liveness-failures',
    '2',
    '--proxy-timeout',
    '500ms',
  ]);
  const frozen = await instanceOf(tend, 1);
  assert.ok(frozen.pid);
  await tend.ok(['signal', 'SIGSTOP', 'web:1']);
  // Clients keep being served while the worker is frozen: a request sent to it is retried on
  // another after the proxy's response timeout.
  const duringFreeze = await answersOf(proxyPort, 9);
  assert.ok(
    duringFreeze.every((answer) => answer.pid !== frozen.pid),
    'the frozen worker answered nothing',
  );
  const replaced = await untilReplaced(tend, 1, frozen.pid);
  assert.match(
    replaced.exits.find((exit) => exit.reason?.startsWith('hung: '))?.reason ?? '',
    /^hung: liveness failed 2 times \(GET \/healthz timed out after 1s\)$/,
  );
  await tend.until('the replacement back in rotation', async () => {
    const program = await tend.program('web');
    return program.proxy?.instances.find((counters) => counters.instance === 1)?.isReady;
  });
  assert.deepEqual(new Set(await servedBy(proxyPort, 6)), new Set(['0', '1', '2']));
});

test('the API refuses an exec probe whose command does not exist, as tend start does', async (t) => {
  const tend = useTend(t);
  await tend.ok(['ls']);
  const reply = await tend.api<{ error: { code: string; message: string } }>(
    'POST',
    '/v1/programs',
    {
      name: 'probed',
      command: 'true',
      cwd: tend.home,
      livenessProbe: { kind: 'exec', command: './no-such-check' },
    },
  );
  assert.equal(reply.status, 400);
  assert.equal(reply.body.error.code, 'TEND_ERR_PROBE_COMMAND_NOT_FOUND');
  assert.match(reply.body.error.message, /`livenessProbe\.command`.*no-such-check does not exist/);
  assert.deepEqual(await tend.list(), []);
});
