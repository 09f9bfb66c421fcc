import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { z } from 'zod';
import { ProbeSpecSchema } from '../../src/config/probe-spec.js';
import { ProgramSpecSchema, ProxySpecSchema } from '../../src/config/program-spec.js';
import { TaskSettingsSchema } from '../../src/config/task-settings.js';
import { ProgramEntrySchema } from '../../src/config/tend-file/file-schema.js';

/** The cells of each table row of docs/configuration.md under `heading`, by field name. */
function documentedFields(heading: string): Map<string, string[]> {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const start = doc.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `docs/configuration.md has a "${heading}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  const fields = new Map<string, string[]>();
  for (const row of doc.slice(start, end < 0 ? undefined : end).split('\n')) {
    const cells = row.split(' | ').map((cell) => cell.replace(/^\|/, '').trim());
    const field = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
    if (field) fields.set(field, cells);
  }
  return fields;
}

function assertDocumented(shape: Record<string, z.ZodType>, heading: string): void {
  const fields = documentedFields(heading);
  for (const [field, schema] of Object.entries(shape)) {
    const cells = fields.get(field);
    assert.ok(cells, `\`${field}\` has a row under "${heading}" in docs/configuration.md`);
    const parsed = schema.safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) {
      assert.equal(cells[1], `\`${JSON.stringify(parsed.data)}\``, `the default of \`${field}\``);
    }
  }
  const unknown = [...fields.keys()].filter((field) => !(field in shape));
  assert.deepEqual(unknown, [], `fields under "${heading}" that the schema does not have`);
}

test('docs/configuration.md has every field of the program definition, with the default of the schema', () => {
  assertDocumented(ProgramSpecSchema.in.shape, '## Fields');
  assertDocumented(ProxySpecSchema.shape, '## `proxy`');
  assertDocumented(ProbeSpecSchema.shape, '## Probes');
  assertDocumented(TaskSettingsSchema.shape, '## `tasks`');
});

test('docs/configuration.md has a row for each field that tend.yaml adds to the definition', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('\n### File-only fields\n'), doc.indexOf('\n### Errors\n'));
  const definition = new Set(Object.keys(ProgramSpecSchema.in.shape));
  const fileOnly = Object.keys(ProgramEntrySchema.shape).filter((field) => !definition.has(field));
  assert.ok(fileOnly.includes('envFile'), 'the entry schema adds envFile');
  for (const field of [...fileOnly, 'env_<name>']) {
    assert.match(
      section,
      new RegExp(`\\| \`${field}\` +\\|`),
      `\`${field}\` under "File-only fields"`,
    );
  }
});
