import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EventBus } from '../../src/core/event-bus.js';
import { TendMetrics } from '../../src/metrics/prometheus/tend-metrics.js';
import { LATENCY_BUCKET_BOUNDS_SECONDS } from '../../src/proxy/control-protocol.js';
import { runPromtool } from '../helpers/promtool.js';
import { makeTempHome } from '../helpers/temp-home.js';

const DOC = readFileSync(
  fileURLToPath(new URL('../../../docs/metrics.md', import.meta.url)),
  'utf8',
);

function yamlBlocks(): string[] {
  return [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

test('docs/metrics.md documents exactly the metric families the daemon exposes', async (t) => {
  const metrics = new TendMetrics({
    bus: new EventBus(),
    source: {
      list: async () => [
        {
          name: 'web',
          instances: [{ instance: 0, status: 'online', pid: process.pid, uptimeMs: 1 }],
          proxy: {
            unavailable: 0,
            instances: [
              {
                instance: 0,
                requests: 0,
                retries: 0,
                failures: 0,
                outstanding: 0,
                isReady: true,
                isSuspended: false,
                latencyMs: { p50: null, p90: null, p99: null },
                responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
                failuresHidden: 0,
                badGateway: 0,
                latencyTotals: {
                  buckets: new Array<number>(LATENCY_BUCKET_BOUNDS_SECONDS.length + 1).fill(0),
                  sumSeconds: 0,
                  count: 0,
                },
              },
            ],
          },
        },
      ],
    },
  });
  t.after(() => metrics.close());
  const exposed = [...(await metrics.render()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(
    (match) => `${match[1]} ${match[2]}`,
  );
  const documented = [...DOC.matchAll(/^\| `(tend_[a-z0-9_]+)`\s*\| (\w+)/gm)].map(
    (match) => `${match[1]} ${match[2]}`,
  );
  assert.deepEqual([...documented].sort(), [...exposed].sort());
});

test('the alert rules in docs/metrics.md pass promtool check rules', async (t) => {
  const rules = yamlBlocks()[1] ?? '';
  assert.ok(rules.includes('TendCrashLoop') && rules.includes('TendInstanceErrored'));
  const file = join(makeTempHome(t), 'rules.yml');
  writeFileSync(file, rules);
  const { code, output } = await runPromtool(['check', 'rules', file]);
  assert.equal(code, 0, output);
  assert.match(output, /SUCCESS: 2 rules found/);
});

test('the scrape config in docs/metrics.md passes promtool check config', async (t) => {
  const [scrape] = yamlBlocks();
  const home = makeTempHome(t);
  writeFileSync(join(home, 'token'), 'a-token\n', { mode: 0o600 });
  const config = (scrape ?? '').replace(
    /credentials_file: \S+/,
    `credentials_file: ${join(home, 'token')}`,
  );
  assert.notEqual(config, scrape, 'the example names a credentials file');
  const file = join(home, 'prometheus.yml');
  writeFileSync(file, config);
  const { code, output } = await runPromtool(['check', 'config', file]);
  assert.equal(code, 0, output);
});
