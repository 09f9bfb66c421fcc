import type { Logger } from 'pino';
import type { LogSource } from '../api/routes/log-routes.js';
import type { HomePaths } from '../config/home.js';
import { LogManager } from '../logs/log-manager.js';
import { MetricsSampler } from '../metrics/metrics-sampler.js';
import { createNodeRuntime } from '../process/node-runtime.js';
import { readProcessStartTime } from '../process/proc-identity.js';
import { StateStore } from '../store/state-file.js';
import { ProgramRegistry } from './program-registry.js';

/** The daemon's parts, wired together, and how to take them down in order. */
export interface DaemonServices {
  registry: ProgramRegistry;
  logSource: LogSource;
  /** Problems found at start-up (a corrupt state file moved aside, a program that could not start). */
  problems: string[];
  /** Stops every process, saves the state for the next start, and closes the log files. */
  shutdown(): Promise<void>;
}

/** Builds the store, log capture, metrics, process runtime and program registry, and restores the saved programs. */
export async function createDaemonServices(
  paths: HomePaths,
  logger: Logger,
): Promise<DaemonServices> {
  const problems: string[] = [];
  const store = new StateStore(paths.home);
  const loaded = store.load();
  for (const problem of loaded.problems) {
    logger.error({ problem }, 'state file problem');
    problems.push(problem);
  }
  const logs = new LogManager({
    home: paths.home,
    onError: (error) => logger.error({ err: error }, 'log capture problem'),
  });
  const metrics = new MetricsSampler();
  const runtime = createNodeRuntime({
    openOutput: (request) => logs.openOutput(request),
    home: paths.home,
  });
  logger.info(`instances are held together by ${runtime.containment}`);
  const registry = new ProgramRegistry({
    runtime,
    output: logs,
    store: { save: (programs, options) => store.save({ programs }, options) },
    live: {
      sample: (pid) => {
        const sample = metrics.sample(pid);
        return sample && { cpu: sample.cpuPercent, memoryBytes: sample.memoryBytes };
      },
    },
    identity: { startTime: readProcessStartTime },
    runDir: paths.runDir,
    onProblem: (message, detail) => {
      logger.warn({ err: detail }, message);
    },
  });
  await registry.restore(loaded.state.programs);

  let isShutDown = false;
  return {
    registry,
    problems,
    logSource: {
      tail: (query) => logs.tail(query),
      onLine: (listener) => logs.onLine(listener),
      isKnown: (name) =>
        registry.has(name) || logs.tail({ name, lines: 1, stream: 'both' }).length > 0,
    },
    async shutdown() {
      if (isShutDown) return;
      isShutDown = true;
      await registry.close();
      // After any save still in flight, so that no temp file is left behind.
      await store.save({ programs: registry.persisted() }, { allowEmpty: true });
      await logs.whenIdle();
      logs.close();
    },
  };
}
