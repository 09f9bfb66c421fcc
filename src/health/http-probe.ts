import { request } from 'node:http';
import { describeErrno, errnoOf } from '../process/describe-errno.js';
import { ABORTED, failed, PASSED, type ProbeResult } from './probe-result.js';

/** Host that probes reach instances on, as the proxy and the readiness check do. */
export const PROBE_HOST = '127.0.0.1';

/** What an http probe GETs, and how long it waits for the response's status line. */
export interface HttpProbeTarget {
  port: number;
  path: string;
  timeoutMs: number;
}

/**
 * GETs `path` on 127.0.0.1:port; a 2xx or 3xx status passes (redirects are not followed). Only
 * the status line counts, so the body is not awaited; the connection is not kept alive.
 */
export function runHttpProbe(target: HttpProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  const what = `GET ${target.path}`;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(ABORTED);
    let isDone = false;
    const finish = (result: ProbeResult) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(result);
    };
    const req = request({
      host: PROBE_HOST,
      port: target.port,
      path: target.path,
      method: 'GET',
      agent: false,
      headers: { connection: 'close', 'user-agent': 'tend-probe' },
    });
    const timer = setTimeout(
      () => finish(failed(`${what} timed out after ${target.timeoutMs} ms`)),
      target.timeoutMs,
    );
    const onAbort = () => finish(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish(status >= 200 && status < 400 ? PASSED : failed(`${what} answered ${status}`));
    });
    req.once('error', (error) => finish(failed(`${what} failed: ${describeNetError(error)}`)));
    req.end();
  });
}

/** A network error in words: `connection refused`, `connection reset`… */
export function describeNetError(error: unknown): string {
  const errno = errnoOf(error);
  if (errno === 'ECONNREFUSED') return 'connection refused';
  if (errno === 'ECONNRESET') return 'connection reset';
  if (errno === 'EPIPE') return 'connection closed';
  if (errno?.startsWith('HPE_')) return 'the response is not valid HTTP';
  return errno === undefined ? String((error as Error).message ?? error) : describeErrno(errno);
}
