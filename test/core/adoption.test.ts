import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toPersisted } from '../../src/daemon/persistence.js';
import type { PersistedProgram } from '../../src/store/persisted-state.js';
import { ENDED_UNSEEN_REASON } from '../../src/supervisor/reasons.js';
import { makeSpec } from '../supervisor/harness.js';
import { fakeStartTimeOf, makeFakeCore } from './fake-core.js';

const startTimeOf = fakeStartTimeOf;
const makeDaemon = makeFakeCore;

/** A first daemon that ran `web` (2 instances; instance 0 restarted once) and the state it saved. */
async function firstDaemonState(): Promise<{ saved: PersistedProgram[]; pids: number[] }> {
  const first = makeDaemon();
  await first.core.add(makeSpec({ name: 'web', instances: 2, minUptimeMs: 0 }));
  first.runtime.advance(5_000);
  const crashed = first.core.get('web').pool.instance(0)?.pid;
  assert.ok(crashed);
  first.runtime.exit(crashed, { code: 1 });
  const saved = toPersisted(first.core, first.pids);
  const pids = first.core
    .get('web')
    .pool.snapshot()
    .instances.map((instance) => instance.pid ?? 0);
  return { saved, pids };
}

test('a hand-over: the next daemon adopts every process with its pid, spawns nothing, and keeps the stats', async () => {
  const { saved, pids } = await firstDaemonState();
  const next = makeDaemon();
  for (const pid of pids) next.runtime.leave(pid, startTimeOf(pid));

  const taken = await next.core.restore(saved, { adopt: true });

  assert.deepEqual(taken, { adopted: 2, gone: 0 });
  assert.deepEqual(next.runtime.adoptions, pids);
  assert.equal(next.runtime.spawns.length, 2, 'only the two adopted processes are known');
  const snapshot = next.core.get('web').pool.snapshot();
  assert.deepEqual(
    snapshot.instances.map((instance) => [instance.pid, instance.state, instance.stats.restarts]),
    [
      [pids[0], 'online', 1],
      [pids[1], 'online', 0],
    ],
  );
  assert.equal(
    next.events.filter((event) => event.kind === 'instance.spawned').length,
    0,
    'nothing was spawned',
  );
  // The next save names the adopted processes again, start times included (a second crash adopts them too).
  const again = toPersisted(next.core, next.pids);
  assert.deepEqual(
    again[0]?.instances.map((instance) => [instance.lastPid, instance.lastPidStartTime]),
    pids.map((pid) => [pid, startTimeOf(pid)]),
  );
});

test('after a crash: a process that ended meanwhile is counted as gone and started again; a reused pid is not adopted', async () => {
  const { saved, pids } = await firstDaemonState();
  const next = makeDaemon();
  next.runtime.leave(pids[0] as number, startTimeOf(pids[0] as number));
  // Instance 1's pid now names another process (another start time): not ours.
  next.runtime.leave(pids[1] as number, 12345);

  const taken = await next.core.restore(saved, { adopt: true });

  assert.deepEqual(taken, { adopted: 1, gone: 1 });
  const instances = next.core.get('web').pool.snapshot().instances;
  assert.equal(instances[0]?.pid, pids[0]);
  assert.notEqual(instances[1]?.pid, pids[1], 'instance 1 runs a new process');
  assert.equal(instances[1]?.state, 'online');
  // How the gone run ended is unknown: the history says so, and invents no code.
  const exit = instances[1]?.stats.exits.at(-1);
  assert.deepEqual(
    exit && {
      code: exit.code,
      signal: exit.signal,
      isFailure: exit.isFailure,
      reason: exit.reason,
    },
    { code: null, signal: null, isFailure: true, reason: ENDED_UNSEEN_REASON },
  );
});

test('an adopted process that exits is handled by its restart policy; an unknown exit is recorded as unknown, never invented', async () => {
  const { saved, pids } = await firstDaemonState();
  const next = makeDaemon();
  for (const pid of pids) next.runtime.leave(pid, startTimeOf(pid));
  const neverRestarted = saved.map((program) => ({
    ...program,
    spec: { ...program.spec, restart: 'never' as const },
  }));
  await next.core.restore(neverRestarted, { adopt: true });
  next.runtime.advance(1_000);

  // PID 1 reaped it before the daemon looked: neither code nor signal is known.
  next.runtime.exit(pids[1] as number, {});
  const exited = next.events.find((event) => event.kind === 'instance.exited');
  assert.ok(exited?.kind === 'instance.exited');
  assert.equal(exited.code, null);
  assert.equal(exited.signal, null);
  const instance = next.core.get('web').pool.snapshot().instances[1];
  assert.equal(instance?.state, 'stopped');
  assert.equal(
    instance?.reason,
    "exited with code unknown (it ended while tend's daemon was not its parent); restart policy is never",
  );
  assert.deepEqual(instance?.stats.exits.at(-1), {
    at: next.runtime.now(),
    code: null,
    signal: null,
    uptimeMs: instance?.stats.exits.at(-1)?.uptimeMs,
    isFailure: true,
  });

  // Seen as a zombie: the signal is known and recorded.
  next.runtime.exit(pids[0] as number, { signal: 'SIGSEGV' });
  assert.equal(
    next.core.get('web').pool.snapshot().instances[0]?.stats.exits.at(-1)?.signal,
    'SIGSEGV',
  );
});

test('a program meant to stay stopped adopts nothing', async () => {
  const { saved, pids } = await firstDaemonState();
  const next = makeDaemon();
  for (const pid of pids) next.runtime.leave(pid, startTimeOf(pid));
  const stopped = saved.map((program) => ({ ...program, desired: 'stopped' as const }));
  assert.deepEqual(await next.core.restore(stopped, { adopt: true }), { adopted: 0, gone: 0 });
  assert.equal(next.runtime.spawns.length, 0);
});
