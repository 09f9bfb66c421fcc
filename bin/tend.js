#!/usr/bin/env node
// The `tend` command. It is CommonJS (see bin/package.json) and runs the CLI bundle that
// `npm run build` makes: one CommonJS file starts faster than Node's ES-module loader.
'use strict';

const { statSync } = require('node:fs');
const { join } = require('node:path');

const CLI_DIR = join(__dirname, '..', 'dist', 'src', 'cli');
const BUNDLE_PATH = join(CLI_DIR, 'bundle.cjs');
const MAIN_PATH = join(CLI_DIR, 'main.js');

/**
 * The bundle; or dist/src/cli/main.js when tsc ran after the bundle was made (`npx tsc -p .`
 * alone), so that `tend` never runs older code than dist/src holds.
 */
function loadCli() {
  const bundle = statSync(BUNDLE_PATH, { throwIfNoEntry: false });
  const main = statSync(MAIN_PATH, { throwIfNoEntry: false });
  if (bundle && !(main && main.mtimeMs > bundle.mtimeMs)) return require(BUNDLE_PATH);
  if (main) return import(require('node:url').pathToFileURL(MAIN_PATH).href);
  process.stderr.write('tend: the CLI is not built; run `npm run build` in the tend folder\n');
  process.exit(1);
}

Promise.resolve(loadCli())
  .then((cli) => cli.runCli(process.argv.slice(2)))
  .then((code) => process.exit(code));
