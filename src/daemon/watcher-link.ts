import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Logger } from 'pino';
import { daemonCommand } from '../cli/tend-command.js';
import { EXIT_CRASHED, watchedCommand } from '../cli/watcher-command.js';
import { homePaths } from '../config/home.js';
import { TAKE_OVER_ENV } from './take-over.js';

/** How often the daemon checks that its watcher is still its parent. */
const WATCHER_CHECK_INTERVAL_MS = 1_000;

/** Calls `onGone` once when this process's parent changes (its watcher died; it was re-parented). */
export function onWatcherGone(onGone: () => void): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, WATCHER_CHECK_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Starts `tend daemon` for this home under a new watcher, detached, to take over from daemon
 * `takeOverFrom` (a reload of a daemon that has no watcher, or whose watcher is gone).
 */
export function startWatchedDaemon(home: string, takeOverFrom: number): void {
  const { file, args } = watchedCommand(daemonCommand());
  const out = openSync(homePaths(home).daemonOut, 'a', 0o600);
  const child = spawn(file, args, {
    detached: true,
    cwd: home,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      TEND_HOME: home,
      [TAKE_OVER_ENV]: String(takeOverFrom),
      TEND_WATCHER_RESTART: `reload ${Math.floor(Date.now() / 1000)} 75 0`,
    },
  });
  child.unref();
  closeSync(out);
}

/** Exits with EXIT_CRASHED on an uncaught error, so that the watcher tells a crash from a start-up failure. */
export function exitOnUncaughtError(logger: Logger): void {
  const crash = (error: unknown) => {
    logger.fatal(
      { err: error },
      'uncaught error; the daemon exits and its watcher starts it again',
    );
    process.stderr.write(
      `tend daemon: uncaught error: ${(error as Error)?.stack ?? String(error)}\n`,
    );
    process.exit(EXIT_CRASHED);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}
