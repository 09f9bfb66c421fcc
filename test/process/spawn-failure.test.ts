import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { createNodeRuntime } from '../../src/process/node-runtime.js';
import { childrenOf } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { createTestRuntime, makeSpec } from './harness.js';

test('a missing program fails synchronously with ENOENT, and its later error event is swallowed', async (t) => {
  const dir = makeTempHome(t);
  const { runtime, afterSpawnCalls } = createTestRuntime(dir);
  const childrenBefore = childrenOf(process.pid);
  let exitCalls = 0;
  const outcome = runtime.spawn(
    { spec: makeSpec(dir, { command: './nope' }), instance: 0 },
    () => exitCalls++,
  );
  assert.deepEqual(outcome, {
    ok: false,
    errno: 'ENOENT',
    message: 'cannot start ./nope: no such file or directory',
  });
  assert.deepEqual(afterSpawnCalls, [undefined], 'the output fds were handed back');
  await nextMacrotask(); // Node emits the spawn 'error' on the next tick: it must not reach the process
  await nextMacrotask();
  assert.equal(exitCalls, 0);
  assert.deepEqual(childrenOf(process.pid), childrenBefore);
});

test('a file without execute permission fails with EACCES, and says how to run it', (t) => {
  const dir = makeTempHome(t);
  writeFileSync(join(dir, 'script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
  const { runtime } = createTestRuntime(dir);
  const outcome = runtime.spawn(
    { spec: makeSpec(dir, { command: './script.sh' }), instance: 0 },
    () => {},
  );
  assert.deepEqual(outcome, {
    ok: false,
    errno: 'EACCES',
    message: `cannot start ./script.sh: permission denied (${join(dir, 'script.sh')} is not executable: \`chmod +x ${join(dir, 'script.sh')}\`, or start it through its interpreter, such as \`sh ./script.sh\`)`,
  });
});

test('a directory given as the command fails with EACCES, and says it is a directory', (t) => {
  const dir = makeTempHome(t);
  mkdirSync(join(dir, 'sub'));
  const { runtime } = createTestRuntime(dir);
  const outcome = runtime.spawn(
    { spec: makeSpec(dir, { command: './sub' }), instance: 0 },
    () => {},
  );
  assert.deepEqual(outcome, {
    ok: false,
    errno: 'EACCES',
    message: `cannot start ./sub: permission denied (${join(dir, 'sub')} is a directory)`,
  });
});

test('a script whose interpreter is missing names the interpreter', (t) => {
  const dir = makeTempHome(t);
  writeFileSync(join(dir, 'script.sh'), '#!/no/such/interpreter -x\necho hi\n');
  chmodSync(join(dir, 'script.sh'), 0o755);
  const { runtime } = createTestRuntime(dir);
  const outcome = runtime.spawn(
    { spec: makeSpec(dir, { command: './script.sh' }), instance: 0 },
    () => {},
  );
  assert.deepEqual(outcome, {
    ok: false,
    errno: 'ENOENT',
    message: 'cannot start ./script.sh: its interpreter /no/such/interpreter does not exist',
  });
});

test('a missing working directory is named as such, before any output is opened', (t) => {
  const dir = makeTempHome(t);
  const { runtime, openOutputCalls } = createTestRuntime(dir);
  const missing = join(dir, 'gone');
  const outcome = runtime.spawn(
    { spec: makeSpec(missing, { command: 'node' }), instance: 0 },
    () => {},
  );
  assert.deepEqual(outcome, {
    ok: false,
    errno: 'ENOENT',
    message: `cannot start node: working directory ${missing} does not exist`,
  });
  assert.equal(openOutputCalls.length, 0);
});

test('a working directory that is a file is named as such', (t) => {
  const dir = makeTempHome(t);
  writeFileSync(join(dir, 'file'), '');
  const { runtime } = createTestRuntime(dir);
  const outcome = runtime.spawn(
    { spec: makeSpec(join(dir, 'file'), { command: 'node' }), instance: 0 },
    () => {},
  );
  assert.deepEqual(outcome, {
    ok: false,
    errno: 'ENOTDIR',
    message: `cannot start node: working directory ${join(dir, 'file')} is not a directory`,
  });
});

test('an output that cannot be opened fails the spawn instead of throwing', (t) => {
  const dir = makeTempHome(t);
  const runtime = createNodeRuntime({
    openOutput: () => {
      throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    },
  });
  const outcome = runtime.spawn({ spec: makeSpec(dir), instance: 0 }, () => {});
  assert.deepEqual(outcome, {
    ok: false,
    errno: 'EMFILE',
    message: `cannot start ${process.execPath}: cannot open its output: too many open files`,
  });
});

test('an argument Node refuses (a NUL byte) fails the spawn instead of throwing', (t) => {
  const dir = makeTempHome(t);
  const { runtime, afterSpawnCalls } = createTestRuntime(dir);
  const outcome = runtime.spawn({ spec: makeSpec(dir, { args: ['a\0b'] }), instance: 0 }, () => {});
  assert.equal(outcome.ok, false);
  assert.equal(outcome.ok === false && outcome.errno, 'ERR_INVALID_ARG_VALUE');
  assert.match(outcome.ok === false ? outcome.message : '', /^cannot start .*: .*null bytes/);
  assert.deepEqual(afterSpawnCalls, [undefined]);
});
