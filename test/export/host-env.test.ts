import assert from 'node:assert/strict';
import { test } from 'node:test';
import { declaredSpec } from '../../src/export/host-env.js';
import { programSpec } from './export-specs.js';

const STARTED = programSpec({
  name: 'api',
  env: { PATH: '/usr/bin', HOME: '/home/ann', API_KEY: 'k' },
  shellEnvNames: ['PATH', 'HOME'],
});

test('an export writes the variables that were set, and names those tend start copied from its shell', () => {
  const { spec, leftOut } = declaredSpec(STARTED, false);
  assert.deepEqual(spec.env, { API_KEY: 'k' });
  assert.deepEqual(leftOut, ['PATH', 'HOME']);
  assert.equal('shellEnvNames' in spec, false);
});

test('with the shell env asked for, the env stays whole and nothing is left out', () => {
  const { spec, leftOut } = declaredSpec(STARTED, true);
  assert.deepEqual(spec.env, STARTED.env);
  assert.deepEqual(leftOut, []);
  assert.equal('shellEnvNames' in spec, false);
});

test('a program defined in a file (no shell names) keeps its whole env', () => {
  const fromFile = programSpec({ name: 'web', env: { PATH: '/opt/bin' } });
  assert.deepEqual(declaredSpec(fromFile, false), { spec: fromFile, leftOut: [] });
});
