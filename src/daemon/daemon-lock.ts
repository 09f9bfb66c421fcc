import {
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { DaemonError } from '../errors.js';

/** Held by the one daemon of a home; `release()` removes the pid file. */
export interface DaemonLock {
  release(): void;
  /** Hands the lock to the daemon `pid` that takes over (a reload): the pid file names it, atomically. */
  transferTo(pid: number): void;
}

/** The home's lock is held by another live daemon, `holderPid`. */
export class DaemonAlreadyRunningError extends DaemonError {
  readonly holderPid: number;

  constructor(holderPid: number, pidFile: string) {
    super(
      'TEND_ERR_DAEMON_ALREADY_RUNNING',
      `A tend daemon (pid ${holderPid}) already serves this home (${pidFile}); stop it with \`tend daemon stop\` or use another TEND_HOME`,
    );
    this.holderPid = holderPid;
  }
}

/**
 * Takes the home's pid file with O_EXCL, so that two daemons never serve one home.
 * A pid file whose process is gone, or is not a tend daemon (pid reused), is stale and replaced.
 * The socket bind that follows is the second line of defence (see run-daemon.ts).
 */
export function acquireDaemonLock(pidFile: string): DaemonLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => releaseIfOurs(pidFile),
        transferTo: (pid) => {
          writeFileSync(`${pidFile}.${pid}`, `${pid}\n`, { mode: 0o600 });
          renameSync(`${pidFile}.${pid}`, pidFile);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readPid(pidFile);
      if (holder !== undefined && holder !== process.pid && isTendDaemon(holder)) {
        throw new DaemonAlreadyRunningError(holder, pidFile);
      }
      // Only the stale file that was read: a daemon racing this one (a crashed daemon's watcher
      // and a command starting one) may have replaced it meanwhile, and then it holds the lock.
      if (readPid(pidFile) === holder) unlinkQuietly(pidFile);
    }
  }
  throw new DaemonError(
    'TEND_ERR_DAEMON_START_FAILED',
    `Could not take the daemon lock ${pidFile}`,
  );
}

function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isTendDaemon(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('daemon') && argv.some((arg) => arg.includes('tend'));
  } catch {
    return false;
  }
}

function releaseIfOurs(pidFile: string): void {
  if (readPid(pidFile) === process.pid) unlinkQuietly(pidFile);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
