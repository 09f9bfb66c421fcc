import { connect } from 'node:net';
import { ownsListeningSocket } from './listening-owner.js';

/** How often the port is tried: every 5 ms at first (restart speed is what keeps a pool serving), then less often. */
export const TCP_PROBE_FAST_INTERVAL_MS = 5;
/** The probe interval after the first second. */
export const TCP_PROBE_SLOW_INTERVAL_MS = 100;
const FAST_PHASE_MS = 1_000;

/** What a probe of an instance's port found: nothing accepts, the instance accepts, or another process does. */
export type PortProbe = 'closed' | 'own' | 'other';

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
 * Probes host:port for the instance `pid`. A connection that succeeds is only the instance's when
 * the socket listening on the port belongs to `pid` or a descendant of it: another program on the
 * same port (issue 6, item 3) answers too. When /proc does not let tend read the instance's
 * descriptors (another user's process), an answer counts as the instance's.
 */
export async function probeInstancePort(
  pid: number,
  host: string,
  port: number,
): Promise<PortProbe> {
  if (!(await isAcceptingConnections(host, port))) return 'closed';
  return (await ownsListeningSocket(pid, port)) === false ? 'other' : 'own';
}

/**
 * Resolves true once the instance `pid` accepts connections on host:port, or false when `signal`
 * aborts first (the process exited, or the instance was stopped). `onHeldByOther` is called the
 * first time another process is found answering on the port. There is no event for "a port
 * opened", so this tries again on a short interval.
 */
export async function waitUntilServing(
  target: { pid: number; host: string; port: number },
  signal: AbortSignal,
  onHeldByOther: () => void,
): Promise<boolean> {
  const startedAt = Date.now();
  let isOtherReported = false;
  while (!signal.aborted) {
    const probe = await probeInstancePort(target.pid, target.host, target.port);
    if (signal.aborted) break;
    if (probe === 'own') return true;
    if (probe === 'other' && !isOtherReported) {
      isOtherReported = true;
      onHeldByOther();
    }
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
