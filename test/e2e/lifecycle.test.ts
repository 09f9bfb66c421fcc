import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { childrenOf, isProcessAlive, processGroupMembers, procState } from '../helpers/proc.js';
import { fixture, pollUntil, useTend } from './harness.js';

test('start, list, stop, start again and delete a program', async (t) => {
  const tend = useTend(t);
  const started = await tend.ok(['start', '--name', 'idle', ...fixture('forever')]);
  assert.match(started, /idle/);

  const [row] = await tend.list();
  assert.ok(row);
  assert.equal(row.name, 'idle');
  assert.equal(row.instance, 0);
  assert.equal(row.status, 'online');
  assert.equal(row.restarts, 0);
  assert.ok(typeof row.pid === 'number' && isProcessAlive(row.pid));
  const firstPid = row.pid;

  await tend.ok(['stop', 'idle']);
  const [stopped] = await tend.list();
  assert.equal(stopped?.status, 'stopped');
  assert.equal(stopped?.pid, null);
  assert.equal(isProcessAlive(firstPid), false);

  await tend.ok(['start', 'idle']);
  const [again] = await tend.list();
  assert.equal(again?.status, 'online');
  assert.notEqual(again?.pid, firstPid);

  await tend.ok(['delete', 'idle']);
  assert.deepEqual(await tend.list(), []);
  assert.equal(isProcessAlive(again?.pid ?? 0), false);
});

test('a killed instance is restarted at once and its exit is recorded by signal name', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'victim', '--min-uptime', '0', ...fixture('forever')]);
  const [before] = await tend.list();
  const pid = before?.pid;
  assert.ok(typeof pid === 'number');

  for (const signal of ['SIGKILL', 'SIGSEGV', 'SIGABRT', 'SIGILL'] as const) {
    const current = (await tend.list())[0]?.pid;
    assert.ok(typeof current === 'number');
    process.kill(current, signal);
    await tend.until(`a new pid after ${signal}`, async () => {
      const [row] = await tend.list();
      return row && row.pid !== null && row.pid !== current && row.status === 'online';
    });
  }

  const detail = await tend.program('victim');
  const instance = detail.instances[0];
  assert.ok(instance);
  assert.equal(instance.restarts, 4);
  assert.equal(instance.failureRestarts, 4);
  assert.deepEqual(
    instance.exits.map((exit) => exit.signal),
    ['SIGKILL', 'SIGSEGV', 'SIGABRT', 'SIGILL'],
  );
  assert.ok(instance.exits.every((exit) => exit.isFailure && exit.code === null));

  const status = await tend.ok(['status', 'victim']);
  assert.match(status, /SIGSEGV/);
  assert.match(status, /SIGILL/);
});

test('stop ends the whole process group, escalating to SIGKILL, and leaves no zombie', async (t) => {
  const tend = useTend(t);
  await tend.ok([
    'start',
    '--name',
    'family',
    '--stop-timeout',
    '300',
    ...fixture('spawn-grandchild'),
  ]);
  const [row] = await tend.list();
  const pid = row?.pid;
  assert.ok(typeof pid === 'number');
  const grandchild = await pollUntil('the grandchild to report its pid', async () => {
    const logs = await tend.ok(['logs', 'family', '--lines', '10']);
    const match = /grandchild (\d+)/.exec(logs);
    return match ? Number(match[1]) : undefined;
  });
  assert.ok(isProcessAlive(grandchild));
  assert.deepEqual(processGroupMembers(pid).sort(), [pid, grandchild].sort());

  await tend.ok(['stop', 'family']);
  // The grandchild is no child of the daemon: PID 1 reaps it, maybe seconds later; a zombie is gone.
  assert.deepEqual(processGroupMembers(pid).filter(isProcessAlive), []);
  assert.equal(isProcessAlive(grandchild), false);
  const daemonPid = tend.daemonPid();
  assert.ok(daemonPid);
  const zombies = childrenOf(daemonPid).filter((child) => procState(child) === 'Z');
  assert.deepEqual(zombies, []);
});

test('options after -- belong to the command, and each instance gets TEND_NAME, TEND_INSTANCE and PORT', async (t) => {
  const tend = useTend(t);
  await tend.ok([
    'start',
    '--name',
    'envy',
    '--instances',
    '2',
    '--port',
    '4100',
    '--restart',
    'never',
    '--',
    ...fixture('print-env', 'TEND_NAME', 'TEND_INSTANCE', 'PORT', '--port'),
  ]);
  const lines = await pollUntil('both instances to print their env', async () => {
    const out = (await tend.ok(['logs', 'envy', '--out', '--lines', '10'])).trim().split('\n');
    const json = out
      .filter((line) => line.includes('{'))
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))));
    return json.length === 2 ? json : undefined;
  });
  const byInstance = lines.sort((a, b) => Number(a.TEND_INSTANCE) - Number(b.TEND_INSTANCE));
  assert.deepEqual(byInstance, [
    { TEND_NAME: 'envy', TEND_INSTANCE: '0', PORT: '4100', '--port': null },
    { TEND_NAME: 'envy', TEND_INSTANCE: '1', PORT: '4101', '--port': null },
  ]);
});

test('a command without -- keeps its own options too, and runs without a shell', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'argv', ...fixture('forever'), '--port', '3000', '$HOME;echo']);
  const [row] = await tend.list();
  assert.ok(row?.pid);
  const argv = readFileSync(`/proc/${row.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  assert.deepEqual(argv.slice(-3), ['--port', '3000', '$HOME;echo']);
});

test('a program that cannot be spawned is reported at once with the OS reason and not kept', async (t) => {
  const tend = useTend(t);
  const missing = await tend.run(['start', './nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot start \.\/nope: no such file or directory/);
  assert.deepEqual(await tend.list(), []);

  const badCwd = await tend.run(['start', '--cwd', '/does/not/exist', 'true']);
  assert.equal(badCwd.code, 1);
  assert.match(badCwd.stderr, /\/does\/not\/exist/);
  assert.deepEqual(await tend.list(), []);
});

test('a crash loop ends in errored with the reason, and restart resets it', async (t) => {
  const tend = useTend(t);
  await tend.ok(['ls']); // starts the daemon
  const created = await tend.api<{ name: string }>('POST', '/v1/programs', {
    name: 'loop',
    command: process.execPath,
    args: fixture('exit-with', '3').slice(1),
    cwd: tend.home,
    backoffInitialMs: 5,
    backoffMaxMs: 20,
    maxRestarts: 3,
    restartWindowMs: 60_000,
  });
  assert.equal(created.status, 201);

  const errored = await tend.until('the crash loop to give up', async () => {
    const detail = await tend.program('loop');
    return detail.instances[0]?.status === 'errored' ? detail.instances[0] : undefined;
  });
  assert.match(errored.reason ?? '', /code 3/);
  assert.equal(errored.pid, null);
  const restartsWhenErrored = errored.restarts;
  assert.equal(restartsWhenErrored, 3);

  const status = await tend.ok(['status', 'loop']);
  assert.match(status, /errored/);

  // It still crashes on start: the restart says so (exit 1), and the instance starts afresh.
  const restarted = await tend.run(['restart', 'loop']);
  assert.equal(restarted.code, 1);
  assert.match(restarted.stderr, /loop\[0\] exited at start: code 3/);
  const after = await tend.program('loop');
  assert.notEqual(after.instances[0]?.status, 'errored');
});

test('restart policy never and done exit codes leave the program stopped', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'once', '--restart', 'never', ...fixture('exit-with', '0')]);
  const once = await tend.until('the one-shot to end', async () => {
    const [row] = await tend.list();
    return row?.status === 'stopped' ? row : undefined;
  });
  assert.equal(once.restarts, 0);

  await tend.ok([
    'start',
    '--name',
    'done',
    '--no-restart-exit-codes',
    '0,3',
    ...fixture('exit-with', '3'),
  ]);
  const done = await tend.until('the done exit', async () => {
    const detail = await tend.program('done');
    return detail.instances[0]?.status === 'stopped' ? detail.instances[0] : undefined;
  });
  assert.equal(done.restarts, 0);
  assert.equal(done.exits[0]?.code, 3);
  assert.equal(done.exits[0]?.isFailure, false);
});

test('signal reaches the main process by name or number', async (t) => {
  const tend = useTend(t);
  await tend.ok([
    'start',
    '--name',
    'poke',
    '--',
    process.execPath,
    '-e',
    "process.on('SIGUSR1',()=>console.log('got USR1'));process.on('SIGHUP',()=>console.log('got HUP'));console.log('ready');setInterval(()=>{},1e9)",
  ]);
  await pollUntil('ready', async () => (await tend.ok(['logs', 'poke'])).includes('ready'));
  await tend.ok(['signal', 'USR1', 'poke:0']);
  await tend.ok(['signal', '1', 'poke']);
  await pollUntil('both signals handled', async () => {
    const logs = await tend.ok(['logs', 'poke']);
    return logs.includes('got USR1') && logs.includes('got HUP');
  });
  const [row] = await tend.list();
  assert.equal(row?.restarts, 0);
});
