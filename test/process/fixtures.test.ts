import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixturePath } from '../fixtures/fixture-path.js';
import { makeTempHome } from '../helpers/temp-home.js';
import {
  createTestRuntime,
  makeSpec,
  readText,
  startProcess,
  waitForText,
  waitUntil,
} from './harness.js';

test('flood writes every numbered line, in order, then exits 0', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const lines = 25_001;
  const spec = makeSpec(dir, { name: 'flood', args: [fixturePath('flood'), String(lines)] });
  assert.deepEqual(await startProcess(t, runtime, spec).exited, { code: 0, signal: null });
  const expected = Array.from({ length: lines }, (_, i) => `line ${i + 1}\n`).join('');
  assert.equal(readText(stdoutPath('flood')), expected);
});

test('http-echo listens on PORT and answers 200 with who served the request', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'echo', args: [fixturePath('http-echo')] }),
  );
  const [, port] = (await waitForText(stdoutPath('echo'), /listening (\d+)\n/)) as string[];
  const response = await fetch(`http://127.0.0.1:${port}/hello?x=1`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    pid: started.pid,
    instance: '0',
    method: 'GET',
    url: '/hello?x=1',
  });
  runtime.signal(started.pid, 'SIGTERM', 'process');
  assert.deepEqual(await started.exited, { code: 0, signal: null });
});

test('crash-after exits with code 1 after its delay, or with the given signal', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const plain = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'plain', args: [fixturePath('crash-after'), '20'] }),
  );
  const bySignal = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'sig', args: [fixturePath('crash-after'), '20', 'SIGSEGV'] }),
  );
  assert.deepEqual(await plain.exited, { code: 1, signal: null });
  assert.deepEqual(await bySignal.exited, { code: null, signal: 'SIGSEGV' });
  assert.equal(readText(stdoutPath('plain')), 'ready\n');
  assert.equal(readText(stdoutPath('sig')), 'ready\n');
});

test('hang stops running JavaScript: a SIGTERM handler never runs, only SIGKILL ends it', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'hang', args: [fixturePath('hang'), '--trap-sigterm'] }),
  );
  await waitForText(stdoutPath('hang'), /ready/);
  runtime.signal(started.pid, 'SIGTERM', 'process');
  // A responsive process would run its handler and exit 0 within a few ms of CPU; this one keeps spinning.
  const cpuAtSignal = cpuTicks(started.pid);
  await waitUntil(
    () => cpuTicks(started.pid) - cpuAtSignal >= 20,
    'the process to burn 200 ms of CPU',
  );
  assert.equal(started.exitCalls(), 0);
  runtime.signal(started.pid, 'SIGKILL', 'process');
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGKILL' });
});

/** User + system CPU time of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

test('hang without a SIGTERM handler dies of SIGTERM', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, stdoutPath } = createTestRuntime(dir);
  const started = startProcess(
    t,
    runtime,
    makeSpec(dir, { name: 'hang', args: [fixturePath('hang')] }),
  );
  await waitForText(stdoutPath('hang'), /ready/);
  runtime.signal(started.pid, 'SIGTERM', 'process');
  assert.deepEqual(await started.exited, { code: null, signal: 'SIGTERM' });
});
