import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeIssues,
  NewProgramSpecSchema,
  ProgramSpecSchema,
} from '../../src/config/program-spec.js';
import { instanceEnv } from '../../src/process/instance-env.js';
import { needsReadinessCheck } from '../../src/supervisor/readiness.js';

const BASE = { name: 'worker', command: './worker', cwd: '/srv' };

test('readiness notify needs no port and holds the instance in starting until READY=1', () => {
  const spec = ProgramSpecSchema.parse({ ...BASE, readiness: 'notify' });
  assert.equal(spec.readiness, 'notify');
  assert.equal(needsReadinessCheck(spec), true);
  assert.equal(needsReadinessCheck(ProgramSpecSchema.parse(BASE)), false);
});

test('the hang limits are off unless set, and out-of-bounds values name the field', () => {
  const spec = ProgramSpecSchema.parse(BASE);
  assert.equal(spec.watchdogMs, undefined);
  assert.equal(spec.maxMemoryBytes, undefined);
  assert.equal(spec.silenceTimeoutMs, undefined);
  const bad = ProgramSpecSchema.safeParse({
    ...BASE,
    watchdogMs: 0,
    maxMemoryBytes: 1000,
    silenceTimeoutMs: -1,
  });
  assert.equal(bad.success, false);
  const message = bad.success ? '' : describeIssues(bad.error);
  for (const field of ['watchdogMs', 'maxMemoryBytes', 'silenceTimeoutMs']) {
    assert.match(message, new RegExp(`\`${field}\``));
  }
});

test('an instance learns its notify descriptor and its watchdog interval from its environment', () => {
  const spec = ProgramSpecSchema.parse({ ...BASE, watchdogMs: 10_000 });
  assert.deepEqual(
    {
      fd: instanceEnv(spec, 0, true).TEND_NOTIFY_FD,
      watchdog: instanceEnv(spec, 0, true).TEND_WATCHDOG_MS,
    },
    { fd: '3', watchdog: '10000' },
  );
  const plain = instanceEnv(ProgramSpecSchema.parse(BASE), 0);
  assert.equal(plain.TEND_NOTIFY_FD, undefined);
  assert.equal(plain.TEND_WATCHDOG_MS, undefined);
});

test('env may not set what tend sets for the notify channel and the watchdog', () => {
  const parsed = NewProgramSpecSchema.safeParse({
    ...BASE,
    env: { TEND_NOTIFY_FD: '9', TEND_WATCHDOG_MS: '1' },
  });
  assert.equal(parsed.success, false);
  const message = parsed.success ? '' : describeIssues(parsed.error);
  assert.match(
    message,
    /`env\.TEND_NOTIFY_FD`: tend sets TEND_NOTIFY_FD itself \(the descriptor of the instance's notify channel\)/,
  );
  assert.match(message, /`env\.TEND_WATCHDOG_MS`: tend sets TEND_WATCHDOG_MS itself/);
});
