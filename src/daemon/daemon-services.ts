import type { Logger } from 'pino';
import type { LeaseService } from '../api/routes/lease-routes.js';
import type { LogSource } from '../api/routes/log-routes.js';
import { type LiveFiguresSource, viewPrograms } from '../api/views.js';
import type { HomePaths } from '../config/home.js';
import { describeRecovery } from '../core/describe-recovery.js';
import { EventBus } from '../core/event-bus.js';
import type { DaemonRecovery } from '../core/events.js';
import { ProgramCore } from '../core/program-core.js';
import { type HangActions, HangWatch } from '../health/hang-watch.js';
import { refuseTakenPorts } from '../health/port-check.js';
import { ensureFifos as ensureFifosNow } from '../logs/fifo.js';
import { batchFifoCreation } from '../logs/fifo-batch.js';
import { findHolders, holderProcesses } from '../logs/holder-process.js';
import { LogManager } from '../logs/log-manager.js';
import { deferBy, HOLDER_DELAY_MS, OutputHolder } from '../logs/output-holder.js';
import { MetricsSampler } from '../metrics/metrics-sampler.js';
import { isStoppedState, readResidentBytes } from '../metrics/proc-sample.js';
import { TendMetrics } from '../metrics/prometheus/tend-metrics.js';
import { NotifyManager } from '../notify/notify-manager.js';
import { withNotifyChannel } from '../notify/notify-output.js';
import { homeCgroupName } from '../process/cgroup-provider.js';
import { createNodeRuntime } from '../process/node-runtime.js';
import { readBootId, readProcessStartTime } from '../process/proc-identity.js';
import { StateStore } from '../store/state-file.js';
import { prepareTaskFifos, withTaskChannel } from '../tasks/task-channel.js';
import { TEND_VERSION } from '../version.js';
import { DaemonFaults } from './daemon-faults.js';
import { wireHangWatch } from './hang-wiring.js';
import { createLeaseService } from './lease-service.js';
import { endLeftovers } from './leftovers.js';
import { scanHomeProcesses } from './orphan-scan.js';
import { decideOrphans, settleOrphans } from './orphan-sweep.js';
import { persistOnEvents, toStateToSave } from './persistence.js';
import { PidTracker } from './pid-tracker.js';
import { wireProbes } from './probe-wiring.js';
import { feedProxies } from './proxy-feed.js';
import { wireReadiness } from './readiness-wiring.js';
import { createTaskService, type TaskService } from './task-service.js';
import type { WatcherReport, WatcherRestart } from './watcher-report.js';

/** The daemon's parts, wired together, and how to take them down in order. */
export interface DaemonServices {
  core: ProgramCore;
  /** The daemon's one stream of typed events; the API's event stream and metrics read it. */
  bus: EventBus;
  live: LiveFiguresSource;
  logSource: LogSource;
  /** The Prometheus metrics behind `GET /metrics`. */
  metrics: TendMetrics;
  /** The dispatcher's leases: free instances handed out one client each. */
  leases: LeaseService;
  /** The tasks of task programs (`--tasks`). */
  tasks: TaskService;
  /** Problems found at start-up (a corrupt state file moved aside, a program that could not start). */
  problems: string[];
  /** How this daemon took over from the one before it, or null after a plain start. */
  recovery: DaemonRecovery | null;
  /** What the daemon cannot do now (a full disk), for `GET /v1/health`. */
  faults: DaemonFaults;
  /** Tells the bus the daemon is up (once the API answers). */
  announceStarted(): void;
  /** Stops every process, saves the state for the next start, and closes the log files. */
  shutdown(): Promise<void>;
  /**
   * Hands everything over to the next daemon without stopping anything: no more spawns or exit
   * handling, the state saved with every pid, what the FIFOs hold written to the logs.
   */
  handOver(): Promise<void>;
}

/**
 * Builds the bus, the core and their subscribers (persistence, readiness checks, probes, the
 * hang watch of heartbeats, memory and silence, pid tracking, the proxy feed, leases), with the
 * store, log capture, metrics and process runtime, and restores the
 * saved programs.
 */
export async function createDaemonServices(
  paths: HomePaths,
  logger: Logger,
  watcher: WatcherReport = { isWatched: false, restart: null },
): Promise<DaemonServices> {
  const problems: string[] = [];
  const store = new StateStore(paths.home);
  const loaded = store.load();
  for (const problem of loaded.problems) {
    logger.error({ problem }, 'state file problem');
    problems.push(problem);
  }
  // One `mkfifo` for the output and notify FIFOs of what starts in the same step.
  const ensureFifos = batchFifoCreation(ensureFifosNow);
  const logs = new LogManager({
    home: paths.home,
    ensureFifos,
    onError: (error) => logger.error({ err: error }, 'log capture problem'),
    // The holder is built below; no capture is made before the restore.
    onFifoSetChanged: () => holder.changed(),
    // Faults is built with the bus, below; nothing is written before the first spawn.
    onBlocked: (error) => {
      if (error === null) faults.clear('logs');
      else
        faults.raise(
          'logs',
          `cannot write the logs: ${error.message}; reading stopped, so the programs wait on their output and nothing is lost; retried until it goes through`,
          error,
        );
    },
  });
  // What a previous daemon's holder holds stays held until a new holder holds the current set.
  const holder = new OutputHolder({
    port: holderProcesses(paths.home),
    fifos: () => logs.capturedFifos(),
    found: findHolders(paths.home),
    defer: deferBy(HOLDER_DELAY_MS),
    onProblem: (message, detail) => logger.warn({ err: detail }, message),
    onStarted: (started, fifos) => logger.info({ holder: started.pid, fifos }, 'output holder'),
  });
  const metrics = new MetricsSampler();
  // The watch acts through the core, built below; nothing reaches it before the first spawn.
  const hangActions: HangActions = {
    declareHung: (...args) => core.declareHung(...args),
    markReady: (...args) => core.markReady(...args),
    noteStatus: (...args) => core.noteStatus(...args),
  };
  const notify = new NotifyManager({
    home: paths.home,
    ensureFifos,
    onDigest: (name, instance, digest) => {
      hangWatch.message(name, instance, digest);
      tasks.onNotify(name, instance, digest);
    },
    onError: (error) => logger.error({ err: error }, 'notify channel problem'),
  });
  const runtime = createNodeRuntime({
    openOutput: withTaskChannel(
      withNotifyChannel((request) => logs.openOutput(request), notify),
      paths.home,
    ),
    resumeOutput: (request) => {
      logs.resumeOutput(request);
      notify.attach(request.spec.name, request.instance);
    },
    home: paths.home,
  });
  const hangWatch = new HangWatch({
    runtime,
    actions: hangActions,
    residentBytes: readResidentBytes,
    lastOutputAt: (name, instance) => logs.lastOutputAt(name, instance),
  });
  logger.info(`instances are held together by ${runtime.containment}`);
  const onProblem = (message: string, detail?: unknown) => logger.warn({ err: detail }, message);
  const bus = new EventBus({
    firstSeq: loaded.state.nextEventSeq,
    onListenerError: (error, event) =>
      logger.error({ err: error, kind: event.kind, seq: event.seq }, 'event subscriber failed'),
  });
  const faults = new DaemonFaults(bus, logger);
  const core = new ProgramCore({
    runtime,
    bus,
    output: {
      prepare: async (name, instances) => {
        await Promise.all([logs.prepare(name, instances), notify.prepare(name, instances)]);
        if (core.find(name)?.spec.tasks) await prepareTaskFifos(paths.home, name, instances);
      },
      remove: (name) => {
        logs.remove(name);
        notify.remove(name);
      },
    },
    runDir: paths.runDir,
    onProblem,
    ports: { refuseTaken: refuseTakenPorts },
    // The task service is built below; no proxy speaks before the restore.
    onTaskMessage: (name, message, reply) => tasks.onProxyMessage(name, message, reply),
  });
  const live: LiveFiguresSource = {
    sample: (pid) => {
      const sample = metrics.sample(pid);
      return (
        sample && {
          cpu: sample.cpuPercent,
          memoryBytes: sample.memoryBytes,
          isStopped: isStoppedState(sample.state),
        }
      );
    },
    tasks: (name) => tasks.tasksOf(name),
  };
  // Subscribed before the restore, so that every exit and restart from now on is counted.
  const prometheus = new TendMetrics({
    bus,
    source: { list: () => viewPrograms(core.list(), live) },
  });
  const identity = { startTime: readProcessStartTime };
  const pids = new PidTracker(identity);
  pids.attach(bus);
  wireReadiness(bus, core);
  wireHangWatch(bus, core, hangWatch);
  wireProbes(bus, core, runtime);
  feedProxies(bus, core);
  const leases = createLeaseService(bus, core, runtime, onProblem, (name, instance) =>
    tasks.isReserved(name, instance),
  );
  const tasks = createTaskService({
    bus,
    core,
    clock: runtime,
    leases,
    home: paths.home,
    onProblem,
  });

  // Pids and start times only name the same processes within one boot.
  const canAdopt = loaded.state.bootId !== null && loaded.state.bootId === readBootId();
  const toEnd = loaded.state.programs.filter(
    (program) => !canAdopt || program.desired !== 'running',
  );
  // Before anything is spawned: what a killed daemon started after its last state write.
  const found = scanHomeProcesses(paths.home);
  const orphans = decideOrphans({
    programs: loaded.state.programs,
    canAdopt,
    ...found,
    home: paths.home,
    self: process.pid,
    cgroupName: homeCgroupName(paths.home),
  });
  settleOrphans(loaded.state.programs, orphans, identity, runtime, (message) => {
    logger.warn(message);
    problems.push(message);
  });
  endLeftovers(toEnd, identity, runtime, onProblem);
  const taken = await core.restore(loaded.state.programs, { adopt: canAdopt });
  // Tasks and leases are bound to processes: only adopted ones keep theirs.
  const kept = canAdopt ? loaded.state.programs : [];
  leases.restore(new Map(kept.map((program) => [program.spec.name, program.leases])));
  tasks.restore(new Map(kept.map((program) => [program.spec.name, program.tasks])));
  // A holder left with nothing to hold (no program was restored) is ended too.
  holder.changed();
  const recovery = describeTakeOver(watcher.restart, taken);
  if (recovery) {
    const line = describeRecovery(recovery);
    logger.warn({ recovery }, line);
    if (recovery.after === 'crash') problems.push(line);
  }
  // Saving starts after the restore: a crash half-way must not leave a state file with half the programs.
  const saveState = (allowEmpty: boolean) =>
    store.save(toStateToSave(bus, core, pids, { tasks, leases }), { allowEmpty });
  const stopPersisting = persistOnEvents({
    bus,
    core,
    pids,
    store,
    onProblem,
    faults,
    tasks: { tasks, leases },
    saveAtOnce: true,
  });

  let isShutDown = false;
  return {
    core,
    bus,
    problems,
    recovery: recovery ?? null,
    faults,
    live,
    metrics: prometheus,
    leases,
    tasks,
    logSource: {
      tail: (query) => logs.tail(query),
      onLine: (listener) => logs.onLine(listener),
      isKnown: (name) => core.has(name) || logs.tail({ name, lines: 1, stream: 'both' }).length > 0,
    },
    announceStarted() {
      bus.emit({
        kind: 'daemon.started',
        pid: process.pid,
        version: TEND_VERSION,
        ...(recovery ? { recovery } : {}),
      });
    },
    async handOver() {
      if (isShutDown) return;
      isShutDown = true;
      runtime.freeze();
      bus.emit({ kind: 'daemon.stopping', pid: process.pid });
      // The last save: from now on the state file is the next daemon's.
      stopPersisting();
      await saveState(false);
      logs.handOver();
      holder.handOver();
      prometheus.close();
    },
    async shutdown() {
      if (isShutDown) return;
      isShutDown = true;
      bus.emit({ kind: 'daemon.stopping', pid: process.pid });
      leases.close();
      tasks.shutdown();
      await core.close();
      // After any save still in flight, so that no temp file is left behind. A refused write (a
      // full disk) must not turn a requested stop into a crash that the watcher undoes.
      await saveState(true).catch((error: unknown) =>
        onProblem('could not save the state file at shutdown; the last one written stays', error),
      );
      await logs.whenIdle();
      logs.close();
      // Every process has stopped and its output was read: nothing is left to hold.
      holder.close();
      notify.close();
      prometheus.close();
    },
  };
}

/**
 * What to report of a take-over: what the watcher saw end, and what was adopted. A daemon that
 * adopted processes without a watcher's word followed a crash that nobody saw.
 */
function describeTakeOver(
  restart: WatcherRestart | null,
  taken: { adopted: number; gone: number },
): DaemonRecovery | undefined {
  if (restart === null && taken.adopted + taken.gone === 0) return undefined;
  return {
    after: restart?.after ?? 'crash',
    endedAt: restart?.endedAt ?? null,
    how: restart?.how ?? null,
    crashesInARow: restart?.crashesInARow ?? 1,
    ...taken,
  };
}
