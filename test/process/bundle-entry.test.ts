import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isBundleCurrent } from '../../src/bundle-entry.js';
import { PROXY_MAIN_PATH, PROXY_WORKER_MAIN_PATH } from '../../src/proxy/proxy-paths.js';
import { makeTempHome } from '../helpers/temp-home.js';

test('a bundle is run unless it is missing or tsc emitted its modules after it', (t) => {
  const folder = makeTempHome(t);
  const bundle = join(folder, 'main.cjs');
  const module = join(folder, 'main.js');
  writeFileSync(module, '');
  assert.equal(isBundleCurrent(bundle, module), false, 'no bundle');
  writeFileSync(bundle, '');
  utimesSync(module, 1_000, 1_000);
  utimesSync(bundle, 2_000, 2_000);
  assert.equal(isBundleCurrent(bundle, module), true, 'made after the modules');
  utimesSync(module, 3_000, 3_000);
  assert.equal(isBundleCurrent(bundle, module), false, 'tsc ran after the bundle was made');
});

test('after npm run build, the daemon starts proxies and the proxy forks workers from their bundles', () => {
  assert.match(PROXY_MAIN_PATH, /dist\/src\/proxy\/proxy-main\.cjs$/);
  assert.match(PROXY_WORKER_MAIN_PATH, /dist\/src\/proxy\/proxy-worker-main\.cjs$/);
});
