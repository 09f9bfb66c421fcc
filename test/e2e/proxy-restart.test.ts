import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProxyRestartReply } from '../../src/api/wire.js';
import { isProcessAlive } from '../helpers/proc.js';
import { fixture, useTend } from './harness.js';
import { startPool, untilProxyFed } from './pool-harness.js';

test('restart --proxy replaces the pool’s proxy with a new process, leaves the instances alone, and says how long the port was closed', async (t) => {
  const tend = useTend(t);
  const { proxyPort, detail } = await startPool(tend, 'web', {
    instances: 2,
    fixture: ['http-echo'],
  });
  await tend.ok(['start', '--name', 'solo', ...fixture('forever')]);
  const oldProxy = detail.proxy?.pid;
  assert.ok(oldProxy);
  const instancePids = detail.instances.map((instance) => instance.pid);

  const out = await tend.ok(['restart', 'web', '--proxy']);
  const said = out.match(
    /^Replaced the proxy of web \(pid (\d+) → (\d+)\): its port refused connections for at most \d[\d.]*m?s, and the connections through it were cut\n$/,
  );
  assert.ok(said, out);
  assert.equal(Number(said[1]), oldProxy);
  const newProxy = Number(said[2]);
  assert.notEqual(newProxy, oldProxy);
  assert.equal(isProcessAlive(oldProxy), false, 'the old proxy is gone');

  const after = await untilProxyFed(tend, 'web', 2, { isReadyNeeded: true });
  assert.equal(after.proxy?.pid, newProxy);
  assert.deepEqual(
    after.instances.map((instance) => instance.pid),
    instancePids,
    'the instances kept their processes',
  );
  assert.equal((await fetch(`http://127.0.0.1:${proxyPort}/`)).status, 200);

  // `all` takes the pools that have a proxy, and --json prints the replies.
  const replies = JSON.parse(
    await tend.ok(['restart', 'all', '--proxy', '--json']),
  ) as ProxyRestartReply[];
  assert.deepEqual(
    replies.map((reply) => [reply.name, reply.previousPid]),
    [['web', newProxy]],
  );
  assert.ok(replies[0] && replies[0].closedMs >= 0 && replies[0].pid !== newProxy);

  // Every name is checked first: one without a proxy leaves the other's proxy untouched.
  const mixed = await tend.run(['restart', 'web', 'solo', '--proxy']);
  assert.equal(mixed.code, 1);
  assert.match(mixed.stderr, /`solo` has no proxy .*; nothing was done\n$/);
  const untouched = replies[0]?.pid;
  assert.equal((await tend.program('web')).proxy?.pid, untouched);

  // A stopped pool has no proxy to replace: refused, and it stays stopped.
  await tend.ok(['stop', 'web']);
  const stopped = await tend.run(['restart', 'web', '--proxy']);
  assert.equal(stopped.code, 1);
  assert.equal(
    stopped.stderr,
    'tend: The proxy of `web` is not running: it starts with the pool (`tend start web`)\n',
  );
  assert.equal((await tend.program('web')).proxy?.pid, null);
});

test('restart --proxy is refused for a program without a proxy, an unknown one, and with --no-wait, touching nothing', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'solo', ...fixture('forever')]);
  const [before] = await tend.list();

  const noProxy = await tend.run(['restart', 'solo', '--proxy']);
  assert.equal(noProxy.code, 1);
  assert.equal(
    noProxy.stderr,
    'tend: `solo` has no proxy (it was started without --proxy-port); `tend restart solo` restarts its instances\n',
  );
  const unknown = await tend.run(['restart', 'nope', '--proxy']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No program named `nope`/);
  const noWait = await tend.run(['restart', 'solo', '--proxy', '--no-wait']);
  assert.equal(noWait.code, 2);
  assert.match(noWait.stderr, /Expected --proxy without --no-wait/);

  const [after] = await tend.list();
  assert.equal(after?.pid, before?.pid);
  assert.equal(after?.restarts, before?.restarts);
});
