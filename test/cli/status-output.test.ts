import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceDetail, ProgramDetail, ProxyDetail } from '../../src/api/wire.js';
import { formatLogLine } from '../../src/cli/commands/logs.js';
import { formatInstanceTable, instancesOf } from '../../src/cli/output/instance-table.js';
import { PLAIN_PALETTE } from '../../src/cli/output/palette.js';
import { formatCommand, formatProgramStatus } from '../../src/cli/output/program-status.js';
import { formatWaitingNotes } from '../../src/cli/output/waiting-notes.js';

const NOW = Date.parse('2024-05-01T12:00:00.000Z');

function instance(overrides: Partial<InstanceDetail>): InstanceDetail {
  return {
    name: 'web',
    instance: 0,
    pid: 4242,
    status: 'online',
    restarts: 3,
    uptimeMs: 65_000,
    cpu: 1.25,
    memoryBytes: 30 * 1024 * 1024,
    isFrozen: false,
    notReady: null,
    lastProbeFailure: null,
    port: 3000,
    startedAt: '2024-05-01T11:58:55.000Z',
    stateSince: '2024-05-01T11:58:55.000Z',
    reason: null,
    statusText: null,
    nextRestartAt: null,
    failureRestarts: 2,
    runs: 3,
    averageRunMs: 1500,
    upForMs: 65_000,
    downForMs: null,
    exits: [
      {
        at: '2024-05-01T11:50:00.000Z',
        code: 1,
        signal: null,
        uptimeMs: 1200,
        isFailure: true,
        reason: null,
      },
      {
        at: '2024-05-01T11:55:00.000Z',
        code: null,
        signal: 'SIGKILL',
        uptimeMs: 2300,
        isFailure: true,
        reason: 'hung: liveness failed 3 times (GET /healthz timed out after 1s)',
      },
      {
        at: '2024-05-01T11:58:55.000Z',
        code: 0,
        signal: null,
        uptimeMs: 1000,
        isFailure: false,
        reason: null,
      },
    ],
    ...overrides,
  };
}

const PROGRAM: ProgramDetail = {
  name: 'web',
  desired: 'running',
  proxy: null,
  spec: {
    name: 'web',
    command: 'node',
    args: ['server.js', '--greeting', 'hello world'],
    cwd: '/srv/web',
    env: {},
    shell: false,
    restart: 'on-failure',
    noRestartExitCodes: [0, 3],
    instances: 2,
    min: 1,
    max: 4,
    port: 3000,
    readiness: 'tcp',
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 5000,
    minUptimeMs: 1000,
    startTimeoutMs: 30_000,
    backoffInitialMs: 100,
    backoffMaxMs: 30_000,
    maxRestarts: 10,
    restartWindowMs: 60_000,
    logMaxBytes: 10 * 1024 * 1024,
    logMaxFiles: 5,
    dependsOn: [],
  },
  waiting: null,
  instances: [
    instance({}),
    instance({
      instance: 1,
      pid: null,
      status: 'errored',
      uptimeMs: null,
      cpu: null,
      memoryBytes: null,
      port: 3001,
      upForMs: null,
      downForMs: 125_000,
      reason: 'crashed 10 times within 1m',
      exits: [],
      runs: 0,
      averageRunMs: null,
      restarts: 0,
      failureRestarts: 0,
    }),
  ],
};

test('status shows the definition, health statistics, exits with code or signal, and why an instance errored', () => {
  const text = formatProgramStatus(PROGRAM, PLAIN_PALETTE, NOW);
  assert.match(text, /^web {2}wanted running, 1 of 2 instances running\n/);
  assert.match(text, /command +node server\.js --greeting 'hello world'\n/);
  assert.match(text, /restart +on-failure; exit codes 0, 3 mean done\n/);
  assert.match(text, /instances +2 \(min 1, max 4\)\n/);
  assert.match(text, /web\[0\] {2}online {2}pid 4242 {2}port 3000\n/);
  assert.match(text, /up for +1m 5s\n/);
  assert.match(text, /restarts +3 \(2 after a failure\)\n/);
  assert.match(text, /runs +3, 1\.5s on average\n/);
  assert.match(text, /code 1 +1\.2s {2}failure\n/);
  assert.match(
    text,
    /SIGKILL +2\.3s {2}hung: liveness failed 3 times \(GET \/healthz timed out after 1s\)\n/,
  );
  assert.match(text, /code 0 +1s {2}ok\n/);
  assert.match(text, /web\[1\] {2}errored {2}port 3001\n/);
  assert.match(text, /down for +2m 5s\n/);
  assert.match(text, /reason +crashed 10 times within 1m\n/);
});

/** A pool's proxy as the API shows it. */
const PROXY: ProxyDetail = {
  host: '127.0.0.1',
  port: 8080,
  mode: 'http',
  balance: 'round-robin',
  pid: 777,
  status: 'online',
  restarts: 0,
  problem: null,
  outdatedProtocol: null,
  unavailable: 0,
  instances: [
    {
      instance: 0,
      requests: 120,
      retries: 2,
      failures: 1,
      outstanding: 0,
      isReady: true,
      isSuspended: false,
      latencyMs: { p50: 1.2, p90: 3, p99: 9.5 },
      responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
      failuresHidden: 0,
      badGateway: 0,
      latencyTotals: { buckets: [], sumSeconds: 0, count: 0 },
    },
    {
      instance: 1,
      requests: 3,
      retries: 0,
      failures: 3,
      outstanding: 0,
      isReady: false,
      isSuspended: true,
      latencyMs: { p50: null, p90: null, p99: null },
      responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
      failuresHidden: 0,
      badGateway: 0,
      latencyTotals: { buckets: [], sumSeconds: 0, count: 0 },
    },
  ],
};

test("status shows the pool's proxy with its counters per instance", () => {
  const text = formatProgramStatus({ ...PROGRAM, proxy: PROXY }, PLAIN_PALETTE, NOW);
  assert.match(text, /proxy +http on 127\.0\.0\.1:8080, round-robin; online, pid 777\n/);
  assert.match(text, /0 +ready +120 +2 +1 +1\.2ms +3ms +9\.5ms\n/);
  assert.match(text, /1 +suspended +3 +0 +3 +- +- +-\n/);
  assert.doesNotMatch(text, /proxy code/);
});

test("status says when a pool's proxy runs an older tend's code", () => {
  const text = formatProgramStatus(
    { ...PROGRAM, proxy: { ...PROXY, outdatedProtocol: 1 } },
    PLAIN_PALETTE,
    NOW,
  );
  assert.match(
    text,
    /proxy code +older than the daemon's \(control protocol 1\), left running by a previous daemon; `tend restart web --proxy` replaces it \(its port refuses connections for a moment\)\n/,
  );
});

test('status lists only the most recent exits', () => {
  const exits = Array.from({ length: 25 }, (_, index) => ({
    at: new Date(NOW - (25 - index) * 1000).toISOString(),
    code: index,
    signal: null,
    uptimeMs: 10,
    isFailure: true,
    reason: null,
  }));
  const text = formatProgramStatus(
    { ...PROGRAM, instances: [instance({ exits })] },
    PLAIN_PALETTE,
    NOW,
  );
  assert.match(text, /last 10 of 25 exits:/);
  assert.match(text, /code 24 /);
  assert.doesNotMatch(text, /code 14 /);
});

test('the list table has one row per instance, dashes where nothing runs', () => {
  const text = formatInstanceTable(instancesOf([PROGRAM]), PLAIN_PALETTE);
  assert.deepEqual(text.split('\n'), [
    'NAME  ID   PID  STATUS   RESTARTS  UPTIME   CPU  MEMORY',
    'web    0  4242  online          3   1m 5s  1.3%  30 MiB',
    'web    1     -  errored         0       -     -       -',
    '',
  ]);
});

test('list --json rows carry exactly the summary fields', () => {
  assert.deepEqual(Object.keys(instancesOf([PROGRAM])[0] ?? {}).sort(), [
    'cpu',
    'instance',
    'isFrozen',
    'memoryBytes',
    'name',
    'notReady',
    'pid',
    'restarts',
    'status',
    'uptimeMs',
  ]);
});

test('a frozen instance and an online one that is not ready are shown as such, with the last probe failure', () => {
  const rows = instancesOf([
    {
      ...PROGRAM,
      instances: [
        instance({ isFrozen: true }),
        instance({
          instance: 1,
          notReady: 'not ready: readiness failed 3 times (GET /ready answered 503)',
          lastProbeFailure: {
            probe: 'readiness',
            reason: 'GET /ready answered 503',
            at: '2024-05-01T11:59:00.000Z',
          },
        }),
      ],
    },
  ]);
  const table = formatInstanceTable(rows, PLAIN_PALETTE);
  assert.match(table, /web\s+0\s+4242\s+frozen\s/);
  assert.match(table, /web\s+1\s+4242\s+online, not ready\s/);
  const status = formatProgramStatus(
    {
      ...PROGRAM,
      instances: [
        instance({ isFrozen: true }),
        instance({
          instance: 1,
          notReady: 'not ready: readiness failed 3 times (GET /ready answered 503)',
          lastProbeFailure: {
            probe: 'readiness',
            reason: 'GET /ready answered 503',
            at: '2024-05-01T11:59:00.000Z',
          },
        }),
      ],
    },
    PLAIN_PALETTE,
    NOW,
  );
  assert.match(status, /web\[0\]\s+frozen/);
  assert.match(status, /the kernel reports the process stopped/);
  assert.match(
    status,
    /not ready\s+not ready: readiness failed 3 times \(GET \/ready answered 503\)/,
  );
  assert.match(status, /last probe failure\s+readiness: GET \/ready answered 503/);
});

test('commands are shown as they would be typed', () => {
  assert.equal(formatCommand('node', ['a b', "it's", ''], false), `node 'a b' 'it'\\''s' ''`);
  assert.equal(formatCommand('node a.js | tee x', [], true), `sh -c 'node a.js | tee x'`);
});

test('log lines get a name[instance] prefix only when several sources are shown', () => {
  const line = {
    name: 'web',
    instance: 1,
    stream: 'out' as const,
    time: new Date(2024, 0, 2, 3, 4, 5).toISOString(),
    line: 'ready',
  };
  assert.equal(
    formatLogLine(line, { isPrefixed: true, hasTimestamps: false, palette: PLAIN_PALETTE }),
    'web[1] | ready\n',
  );
  assert.equal(
    formatLogLine(line, { isPrefixed: false, hasTimestamps: false, palette: PLAIN_PALETTE }),
    'ready\n',
  );
  assert.equal(
    formatLogLine(line, { isPrefixed: false, hasTimestamps: true, palette: PLAIN_PALETTE }),
    '2024-01-02 03:04:05 ready\n',
  );
});

test('a program waiting for its dependencies: status says after what and why; ls adds a line per waiting program', () => {
  const waiting = {
    dependencies: ['db'],
    reason: 'waiting for db: db is errored (crashed 11 times)',
    isStuck: true,
  };
  const program: ProgramDetail = {
    ...PROGRAM,
    spec: { ...PROGRAM.spec, dependsOn: ['db', 'cache'] },
    waiting,
    instances: [instance({ pid: null, status: 'waiting', reason: waiting.reason })],
  };
  const text = formatProgramStatus(program, PLAIN_PALETTE, NOW);
  assert.match(text, /^ {2}after +db, cache$/m);
  assert.match(text, /^ {2}waiting +waiting for db: db is errored \(crashed 11 times\)$/m);
  assert.doesNotMatch(formatProgramStatus(PROGRAM, PLAIN_PALETTE, NOW), /^ {2}(after|waiting) /m);
  assert.equal(
    formatWaitingNotes([PROGRAM, program], PLAIN_PALETTE),
    'web: waiting for db: db is errored (crashed 11 times)\n',
  );
});
