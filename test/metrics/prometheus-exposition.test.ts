import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEventBody } from '../../src/core/events.js';
import type { DaemonFigures } from '../../src/metrics/prometheus/daemon-collectors.js';
import type {
  MetricsProgram,
  ProcessFigures,
} from '../../src/metrics/prometheus/metrics-source.js';
import { TendMetrics } from '../../src/metrics/prometheus/tend-metrics.js';
import { LATENCY_BUCKET_BOUNDS_SECONDS } from '../../src/proxy/control-protocol.js';
import { sampleValue } from '../helpers/exposition.js';
import { missingToolReason } from '../helpers/external-tool.js';
import { checkWithPromtool } from '../helpers/promtool.js';
import { proxyStats } from '../helpers/proxy-stats.js';

const NO_PROMTOOL = missingToolReason('promtool', 'prometheus');

const FIXED_DAEMON: DaemonFigures = {
  cpuSeconds: () => 2.5,
  residentBytes: () => 50_000_000,
  eventsEmitted: () => 42,
};

/** CPU and memory for pids 100 and 101 only; every other pid is gone. */
const FAKE_PROCESSES: ProcessFigures = (pid) =>
  pid === 100
    ? { cpuSeconds: 1.25, residentBytes: 10_485_760 }
    : pid === 101
      ? { cpuSeconds: 0.5, residentBytes: 5_242_880 }
      : undefined;

function web(): MetricsProgram {
  const buckets = new Array<number>(LATENCY_BUCKET_BOUNDS_SECONDS.length + 1).fill(0);
  buckets[0] = 3; // ≤ 1 ms
  buckets[2] = 2; // ≤ 5 ms
  buckets[LATENCY_BUCKET_BOUNDS_SECONDS.length] = 1; // above 10 s
  return {
    name: 'web',
    instances: [
      { instance: 0, status: 'online', pid: 100, uptimeMs: 90_500 },
      { instance: 1, status: 'waiting', pid: null, uptimeMs: null },
    ],
    proxy: {
      unavailable: 4,
      instances: [
        proxyStats(0, {
          requests: 12,
          retries: 2,
          failures: 1,
          failuresHidden: 1,
          badGateway: 0,
          outstanding: 3,
          responses: { '1xx': 1, '2xx': 7, '3xx': 0, '4xx': 2, '5xx': 1 },
          latencyTotals: { buckets, sumSeconds: 10.02, count: 6 },
        }),
        proxyStats(1, { requests: 3, failures: 3, badGateway: 2 }),
      ],
    },
  };
}

function worker(): MetricsProgram {
  return {
    name: 'worker',
    instances: [{ instance: 0, status: 'errored', pid: null, uptimeMs: null }],
    proxy: null,
  };
}

function setUp(
  t: { after(fn: () => void): void },
  programs: () => MetricsProgram[] = () => [web(), worker()],
) {
  const bus = new EventBus({ now: () => 0 });
  let lists = 0;
  const metrics = new TendMetrics({
    bus,
    source: {
      list: async () => {
        lists++;
        return programs();
      },
    },
    processFigures: FAKE_PROCESSES,
    daemonFigures: FIXED_DAEMON,
  });
  t.after(() => metrics.close());
  return { bus, metrics, lists: () => lists };
}

const exited = (
  program: string,
  instance: number,
  exit: { code: number | null; signal: NodeJS.Signals | null },
  role: 'instance' | 'proxy' = 'instance',
): TendEventBody => ({
  kind: 'instance.exited',
  program,
  instance,
  role,
  pid: 100,
  ...exit,
  uptimeMs: 10,
  isFailure: true,
  reason: null,
});

test('state: 1 for the state each instance is in, 0 for every other state', async (t) => {
  const { metrics } = setUp(t);
  const text = await metrics.render();

  assert.equal(sampleValue(text, 'tend_instance_state{program="web",index="0",state="online"}'), 1);
  assert.equal(
    sampleValue(text, 'tend_instance_state{program="web",index="0",state="errored"}'),
    0,
  );
  assert.equal(
    sampleValue(text, 'tend_instance_state{program="web",index="1",state="waiting"}'),
    1,
  );
  assert.equal(
    sampleValue(text, 'tend_instance_state{program="worker",index="0",state="errored"}'),
    1,
  );
  const stateLines = text.split('\n').filter((line) => line.startsWith('tend_instance_state{'));
  assert.equal(stateLines.length, 3 * 6, 'six states for each of the three instances');
  assert.equal(stateLines.filter((line) => line.endsWith(' 1')).length, 3);
});

test('uptime, CPU seconds and resident memory of running instances, in base units', async (t) => {
  const { metrics } = setUp(t);
  const text = await metrics.render();

  assert.equal(sampleValue(text, 'tend_instance_uptime_seconds{program="web",index="0"}'), 90.5);
  assert.equal(sampleValue(text, 'tend_instance_uptime_seconds{program="web",index="1"}'), 0);
  assert.equal(sampleValue(text, 'tend_instance_cpu_seconds_total{program="web",index="0"}'), 1.25);
  assert.equal(
    sampleValue(text, 'tend_instance_resident_memory_bytes{program="web",index="0"}'),
    10_485_760,
  );
  assert.equal(
    sampleValue(text, 'tend_instance_cpu_seconds_total{program="web",index="1"}'),
    undefined,
    'no process runs, so there is no CPU series',
  );
  assert.doesNotMatch(text, /pid=/, 'no pid label: it would make a new series on every restart');
});

test('a running instance whose process just went away has no CPU or memory series', async (t) => {
  const { metrics } = setUp(t, () => [
    {
      name: 'gone',
      instances: [{ instance: 0, status: 'online', pid: 999, uptimeMs: 5 }],
      proxy: null,
    },
  ]);
  const text = await metrics.render();
  assert.equal(
    sampleValue(text, 'tend_instance_cpu_seconds_total{program="gone",index="0"}'),
    undefined,
  );
  assert.equal(sampleValue(text, 'tend_instance_uptime_seconds{program="gone",index="0"}'), 0.005);
});

test('exits are counted by code and by signal name, restarts by cause, from the event bus', async (t) => {
  const { bus, metrics } = setUp(t);
  bus.emit(exited('web', 0, { code: null, signal: 'SIGKILL' }));
  bus.emit(exited('web', 0, { code: null, signal: 'SIGKILL' }));
  bus.emit(exited('web', 0, { code: 3, signal: null }));
  bus.emit(exited('web', 1, { code: 0, signal: null }));
  bus.emit({
    kind: 'instance.restarted',
    program: 'web',
    instance: 0,
    role: 'instance',
    pid: 7,
    cause: 'signal',
  });
  bus.emit({
    kind: 'instance.restarted',
    program: 'web',
    instance: 0,
    role: 'instance',
    pid: 8,
    cause: 'signal',
  });
  bus.emit({
    kind: 'instance.restarted',
    program: 'web',
    instance: 0,
    role: 'instance',
    pid: 9,
    cause: 'exit-code',
  });
  bus.emit({
    kind: 'instance.restarted',
    program: 'web',
    instance: 1,
    role: 'instance',
    pid: 10,
    cause: 'manual',
  });
  bus.emit({
    kind: 'instance.errored',
    program: 'worker',
    instance: 0,
    role: 'instance',
    reason: 'too many restarts',
  });

  const text = await metrics.render();

  const value = (series: string) => sampleValue(text, series);
  assert.equal(
    value('tend_instance_exits_by_signal_total{program="web",index="0",signal="KILL"}'),
    2,
  );
  assert.equal(value('tend_instance_exits_by_code_total{program="web",index="0",code="3"}'), 1);
  assert.equal(value('tend_instance_exits_by_code_total{program="web",index="1",code="0"}'), 1);
  assert.equal(value('tend_instance_restarts_total{program="web",index="0",cause="signal"}'), 2);
  assert.equal(value('tend_instance_restarts_total{program="web",index="0",cause="exit-code"}'), 1);
  assert.equal(value('tend_instance_restarts_total{program="web",index="1",cause="manual"}'), 1);
  assert.equal(value('tend_instance_errored_total{program="worker",index="0"}'), 1);
});

test('counters keep their values between scrapes', async (t) => {
  const { bus, metrics } = setUp(t);
  bus.emit(exited('web', 0, { code: 1, signal: null }));
  await metrics.render();
  bus.emit(exited('web', 0, { code: 1, signal: null }));

  const text = await metrics.render();

  assert.equal(
    sampleValue(text, 'tend_instance_exits_by_code_total{program="web",index="0",code="1"}'),
    2,
  );
});

test("the pool proxy's own process is not counted as a pool member", async (t) => {
  const { bus, metrics } = setUp(t);
  bus.emit(exited('web', 0, { code: null, signal: 'SIGKILL' }, 'proxy'));
  bus.emit({
    kind: 'instance.restarted',
    program: 'web',
    instance: 0,
    role: 'proxy',
    pid: 5,
    cause: 'signal',
  });

  const text = await metrics.render();

  assert.doesNotMatch(text, /^tend_instance_exits_by_signal_total\{/m);
  assert.doesNotMatch(text, /^tend_instance_restarts_total\{/m);
});

test('ended tasks are counted per program and by how, apart from restarts', async (t) => {
  const { bus, metrics } = setUp(t);
  const ended = (task: string, end: 'owner-left' | 'closed') =>
    bus.emit({ kind: 'task.ended', program: 'rooms', instance: 0, task, end });
  ended('t1', 'owner-left');
  ended('t2', 'owner-left');
  ended('t3', 'closed');

  const text = await metrics.render();

  assert.equal(sampleValue(text, 'tend_tasks_ended_total{program="rooms",end="owner-left"}'), 2);
  assert.equal(sampleValue(text, 'tend_tasks_ended_total{program="rooms",end="closed"}'), 1);
  assert.doesNotMatch(text, /^tend_instance_restarts_total\{program="rooms"/m);
});

test("a deleted program's counters go with it", async (t) => {
  const { bus, metrics } = setUp(t);
  bus.emit(exited('web', 0, { code: 2, signal: null }));
  bus.emit(exited('worker', 0, { code: 2, signal: null }));
  bus.emit({ kind: 'program.removed', program: 'web' });

  const text = await metrics.render();

  assert.equal(
    sampleValue(text, 'tend_instance_exits_by_code_total{program="web",index="0",code="2"}'),
    undefined,
  );
  assert.equal(
    sampleValue(text, 'tend_instance_exits_by_code_total{program="worker",index="0",code="2"}'),
    1,
  );
});

test('proxy counters per instance, and 503s per pool', async (t) => {
  const { metrics } = setUp(t);
  const text = await metrics.render();
  const value = (series: string) => sampleValue(text, series);

  assert.equal(value('tend_proxy_requests_total{program="web",index="0"}'), 12);
  assert.equal(value('tend_proxy_retries_total{program="web",index="0"}'), 2);
  assert.equal(value('tend_proxy_failures_total{program="web",index="1"}'), 3);
  assert.equal(value('tend_proxy_failures_hidden_total{program="web",index="0"}'), 1);
  assert.equal(value('tend_proxy_bad_gateway_total{program="web",index="1"}'), 2);
  assert.equal(value('tend_proxy_in_flight{program="web",index="0"}'), 3);
  assert.equal(value('tend_proxy_unavailable_total{program="web"}'), 4);
  assert.equal(value('tend_proxy_responses_total{program="web",index="0",class="2xx"}'), 7);
  assert.equal(value('tend_proxy_responses_total{program="web",index="0",class="4xx"}'), 2);
  assert.equal(value('tend_proxy_responses_total{program="web",index="0",class="3xx"}'), 0);
  assert.equal(
    value('tend_proxy_requests_total{program="worker",index="0"}'),
    undefined,
    'no proxy, no series',
  );
});

test('the latency histogram has cumulative buckets, +Inf equal to the count, and the sum', async (t) => {
  const { metrics } = setUp(t);
  const text = await metrics.render();
  const bucket = (le: string) =>
    sampleValue(
      text,
      `tend_proxy_upstream_latency_seconds_bucket{program="web",index="0",le="${le}"}`,
    );

  assert.equal(bucket('0.001'), 3);
  assert.equal(bucket('0.0025'), 3);
  assert.equal(bucket('0.005'), 5);
  assert.equal(bucket('10'), 5);
  assert.equal(bucket('+Inf'), 6);
  assert.equal(
    sampleValue(text, 'tend_proxy_upstream_latency_seconds_count{program="web",index="0"}'),
    6,
  );
  assert.equal(
    sampleValue(text, 'tend_proxy_upstream_latency_seconds_sum{program="web",index="0"}'),
    10.02,
  );
  assert.equal(
    sampleValue(
      text,
      'tend_proxy_upstream_latency_seconds_bucket{program="web",index="1",le="+Inf"}',
    ),
    0,
  );
});

test("the daemon's own figures and API requests by route and status class", async (t) => {
  const { metrics } = setUp(t);
  metrics.observeApiRequest('GET', '/v1/programs', 200);
  metrics.observeApiRequest('GET', '/v1/programs', 204);
  metrics.observeApiRequest('POST', '/v1/programs/:target/stop', 404);

  const text = await metrics.render();

  assert.equal(sampleValue(text, 'tend_daemon_cpu_seconds_total'), 2.5);
  assert.equal(sampleValue(text, 'tend_daemon_resident_memory_bytes'), 50_000_000);
  assert.equal(sampleValue(text, 'tend_daemon_events_emitted_total'), 42);
  assert.ok((sampleValue(text, 'tend_daemon_event_loop_lag_max_seconds') ?? -1) >= 0);
  assert.equal(
    sampleValue(text, 'tend_api_requests_total{method="GET",route="/v1/programs",class="2xx"}'),
    2,
  );
  assert.equal(
    sampleValue(
      text,
      'tend_api_requests_total{method="POST",route="/v1/programs/:target/stop",class="4xx"}',
    ),
    1,
  );
});

test('scrapes that arrive together share one read of the programs', async (t) => {
  const { metrics, lists } = setUp(t);
  const [first, second] = await Promise.all([metrics.render(), metrics.render()]);
  assert.equal(lists(), 1);
  assert.equal(first, second);
  await metrics.render();
  assert.equal(lists(), 2, 'a later scrape reads again');
});

test('promtool accepts the whole exposition', { skip: NO_PROMTOOL }, async (t) => {
  const { bus, metrics } = setUp(t);
  bus.emit(exited('web', 0, { code: null, signal: 'SIGKILL' }));
  bus.emit({
    kind: 'instance.restarted',
    program: 'web',
    instance: 0,
    role: 'instance',
    pid: 7,
    cause: 'signal',
  });
  bus.emit({
    kind: 'instance.errored',
    program: 'worker',
    instance: 0,
    role: 'instance',
    reason: 'x',
  });
  metrics.observeApiRequest('GET', '/metrics', 200);

  const verdict = await checkWithPromtool(await metrics.render());

  assert.equal(verdict.problems, '');
  assert.ok(verdict.ok);
});

test('promtool is really consulted: it rejects a counter without _total and a broken line', {
  skip: NO_PROMTOOL,
}, async () => {
  const verdict = await checkWithPromtool(
    '# HELP tend_things Things.\n# TYPE tend_things counter\ntend_things 1\n',
  );
  assert.equal(verdict.ok, false);
  assert.match(verdict.problems, /_total/);

  const broken = await checkWithPromtool('tend_broken{ 1\n');
  assert.equal(broken.ok, false);
});
