import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonError } from '../errors.js';

/** Held by the one daemon of a home; `release()` frees the lock and removes the pid file. */
export interface DaemonLock {
  /** The lock's name: an abstract unix socket (`@tend-daemon-…` in /proc/net/unix). */
  readonly name: string;
  release(): Promise<void>;
  /** Hands the lock to the daemon `pid` that takes over (a reload): frees it, the pid file names `pid`. */
  transferTo(pid: number): Promise<void>;
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

/** How to take the lock: for a successor, how long its predecessor may take to let go. */
export interface AcquireOptions {
  home: string;
  pidFile: string;
  /** How long the lock may stay taken while its holder is on its way out (a hand-over). */
  waitForReleaseMs?: number;
  /** How long a holder may take to write its pid in the pid file after it took the lock. */
  holderWaitMs?: number;
  /** Whether `pid` is a tend daemon (injectable for tests). */
  isDaemon?: (pid: number) => boolean;
}

/**
 * Takes the home's lock: a listening Linux abstract unix socket named after the home. Binding
 * it is atomic and the kernel frees it when its process dies, however it dies, so two daemons
 * never serve one home and a crashed daemon never leaves a stale lock (a pid file taken with
 * O_EXCL did both: a racer could read it empty or stale and remove the winner's). The pid file
 * only tells commands and losers which process holds the lock.
 */
export async function acquireDaemonLock(options: AcquireOptions): Promise<DaemonLock> {
  const { pidFile } = options;
  const name = lockName(options.home);
  const deadline = Date.now() + (options.waitForReleaseMs ?? 0);
  for (;;) {
    const server = await bindOrRefuse(name);
    if (server) {
      writePidFile(pidFile, process.pid);
      return {
        name: `@${name.slice(1)}`,
        release: async () => {
          await closeServer(server);
          if (readPid(pidFile) === process.pid) unlinkQuietly(pidFile);
        },
        transferTo: async (pid) => {
          writePidFile(pidFile, pid);
          await closeServer(server);
        },
      };
    }
    if (Date.now() >= deadline) break;
    await sleep(20);
  }
  throw await holderError(options, name);
}

/** The abstract socket name of a home's lock (a leading NUL: no file, nothing to clean up). */
export function lockName(home: string): string {
  const digest = createHash('sha256').update(realpathSync(home)).digest('hex').slice(0, 32);
  return `\0tend-daemon-${digest}`;
}

async function bindOrRefuse(name: string): Promise<Server | undefined> {
  // Nothing is ever read from the lock: a process that connects is hung up on.
  const server = createServer((socket) => socket.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: name }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
    throw new DaemonError(
      'TEND_ERR_DAEMON_START_FAILED',
      `Could not take the daemon lock (abstract unix socket @${name.slice(1)}): ${(error as Error).message}`,
    );
  }
  // The lock must not keep a daemon that is otherwise done from exiting.
  server.unref();
  return server;
}

/** The error for a lock that is taken: its holder's pid once it has written it, else who may squat it. */
async function holderError(options: AcquireOptions, name: string): Promise<DaemonError> {
  const isDaemon = options.isDaemon ?? isTendDaemon;
  const deadline = Date.now() + (options.holderWaitMs ?? 2_000);
  for (;;) {
    const holder = readPid(options.pidFile);
    if (holder !== undefined && holder !== process.pid && isDaemon(holder)) {
      return new DaemonAlreadyRunningError(holder, options.pidFile);
    }
    if (Date.now() >= deadline) break;
    await sleep(20);
  }
  return new DaemonError(
    'TEND_ERR_DAEMON_START_FAILED',
    `The daemon lock of this home (abstract unix socket @${name.slice(1)}) is held by a process that is not a tend daemon named in ${options.pidFile}; \`ss -xlp | grep ${name.slice(1)}\` shows which`,
  );
}

function writePidFile(pidFile: string, pid: number): void {
  // Written whole, then renamed: a reader never sees it empty or half written.
  const temporary = `${pidFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${pid}\n`, { mode: 0o600 });
  renameSync(temporary, pidFile);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
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

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
