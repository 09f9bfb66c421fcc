import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EventBus } from '../../src/core/event-bus.js';
import { TendMetrics } from '../../src/metrics/prometheus/tend-metrics.js';
import { missingToolReason } from '../helpers/external-tool.js';
import { runPromtool } from '../helpers/promtool.js';
import { proxyStats } from '../helpers/proxy-stats.js';

const NO_PROMTOOL = missingToolReason('promtool', 'prometheus');

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
            instances: [proxyStats(0)],
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

test('the alert rules in docs/metrics.md pass promtool check rules', {
  skip: NO_PROMTOOL,
}, async (t) => {
  const rules = yamlBlocks()[1] ?? '';
  assert.ok(rules.includes('TendCrashLoop') && rules.includes('TendInstanceErrored'));
  const file = join(makeTempHome(t), 'rules.yml');
  writeFileSync(file, rules);
  const { code, output } = await runPromtool(['check', 'rules', file]);
  assert.equal(code, 0, output);
  assert.match(output, /SUCCESS: 2 rules found/);
});

test('the scrape config in docs/metrics.md passes promtool check config', {
  skip: NO_PROMTOOL,
}, async (t) => {
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
