import cluster from 'node:cluster';
import { PROXY_WORKER_MAIN_PATH } from './proxy-paths.js';
import type { WorkerLink, WorkerLinkEvents } from './worker-link.js';
import type { WorkerMessage } from './worker-messages.js';

/** What a worker sends once it listens for its primary's messages. */
export const WORKER_READY = { type: 'worker-ready' } as const;

/** The environment variable that tells a proxy worker its number, for its log lines. */
export const PROXY_WORKER_ID_ENV = 'TEND_PROXY_WORKER_ID';

/** How long past its grace a stopping worker may take to exit before it is killed. */
const KILL_MARGIN_MS = 2_000;

let isSetUp = false;

/**
 * Forks one proxy worker with node:cluster. Workers listen through the primary, which owns the
 * listening socket and hands each accepted connection to the next worker in turn (SCHED_RR):
 * connections spread evenly, so no worker reaches its open-file limit long before the others.
 */
export function startClusterWorker(id: number, events: WorkerLinkEvents): WorkerLink {
  if (!isSetUp) {
    isSetUp = true;
    cluster.schedulingPolicy = cluster.SCHED_RR;
    cluster.setupPrimary({ exec: PROXY_WORKER_MAIN_PATH, args: [], silent: false });
  }
  const worker = cluster.fork({ [PROXY_WORKER_ID_ENV]: String(id) });
  let isStopping = false;
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code, signal) => {
      resolve();
      if (!isStopping) events.onExit(code, signal);
    });
  });
  worker.on('error', () => {});
  // Messages that arrive before the worker's module listens for them are lost: hold them until
  // it says it is ready.
  let queued: object[] | undefined = [];
  const deliver = (message: object): void => {
    if (queued !== undefined) queued.push(message);
    else if (worker.isConnected()) worker.send(message);
  };
  worker.on('message', (message: WorkerMessage | typeof WORKER_READY) => {
    if (message.type !== WORKER_READY.type) {
      events.onMessage(message);
      return;
    }
    const held = queued ?? [];
    queued = undefined;
    for (const early of held) deliver(early);
  });
  return {
    get pid() {
      return worker.process.pid ?? -1;
    },
    send: deliver,
    stop: (graceMs) => {
      isStopping = true;
      deliver({ type: 'shutdown', graceMs });
      // A worker that does not end once its grace is over is killed.
      const timer = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + KILL_MARGIN_MS);
      return exited.then(() => clearTimeout(timer));
    },
  };
}
