import { Counter, Gauge, type Registry } from 'prom-client';
import {
  type InstanceProxyStats,
  LATENCY_BUCKET_BOUNDS_SECONDS,
  type StatusClassCounts,
} from '../../proxy/control-protocol.js';
import { BucketHistogram } from './bucket-histogram.js';
import { labelsOf } from './instance-collectors.js';
import type { MetricsProgram } from './metrics-source.js';

const STATUS_CLASSES: ReadonlyArray<keyof StatusClassCounts> = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** Registers the pool proxies' counters, read from the programs of the current scrape. */
export function registerProxyCollectors(
  registry: Registry,
  programs: () => readonly MetricsProgram[],
): void {
  const members = function* () {
    for (const program of programs()) {
      for (const stats of program.proxy?.instances ?? []) {
        yield { labels: labelsOf(program.name, stats.instance), stats };
      }
    }
  };
  const perMember = (
    name: string,
    help: string,
    value: (stats: InstanceProxyStats) => number,
  ): void => {
    new Counter({
      name,
      help,
      labelNames: ['program', 'index'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, stats } of members()) this.inc(labels, value(stats));
      },
    });
  };
  new Counter({
    name: 'tend_proxy_responses_total',
    help: 'Responses the pool proxy relayed from an instance, by status class (http mode; 101 counts as 1xx).',
    labelNames: ['program', 'index', 'class'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, stats } of members()) {
        for (const statusClass of STATUS_CLASSES) {
          this.inc({ ...labels, class: statusClass }, stats.responses[statusClass]);
        }
      }
    },
  });
  perMember(
    'tend_proxy_requests_total',
    'Requests (http) or connections (tcp) the pool proxy sent to an instance, retries included.',
    (stats) => stats.requests,
  );
  perMember(
    'tend_proxy_retries_total',
    'Of the requests sent to an instance, those that were retries of a request that failed on another instance first.',
    (stats) => stats.retries,
  );
  perMember(
    'tend_proxy_failures_total',
    'Attempts that failed on an instance: connect errors, resets or closes before or during the response.',
    (stats) => stats.failures,
  );
  perMember(
    'tend_proxy_failures_hidden_total',
    'Failures on an instance of requests that a retry on another instance then delivered: the client never saw them.',
    (stats) => stats.failuresHidden,
  );
  perMember(
    'tend_proxy_bad_gateway_total',
    'Requests the pool proxy answered 502 after a failure on this instance that it could not retry.',
    (stats) => stats.badGateway,
  );
  new Counter({
    name: 'tend_proxy_unavailable_total',
    help: 'Requests the pool proxy answered 503 (tcp: connections it closed) because no instance was ready in time.',
    labelNames: ['program'],
    registers: [registry],
    collect() {
      this.reset();
      for (const program of programs()) {
        if (program.proxy) this.inc({ program: program.name }, program.proxy.unavailable);
      }
    },
  });
  new Gauge({
    name: 'tend_proxy_in_flight',
    help: 'Requests (http) or connections (tcp) in flight on an instance now.',
    labelNames: ['program', 'index'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, stats } of members()) this.set(labels, stats.outstanding);
    },
  });
  new BucketHistogram({
    name: 'tend_proxy_upstream_latency_seconds',
    help: 'Upstream response time through the pool proxy (http: request sent to response complete; tcp: connect time).',
    labelNames: ['program', 'index'],
    bounds: LATENCY_BUCKET_BOUNDS_SECONDS,
    registry,
    read: function* () {
      for (const { labels, stats } of members()) {
        const totals = stats.latencyTotals;
        yield { labels, buckets: totals.buckets, sum: totals.sumSeconds, count: totals.count };
      }
    },
  });
}
