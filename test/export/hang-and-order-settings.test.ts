import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { parse, parseAllDocuments } from 'yaml';
import { FOREIGN_EXPORTS } from '../../src/export/foreign-formats.js';
import { systemdUnits } from '../../src/export/systemd-units.js';
import { programSpec } from './export-specs.js';

/** A worker with every setting of issue 8 that only tend has: heartbeats, silence, memory, order. */
const WATCHED = programSpec({
  name: 'worker',
  args: ['worker.js'],
  readiness: 'notify',
  watchdogMs: 10_000,
  silenceTimeoutMs: 600_000,
  maxMemoryBytes: 300 * 1024 * 1024,
  dependsOn: ['db'],
});

test('systemd: order and memory translate, heartbeats and silence are named in warnings', () => {
  const { units, warnings } = systemdUnits([WATCHED]);
  const lines = units[0]?.content.split('\n') ?? [];
  for (const line of [
    'After=db.service',
    'Requires=db.service',
    `MemoryMax=${300 * 1024 * 1024}`,
  ]) {
    assert.ok(lines.includes(line), `the unit has ${line}`);
  }
  for (const field of ['readiness notify', 'watchdogMs', 'silenceTimeoutMs', 'maxMemoryBytes']) {
    assert.ok(
      warnings.some((warning) => warning.includes(field)),
      `a warning names ${field}`,
    );
  }
});

test('compose: depends_on and a memory limit, with warnings for what does not translate', () => {
  const { text, warnings } = FOREIGN_EXPORTS.compose([WATCHED], { image: 'node:20' });
  const service = (parse(text) as { services: Record<string, Record<string, unknown>> }).services
    .worker as { depends_on: string[]; deploy: { resources: { limits: { memory: string } } } };
  assert.deepEqual(service.depends_on, ['db']);
  assert.equal(service.deploy.resources.limits.memory, `${300 * 1024 * 1024}b`);
  for (const field of ['watchdogMs', 'silenceTimeoutMs', 'dependsOn']) {
    assert.ok(
      warnings.some((warning) => warning.includes(field)),
      `a warning names ${field}`,
    );
  }
});

test('kubernetes: a memory limit the API schema accepts, and warnings for order and heartbeats', () => {
  const { text, warnings } = FOREIGN_EXPORTS.kubernetes([WATCHED], { image: 'node:20' });
  const deployment = parseAllDocuments(text)
    .map((document) => document.toJS() as { kind: string })
    .find((object) => object.kind === 'Deployment');
  assert.ok(deployment);
  new Deployment(deployment as never).validate();
  const container = (
    deployment as unknown as {
      spec: { template: { spec: { containers: Array<{ resources: unknown }> } } };
    }
  ).spec.template.spec.containers[0];
  assert.deepEqual(container?.resources, { limits: { memory: String(300 * 1024 * 1024) } });
  for (const field of ['dependsOn', 'watchdogMs', 'silenceTimeoutMs', 'readiness notify']) {
    assert.ok(
      warnings.some((warning) => warning.includes(field)),
      `a warning names ${field}`,
    );
  }
});

test('a task program exports as a plain pool, each format warning that tasks do not translate', () => {
  const rooms = programSpec({ name: 'room', args: ['room.js'], port: 7000, max: 4, tasks: {} });
  const outputs = [
    systemdUnits([rooms]).warnings,
    FOREIGN_EXPORTS.compose([rooms], { image: 'node:20' }).warnings,
    FOREIGN_EXPORTS.kubernetes([rooms], { image: 'node:20' }).warnings,
  ];
  for (const warnings of outputs) {
    assert.ok(
      warnings.some((warning) => /room: tasks .* does not translate/.test(warning)),
      warnings.join('\n'),
    );
  }
});
