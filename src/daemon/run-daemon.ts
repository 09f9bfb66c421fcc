import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  unlinkSync,
  writeSync,
} from 'node:fs';

import { pino } from 'pino';
import { createApiServer } from '../api/api-server.js';
import type { HealthReply } from '../api/wire.js';
import { homePaths } from '../config/home.js';
import type { ListenSetting } from '../config/listen-address.js';
import { TendError } from '../errors.js';
import { TEND_VERSION } from '../version.js';
import { closeInheritedDescriptors } from './close-inherited-fds.js';
import { acquireDaemonLock, DaemonAlreadyRunningError, type DaemonLock } from './daemon-lock.js';
import { createDaemonServices } from './daemon-services.js';
import { notifySystemdReady, takeNotifySocket } from './systemd-ready.js';
import { openSavedListener, TcpListener } from './tcp-listener.js';

/** How the daemon is started. */
export interface RunDaemonOptions {
  home: string;
  /** A file descriptor to write `ready\n` (or `error <message>\n`) to once the API answers, then close. */
  notifyFd?: number;
  /** Whether SIGTERM/SIGINT handlers are installed (false when a test runs the daemon in-process). */
  handleSignals?: boolean;
  /** Listen on TCP there (and save it for later starts); null: none, and none saved; left out: the saved one, if any. */
  listen?: ListenSetting | null;
}

/** A daemon that is running: `stopped` resolves to the exit code once it has shut down. */
export interface RunningDaemon {
  stopped: Promise<number>;
  stop(): void;
}

/** Runs the daemon for a home until it is told to stop; resolves to the process exit code. */
export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const notifyFd = options.notifyFd === undefined ? undefined : reopenCloseOnExec(options.notifyFd);
  closeInheritedDescriptors(notifyFd === undefined ? new Set() : new Set([notifyFd]));
  try {
    const daemon = await startDaemon({ ...options, notifyFd });
    return await daemon.stopped;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof DaemonAlreadyRunningError) {
      // Two first commands raced to start a daemon: the loser's starter is pointed to the winner.
      notify(notifyFd, `running ${error.holderPid}`);
      process.stderr.write(`tend daemon: ${message}\n`);
      return error.exitCode;
    }
    notify(notifyFd, `error ${message.replaceAll('\n', ' ')}`);
    process.stderr.write(`tend daemon: ${message}\n`);
    return error instanceof TendError ? error.exitCode : 1;
  }
}

/** Starts the daemon and returns once the API answers on the socket. */
export async function startDaemon(options: RunDaemonOptions): Promise<RunningDaemon> {
  const { notifyFd } = options;
  const systemdSocket = takeNotifySocket(process.env, notifyFd === undefined);
  const paths = homePaths(options.home);
  // Everything the daemon creates (socket, state, logs, FIFOs) is private to its user.
  process.umask(0o077);
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  chmodSync(paths.home, 0o700);
  const lock = acquireDaemonLock(paths.pidFile);
  const logger = pino(
    { base: { pid: process.pid } },
    pino.destination({ dest: paths.daemonLog, sync: true }),
  );
  let services: Awaited<ReturnType<typeof createDaemonServices>> | undefined;
  let tcpListener: TcpListener | undefined;
  try {
    services = await createDaemonServices(paths, logger);
    const startedAt = new Date().toISOString();
    let requestStop: () => void = () => {};
    const stopRequested = new Promise<void>((resolve) => {
      requestStop = resolve;
    });
    const health = (): HealthReply => ({
      ok: true,
      pid: process.pid,
      version: TEND_VERSION,
      home: paths.home,
      startedAt,
      problems: services?.problems ?? [],
    });
    const apiOptions = {
      core: services.core,
      bus: services.bus,
      live: services.live,
      logs: services.logSource,
      health,
      requestStop: () => requestStop(),
      metrics: services.metrics,
      leases: services.leases,
      logger,
    };
    const listener = new TcpListener({
      createApp: (token) => createApiServer({ ...apiOptions, tcp: { token } }),
      tokenFile: paths.tokenFile,
      settingsFile: paths.settingsFile,
      logger,
    });
    tcpListener = listener;
    const app = createApiServer({ ...apiOptions, listener });
    unlinkQuietly(paths.socket);
    await app.listen({ path: paths.socket });
    chmodSync(paths.socket, 0o600);
    if (options.listen) await listener.listen(options.listen);
    else if (options.listen === null) await listener.close();
    else {
      for (const problem of await openSavedListener(listener, paths.settingsFile)) {
        logger.error({ problem }, 'TCP listener problem');
        services.problems.push(problem);
      }
    }
    logger.info({ home: paths.home, version: TEND_VERSION }, 'daemon ready');
    services.announceStarted();
    notify(notifyFd, 'ready');
    void notifySystemdReady(systemdSocket, {
      pid: process.pid,
      onProblem: (problem) => logger.error({ problem }, 'systemd'),
    });

    const removeSignalHandlers =
      options.handleSignals === false ? () => {} : onStopSignals(requestStop, logger);
    const runningServices = services;
    const stopped = stopRequested.then(async () => {
      removeSignalHandlers();
      logger.info('daemon stopping');
      await runningServices.shutdown();
      // After the services: dashboards see the programs stop and the daemon's last events.
      await listener.shutdown();
      await app.close();
      unlinkQuietly(paths.socket);
      lock.release();
      logger.info('daemon stopped');
      return 0;
    });
    return { stopped, stop: () => requestStop() };
  } catch (error) {
    await tcpListener?.shutdown().catch(() => {});
    await services?.shutdown().catch(() => {});
    releaseAfterFailure(lock, paths.socket);
    logger.error({ err: error }, 'daemon failed to start');
    throw error;
  }
}

function onStopSignals(requestStop: () => void, logger: pino.Logger): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stop signal received');
    requestStop();
  };
  // A daemon started from a terminal must not die with it.
  const onHangup = () => logger.info('SIGHUP ignored');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHangup);
  return () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHangup);
  };
}

/**
 * The notify pipe comes in as an inherited fd without close-on-exec, so every process the daemon
 * spawns would inherit it too (and keep the starter's pipe open). Node cannot set FD_CLOEXEC, but
 * it opens every file with O_CLOEXEC: opening /proc/self/fd/N gives the same pipe on a new,
 * close-on-exec descriptor, and the inherited one is closed.
 */
function reopenCloseOnExec(fd: number): number | undefined {
  try {
    // O_NONBLOCK: a FIFO whose reader (the starter) is gone fails with ENXIO instead of blocking.
    const reopened = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(fd);
    return reopened;
  } catch {
    // A socket cannot be reopened through /proc: keep it as it is (processes started before
    // `ready` inherit it, which is harmless) rather than leave the starter waiting. A FIFO whose
    // reader is gone has nobody to tell.
    return isSocket(fd) ? fd : undefined;
  }
}

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}

function notify(fd: number | undefined, line: string): void {
  if (fd === undefined) return;
  try {
    writeSync(fd, `${line}\n`);
    closeSync(fd);
  } catch {
    // the starter is gone; nothing to tell
  }
}

function releaseAfterFailure(lock: DaemonLock, socket: string): void {
  lock.release();
  unlinkQuietly(socket);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
