import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PM2_BIN } from '../../bench/lib/paths.js';
import { PidTracker } from '../../bench/lib/pid-tracker.js';
import { pidsWithEnv } from '../../bench/lib/probes.js';

const run = promisify(execFile);

/** Why the real PM2 cannot run here (its devDependency is missing), or undefined; never skipped under CI. */
export function missingPm2Reason(): string | undefined {
  if (existsSync(PM2_BIN) || process.env.CI) return undefined;
  return `${PM2_BIN} is not installed (npm install)`;
}

/**
 * Runs the real PM2 under a temporary PM2_HOME (its `touch` made first, no version check): each
 * `pm2 start` given, then `pm2 save`; copies the dump it wrote to `destination`, then `pm2 kill`s
 * that home and ends by pid whatever it left running.
 */
export async function writeRealPm2Dump(
  starts: ReadonlyArray<readonly string[]>,
  destination: string,
  cwd: string,
): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'tend-pm2-home-'));
  writeFileSync(join(home, 'touch'), '');
  const { TEND_HOME: _ignored, ...inherited } = process.env;
  const env = { ...inherited, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: '1' };
  const pm2 = (args: readonly string[]) =>
    run(PM2_BIN, [...args], { env, cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  try {
    for (const start of starts) await pm2(['start', ...start]);
    await pm2(['save', '--force']);
    copyFileSync(join(home, 'dump.pm2'), destination);
  } finally {
    const tracker = new PidTracker();
    for (const pid of pidsWithEnv('PM2_HOME', home)) tracker.track(pid);
    await pm2(['kill']).catch(() => undefined);
    for (const pid of pidsWithEnv('PM2_HOME', home)) tracker.track(pid);
    tracker.killSurvivors();
    rmSync(home, { recursive: true, force: true });
  }
}
