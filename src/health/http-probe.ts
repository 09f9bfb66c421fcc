import { Agent, request } from 'node:http';
import { formatDuration } from '../config/human-units.js';
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
 * One kept-alive connection per instance port: opening a connection per check costs the daemon
 * most of a probe's CPU (bench/RESULTS.md, probe cost).
 */
const agents = new Map<number, Agent>();

function agentFor(port: number): Agent {
  let agent = agents.get(port);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
    agents.set(port, agent);
  }
  return agent;
}

/**
 * GETs `path` on 127.0.0.1:port; a 2xx or 3xx status passes (redirects are not followed). Only
 * the status line counts, and the body is drained so the connection can serve the next check.
 * A check that fails on a reused connection (the server closed it meanwhile: Node's keep-alive
 * race) is tried once more on a new one, so that the race is never counted as a failure.
 */
export async function runHttpProbe(
  target: HttpProbeTarget,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const first = await getOnce(target, signal, agentFor(target.port));
  if (first.ok || !first.isReusedSocket || signal.aborted) return first.result;
  return (await getOnce(target, signal, false)).result;
}

interface Attempt {
  ok: boolean;
  result: ProbeResult;
  /** Whether the request went out on a connection an earlier check had used. */
  isReusedSocket: boolean;
}

function getOnce(
  target: HttpProbeTarget,
  signal: AbortSignal,
  agent: Agent | false,
): Promise<Attempt> {
  const what = `GET ${target.path}`;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ ok: false, result: ABORTED, isReusedSocket: false });
    let isDone = false;
    const finish = (result: ProbeResult, isKept = false) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (!isKept) req.destroy();
      resolve({ ok: result.ok, result, isReusedSocket: req.reusedSocket });
    };
    const req = request({
      host: PROBE_HOST,
      port: target.port,
      path: target.path,
      method: 'GET',
      agent,
      headers:
        agent === false
          ? { connection: 'close', 'user-agent': 'tend-probe' }
          : { 'user-agent': 'tend-probe' },
    });
    const timer = setTimeout(
      () => finish(failed(`${what} timed out after ${formatDuration(target.timeoutMs)}`)),
      target.timeoutMs,
    );
    const onAbort = () => finish(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      const result = status >= 200 && status < 400 ? PASSED : failed(`${what} answered ${status}`);
      // The body is read to its end so that the connection goes back to the agent for the next check.
      res.on('end', () => finish(result, true));
      res.on('error', () => finish(result));
      res.resume();
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
