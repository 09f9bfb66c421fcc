import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempHome } from '../helpers/temp-home.js';

const CODE_CACHE_MODULE = new URL('../../src/cli/code-cache.js', import.meta.url).href;

/**
 * Loads `file` through the code cache in a fresh process, as a daemon start does (within one
 * process V8 reuses what it compiled already and never looks at a cache), and saves the cache
 * when asked; says whether the code came from the cache, and what the module answers.
 */
function loadInFreshProcess(
  file: string,
  cacheDir: string,
  options: { save?: boolean } = {},
): { isFromCache: boolean; answer: string; dir: string; sum: number } {
  return loadInFreshProcessFrom(file, [cacheDir], options);
}

/** loadInFreshProcess with several cache folders, searched in order. */
function loadInFreshProcessFrom(
  file: string,
  cacheDirs: string[],
  options: { save?: boolean } = {},
): { isFromCache: boolean; answer: string; dir: string; sum: number } {
  const script = `
    const { requireWithCodeCache } = await import(${JSON.stringify(CODE_CACHE_MODULE)});
    const loaded = requireWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(cacheDirs)});
    const { answer, dir, sum } = loaded.exports;
    console.log(JSON.stringify({ isFromCache: loaded.isFromCache, answer: answer(), dir, sum }));
    if (${options.save === true}) loaded.saveCache();
  `;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  );
}

/** A CommonJS module with enough code for V8 to cache, answering `answer`. */
function moduleSource(answer: string): string {
  const helpers = Array.from(
    { length: 50 },
    (_, index) => `function helper${index}(x) { return x + ${index}; }`,
  );
  return `'use strict';\n${helpers.join('\n')}\nmodule.exports = { answer: () => '${answer}', dir: __dirname, sum: helper3(1) };\n`;
}

test('a module is compiled from source first, then from the cache its first load saved', (t) => {
  const folder = makeTempHome(t);
  const file = join(folder, 'bundle.cjs');
  const cacheDir = join(folder, 'cache');
  writeFileSync(file, moduleSource('one'));

  const first = loadInFreshProcess(file, cacheDir, { save: true });
  assert.deepEqual(first, { isFromCache: false, answer: 'one', dir: folder, sum: 4 });
  assert.equal(readdirSync(cacheDir).length, 1);
  const second = loadInFreshProcess(file, cacheDir);
  assert.deepEqual(second, { isFromCache: true, answer: 'one', dir: folder, sum: 4 });
});

test('a changed module of the same length never runs the code cached for the old one', (t) => {
  const folder = makeTempHome(t);
  const file = join(folder, 'bundle.cjs');
  const cacheDir = join(folder, 'cache');
  writeFileSync(file, moduleSource('one'));
  loadInFreshProcess(file, cacheDir, { save: true });

  // Same length: V8's own check (the length of the source) would take the old cache.
  writeFileSync(file, moduleSource('two'));
  const changed = loadInFreshProcess(file, cacheDir, { save: true });
  assert.equal(changed.isFromCache, false);
  assert.equal(changed.answer, 'two');
  assert.equal(readdirSync(cacheDir).length, 1, "the old build's cache is removed");
  assert.equal(loadInFreshProcess(file, cacheDir).isFromCache, true);
});

test('a damaged cache is refused by V8: the module compiles from source and works', (t) => {
  const folder = makeTempHome(t);
  const file = join(folder, 'bundle.cjs');
  const cacheDir = join(folder, 'cache');
  writeFileSync(file, moduleSource('one'));
  loadInFreshProcess(file, cacheDir, { save: true });
  const [cacheFile] = readdirSync(cacheDir);
  writeFileSync(join(cacheDir, cacheFile ?? ''), 'not a code cache');

  const loaded = loadInFreshProcess(file, cacheDir, { save: true });
  assert.deepEqual([loaded.isFromCache, loaded.answer], [false, 'one']);
  assert.equal(loadInFreshProcess(file, cacheDir).isFromCache, true, 'replaced by a good one');
});

test('the cache of the first folder that has one is used; a new one is saved to the last folder', (t) => {
  const folder = makeTempHome(t);
  const file = join(folder, 'bundle.cjs');
  const builtDir = join(folder, 'dist');
  const homeDir = join(folder, 'home-cache');
  writeFileSync(file, moduleSource('one'));
  loadInFreshProcess(file, builtDir, { save: true });

  const loaded = loadInFreshProcessFrom(file, [builtDir, homeDir]);
  assert.equal(loaded.isFromCache, true, "the build's cache");
  assert.equal(existsSync(homeDir), false, 'nothing saved to the home');
  rmSync(builtDir, { recursive: true });
  assert.equal(
    loadInFreshProcessFrom(file, [builtDir, homeDir], { save: true }).isFromCache,
    false,
  );
  assert.equal(readdirSync(homeDir).length, 1, 'saved to the last folder');
  assert.equal(loadInFreshProcessFrom(file, [builtDir, homeDir]).isFromCache, true);
});

test('npm run build leaves a code cache of the daemon bundle that this Node takes', () => {
  const bundle = fileURLToPath(new URL('../../src/daemon/bundle.cjs', import.meta.url));
  const script = `
    const { requireWithCodeCache } = await import(${JSON.stringify(CODE_CACHE_MODULE)});
    const loaded = requireWithCodeCache(${JSON.stringify(bundle)}, [${JSON.stringify(dirname(bundle))}]);
    console.log(JSON.stringify({ isFromCache: loaded.isFromCache, exports: Object.keys(loaded.exports) }));
  `;
  const loaded = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  ) as { isFromCache: boolean; exports: string[] };
  assert.equal(loaded.isFromCache, true);
  assert.ok(loaded.exports.includes('runDaemon'), 'the daemon module');
});
