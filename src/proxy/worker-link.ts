import type { DaemonMessage } from './control-protocol.js';
import { ProxyEndpoint } from './proxy-endpoint.js';
import type { ProxySuspension } from './proxy-options.js';
import type { WorkerMessage } from './worker-messages.js';

/** How the primary reaches one proxy worker, in its own process or in a cluster worker. */
export interface WorkerLink {
  /** The process serving (the proxy's own pid for the in-process worker). */
  readonly pid: number;
  send(message: DaemonMessage): void;
  /** Lets in-flight work finish for up to `graceMs`, then ends the worker; resolves once it ended. */
  stop(graceMs: number): Promise<void>;
}

/** What a worker link reports to the primary. */
export interface WorkerLinkEvents {
  onMessage(message: WorkerMessage): void;
  /** The worker ended without being asked to (a crash, a kill): code or signal. */
  onExit(code: number | null, signal: string | null): void;
}

/** Starts a worker with the given id; the primary numbers them from 1 and never reuses a number. */
export type WorkerStarter = (id: number, events: WorkerLinkEvents) => WorkerLink;

/** The single worker of a one-worker proxy: the proxy process serves itself, no process more. */
export function startInProcessWorker(
  suspension: Partial<ProxySuspension> = {},
): (id: number, events: WorkerLinkEvents) => WorkerLink {
  return (_id, events) => {
    const endpoint = new ProxyEndpoint((message) => events.onMessage(message), suspension);
    return {
      pid: process.pid,
      // Asynchronous like a message to another process, so that answers never arrive mid-send.
      send: (message) => queueMicrotask(() => endpoint.handle(message)),
      stop: (graceMs) => endpoint.close(graceMs),
    };
  };
}
