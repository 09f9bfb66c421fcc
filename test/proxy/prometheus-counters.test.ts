import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LATENCY_BUCKET_BOUNDS_SECONDS } from '../../src/proxy/control-protocol.js';
import { LatencyHistogram } from '../../src/proxy/latency-histogram.js';
import { members, send, startProxy, startRawUpstream, startUpstream } from './harness.js';

test('responses are counted by status class, and a failure a retry hid is counted as hidden', async (t) => {
  const resetting = await startRawUpstream(t);
  const live = await startUpstream(t, (req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : req.url === '/moved' ? 301 : 200;
    res.end();
  });
  const { port, service } = await startProxy(
    t,
    {},
    members([resetting.port, true], [live.port, true]),
  );

  // The first request meets the resetting instance first and is retried on the live one.
  assert.equal((await send(port)).status, 200);
  assert.equal((await send(port, { path: '/missing' })).status, 404);
  assert.equal((await send(port, { path: '/moved' })).status, 301);

  const [first, second] = service.stats();
  assert.deepEqual(first?.responses, { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 });
  assert.equal(first?.failures, 1);
  assert.equal(first?.failuresHidden, 1, 'the retry delivered the request');
  assert.equal(first?.badGateway, 0);
  assert.deepEqual(second?.responses, { '1xx': 0, '2xx': 1, '3xx': 1, '4xx': 1, '5xx': 0 });
  assert.equal(second?.latencyTotals.count, 3);
  assert.equal(first?.latencyTotals.count, 0);
});

test('a 502 is charged to the instance whose failure could not be retried', async (t) => {
  const resetting = await startRawUpstream(t);
  const { port, service } = await startProxy(t, {}, members([resetting.port, true]));

  const response = await send(port, { method: 'POST', body: 'pay once' });

  assert.equal(response.status, 502);
  const [only] = service.stats();
  assert.equal(only?.badGateway, 1);
  assert.equal(only?.failuresHidden, 0);
  assert.equal(service.unavailableCount, 0);
});

test('a 503 for want of a ready instance is counted for the pool', async (t) => {
  const live = await startUpstream(t);
  const { port, service } = await startProxy(
    t,
    { waitForReadyMs: 20 },
    members([live.port, false]),
  );

  assert.equal((await send(port)).status, 503);
  assert.equal((await send(port)).status, 503);

  assert.equal(service.unavailableCount, 2);
  assert.equal(service.stats()[0]?.requests, 0);
});

test('latency totals count every sample into the Prometheus bucket it falls in', () => {
  const histogram = new LatencyHistogram(0);
  // 0.5 ms, exactly 1 ms (on a bound: counted in that bucket), 30 ms, 20 s (above every bound).
  for (const ms of [0.5, 1, 30, 20_000]) histogram.record(ms, 1);
  // A sample two windows later still counts: totals are since the start, not a window.
  histogram.record(7, 500_000);

  const totals = histogram.totals();
  const expected = new Array<number>(LATENCY_BUCKET_BOUNDS_SECONDS.length + 1).fill(0);
  const bucketOf = (seconds: number) => {
    const index = LATENCY_BUCKET_BOUNDS_SECONDS.findIndex((bound) => seconds <= bound);
    return index === -1 ? LATENCY_BUCKET_BOUNDS_SECONDS.length : index;
  };
  for (const seconds of [0.0005, 0.001, 0.03, 20, 0.007]) {
    const index = bucketOf(seconds);
    expected[index] = (expected[index] ?? 0) + 1;
  }
  assert.deepEqual(totals.buckets, expected);
  assert.equal(totals.buckets[0], 2, '0.5 ms and 1 ms are both ≤ 1 ms');
  assert.equal(totals.buckets.at(-1), 1, '20 s is above the last bound');
  assert.equal(totals.count, 5);
  assert.ok(Math.abs(totals.sumSeconds - 20.0385) < 1e-9, `sum ${totals.sumSeconds}`);
});
