import type { DaemonMessage } from './control-protocol.js';
import { isSuspectReason, type ProxySuspension } from './proxy-options.js';
import { ProxyService } from './proxy-service.js';
import type { WorkerMessage } from './worker-messages.js';

/**
 * One proxy serving the pool behind messages: takes the daemon's messages (as the primary
 * forwards them) and tells what happens. Runs in the proxy process itself (one worker) or in each
 * cluster worker (proxy-worker-main.ts).
 */
export class ProxyEndpoint {
  readonly service: ProxyService;
  readonly #emit: (message: WorkerMessage) => void;

  constructor(emit: (message: WorkerMessage) => void, suspension: Partial<ProxySuspension> = {}) {
    this.#emit = emit;
    this.service = new ProxyService(
      (instance, reason) => {
        emit({ type: 'upstream-failed', instance, reason });
        if (isSuspectReason(reason)) emit({ type: 'upstream-suspect', instance, reason });
      },
      suspension,
      (instance) => emit({ type: 'drained', instance }),
      // The primary refuses a request at once when no daemon is connected (proxy-hub.ts).
      {
        sendToDaemon: (message) => {
          // The router sends allocations and task connections, never stats.
          emit(message as WorkerMessage);
          return true;
        },
      },
    );
  }

  /** Applies one message; `configure` is answered by `listening` or `error`, `stats` by `stats`. */
  handle(message: DaemonMessage): void {
    const service = this.service;
    switch (message.type) {
      case 'configure':
        service.configure(message).then(
          (address) => this.#emit({ type: 'listening', host: address.host, port: address.port }),
          (error: NodeJS.ErrnoException) =>
            this.#emit({ type: 'error', code: error.code ?? 'EIO', message: error.message }),
        );
        break;
      case 'upstreams':
        service.setUpstreams(message.upstreams);
        break;
      case 'membership-changed':
        service.changeUpstreams(message.upstreams, message.removed);
        break;
      case 'tasks':
        service.setTasks(message.tasks);
        break;
      case 'tasks-changed':
        service.changeTasks(message.tasks, message.ended);
        break;
      case 'task-allocated':
      case 'lease-granted':
      case 'lease-updated':
      case 'refused':
        service.answerAllocation(message);
        break;
      case 'stats':
        this.#emit({
          type: 'stats',
          id: message.id,
          waiting: service.waitingCount,
          unavailable: service.unavailableCount,
          instances: service.workerStats(),
        });
        break;
    }
  }

  /** Stops accepting, lets in-flight work finish for up to `graceMs`, then closes everything. */
  close(graceMs: number): Promise<void> {
    return this.service.close(graceMs);
  }
}
