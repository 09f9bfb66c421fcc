import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instancePort } from '../../src/config/instance-port.js';
import { instanceEnv } from '../../src/process/instance-env.js';
import { makeSpec } from '../supervisor/harness.js';

test('each instance gets its name, its 0-based index and base port + index', () => {
  const spec = makeSpec({ port: 3000, instances: 3, env: { NODE_ENV: 'production' } });
  assert.deepEqual(instanceEnv(spec, 2), {
    NODE_ENV: 'production',
    TEND_NAME: 'web',
    TEND_INSTANCE: '2',
    PORT: '3002',
  });
  assert.equal(instancePort(spec, 0), 3000);
});

test('no PORT without a base port, and a PORT from env is kept', () => {
  const env = instanceEnv(makeSpec({ env: { PORT: '8080' } }), 1);
  assert.equal(env.PORT, '8080');
  assert.equal(env.TEND_INSTANCE, '1');
  assert.equal(instancePort(makeSpec(), 1), null);
});

test('tend variables win over env', () => {
  const env = instanceEnv(makeSpec({ port: 4000, env: { PORT: '1', TEND_INSTANCE: '9' } }), 0);
  assert.equal(env.PORT, '4000');
  assert.equal(env.TEND_INSTANCE, '0');
});
