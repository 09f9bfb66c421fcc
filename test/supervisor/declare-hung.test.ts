import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InstanceSupervisor } from '../../src/supervisor/instance-supervisor.js';
import type { InstanceFact } from '../../src/supervisor/types.js';
import { FakeRuntime } from './fake-runtime.js';
import { makeInstance, makeSpec, pidOf } from './harness.js';

const HUNG = 'hung: liveness failed 3 times (GET /healthz timed out after 1s)';

test('a hung instance gets the stop signal, SIGKILL after the stop timeout, and its exit is a failure with the reason', () => {
  const { runtime, instance } = makeInstance({ stopTimeoutMs: 500, minUptimeMs: 1_000 });
  void instance.start();
  const pid = pidOf(instance);
  runtime.advance(60_000);
  instance.declareHung(pid, HUNG);
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group', 'SIGCONT/group']);
  assert.equal(instance.snapshot().reason, HUNG);
  runtime.advance(499);
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group', 'SIGCONT/group']);
  runtime.advance(1);
  assert.deepEqual(runtime.signalsTo(pid), [
    'SIGTERM/group',
    'SIGCONT/group',
    'SIGKILL/group',
    'SIGKILL/process',
  ]);
  runtime.exit(pid, { signal: 'SIGKILL' });
  const exit = instance.snapshot().stats.exits.at(-1);
  assert.equal(exit?.isFailure, true);
  assert.equal(exit?.reason, HUNG);
  assert.equal(instance.state, 'online', 'a run that was stable before it hung restarts at once');
  assert.notEqual(pidOf(instance), pid);
});

test('the exit and the restart carry the hung reason and cause on the facts', () => {
  const runtime = new FakeRuntime();
  const facts: InstanceFact[] = [];
  const instance = new InstanceSupervisor({
    spec: makeSpec(),
    index: 0,
    runtime,
    onChange: () => {},
    onFact: (fact) => facts.push(fact),
  });
  void instance.start();
  const pid = pidOf(instance);
  runtime.advance(5_000);
  instance.declareHung(pid, HUNG);
  runtime.exit(pid, { code: 0 });
  const exited = facts.find((fact) => fact.type === 'exited');
  assert.equal(exited?.type === 'exited' && exited.reason, HUNG);
  assert.equal(
    exited?.type === 'exited' && exited.isFailure,
    true,
    'even when it exits 0 on SIGTERM',
  );
  const restarted = facts.find((fact) => fact.type === 'restarted');
  assert.equal(restarted?.type === 'restarted' && restarted.cause, 'hung');
});

test('a stale pid, a second report, or a stopping instance is ignored', () => {
  const { runtime, instance } = makeInstance();
  void instance.start();
  const pid = pidOf(instance);
  instance.declareHung(pid + 1000, HUNG);
  assert.deepEqual(runtime.signalsTo(pid), []);
  instance.declareHung(pid, HUNG);
  instance.declareHung(pid, 'hung: again');
  assert.deepEqual(runtime.signalsTo(pid), ['SIGTERM/group', 'SIGCONT/group'], 'one kill, not two');
  assert.equal(instance.snapshot().reason, HUNG);

  const other = makeInstance();
  void other.instance.start();
  const otherPid = pidOf(other.instance);
  void other.instance.stop();
  other.instance.declareHung(otherPid, HUNG);
  assert.deepEqual(other.runtime.signalsTo(otherPid), ['SIGTERM/group'], 'only the stop signal');
});

test('a young hung run backs off, names the hang, and restart: never keeps it down', () => {
  const young = makeInstance({ minUptimeMs: 10_000 });
  void young.instance.start();
  const pid = pidOf(young.instance);
  young.runtime.advance(100);
  young.instance.declareHung(pid, HUNG);
  young.runtime.exit(pid, { signal: 'SIGTERM' });
  assert.equal(young.instance.state, 'waiting');
  assert.match(young.instance.snapshot().reason ?? '', /^hung: liveness failed 3 times .*; /);

  const never = makeInstance({ restart: 'never' });
  void never.instance.start();
  const neverPid = pidOf(never.instance);
  never.instance.declareHung(neverPid, HUNG);
  never.runtime.exit(neverPid, { signal: 'SIGTERM' });
  assert.equal(never.instance.state, 'stopped');
  assert.match(never.instance.snapshot().reason ?? '', /^hung: liveness/);
});
