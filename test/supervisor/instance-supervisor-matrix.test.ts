// In the style of OTP's supervisor suite: every restart policy × exit outcome × run length.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RestartPolicy } from '../../src/config/program-spec.js';
import type { ProcessExit } from '../../src/supervisor/types.js';
import { makeInstance, pidOf } from './harness.js';

const MIN_UPTIME_MS = 1000;
const BACKOFF_INITIAL_MS = 100;
const DONE_CODE = 3;

const OUTCOMES: Array<{ label: string; exit: Partial<ProcessExit>; isFailure: boolean }> = [
  { label: 'code 0', exit: { code: 0 }, isFailure: false },
  { label: 'code 1', exit: { code: 1 }, isFailure: true },
  { label: 'done code', exit: { code: DONE_CODE }, isFailure: false },
  { label: 'SIGKILL', exit: { signal: 'SIGKILL' }, isFailure: true },
  { label: 'SIGSEGV', exit: { signal: 'SIGSEGV' }, isFailure: true },
  { label: 'SIGABRT', exit: { signal: 'SIGABRT' }, isFailure: true },
  { label: 'SIGILL', exit: { signal: 'SIGILL' }, isFailure: true },
];

const UPTIMES = [
  { label: 'young', uptimeMs: MIN_UPTIME_MS - 1 },
  { label: 'stable', uptimeMs: MIN_UPTIME_MS },
];

function isRestartExpected(policy: RestartPolicy, label: string, isFailure: boolean): boolean {
  if (label === 'done code') return false;
  if (policy === 'never') return false;
  return policy === 'always' || isFailure;
}

for (const policy of ['always', 'on-failure', 'never'] as const) {
  for (const outcome of OUTCOMES) {
    for (const uptime of UPTIMES) {
      const isRestarted = isRestartExpected(policy, outcome.label, outcome.isFailure);
      const isYoung = uptime.label === 'young';
      const expected = !isRestarted
        ? 'stays stopped'
        : isYoung
          ? 'waits 100ms'
          : 'restarts at once';
      test(`${policy} × ${outcome.label} × ${uptime.label} run: ${expected}`, async () => {
        const { runtime, instance } = makeInstance({
          restart: policy,
          noRestartExitCodes: [DONE_CODE],
          minUptimeMs: MIN_UPTIME_MS,
          backoffInitialMs: BACKOFF_INITIAL_MS,
        });
        await instance.start();
        runtime.advance(uptime.uptimeMs);
        const firstPid = pidOf(instance);
        runtime.exit(firstPid, outcome.exit);
        const exitedAt = runtime.now();

        const [record] = instance.snapshot().stats.exits;
        assert.equal(record?.isFailure, outcome.isFailure, 'isFailure');
        assert.equal(record?.uptimeMs, uptime.uptimeMs, 'uptime');
        assert.ok(runtime.signalsTo(firstPid).includes('SIGKILL/group'), 'group killed after exit');

        if (!isRestarted) {
          assert.equal(instance.state, 'stopped');
          assert.match(
            instance.snapshot().reason ?? '',
            outcome.label === 'done code'
              ? /listed as done/
              : new RegExp(`restart policy is ${policy}`),
          );
          runtime.advance(60_000);
          assert.equal(runtime.spawns.length, 1, 'no restart');
          assert.equal(instance.snapshot().stats.restarts, 0);
          return;
        }
        if (isYoung) {
          assert.equal(instance.state, 'waiting');
          assert.equal(instance.snapshot().nextRestartAt, exitedAt + BACKOFF_INITIAL_MS);
          runtime.advance(BACKOFF_INITIAL_MS - 1);
          assert.equal(runtime.spawns.length, 1, 'not before the backoff');
          runtime.advance(1);
        }
        assert.equal(runtime.spawns.length, 2, 'restarted');
        assert.equal(
          runtime.lastSpawn.spawnedAt - exitedAt,
          isYoung ? BACKOFF_INITIAL_MS : 0,
          'delay',
        );
        assert.equal(instance.state, 'online');
        const { stats } = instance.snapshot();
        assert.equal(stats.restarts, 1);
        assert.equal(stats.failureRestarts, outcome.isFailure ? 1 : 0);
      });
    }
  }
}
