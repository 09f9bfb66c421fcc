import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { tendFileJsonSchema } from '../../src/config/tend-file/file-schema.js';
import { parseTendFile } from '../../src/config/tend-file/load-config.js';
import { makeTempHome } from '../helpers/temp-home.js';

/** The tend.yaml examples of a document: its yaml code blocks that declare programs. */
function examplesIn(document: string): string[] {
  const text = readFileSync(new URL(`../../../${document}`, import.meta.url), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .filter((block) => /^programs:\n/m.test(block));
}

const validate = new Ajv2020.default({ strict: true, allErrors: true }).compile(
  tendFileJsonSchema(),
);

for (const document of ['README.md', 'docs/configuration.md', 'docs/tasks.md']) {
  test(`the tend.yaml examples of ${document} pass the JSON Schema that editors use, and tend apply's checks`, (t) => {
    const examples = examplesIn(document);
    assert.ok(examples.length > 0, `${document} has a tend.yaml example`);
    const dir = makeTempHome(t, 'tend-examples-');
    mkdirSync(join(dir, 'worker'));
    writeFileSync(join(dir, '.env'), 'SECRET=x\n');
    for (const example of examples) {
      assert.ok(validate(parse(example)), JSON.stringify(validate.errors));
      const specs = parseTendFile(example, { file: 'tend.yaml', path: join(dir, 'tend.yaml') });
      assert.ok(specs.length > 0);
    }
  });
}

test('the JSON Schema flags what tend apply refuses: an unknown field, a duration that is no duration', () => {
  const isValid = validate({ programs: { web: { command: 'node', instnces: 2 } } });
  assert.equal(isValid, false);
  assert.equal(validate({ programs: { web: { command: 'node', stopTimeoutMs: 'fast' } } }), false);
  assert.equal(
    validate({
      programs: { web: { command: 'node', stopTimeoutMs: '2s', env_production: { A: 'b' } } },
    }),
    true,
  );
});
