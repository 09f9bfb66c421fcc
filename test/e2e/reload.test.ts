import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgramDetail } from '../../src/api/wire.js';
import { startSteadyLoad } from '../helpers/steady-load.js';
import { type TendUnderTest, useTend } from './harness.js';
import { startPool } from './pool-harness.js';

/** Concurrent keep-alive clients of the load. */
const CONNECTIONS = 4;
/** POSTs: the proxy never retries one that reached an instance, so only draining keeps them all answered. */
const METHOD = 'POST';

/** Starts `web` (the http-release fixture, RELEASE=1) behind a proxy, and waits until all of it is online. */
async function startWeb(
  tend: TendUnderTest,
  pool: { instances: number; max: number },
): Promise<{ proxyPort: number; before: ProgramDetail }> {
  const { proxyPort, detail: before } = await startPool(tend, 'web', {
    ...pool,
    fixture: ['http-release'],
    extra: ['--env', 'RELEASE=1'],
  });
  return { proxyPort, before };
}

function releasesOf(bodies: string[]): Set<string> {
  return new Set(bodies.map((body) => (JSON.parse(body) as { release: string }).release));
}

for (const pool of [
  { instances: 3, max: 3, how: 'one instance at a time out of rotation' },
  { instances: 1, max: 1, how: 'the proxy holding requests while the only instance is replaced' },
  { instances: 1, max: 2, how: 'a surge instance on the spare port' },
]) {
  test(`tend reload --env of a pool of ${pool.instances} (max ${pool.max}) under steady keep-alive load: no request fails, every instance is new, the new env is served (${pool.how})`, async (t) => {
    const tend = useTend(t);
    const { proxyPort, before } = await startWeb(tend, pool);
    const load = startSteadyLoad(proxyPort, CONNECTIONS, METHOD);
    t.after(() => load.stop());
    await load.answered(50);

    const output = await tend.ok(['reload', 'web', '--env', 'RELEASE=2']);
    assert.match(output, /^Reloading web: /m);
    for (let index = 0; index < pool.instances; index++)
      assert.match(output, new RegExp(`web\\[${index}\\] replaced: pid \\d+ → \\d+`));
    assert.match(output, new RegExp(`Reloaded web: ${pool.instances} instances? replaced`));

    await load.answered(50);
    const tally = await load.stop();
    assert.deepEqual(tally.failures, [], 'no request failed during the reload');
    const after = await tend.program('web');
    assert.equal(after.instances.length, pool.instances, 'the pool has its own size again');
    for (const instance of after.instances) {
      assert.equal(instance.status, 'online');
      assert.notEqual(instance.pid, before.instances[instance.instance]?.pid, 'a new process');
    }
    assert.deepEqual(after.spec.env, { ...before.spec.env, RELEASE: '2' });
    assert.deepEqual([...releasesOf(tally.bodies.slice(-20))], ['2'], 'the new env is served');
    assert.ok(releasesOf(tally.bodies).has('1'), 'the load was served by the old release first');
  });
}

test('a replacement that crashes at start fails the reload (exit 1, the reason, its stderr) and the old instances keep serving', async (t) => {
  const tend = useTend(t);
  const { proxyPort, before } = await startWeb(tend, { instances: 3, max: 3 });
  const load = startSteadyLoad(proxyPort, CONNECTIONS, METHOD);
  t.after(() => load.stop());
  await load.answered(50);

  const result = await tend.run(['reload', 'web', '--env', 'RELEASE=broken']);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /TEND_ERR_RELOAD_FAILED|Reload of web stopped/);
  assert.match(
    result.stderr,
    /web\[0\]'s new process \(pid \d+\) exited with code 1 before it was ready/,
  );
  assert.match(result.stderr, /cannot start: RELEASE is broken/);

  await load.answered(50);
  const tally = await load.stop();
  assert.deepEqual(tally.failures, [], 'no request failed');
  assert.deepEqual([...releasesOf(tally.bodies)], ['1'], 'only the old release served');
  const after = await tend.program('web');
  assert.equal(after.spec.env.RELEASE, '1', 'the previous definition is back');
  assert.deepEqual(
    after.instances.slice(1).map((instance) => instance.pid),
    before.instances.slice(1).map((instance) => instance.pid),
    'instances 1 and 2 were never touched',
  );
  assert.equal(after.instances[0]?.status, 'online', 'the failed slot serves again');
});

test('bad reload requests are refused with a clear error and change nothing', async (t) => {
  const tend = useTend(t);
  const { before } = await startWeb(tend, { instances: 2, max: 2 });
  const noRoom = await tend.run(['reload', 'web', '--max-unavailable', '0']);
  assert.equal(noRoom.code, 1);
  assert.match(noRoom.stderr, /no spare port for a surge instance \(2 instances, max 2\)/);
  const reserved = await tend.run(['reload', 'web', '--env', 'PORT=1']);
  assert.notEqual(reserved.code, 0);
  assert.match(reserved.stderr, /PORT/);
  const unknown = await tend.run(['reload', 'nope']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No program named `nope`/);
  const after = await tend.program('web');
  assert.deepEqual(
    after.instances.map((instance) => instance.pid),
    before.instances.map((instance) => instance.pid),
  );
  assert.deepEqual(after.spec, before.spec);
});
