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
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createApiServer } from '../api/api-server.js';
import type { HealthReply } from '../api/wire.js';
import { homePaths } from '../config/home.js';
import type { ListenSetting } from '../config/listen-address.js';
import { releaseMemory } from '../core/release-memory.js';
import { TendError } from '../errors.js';
import { TEND_VERSION } from '../version.js';
import { closeInheritedDescriptors } from './close-inherited-fds.js';
import { acquireDaemonLock, DaemonAlreadyRunningError } from './daemon-lock.js';
import { createDaemonServices } from './daemon-services.js';
import { listenOnSocket, untilSocketReplaced } from './hand-over.js';
import { QuietMemoryRelease } from './quiet-memory-release.js';
import { notifySystemdReady, takeNotifySocket } from './systemd-ready.js';
import { takeOver, takeOverTarget } from './take-over.js';
import { openSavedListener, TcpListener } from './tcp-listener.js';
import { exitOnUncaughtError, onWatcherGone, startWatchedDaemon } from './watcher-link.js';
import { takeWatcherReport, type WatcherReport } from './watcher-report.js';

/** How the daemon is started. */
export interface RunDaemonOptions {
  home: string;
  /** A file descriptor to write `ready\n` (or `error <message>\n`) to once the API answers, then close. */
  notifyFd?: number;
  /** Whether SIGTERM/SIGINT handlers are installed (false when a test runs the daemon in-process). */
  handleSignals?: boolean;
  /** What the watcher (when one started this daemon) said; read from the environment by default. */
  watcher?: WatcherReport;
  /** The pid of a running daemon to take over from (a reload); read from TEND_TAKE_OVER by default. */
  takeOverFrom?: number;
  /** Listen on TCP there (and save it for later starts); null: none, and none saved; left out: the saved one, if any. */
  listen?: ListenSetting | null;
}

/** A daemon that is running: `stopped` resolves to the exit code once it has shut down. */
export interface RunningDaemon {
  stopped: Promise<number>;
  stop(): void;
  /** Hands everything over to the next daemon and exits with EXIT_HANDED_OVER; no process stops. */
  handOver(): void;
  /** Whether a watcher is this daemon's parent (it starts the next one after a hand-over or a crash). */
  isWatched: boolean;
}

/** The exit code of a daemon that handed over (EX_TEMPFAIL): its watcher starts the next one at once. */
export const EXIT_HANDED_OVER = 75;

/** How long a daemon taking over waits for the one before it to free the home's lock. */
const HAND_OVER_RELEASE_MS = 5_000;

/** Runs the daemon for a home until it is told to stop; resolves to the process exit code. */
export async function runDaemon(options: RunDaemonOptions): Promise<number> {
  const notifyFd = options.notifyFd === undefined ? undefined : reopenCloseOnExec(options.notifyFd);
  closeInheritedDescriptors(notifyFd === undefined ? new Set() : new Set([notifyFd]));
  try {
    const daemon = await startDaemon({ ...options, notifyFd });
    const code = await daemon.stopped;
    // Adopted processes, proxy connections and timers would keep the loop alive: the next daemon has them.
    if (code === EXIT_HANDED_OVER) process.exit(code);
    return code;
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
  // A daemon started to take over from a running one (a reload) is loaded by now: ask for the hand-over.
  const takeOverFrom = options.takeOverFrom ?? takeOverTarget();
  if (takeOverFrom !== undefined) await takeOver(paths.socket, takeOverFrom);
  // (Taking over, the old daemon has saved the state and written this pid in the pid file.)
  // A successor's predecessor frees the lock as it hands over; it may take a moment to let go.
  const lock = await acquireDaemonLock({
    home: paths.home,
    pidFile: paths.pidFile,
    waitForReleaseMs: takeOverFrom === undefined ? 0 : HAND_OVER_RELEASE_MS,
  });
  const logDestination = pino.destination({ dest: paths.daemonLog, sync: true });
  // A full disk refuses the daemon's own log too: that must not end the daemon (an 'error'
  // without a listener throws). Its lines are not written meanwhile; the fault itself is in health.
  logDestination.on('error', () => {});
  const logger = pino({ base: { pid: process.pid } }, logDestination);
  if (options.handleSignals !== false) exitOnUncaughtError(logger);
  let services: Awaited<ReturnType<typeof createDaemonServices>> | undefined;
  let tcpListener: TcpListener | undefined;
  try {
    const watcher = options.watcher ?? takeWatcherReport();
    services = await createDaemonServices(paths, logger, watcher);
    const startedAt = new Date().toISOString();
    let requestStop: () => void = () => {};
    let isHandingOver = false;
    /** The pid of the daemon this one handed over to (it asked), if any. */
    let handedTo: number | undefined;
    const runningServices = () => services as NonNullable<typeof services>;
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
      faults: services?.faults.list() ?? [],
      recovery: services?.recovery ?? null,
    });
    const apiOptions = {
      core: services.core,
      bus: services.bus,
      live: services.live,
      logs: services.logSource,
      health,
      requestStop: () => requestStop(),
      requestReload: () => {
        if (watcher.isWatched) {
          // The watcher starts the next daemon next to this one; once loaded, it asks for the hand-over.
          process.kill(process.ppid, 'SIGUSR1');
        } else if (process.env.INVOCATION_ID !== undefined) {
          // Under systemd (Restart=always), systemd starts the next daemon once this one has exited.
          isHandingOver = true;
          requestStop();
        } else {
          startWatchedDaemon(paths.home, process.pid);
        }
      },
      handOver: async (pid: number) => {
        logger.info({ to: pid }, 'handing over to the next daemon');
        isHandingOver = true;
        handedTo = pid;
        await runningServices().handOver();
        // The TCP port is the next daemon's to bind.
        await listener.shutdown();
        await lock.transferTo(pid);
        // Reads are answered until the next daemon answers on the socket; then this one goes.
        void untilSocketReplaced(paths.socket).then(() => requestStop());
      },
      isHandingOver: () => isHandingOver,
      metrics: services.metrics,
      leases: services.leases,
      tasks: services.tasks,
      logger,
    };
    const quietRelease = new QuietMemoryRelease(releaseMemory);
    /** Each answer starts the quiet spell after which the burst's memory is released. */
    const releasingWhenQuiet = (app: FastifyInstance) =>
      app.addHook('onResponse', async () => quietRelease.requestAnswered());
    const listener = new TcpListener({
      createApp: (token) => releasingWhenQuiet(createApiServer({ ...apiOptions, tcp: { token } })),
      tokenFile: paths.tokenFile,
      settingsFile: paths.settingsFile,
      logger,
    });
    tcpListener = listener;
    const app = releasingWhenQuiet(createApiServer({ ...apiOptions, listener }));
    await listenOnSocket(app, paths.socket);
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
    notify(notifyFd, `ready ${process.pid}`);
    void notifySystemdReady(systemdSocket, {
      pid: process.pid,
      onProblem: (problem) => logger.error({ problem }, 'systemd'),
    });

    const removeSignalHandlers =
      options.handleSignals === false
        ? () => {}
        : onStopSignals(() => {
            // Under systemd (KillMode=process) SIGTERM is `systemctl restart` or `stop`: the
            // programs stay up, for the next daemon to adopt; `tend daemon stop` stops them.
            if (process.env.INVOCATION_ID !== undefined) isHandingOver = true;
            requestStop();
          }, logger);
    const stopWatchingWatcher = watcher.isWatched
      ? onWatcherGone(() => {
          // Nobody would bring this daemon back after a crash: hand over to one under a new watcher.
          logger.warn('the watcher is gone; handing over to a daemon under a new watcher');
          watcher.isWatched = false;
          startWatchedDaemon(paths.home, process.pid);
        })
      : () => {};
    const stopped = stopRequested.then(async () => {
      removeSignalHandlers();
      stopWatchingWatcher();
      quietRelease.close();
      if (isHandingOver) {
        // Under systemd the next daemon starts after this one exits: nothing was handed over yet.
        if (handedTo === undefined) await runningServices().handOver();
        await listener.shutdown();
        await app.close();
        if (handedTo === undefined) {
          unlinkQuietly(paths.socket);
          await lock.release();
        }
        logger.info('daemon handed over');
        return EXIT_HANDED_OVER;
      }
      logger.info('daemon stopping');
      await runningServices().shutdown();
      // After the services: dashboards see the programs stop and the daemon's last events.
      await listener.shutdown();
      await app.close();
      unlinkQuietly(paths.socket);
      await lock.release();
      logger.info('daemon stopped');
      return 0;
    });
    return {
      stopped,
      stop: () => requestStop(),
      handOver: () => {
        isHandingOver = true;
        requestStop();
      },
      get isWatched() {
        return watcher.isWatched;
      },
    };
  } catch (error) {
    await tcpListener?.shutdown().catch(() => {});
    await services?.shutdown().catch(() => {});
    await lock.release();
    unlinkQuietly(paths.socket);
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

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
