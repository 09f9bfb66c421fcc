import { connect } from 'node:net';
import { formatDuration } from '../config/human-units.js';
import { describeNetError, PROBE_HOST } from './http-probe.js';
import { ABORTED, failed, PASSED, type ProbeResult } from './probe-result.js';

/** Where a tcp probe connects, and how long it waits. */
export interface TcpProbeTarget {
  port: number;
  timeoutMs: number;
}

/** Passes when 127.0.0.1:port accepts a connection within the timeout; the connection is closed at once. */
export function runTcpProbe(target: TcpProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  const what = `connect to port ${target.port}`;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(ABORTED);
    let isDone = false;
    const socket = connect({ host: PROBE_HOST, port: target.port });
    const finish = (result: ProbeResult) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => finish(failed(`${what} timed out after ${formatDuration(target.timeoutMs)}`)),
      target.timeoutMs,
    );
    const onAbort = () => finish(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(PASSED));
    socket.once('error', (error) => finish(failed(`${what} failed: ${describeNetError(error)}`)));
  });
}
