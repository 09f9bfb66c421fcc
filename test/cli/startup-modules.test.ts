import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runTend } from './cli-harness.js';
import { FAKE_LAUNCHER, fakeDaemonEnv, fakeHome } from './fake-daemon-harness.js';

const TEND_BIN = fileURLToPath(new URL('../../../bin/tend.js', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../src/cli/bundle.cjs', import.meta.url));
const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const BUNDLE_SCRIPT = fileURLToPath(new URL('../../scripts/bundle-cli.js', import.meta.url));
const PROGRAM_SPEC_URL = new URL('../../src/config/program-spec.js', import.meta.url).href;

/** The packages the bundle may contain: picocolors, loaded only for a terminal. */
const BUNDLED_PACKAGES = ['picocolors'];

/** What one `tend` run loaded, as Node's own debug output (NODE_DEBUG=module,esm) tells it. */
interface ModuleTrace {
  code: number;
  commonJs: string[];
  esModules: string[];
}

function traceModules(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<ModuleTrace> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TEND_BIN, ...args],
      { env: { ...env, NODE_DEBUG: 'module,esm' }, timeout: 20_000 },
      (error, _stdout, stderr) => {
        const lines = stderr.split('\n');
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          commonJs: lines.flatMap(
            (line) => /^MODULE \d+: load "(.+)" for module/.exec(line)?.[1] ?? [],
          ),
          esModules: lines.flatMap(
            (line) => /^ESM \d+: Translating \w+ (\S+)/.exec(line)?.[1] ?? [],
          ),
        });
      },
    );
  });
}

// bin/tend.js runs dist/src when tsc ran after the bundle was made (`npx tsc -p .` alone): make
// the bundle again then, as `npm run build` does, so that these tests see the shipped path.
before(async () => {
  const bundleTime = statSync(BUNDLE, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (bundleTime >= statSync(CLI_MAIN).mtimeMs) return;
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, [BUNDLE_SCRIPT], { timeout: 60_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`bundle-cli failed: ${stderr}`)) : resolve(),
    );
  });
});

test('tend ls runs from the bundle alone: two CommonJS files, no ES module, no package', async (t) => {
  const home = fakeHome(t);
  const env = fakeDaemonEnv(home, 'serve');
  const started = await runTend(['daemon', 'start'], home, { launcher: FAKE_LAUNCHER, env });
  assert.equal(started.code, 0, started.stderr);

  const trace = await traceModules(['ls'], env);
  // Each ES module costs ~0.45 ms, and the first one ~3.5 ms more to start the loader.
  assert.deepEqual(trace, { code: 0, commonJs: [TEND_BIN, BUNDLE], esModules: [] });
});

test('tend help start imports the program schema from dist/src at run time, not from the bundle', async (t) => {
  const home = fakeHome(t);
  const trace = await traceModules(['help', 'start'], fakeDaemonEnv(home, 'serve'));
  assert.equal(trace.code, 0);
  assert.deepEqual(trace.commonJs.slice(0, 2), [TEND_BIN, BUNDLE]);
  // This also shows that the trace sees ES modules: the test above would notice one.
  assert.ok(trace.esModules.includes(PROGRAM_SPEC_URL), trace.esModules.join(' '));
  const cliModules = trace.esModules.filter((url) => url.includes('/dist/src/cli/'));
  assert.deepEqual(cliModules, [], 'the CLI itself comes from the bundle only');
});

test('the bundle holds no package but picocolors, and neither the daemon nor the schema', () => {
  const map = JSON.parse(readFileSync(`${BUNDLE}.map`, 'utf8')) as { sources: string[] };
  const sources = map.sources.map((source) => new URL(source, pathToFileURL(BUNDLE)).pathname);
  const packages = new Set(
    sources.flatMap((path) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1] ?? []),
  );
  assert.deepEqual([...packages], BUNDLED_PACKAGES);
  const ownSources = sources.filter((path) => !path.includes('/node_modules/'));
  assert.ok(ownSources.some((path) => path.endsWith('/src/cli/main.ts')));
  const runTimeOnly = ownSources.filter(
    (path) => path.includes('/src/daemon/') || path.endsWith('/src/config/program-spec.ts'),
  );
  assert.deepEqual(runTimeOnly, []);
});
