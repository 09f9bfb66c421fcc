import { WORKER_READY } from './cluster-worker-link.js';
import type { DaemonMessage } from './control-protocol.js';
import { raiseOpenFileLimit } from './open-file-limit.js';
import { ProxyEndpoint } from './proxy-endpoint.js';
import { SHUTDOWN_GRACE_MS } from './proxy-options.js';

/** The primary's request to a worker to stop: finish in-flight work for up to `graceMs`, then exit. */
interface ShutdownRequest {
  type: 'shutdown';
  graceMs: number;
}

/**
 * Entry point of a proxy worker (forked by the proxy's primary through node:cluster): serves the
 * pool on the shared listening socket; the primary forwards the daemon's messages (already
 * checked) and relays what the worker says. When the primary dies, node:cluster ends the worker.
 */
function main(): void {
  // Inherited from the primary, which raised it; read now for the log line of an EMFILE.
  raiseOpenFileLimit((line) => process.stderr.write(`${line}\n`));
  const endpoint = new ProxyEndpoint((message) => process.send?.(message));
  let isStopping = false;
  const stop = (graceMs: number): void => {
    if (isStopping) return;
    isStopping = true;
    void endpoint.close(graceMs).then(() => process.exit(0));
  };
  process.on('message', (message: DaemonMessage | ShutdownRequest) => {
    if (message.type === 'shutdown') stop(message.graceMs);
    else endpoint.handle(message);
  });
  // A signal to the whole process group (the supervisor stopping the proxy) reaches the workers too.
  process.once('SIGTERM', () => stop(SHUTDOWN_GRACE_MS));
  process.once('SIGINT', () => stop(SHUTDOWN_GRACE_MS));
  process.send?.(WORKER_READY);
}

main();
