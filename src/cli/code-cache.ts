import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** A CommonJS file run through V8's code cache, and how to keep the cache for the next run. */
export interface CachedModule {
  exports: unknown;
  /** Whether V8 took the compiled code from the cache instead of compiling the source. */
  isFromCache: boolean;
  /** Writes the code compiled so far (functions run since the load included) for the next load; a no-op when it came from the cache. */
  saveCache(): void;
}

/**
 * Requires `file` (CommonJS, no dynamic import) through a V8 code cache, the first found in
 * `cacheDirs` (`saveCache` writes to the last): the
 * daemon's bundle is 2 MB, and compiling it was the largest part of a daemon's start (the API is
 * back that much sooner after a crash, a reload or the first command). Node 20 has no compile
 * cache of its own (module.enableCompileCache came in 22). V8 checks a cache against the length
 * of the source, not its content, so the cache file is named by a hash of the source and of the
 * Node version: a changed bundle never runs another's code. A cache that V8 refuses (another
 * V8's flags) is compiled from source and replaced.
 */
export function requireWithCodeCache(file: string, cacheDirs: readonly string[]): CachedModule {
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha256')
    .update(process.version)
    .update('\0')
    .update(source)
    .digest('hex')
    .slice(0, 16);
  const name = `${basenameOf(file)}-${key}.v8`;
  let cachedData: Buffer | undefined;
  for (const dir of cacheDirs) {
    try {
      cachedData = readFileSync(join(dir, name));
      break;
    } catch {
      // none there
    }
  }
  const script = new Script(Module.wrap(source), {
    filename: file,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const isFromCache = cachedData !== undefined && script.cachedDataRejected !== true;
  const loaded = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(loaded.exports, loaded.exports, createRequire(file), loaded, file, dirname(file));
  return {
    exports: loaded.exports,
    isFromCache,
    saveCache() {
      const cacheDir = cacheDirs.at(-1);
      if (isFromCache || cacheDir === undefined) return;
      const cachePath = join(cacheDir, name);
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const temp = `${cachePath}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData(), { mode: 0o644 });
      renameSync(temp, cachePath);
      // Caches of other builds are of no use any more.
      const prefix = `${basenameOf(file)}-`;
      for (const entry of readdirSync(cacheDir)) {
        if (entry.startsWith(prefix) && join(cacheDir, entry) !== cachePath) {
          rmSync(join(cacheDir, entry), { force: true });
        }
      }
    },
  };
}

function basenameOf(file: string): string {
  return (file.split('/').pop() ?? 'module').replace(/\.c?js$/, '');
}
