import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  findCgroupHierarchies,
  homeCgroupName,
  openCgroupProvider,
} from '../../src/process/cgroup-provider.js';
import { readProcStat } from '../../src/process/proc-table.js';
import { childrenOf, isProcessAlive } from '../helpers/proc.js';
import { pollUntil, useTend } from './harness.js';

/** The argv of a process, or undefined once it is gone. */
function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

test('stop ends what left the group with setsid (regression: `setsid sleep 1234 & sleep 1235` left sleep 1234 under PID 1)', async (t) => {
  const tend = useTend(t);
  const cgroupsUsable = 'provider' in openCgroupProvider(tend.home);
  await tend.ok(['start', '--name', 'esc', '--shell', 'setsid sleep 1234 & sleep 1235']);
  const [row] = await tend.list();
  const pid = row?.pid;
  assert.ok(typeof pid === 'number');
  const escapee = await pollUntil('sleep 1234 to start', async () =>
    childrenOf(pid).find((child) => commandLine(child)?.join(' ') === 'sleep 1234'),
  );
  t.after(() => {
    if (isProcessAlive(escapee)) process.kill(escapee, 'SIGKILL');
  });
  assert.notEqual(readProcStat(escapee)?.pgrp, pid, 'sleep 1234 left the instance’s group');

  const daemonLog = readFileSync(join(tend.home, 'daemon.log'), 'utf8');
  const [hierarchy] = findCgroupHierarchies();
  const homeDir = hierarchy && join(hierarchy.ownDir, homeCgroupName(tend.home));
  if (cgroupsUsable && homeDir) {
    assert.match(daemonLog, /instances are held together by a cgroup/);
    const members = readFileSync(join(homeDir, 'esc.0', 'cgroup.procs'), 'utf8');
    assert.ok(members.split('\n').includes(String(escapee)), 'sleep 1234 is in the cgroup');
  } else {
    assert.match(daemonLog, /instances are held together by a walk of \/proc/);
  }

  await tend.ok(['stop', 'esc']);
  assert.equal(isProcessAlive(escapee), false, 'sleep 1234 still runs (a zombie would not count)');
  await tend.ok(['delete', 'esc']);
  if (homeDir) assert.equal(existsSync(homeDir), false, 'no cgroup directory is left behind');
});
