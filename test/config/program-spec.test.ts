import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeIssues, ProgramSpecSchema, withEnvSet } from '../../src/config/program-spec.js';

const base = { name: 'web', command: 'node', cwd: '/srv' };

function parse(extra: Record<string, unknown>) {
  return ProgramSpecSchema.parse({ ...base, ...extra });
}

function problemOf(extra: Record<string, unknown>): string {
  const result = ProgramSpecSchema.safeParse({ ...base, ...extra });
  assert.equal(result.success, false, `expected ${JSON.stringify(extra)} to be refused`);
  return result.success ? '' : describeIssues(result.error);
}

test('the pool size: instances alone means min = max = instances; min/max alone start at min', () => {
  assert.deepEqual(pick(parse({})), { instances: 1, min: 1, max: 1 });
  assert.deepEqual(pick(parse({ instances: 3 })), { instances: 3, min: 3, max: 3 });
  assert.deepEqual(pick(parse({ min: 2, max: 5 })), { instances: 2, min: 2, max: 5 });
  assert.deepEqual(pick(parse({ instances: 3, max: 5 })), { instances: 3, min: 3, max: 5 });
  assert.deepEqual(pick(parse({ instances: 3, min: 1 })), { instances: 3, min: 1, max: 3 });
  assert.deepEqual(pick(parse({ max: 4 })), { instances: 1, min: 1, max: 4 });
});

test('bounds that contradict each other are refused with a message that names them', () => {
  assert.match(problemOf({ min: 3, max: 2 }), /Expected `max` to be ≥ `min` \(3\), got 2/);
  assert.match(
    problemOf({ instances: 6, min: 1, max: 5 }),
    /between `min` \(1\) and `max` \(5\), got 6/,
  );
  assert.match(
    problemOf({ instances: 1, min: 2, max: 5 }),
    /between `min` \(2\) and `max` \(5\), got 1/,
  );
  assert.match(problemOf({ port: 65_534, max: 3 }), /at most 65535/);
});

test('readiness is a TCP check by default with a port, and needs one', () => {
  assert.equal(parse({}).readiness, 'none');
  assert.equal(parse({ port: 8080 }).readiness, 'tcp');
  assert.equal(parse({ port: 8080, readiness: 'none' }).readiness, 'none');
  assert.match(problemOf({ readiness: 'tcp' }), /`port`/);
});

test('a proxy needs a base port, a port of its own, and gets its defaults', () => {
  const spec = parse({ port: 8080, instances: 3, proxy: { port: 1337 } });
  assert.deepEqual(spec.proxy, {
    port: 1337,
    host: '127.0.0.1',
    mode: 'http',
    balance: 'round-robin',
    waitForReadyMs: 5000,
    maxReplayBodyBytes: 1024 * 1024,
    retryNonIdempotent: false,
    responseHeaderTimeoutMs: 60_000,
    responseIdleTimeoutMs: 60_000,
    workers: 1,
  });
  assert.match(problemOf({ proxy: { port: 1337 } }), /base `port`/);
  assert.match(
    problemOf({ port: 8080, max: 4, proxy: { port: 8083 } }),
    /outside the instances' ports 8080-8083/,
  );
  assert.match(problemOf({ port: 8080, proxy: { port: 1337, mode: 'udp' } }), /proxy\.mode/);
});

test('names ending in .proxy are kept for pool proxies', () => {
  assert.match(problemOf({ name: 'web.proxy' }), /\.proxy/);
});

function pick(spec: { instances: number; min: number; max: number }) {
  return { instances: spec.instances, min: spec.min, max: spec.max };
}

test('dependsOn: none by default; each a valid program name, named once', () => {
  assert.deepEqual(parse({}).dependsOn, []);
  assert.deepEqual(parse({ dependsOn: ['db', 'cache'] }).dependsOn, ['db', 'cache']);
  assert.match(
    problemOf({ dependsOn: ['db', 'db'] }),
    /`dependsOn`: Expected each dependency once, got "db" twice/,
  );
  assert.match(
    problemOf({ dependsOn: ['../etc'] }),
    /`dependsOn.0`: Expected a program name of letters/,
  );
  assert.match(problemOf({ dependsOn: ['all'] }), /reserved/);
  assert.match(problemOf({ dependsOn: 'db' }), /`dependsOn`/);
});

test('a task program needs a port, an http proxy if any, a buffer within max, and a proxy for its token', () => {
  const fleet = parse({ port: 7000, max: 8, tasks: { readyBuffer: 3 } });
  assert.deepEqual(pick(fleet), { instances: 3, min: 1, max: 8 });
  assert.deepEqual(fleet.tasks, {
    readyBuffer: 3,
    endWhen: 'owner-leaves',
    graceMs: 30_000,
    connectWaitMs: 10_000,
  });
  assert.deepEqual(pick(parse({ port: 7000, max: 4, tasks: { readyBuffer: 0 } })), {
    instances: 1,
    min: 1,
    max: 4,
  });
  assert.match(problemOf({ tasks: {} }), /`tasks`: Expected a base `port` with `tasks`/);
  assert.match(
    problemOf({ port: 7000, proxy: { port: 8000, mode: 'tcp' }, tasks: {} }),
    /`proxy.mode`: Expected proxy mode `http` with `tasks`/,
  );
  assert.match(
    problemOf({ port: 7000, max: 2, tasks: { readyBuffer: 3 } }),
    /`tasks.readyBuffer`: Expected `readyBuffer` to be ≤ `max` \(2\), got 3/,
  );
  assert.match(
    problemOf({ port: 7000, tasks: { allocateToken: 'x'.repeat(20) } }),
    /`tasks.allocateToken`: Expected a `proxy` with `allocateToken`/,
  );
  assert.match(problemOf({ port: 7000, tasks: { endWhen: 'never' } }), /tasks.endWhen/);
});

test('a variable set on top of a tend start env is no longer named as one from the shell', () => {
  const started = parse({
    env: { PATH: '/usr/bin', TERM: 'xterm' },
    shellEnvNames: ['PATH', 'TERM'],
  });
  const set = withEnvSet(started, { TERM: 'dumb', RELEASE: '42' });
  assert.deepEqual(set.env, { PATH: '/usr/bin', TERM: 'dumb', RELEASE: '42' });
  assert.deepEqual(set.shellEnvNames, ['PATH']);
  assert.equal('shellEnvNames' in withEnvSet(set, { PATH: '/bin' }), false);
});
