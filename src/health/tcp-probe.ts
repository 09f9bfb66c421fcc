import { connect } from 'node:net';

/** How often the port is tried: every 5 ms at first (restart speed is what keeps a pool serving), then less often. */
export const TCP_PROBE_FAST_INTERVAL_MS = 5;
/** The probe interval after the first second. */
export const TCP_PROBE_SLOW_INTERVAL_MS = 100;
const FAST_PHASE_MS = 1_000;

/** Whether something accepts TCP connections on host:port right now. */
export function isAcceptingConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (isAccepting: boolean) => {
      socket.destroy();
      resolve(isAccepting);
    };
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * Resolves true once host:port accepts a connection, or false when `signal` aborts first
 * (the process exited, or the instance was stopped). There is no event for "a port opened",
 * so this tries again on a short interval.
 */
export async function waitUntilAccepting(
  host: string,
  port: number,
  signal: AbortSignal,
): Promise<boolean> {
  const startedAt = Date.now();
  while (!signal.aborted) {
    if (await isAcceptingConnections(host, port)) return !signal.aborted;
    const interval =
      Date.now() - startedAt < FAST_PHASE_MS
        ? TCP_PROBE_FAST_INTERVAL_MS
        : TCP_PROBE_SLOW_INTERVAL_MS;
    await abortableDelay(interval, signal);
  }
  return false;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
