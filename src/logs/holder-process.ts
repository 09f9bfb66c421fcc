import { spawn } from 'node:child_process';
import { closeSync, readdirSync, readFileSync } from 'node:fs';
import { isSameProcess, readProcessStartTime } from '../process/proc-identity.js';
import { isLive, readProcStat } from '../process/proc-table.js';
import { signalProcess } from '../process/signal-process.js';
import { openFifoReadEnd } from './fifo.js';
import type { HolderPort, HolderRef } from './output-holder.js';

/** argv[0] of a holder (`ps` shows `tend-output-holder infinity`), how the next daemon finds it. */
export const HOLDER_ARGV0 = 'tend-output-holder';
/** The holder is coreutils `sleep`: about 1.6 MiB of RSS, 180 KiB of PSS, whatever it holds. */
const HOLDER_COMMAND = 'sleep';
const HOLDER_ARGS = ['infinity'];

/** The real HolderPort of a home: `sleep infinity` processes holding the FIFOs' read ends. */
export function holderProcesses(home: string): HolderPort {
  return {
    start: (paths, onExit) => startHolder(home, paths, onExit),
    end: endHolder,
  };
}

/**
 * Spawns a holder with the read end of each FIFO as fds 3, 4, …: opened read-only (a write end
 * would keep the daemon from ever seeing end-of-file) and non-blocking (no writer needed to
 * open). The daemon's copies are closed at once: a holder of N instances costs 2N fds only while
 * it is spawned. Detached (its own process group) and in TEND_HOME's name, like the watcher.
 */
function startHolder(home: string, paths: readonly string[], onExit: () => void): HolderRef {
  const fds: number[] = [];
  try {
    for (const path of paths) fds.push(openFifoReadEnd(path));
    const child = spawn(HOLDER_COMMAND, HOLDER_ARGS, {
      argv0: HOLDER_ARGV0,
      // Not the daemon's folder: a long-lived process there would keep its file system busy.
      cwd: '/',
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TEND_HOME: home },
      stdio: ['ignore', 'ignore', 'ignore', ...fds],
    });
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    const pid = child.pid;
    const startTime = pid === undefined ? undefined : readProcessStartTime(pid);
    if (pid === undefined || startTime === undefined) {
      throw new Error(`\`${HOLDER_COMMAND} ${HOLDER_ARGS.join(' ')}\` did not start`, {
        cause: spawnError,
      });
    }
    child.unref();
    child.on('exit', onExit);
    return { pid, startTime };
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

function endHolder(holder: HolderRef): void {
  if (isSameProcess(holder.pid, holder.startTime)) signalProcess(holder.pid, 'SIGKILL', 'process');
}

/** The live holders of this home, as a daemon that crashed or handed over left them. */
export function findHolders(home: string): HolderRef[] {
  const found: HolderRef[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  const marker = `${HOLDER_ARGV0}\0`;
  const homeVariable = `TEND_HOME=${home}`;
  for (const entry of entries) {
    if (entry.charCodeAt(0) > 57 || !/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith(marker)) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (!environ.includes(homeVariable)) continue;
    } catch {
      continue; // gone meanwhile, or another user's
    }
    const stat = readProcStat(Number(entry));
    if (isLive(stat)) found.push({ pid: stat.pid, startTime: stat.startTime });
  }
  return found;
}
