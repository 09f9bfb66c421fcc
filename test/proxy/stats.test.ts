import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistogram } from '../../src/proxy/latency-histogram.js';
import {
  members,
  SKIP_FOR_THE_TEST,
  send,
  startProxy,
  startRawUpstream,
  startUpstream,
} from './harness.js';

test('per-instance counters: requests, retries, failures and latency percentiles', async (t) => {
  const resetting = await startRawUpstream(t);
  const live = await startUpstream(t);
  // Regression: with the real 250 ms skip, a slow run sent a later request to the failed instance.
  const { port, service } = await startProxy(
    t,
    { suspension: SKIP_FOR_THE_TEST },
    members([resetting.port, true], [live.port, true]),
  );

  for (let i = 0; i < 4; i++) assert.equal((await send(port)).status, 200);

  const [first, second] = service.stats();
  assert.deepEqual(
    { requests: first?.requests, retries: first?.retries, failures: first?.failures },
    { requests: 1, retries: 0, failures: 1 },
  );
  assert.deepEqual(
    { requests: second?.requests, retries: second?.retries, failures: second?.failures },
    { requests: 4, retries: 1, failures: 0 },
  );
  assert.equal(first?.latencyMs.p50, null, 'no response came from the failing instance');
  const latency = second?.latencyMs;
  assert.ok(latency?.p50 !== null && latency?.p50 !== undefined && latency.p50 > 0);
  assert.ok((latency.p90 ?? 0) >= latency.p50 && (latency.p99 ?? 0) >= (latency.p90 ?? 0));
  assert.equal(second?.outstanding, 0);
  assert.equal(first?.isSuspended, true);
});

test('latency percentiles come from fixed buckets within about 6 %', () => {
  const histogram = new LatencyHistogram(0);
  for (let ms = 1; ms <= 100; ms++) histogram.record(ms, 1);

  const { p50, p90, p99 } = histogram.percentiles(2);

  for (const [actual, expected] of [
    [p50, 50],
    [p90, 90],
    [p99, 99],
  ] as const) {
    assert.ok(
      actual !== null && Math.abs(actual - expected) / expected < 0.07,
      `${actual} ≈ ${expected}`,
    );
  }
});

test('latency samples older than two windows are forgotten', () => {
  const histogram = new LatencyHistogram(0);
  histogram.record(500, 0);
  assert.ok((histogram.percentiles(1).p50 ?? 0) > 400);
  assert.ok((histogram.percentiles(61_000).p50 ?? 0) > 400, 'the previous window still counts');
  assert.equal(histogram.percentiles(200_000).p50, null);
});

test('sub-millisecond latencies are kept to the microsecond range', () => {
  const histogram = new LatencyHistogram(0);
  histogram.record(0.25, 0);
  const p50 = histogram.percentiles(0).p50 ?? 0;
  assert.ok(p50 > 0.23 && p50 < 0.27, String(p50));
});
