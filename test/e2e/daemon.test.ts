import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HealthReply } from '../../src/api/wire.js';
import { isProcessAlive } from '../helpers/proc.js';
import { fixture, pollUntil, TEND_BIN, useTend, watcherOf } from './harness.js';

test('the socket is private to its user and the home folder too', async (t) => {
  const tend = useTend(t);
  await tend.ok(['ls']);
  assert.equal(statSync(tend.socket).mode & 0o777, 0o600);
  assert.equal(statSync(tend.home).mode & 0o777, 0o700);
});

test('a second daemon on the same home exits 1 with a clear message', async (t) => {
  const tend = useTend(t);
  await tend.ok(['ls']);
  const second = await tend.run(['daemon']);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /already serves this home/);
  const health = await tend.api<HealthReply>('GET', '/v1/health');
  assert.equal(health.status, 200);
});

test('daemon stop ends every process; the next command brings the programs back as they were', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'keep', '--instances', '2', ...fixture('forever')]);
  await tend.ok(['start', '--name', 'resting', ...fixture('forever')]);
  await tend.ok(['stop', 'resting']);
  const keepPid = (await tend.list()).find((row) => row.name === 'keep')?.pid;
  assert.ok(keepPid);
  process.kill(keepPid, 'SIGKILL');
  await tend.until('the restart', async () => {
    const row = (await tend.list()).find((r) => r.name === 'keep' && r.instance === 0);
    return row?.status === 'online' && row.pid !== keepPid;
  });
  const pids = (await tend.list()).flatMap((row) => (row.pid === null ? [] : [row.pid]));
  const daemonPid = tend.daemonPid();

  await tend.ok(['daemon', 'stop']);
  assert.equal(existsSync(tend.socket), false);
  assert.ok(daemonPid && !isProcessAlive(daemonPid));
  for (const pid of pids)
    assert.equal(isProcessAlive(pid), false, `pid ${pid} outlived the daemon`);

  const rows = await tend.list();
  assert.deepEqual(
    rows.map((row) => [row.name, row.instance, row.status]),
    [
      ['keep', 0, 'online'],
      ['keep', 1, 'online'],
      ['resting', 0, 'stopped'],
    ],
  );
  const keep = await tend.program('keep');
  assert.equal(
    keep.instances[0]?.exits[0]?.signal,
    'SIGKILL',
    'exit history survives a daemon restart',
  );
});

test('processes started by an autostarted daemon inherit no descriptor but stdin, stdout, stderr, their notify channel and the read ends of their own output', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'plain', '--', 'sleep', '100000']);
  await tend.ok(['daemon', 'stop']);
  // The next command starts a daemon through the notify pipe, and it restores `plain`.
  const [row] = await tend.list();
  assert.ok(row?.pid);
  assert.deepEqual(readdirSync(`/proc/${row.pid}/fd`).sort(), ['0', '1', '2', '3', '4', '5', '6']);
  // fd 3 is the instance's notify channel (TEND_NOTIFY_FD), not the daemon's start-up pipe;
  // 4, 5 and 6 keep its output and notify FIFOs open for reading while no daemon runs
  // (docs/architecture.md).
  assert.deepEqual(
    ['3', '4', '5', '6'].map((fd) => readlinkSync(`/proc/${row.pid}/fd/${fd}`)),
    ['notify', 'out', 'err', 'notify'].map((kind) => join(tend.home, 'run', `plain.0.${kind}`)),
  );
});

test('SIGTERM to the daemon stops it cleanly and saves state', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'calm', ...fixture('forever')]);
  const [row] = await tend.list();
  const daemonPid = tend.daemonPid();
  assert.ok(daemonPid && row?.pid);
  process.kill(daemonPid, 'SIGTERM');
  await pollUntil('the daemon to exit', async () => !isProcessAlive(daemonPid));
  assert.equal(isProcessAlive(row.pid), false);
  assert.equal(existsSync(tend.socket), false);
  const [back] = await tend.list();
  assert.equal(back?.name, 'calm');
  assert.equal(back?.status, 'online');
});

test('a daemon killed with SIGKILL leaves a stale socket and pid file that do not stop the next one, which adopts its instance', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'orphan', ...fixture('forever')]);
  const [row] = await tend.list();
  const daemonPid = tend.daemonPid();
  assert.ok(daemonPid && row?.pid);
  // Without its watcher, so that the next command is what starts the next daemon.
  const watcher = watcherOf(daemonPid);
  assert.ok(watcher !== undefined);
  process.kill(watcher, 'SIGKILL');
  process.kill(daemonPid, 'SIGKILL');
  await pollUntil('the daemon to die', async () => !isProcessAlive(daemonPid));
  assert.ok(existsSync(tend.socket));

  const [back] = await tend.list();
  assert.equal(back?.status, 'online');
  assert.equal(back?.pid, row.pid, 'the instance was adopted, not started again');
  assert.notEqual(tend.daemonPid(), daemonPid);
});

test('a corrupt state file is moved aside and reported, never silently dropped', async (t) => {
  const tend = useTend(t);
  writeFileSync(join(tend.home, 'state.json'), '{"version":1,"programs":[{"oops"');
  const health = await (async () => {
    await tend.ok(['ls']);
    return tend.api<HealthReply>('GET', '/v1/health');
  })();
  assert.equal(health.body.problems.length, 1);
  assert.match(health.body.problems[0] ?? '', /state\.json\.corrupt-/);
  const aside = readdirSync(tend.home).filter((file) => file.startsWith('state.json.corrupt-'));
  assert.equal(aside.length, 1);
  const status = await tend.ok(['status', 'all']);
  assert.match(status, /corrupt/);
});

test('tend daemon runs in the foreground until SIGINT', async (t) => {
  const tend = useTend(t);
  // Readiness through the notify fd (s6's notification-fd protocol), here a socketpair as a
  // supervisor may pass: the daemon keeps such a descriptor as it is and writes `ready` on it.
  const daemon = spawn(process.execPath, [TEND_BIN, 'daemon'], {
    env: { ...process.env, TEND_HOME: tend.home, TEND_NOTIFY_FD: '3' },
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  t.after(() => daemon.kill('SIGKILL'));
  const notify = daemon.stdio[3] as NodeJS.ReadableStream;
  let said = '';
  for await (const chunk of notify) {
    said += String(chunk);
    if (said.includes('\n')) break;
  }
  assert.equal(said, `ready ${daemon.pid}\n`);
  assert.equal((await tend.api('GET', '/v1/health')).status, 200);
  const exited = new Promise<number | null>((resolve) =>
    daemon.once('exit', (code) => resolve(code)),
  );
  daemon.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.equal(existsSync(tend.socket), false);
});
