import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROBE_DEFAULTS } from '../../src/config/probe-defaults.js';
import { describeIssues, ProgramSpecSchema } from '../../src/config/program-spec.js';

const base = { name: 'web', command: 'node', cwd: '/srv', port: 8080 };

function parse(extra: Record<string, unknown>) {
  return ProgramSpecSchema.parse({ ...base, ...extra });
}

function problemOf(extra: Record<string, unknown>): string {
  const result = ProgramSpecSchema.safeParse({ ...base, ...extra });
  assert.equal(result.success, false, `expected ${JSON.stringify(extra)} to be refused`);
  return result.success ? '' : describeIssues(result.error);
}

test('a probe gets the one set of defaults; a program has none unless asked', () => {
  const spec = parse({ livenessProbe: { kind: 'http', path: '/healthz' } });
  assert.deepEqual(spec.livenessProbe, {
    kind: 'http',
    path: '/healthz',
    periodMs: PROBE_DEFAULTS.periodMs,
    timeoutMs: PROBE_DEFAULTS.timeoutMs,
    failureThreshold: PROBE_DEFAULTS.failureThreshold,
    successThreshold: PROBE_DEFAULTS.successThreshold,
    initialDelayMs: PROBE_DEFAULTS.initialDelayMs,
  });
  assert.deepEqual(
    [PROBE_DEFAULTS.periodMs, PROBE_DEFAULTS.timeoutMs, PROBE_DEFAULTS.failureThreshold],
    [10_000, 1_000, 3],
  );
  assert.equal(parse({}).livenessProbe, undefined);
  assert.equal(parse({}).readinessProbe, undefined);
  assert.equal(parse({}).startupProbe, undefined);
});

test('an unknown probe kind is refused with the kinds there are', () => {
  assert.match(
    problemOf({ readinessProbe: { kind: 'grpc' } }),
    /`readinessProbe\.kind`: Expected `kind` to be http, tcp or exec, got "grpc"/,
  );
});

test('an http path must start with /, and only http probes take one', () => {
  assert.match(
    problemOf({ livenessProbe: { kind: 'http', path: 'healthz' } }),
    /`livenessProbe\.path`: Expected `path` to start with \/, got "healthz"/,
  );
  assert.match(
    problemOf({ livenessProbe: { kind: 'tcp', path: '/x' } }),
    /only http probes GET a path/,
  );
});

test('zero or negative periods and timeouts are refused, and a timeout longer than the period', () => {
  assert.match(
    problemOf({ livenessProbe: { kind: 'tcp', periodMs: 0 } }),
    /`livenessProbe\.periodMs`: Expected `periodMs` to be at least 1 ms/,
  );
  assert.match(
    problemOf({ livenessProbe: { kind: 'tcp', periodMs: -5 } }),
    /`livenessProbe\.periodMs`/,
  );
  assert.match(problemOf({ startupProbe: { kind: 'tcp', timeoutMs: 0 } }), /at least 1 ms/);
  assert.match(
    problemOf({ livenessProbe: { kind: 'tcp', periodMs: 500 } }),
    /`livenessProbe\.timeoutMs`: Expected `timeoutMs` to be at most `periodMs` \(500\), got 1000/,
  );
  assert.equal(
    parse({ livenessProbe: { kind: 'tcp', periodMs: 500, timeoutMs: 500 } }).livenessProbe
      ?.timeoutMs,
    500,
  );
});

test('an exec probe needs a command and takes no port; others take no command', () => {
  assert.match(problemOf({ livenessProbe: { kind: 'exec' } }), /a `command` to run/);
  assert.match(
    problemOf({ livenessProbe: { kind: 'exec', command: './check', port: 9000 } }),
    /no `port` on an exec probe/,
  );
  assert.match(
    problemOf({ livenessProbe: { kind: 'http', command: './check' } }),
    /only exec probes run a command/,
  );
  const spec = parse({ livenessProbe: { kind: 'exec', command: './check', args: ['-q'] } });
  assert.deepEqual(spec.livenessProbe?.args, ['-q']);
});

test("an http or tcp probe needs a port, its own or the program's", () => {
  const noPort = { name: 'web', command: 'node', cwd: '/srv' };
  const result = ProgramSpecSchema.safeParse({ ...noPort, readinessProbe: { kind: 'tcp' } });
  assert.equal(result.success, false);
  if (!result.success) {
    assert.match(
      describeIssues(result.error),
      /`readinessProbe\.port`: Expected a `port` on the tcp probe or on the program/,
    );
  }
  const own = ProgramSpecSchema.parse({ ...noPort, readinessProbe: { kind: 'tcp', port: 9000 } });
  assert.equal(own.readinessProbe?.port, 9000);
  assert.equal(own.readiness, 'none', 'the one-shot readiness gate keeps its own default');
  ProgramSpecSchema.parse({ ...noPort, livenessProbe: { kind: 'exec', command: 'true' } });
});

test('liveness and startup probes pass after one success, as in Kubernetes', () => {
  assert.match(
    problemOf({ livenessProbe: { kind: 'tcp', successThreshold: 2 } }),
    /`livenessProbe\.successThreshold`: Expected `successThreshold` to be 1 on a liveness probe/,
  );
  assert.match(
    problemOf({ startupProbe: { kind: 'tcp', successThreshold: 2 } }),
    /on a startup probe/,
  );
  assert.equal(
    parse({ readinessProbe: { kind: 'tcp', successThreshold: 2 } }).readinessProbe
      ?.successThreshold,
    2,
  );
});

test('a probe field the schema does not know is refused', () => {
  assert.match(problemOf({ livenessProbe: { kind: 'tcp', every: 5 } }), /every/);
});
