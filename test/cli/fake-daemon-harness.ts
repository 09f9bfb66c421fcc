import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaemonLauncher } from '../../src/cli/context.js';

/** Starts fake-daemon.js instead of the real daemon. */
export const FAKE_LAUNCHER: DaemonLauncher = {
  file: process.execPath,
  args: [fileURLToPath(new URL('./fake-daemon.js', import.meta.url))],
};

type AfterHook = { after(fn: () => unknown): void };

/**
 * A temp home whose fake daemons (listed in fake.pids) are killed by pid when the test ends.
 * One hook does both, in this order: after hooks run in registration order, and a home removed
 * first would hide the pids to kill.
 */
export function fakeHome(t: AfterHook): string {
  const parent = mkdtempSync(join(tmpdir(), 'tend-cli-'));
  const home = join(parent, 'home');
  t.after(() => {
    for (const pid of startedPids(home)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(parent, { recursive: true, force: true });
  });
  return home;
}

/** The pids of every fake daemon started for a home, in order. */
export function startedPids(home: string): number[] {
  const path = join(home, 'fake.pids');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map(Number) : [];
}

/** The environment of a CLI run whose fake daemon behaves as `mode` says (see fake-daemon.ts). */
export function fakeDaemonEnv(home: string, mode: 'serve' | 'error' | 'exit' | 'silent') {
  return { TEND_HOME: home, PATH: process.env.PATH, FAKE_DAEMON_MODE: mode };
}
