import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeExit } from '../../src/process/describe-exit.js';
import { fixturePath } from '../fixtures/fixture-path.js';
import { childrenOf, processGroupMembers } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { createTestRuntime, makeSpec, readText, startProcess, waitForText } from './harness.js';

test('a spawned process leads its own group, writes to the given fds, and reports its exit once', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath, afterSpawnCalls } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'forever', args: [fixturePath('forever')] }),
  );
  assert.equal(started.outcome.ok, true);
  assert.deepEqual(afterSpawnCalls, [started.pid]);
  await waitForText(stdoutPath('forever'), /^ready\n/);
  assert.deepEqual(processGroupMembers(started.pid), [started.pid]);

  runtime.signal(started.pid, 'SIGTERM', 'process');
  assert.deepEqual(await started.exited, { code: 0, signal: null });
  assert.equal(started.exitCalls(), 1);
  assert.equal(childrenOf(process.pid).includes(started.pid), false, 'the child was reaped');
});

test('an exit code is reported as it is', async (t) => {
  const dir = makeTempHome(t);
  const { runtime } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { args: [fixturePath('exit-with'), '3'] }),
  );
  const exit = await started.exited;
  assert.deepEqual(exit, { code: 3, signal: null });
  assert.equal(describeExit(exit), 'exited with code 3');
});

for (const signal of ['SIGABRT', 'SIGILL', 'SIGSEGV', 'SIGKILL'] as const) {
  test(`a process killed by ${signal} is reported with the signal's name`, async (t) => {
    const dir = makeTempHome(t); // also the cwd, so that a core dump lands in a temp dir
    const { runtime } = createTestRuntime(dir);
    const spec = makeSpec(dir, { args: [fixturePath('exit-with'), '--signal', signal] });
    const exit = await startProcess(t, runtime, spec).exited;
    assert.deepEqual(exit, { code: null, signal });
    assert.equal(describeExit(exit), `killed by ${signal}`);
  });
}

test('a signal sent through the runtime is reported by name', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'stubborn', args: [fixturePath('ignore-sigterm')] }),
  );
  await waitForText(stdoutPath('stubborn'), /ready/);
  runtime.signal(started.pid, 'SIGKILL', 'process');
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGKILL' });
});

test('each instance gets TEND_NAME, TEND_INSTANCE and PORT = port + index', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir, { PATH: process.env.PATH });
  const spec = makeSpec(dir, {
    name: 'web',
    args: [fixturePath('print-env')],
    port: 4100,
    instances: 3,
  });
  assert.deepEqual(await startProcess(t, runtime, spec, 2).exited, { code: 0, signal: null });
  assert.deepEqual(JSON.parse(readText(stdoutPath('web', 2))), {
    TEND_NAME: 'web',
    TEND_INSTANCE: '2',
    PORT: '4102',
  });
});

test('without a port there is no PORT; the base env is inherited and the spec env wins over it', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir, {
    PATH: process.env.PATH,
    FROM_BASE: 'base',
    OVERRIDDEN: 'base',
  });
  const spec = makeSpec(dir, {
    name: 'worker',
    args: [fixturePath('print-env'), 'TEND_INSTANCE', 'PORT', 'FROM_BASE', 'OVERRIDDEN'],
    env: { OVERRIDDEN: 'spec' },
  });
  assert.deepEqual(await startProcess(t, runtime, spec).exited, { code: 0, signal: null });
  assert.deepEqual(JSON.parse(readText(stdoutPath('worker'))), {
    TEND_INSTANCE: '0',
    PORT: null,
    FROM_BASE: 'base',
    OVERRIDDEN: 'spec',
  });
});

test("the runtime of a home sets TEND_HOME to that home, over the spec env's (a shell's, perhaps relative)", async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(
    dir,
    { PATH: process.env.PATH, TEND_HOME: 'from-base' },
    { home: dir, useCgroups: false },
  );
  const spec = makeSpec(dir, {
    name: 'worker',
    args: [fixturePath('print-env'), 'TEND_HOME'],
    env: { TEND_HOME: 'relative/home' },
  });
  assert.deepEqual(await startProcess(t, runtime, spec).exited, { code: 0, signal: null });
  assert.deepEqual(JSON.parse(readText(stdoutPath('worker'))), { TEND_HOME: dir });
});

test("the command is found through the process env's PATH, not the daemon's", async (t) => {
  const dir = makeTempHome(t);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'tend-path-probe'), '#!/bin/sh\necho "found $0"\n');
  chmodSync(join(bin, 'tend-path-probe'), 0o755);
  const { runtime, stdoutPath } = createTestRuntime(dir, { PATH: '/usr/bin:/bin' });

  const spec = makeSpec(dir, {
    name: 'probe',
    command: 'tend-path-probe',
    env: { PATH: `${bin}:/usr/bin:/bin` },
  });
  assert.deepEqual(await startProcess(t, runtime, spec).exited, { code: 0, signal: null });
  assert.equal(readText(stdoutPath('probe')), `found ${join(bin, 'tend-path-probe')}\n`);

  const withoutBin = makeSpec(dir, { name: 'probe', command: 'tend-path-probe' });
  assert.deepEqual(
    runtime.spawn({ spec: withoutBin, instance: 0 }, () => {}),
    {
      ok: false,
      errno: 'ENOENT',
      message: 'cannot start tend-path-probe: no such file or directory',
    },
  );
});

test('without shell, $HOME and ; reach the program untouched', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir, {
    PATH: process.env.PATH,
    HOME: '/home/probe',
  });
  const spec = makeSpec(dir, {
    name: 'plain',
    command: '/bin/echo',
    args: ['$HOME;', 'echo', 'injected'],
  });
  assert.deepEqual(await startProcess(t, runtime, spec).exited, { code: 0, signal: null });
  assert.equal(readText(stdoutPath('plain')), '$HOME; echo injected\n');

  const asOneCommand = makeSpec(dir, { name: 'plain', command: 'echo $HOME; echo injected' });
  const outcome = runtime.spawn({ spec: asOneCommand, instance: 0 }, () => {});
  assert.equal(outcome.ok, false);
});

test('with shell, the command line is interpreted by /bin/sh', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir, {
    PATH: process.env.PATH,
    HOME: '/home/probe',
  });
  const spec = makeSpec(dir, { name: 'sh', command: 'echo $HOME; echo injected', shell: true });
  assert.deepEqual(await startProcess(t, runtime, spec).exited, { code: 0, signal: null });
  assert.equal(readText(stdoutPath('sh')), '/home/probe\ninjected\n');
});
