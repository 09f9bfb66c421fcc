import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceLike } from '../../src/daemon/orphan-scan.js';
import { decideOrphans, settleOrphans } from '../../src/daemon/orphan-sweep.js';
import { toPersisted } from '../../src/daemon/persistence.js';
import type { ProcStat } from '../../src/process/proc-table.js';
import type { PersistedProgram } from '../../src/store/persisted-state.js';
import { fakeStartTimeOf, makeFakeCore } from '../core/fake-core.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';
import { makeSpec } from '../supervisor/harness.js';

const HOME = '/tmp/tend-home';
const CGROUP = 'tend-0123456789abcdef';
const SELF = 9_000;
const WATCHER = 8_999;
const startTimeOf = fakeStartTimeOf;

const makeDaemon = makeFakeCore;

/** `web` with 2 instances, saved; then, after that last write, instance 1 restarted and a third instance added. */
async function crashedAfterLastWrite() {
  const first = makeDaemon();
  await first.core.add(makeSpec({ name: 'web', instances: 2, minUptimeMs: 0 }));
  first.runtime.advance(5_000);
  const saved = toPersisted(first.core, first.pids);
  const [kept, restarted] = first.core
    .get('web')
    .pool.snapshot()
    .instances.map((instance) => instance.pid as number) as [number, number];
  first.runtime.exit(restarted, { code: 1 });
  first.runtime.advance(5_000);
  const replacement = first.core.get('web').pool.instance(1)?.pid as number;
  assert.notEqual(replacement, restarted);
  return { saved, kept, replacement };
}

/** A live process as /proc shows it. */
function stat(pid: number, ppid: number, pgrp = pid, state = 'S'): ProcStat {
  return { pid, ppid, pgrp, state, startTime: startTimeOf(pid) };
}

/** An instance-like process (TEND_HOME, TEND_NAME, TEND_INSTANCE) as the scan reports it. */
function instanceLike(
  pid: number,
  name: string,
  instance: number,
  extra: Partial<InstanceLike> = {},
): InstanceLike {
  return {
    pid,
    ppid: 1,
    home: HOME,
    startTime: startTimeOf(pid),
    startedAt: 1_700_000_000_000,
    name,
    instance,
    cgroups: [],
    ...extra,
  };
}

function decide(
  programs: PersistedProgram[],
  table: ProcStat[],
  instances: InstanceLike[],
  canAdopt = true,
) {
  return decideOrphans({
    programs,
    canAdopt,
    table: [stat(WATCHER, 1), stat(SELF, WATCHER), ...table],
    instances,
    home: HOME,
    self: SELF,
    cgroupName: CGROUP,
  });
}

test('a process spawned into a saved slot after the last state write is adopted there: same pid, nothing spawned, nothing signalled', async () => {
  const { saved, kept, replacement } = await crashedAfterLastWrite();
  const decisions = decide(
    saved,
    [stat(kept, 1), stat(replacement, 1)],
    [instanceLike(kept, 'web', 0), instanceLike(replacement, 'web', 1)],
  );
  assert.deepEqual(
    decisions.map((each) => [each.what, each.pid, each.action]),
    [['web[1]', replacement, 'adopt']],
    'the saved instance 0 is the state file’s; instance 1 is the orphan',
  );

  const next = makeDaemon();
  next.runtime.leave(kept, startTimeOf(kept));
  next.runtime.leave(replacement, startTimeOf(replacement));
  const said: string[] = [];
  settleOrphans(saved, decisions, { startTime: startTimeOf }, next.runtime, (line) =>
    said.push(line),
  );
  const taken = await next.core.restore(saved, { adopt: true });

  assert.deepEqual(taken, { adopted: 2, gone: 0 });
  assert.deepEqual(next.runtime.adoptions, [kept, replacement]);
  assert.equal(next.runtime.spawns.length, 2, 'nothing spawned beyond the two adopted');
  assert.deepEqual(next.runtime.signals, []);
  assert.deepEqual(said, [
    `web[1]: pid ${replacement} was started by the previous daemon after its last state write; adopted`,
  ]);
});

test('an instance beyond the saved count, of a program meant to stay stopped, or of a program no longer managed: its group is ended', async () => {
  const { saved, kept } = await crashedAfterLastWrite();
  const web = saved[0] as PersistedProgram;
  const stopped: PersistedProgram = {
    ...web,
    spec: { ...web.spec, name: 'idle' },
    desired: 'stopped',
    instances: web.instances.map((each) => ({ ...each, lastPid: null, lastPidStartTime: null })),
  };
  const programs = [...saved, stopped];
  const decisions = decide(
    programs,
    [stat(kept, 1), stat(501, 1), stat(502, 1), stat(503, 1)],
    [
      instanceLike(kept, 'web', 0),
      instanceLike(501, 'web', 2),
      instanceLike(502, 'idle', 0),
      instanceLike(503, 'gone', 0),
    ],
  );
  assert.deepEqual(
    decisions.map((each) => [each.what, each.action, each.why]),
    [
      ['web[2]', 'end', 'web has 2 instance(s)'],
      ['idle[0]', 'end', 'idle is meant to stay stopped'],
      ['gone[0]', 'end', 'no program named gone is managed'],
    ],
  );
  const runtime = new FakeRuntime();
  const said: string[] = [];
  settleOrphans(programs, decisions, { startTime: startTimeOf }, runtime, (line) =>
    said.push(line),
  );
  assert.deepEqual(
    runtime.signals.map((each) => `${each.pid} ${each.signal}/${each.target}`),
    ['501 SIGKILL/group', '502 SIGKILL/group', '503 SIGKILL/group'],
  );
  assert.equal(
    said[0],
    'web[2]: pid 501 was started by the previous daemon after its last state write; ended (web has 2 instance(s))',
  );
});

test('a pid reused between the look at /proc and the signal is not hit', async () => {
  const { saved, kept } = await crashedAfterLastWrite();
  const decisions = decide(saved, [stat(kept, 1), stat(501, 1)], [instanceLike(501, 'web', 2)]);
  assert.equal(decisions[0]?.action, 'end');
  const runtime = new FakeRuntime();
  const said: string[] = [];
  // Now pid 501 names a later process (another start time).
  settleOrphans(saved, decisions, { startTime: (pid) => startTimeOf(pid) + 1 }, runtime, (line) =>
    said.push(line),
  );
  assert.deepEqual(runtime.signals, []);
  assert.deepEqual(said, []);
});

test('left alone: a descendant of a saved or found instance (by parent, or in its cgroup), a zombie, a process of another home, a group member, the daemon and its watcher', async () => {
  const { saved, kept, replacement } = await crashedAfterLastWrite();
  const table = [
    stat(kept, 1),
    stat(replacement, 1),
    // A child of the saved instance 0 that left its group (setsid).
    stat(601, kept),
    // A child of the orphan instance 1 that left its group.
    stat(602, replacement),
    // One that left its group and lost its parent, inside instance 0's cgroup.
    stat(603, 1),
    // A zombie of instance 2 that PID 1 has not reaped yet.
    stat(604, 1, 604, 'Z'),
    // Another home's instance 2.
    stat(605, 1),
    // A member of another process's group.
    stat(606, 1, 605),
  ];
  const decisions = decide(saved, table, [
    instanceLike(kept, 'web', 0),
    instanceLike(replacement, 'web', 1),
    instanceLike(601, 'web', 0, { ppid: kept }),
    instanceLike(602, 'web', 1, { ppid: replacement }),
    instanceLike(603, 'web', 0, { cgroups: [`/${CGROUP}/web.0`] }),
    instanceLike(604, 'web', 2),
    instanceLike(605, 'web', 2, { home: '/elsewhere' }),
    instanceLike(606, 'web', 2),
    instanceLike(SELF, 'web', 3),
    instanceLike(WATCHER, 'web', 3),
  ]);
  assert.deepEqual(
    decisions.map((each) => [each.pid, each.action]),
    [[replacement, 'adopt']],
  );
});

test('without cgroups, a process of a slot whose saved process runs is its descendant when it started later, a stray when earlier', async () => {
  const { saved, kept } = await crashedAfterLastWrite();
  const earlier = 10;
  const later = kept + 100;
  const decisions = decide(
    saved,
    [stat(kept, 1), stat(earlier, 1), stat(later, 1)],
    [instanceLike(earlier, 'web', 0), instanceLike(later, 'web', 0)],
  );
  assert.deepEqual(
    decisions.map((each) => [each.pid, each.action, each.why]),
    [[earlier, 'end', `its slot runs pid ${kept}`]],
  );
});

test('a state file of another boot adopts nothing: every instance of the home found is ended', async () => {
  const { saved, replacement } = await crashedAfterLastWrite();
  const decisions = decide(
    saved,
    [stat(replacement, 1)],
    [instanceLike(replacement, 'web', 1)],
    false,
  );
  assert.deepEqual(
    decisions.map((each) => [each.pid, each.action, each.why]),
    [[replacement, 'end', 'the state file is not of this boot']],
  );
});

test('a pool whose proxy was started after the last state write gets that proxy adopted', async () => {
  const { saved } = await crashedAfterLastWrite();
  const pool = saved[0] as PersistedProgram;
  pool.spec = { ...pool.spec, proxy: { port: 8080 } } as PersistedProgram['spec'];
  const decisions = decide(saved, [stat(700, 1)], [instanceLike(700, 'web.proxy', 0)]);
  assert.deepEqual(
    decisions.map((each) => [each.what, each.action]),
    [['web.proxy', 'adopt']],
  );
  settleOrphans(saved, decisions, { startTime: startTimeOf }, new FakeRuntime(), () => {});
  assert.equal(pool.proxyProcess?.pid, 700);
  assert.equal(pool.proxyProcess?.startTime, startTimeOf(700));
});

test('a slot the saved count has but no saved instance yet (a paced scale-up spawned it after the write) gets the process adopted', async () => {
  const { saved, kept, replacement } = await crashedAfterLastWrite();
  const web = saved[0] as PersistedProgram;
  web.spec = { ...web.spec, instances: 3 };
  const decisions = decide(
    saved,
    [stat(kept, 1), stat(replacement, 1), stat(801, 1)],
    [instanceLike(801, 'web', 2)],
  );
  assert.deepEqual(
    decisions.map((each) => [each.what, each.action]),
    [['web[2]', 'adopt']],
  );
  const next = makeDaemon();
  next.runtime.leave(801, startTimeOf(801));
  settleOrphans(saved, decisions, { startTime: startTimeOf }, next.runtime, () => {});
  await next.core.restore(saved, { adopt: true });
  assert.ok(next.runtime.adoptions.includes(801));
  const instance = next.core
    .get('web')
    .pool.snapshot()
    .instances.find((each) => each.instance === 2);
  assert.equal(instance?.pid, 801);
  assert.equal(instance?.stats.runs, 0, 'a slot new to the file starts with empty statistics');
});

test('a process below an ended one (it left the group, its parent did not end) is ended with it; below a stopped program’s leftover, it is ended too', async () => {
  const { saved, kept } = await crashedAfterLastWrite();
  const web = saved[0] as PersistedProgram;
  const leftover = 950;
  const stopped: PersistedProgram = {
    ...web,
    spec: { ...web.spec, name: 'idle' },
    desired: 'stopped',
    instances: [
      {
        ...(web.instances[0] as PersistedProgram['instances'][0]),
        lastPid: leftover,
        lastPidStartTime: startTimeOf(leftover),
      },
    ],
  };
  const programs = [...saved, stopped];
  const decisions = decide(
    programs,
    [
      stat(kept, 1),
      stat(501, 1),
      stat(502, 501),
      stat(503, 502),
      stat(leftover, 1),
      stat(951, leftover),
    ],
    [
      instanceLike(501, 'web', 2),
      instanceLike(503, 'web', 2, { ppid: 502 }),
      // The leftover itself is endLeftovers' part: the state file names it.
      instanceLike(leftover, 'idle', 0),
      instanceLike(951, 'idle', 0, { ppid: leftover }),
    ],
  );
  assert.deepEqual(
    decisions.map((each) => [each.pid, each.action, each.why]),
    [
      [501, 'end', 'web has 2 instance(s)'],
      [951, 'end', 'idle is meant to stay stopped'],
      [503, 'end', 'a descendant of pid 501, ended with it'],
    ],
  );
});
