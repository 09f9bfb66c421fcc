import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  type CgroupHierarchy,
  findCgroupHierarchies,
  homeCgroupName,
  openCgroupProvider,
} from '../../src/process/cgroup-provider.js';
import { type DescendantTracker, ProcWalkProvider } from '../../src/process/descendant-tracker.js';
import { createNodeRuntime } from '../../src/process/node-runtime.js';
import { readProcStat } from '../../src/process/proc-table.js';
import { fixturePath } from '../fixtures/fixture-path.js';
import { isProcessAlive } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import {
  type ContainmentOptions,
  createTestRuntime,
  makeSpec,
  startProcess,
  waitForText,
} from './harness.js';

/** Why this machine cannot hold instances in cgroups of these hierarchies, or undefined when it can. */
function cgroupProblem(hierarchies: readonly CgroupHierarchy[]): string | undefined {
  if (hierarchies.length === 0) return 'no such cgroup hierarchy is mounted';
  const home = makeTempHome({ after: () => {} });
  const opened = openCgroupProvider(home, hierarchies);
  rmSync(home, { recursive: true, force: true });
  return 'problem' in opened ? opened.problem : undefined;
}
const HIERARCHIES = findCgroupHierarchies();
const V1_FREEZER = HIERARCHIES.filter((hierarchy) => hierarchy.kind === 'v1-freezer');
const NO_CGROUP = cgroupProblem(HIERARCHIES);

const PATHS: {
  name: string;
  containment(home: string): ContainmentOptions;
  isInCgroup: boolean;
  skip?: string;
}[] = [
  { name: 'cgroup', containment: (home) => ({ home }), isInCgroup: true, skip: NO_CGROUP },
  {
    name: 'cgroup v1 freezer',
    containment: (home) => ({ home, cgroupHierarchies: V1_FREEZER }),
    isInCgroup: true,
    skip: cgroupProblem(V1_FREEZER),
  },
  { name: '/proc walk', containment: (home) => ({ home, useCgroups: false }), isInCgroup: false },
];

/** Whether a process is in the cgroup tend made for instance 0 of `esc` in this home. */
function isInInstanceCgroup(pid: number, home: string): boolean {
  const membership = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  return membership.split('\n').some((line) => line.endsWith(`/${homeCgroupName(home)}/esc.0`));
}

/** Starts spawn-escapee as an instance and waits until it reports the pid of the child that left its group. */
async function startEscapeeFamily(
  t: TestContext,
  containment: (home: string) => ContainmentOptions,
) {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir, undefined, containment(dir));
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'esc', args: [fixturePath('spawn-escapee')] }),
  );
  const [, escapeeText] = (await waitForText(stdoutPath('esc'), /escapee (\d+)\n/)) as string[];
  const escapee = Number(escapeeText);
  t.after(() => {
    if (isProcessAlive(escapee)) process.kill(escapee, 'SIGKILL');
  });
  assert.notEqual(readProcStat(escapee)?.pgrp, started.pid, 'the escapee left the group');
  return { dir, runtime, started, escapee };
}

for (const path of PATHS) {
  test(`${path.name}: a stop ends a process that left the group with setsid (regression: stop left it running under PID 1)`, {
    skip: path.skip,
  }, async (t) => {
    const { dir, runtime, started, escapee } = await startEscapeeFamily(t, path.containment);
    assert.equal(isInInstanceCgroup(escapee, dir), path.isInCgroup);
    runtime.signal(started.pid, 'SIGTERM', 'group');
    await started.exited;
    assert.equal(isProcessAlive(escapee), false, 'a zombie is not alive; a running escapee is');
  });
}

test('cgroup: a process that left the group is ended when the main process dies on its own', {
  skip: NO_CGROUP,
}, async (t) => {
  const { runtime, started, escapee } = await startEscapeeFamily(t, (home) => ({ home }));
  runtime.signal(started.pid, 'SIGKILL', 'process');
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGKILL' });
  assert.equal(isProcessAlive(escapee), false);
});

test('/proc walk: a descendant seen by a walk is ended when the main process later dies on its own', async (t) => {
  const { runtime, started, escapee } = await startEscapeeFamily(t, (home) => ({
    home,
    useCgroups: false,
  }));
  // A group signal walks /proc first (SIGWINCH is ignored by default): the escapee is now known.
  runtime.signal(started.pid, 'SIGWINCH', 'group');
  runtime.signal(started.pid, 'SIGKILL', 'process');
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGKILL' });
  assert.equal(isProcessAlive(escapee), false);
});

test('cgroup: each run gets its own cgroup under one directory per home, and none is left once it ended', {
  skip: NO_CGROUP,
}, async (t) => {
  const { dir, runtime, started, escapee } = await startEscapeeFamily(t, (home) => ({ home }));
  const [hierarchy] = HIERARCHIES;
  assert.ok(hierarchy);
  const homeDir = join(hierarchy.ownDir, homeCgroupName(dir));
  const instanceDir = join(homeDir, 'esc.0');
  const members = readFileSync(join(instanceDir, 'cgroup.procs'), 'utf8').split('\n').map(Number);
  assert.ok(members.includes(started.pid) && members.includes(escapee));
  assert.ok(!members.includes(process.pid), 'the spawner stepped back out of the cgroup');

  runtime.signal(started.pid, 'SIGTERM', 'group');
  await started.exited;
  assert.equal(existsSync(instanceDir), false);
  assert.equal(existsSync(homeDir), false);
});

test('two homes never share a cgroup directory; one home always gets the same', (t) => {
  const a = makeTempHome(t);
  const b = makeTempHome(t);
  assert.notEqual(homeCgroupName(a), homeCgroupName(b));
  assert.equal(homeCgroupName(a), homeCgroupName(`${a}/.`));
});

test('a hierarchy that cannot be written falls back to the /proc walk, which the runtime names', (t) => {
  const home = makeTempHome(t);
  const opened = openCgroupProvider(home, [{ kind: 'v2', ownDir: join(home, 'not-a-cgroup') }]);
  assert.ok('problem' in opened);
  assert.match(opened.problem, /no cgroup could be used \(v2 at .*not-a-cgroup.*ENOENT/);
  const runtime = createNodeRuntime({
    home,
    useCgroups: false,
    openOutput: () => assert.fail('nothing is spawned'),
  });
  assert.match(runtime.containment, /^a walk of \/proc for descendants every \d+(\.\d+)?(ms|s|m)/);
});

test('a run whose spawn failed owns no process: a walk before track finds nothing, even in group 0 (regression: PID 1’s children were killed)', () => {
  const tracker = new ProcWalkProvider('test').create() as DescendantTracker;
  const table = [
    { pid: 500, ppid: 1, pgrp: 0, state: 'S', startTime: 10 },
    { pid: 501, ppid: 500, pgrp: 0, state: 'S', startTime: 11 },
  ];
  assert.deepEqual(tracker.update(table), []);
});

test('a daemon that may not write cgroups (not root) falls back to the /proc walk and says why', {
  skip: process.getuid?.() === 0 ? undefined : 'needs root to run a process as nobody',
}, (t) => {
  const home = makeTempHome(t);
  const runtimeModule = new URL('../../src/process/node-runtime.js', import.meta.url).href;
  const script = `import(${JSON.stringify(runtimeModule)}).then((m) => process.stdout.write(m.createNodeRuntime({ home: ${JSON.stringify(home)}, openOutput() {} }).containment))`;
  const said = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
  });
  assert.match(
    said,
    /^a walk of \/proc for descendants every \d+(\.\d+)?(ms|s|m) \(no cgroup could be used .*EACCES/,
  );
});
