import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** How a request that did not end in a 2xx failed, as the client saw it. */
export type FailureKind =
  | 'refused'
  | 'reset'
  | 'closed'
  | 'truncated'
  | 'timeout'
  | 'non-2xx'
  | 'other';

/** Every failure kind, in the order tables show them. */
export const FAILURE_KINDS: readonly FailureKind[] = [
  'refused',
  'reset',
  'closed',
  'truncated',
  'timeout',
  'non-2xx',
  'other',
];

/** What each failure kind means, for the notes under a table. */
export const FAILURE_KIND_MEANINGS: Readonly<Record<FailureKind, string>> = {
  refused: 'connection refused (nothing listened)',
  reset: 'connection reset (RST) before the response ended',
  closed: 'connection closed (FIN) before any byte of a response',
  truncated: 'connection closed in the middle of a response',
  timeout: 'no complete response within the request timeout',
  'non-2xx': 'a complete response whose status was not 2xx',
  other: 'any other client-side error',
};

/** A closed-loop HTTP load: `connections` clients, each with one keep-alive connection, sending GETs back to back. */
export interface HttpLoadOptions {
  port: number;
  path?: string;
  connections: number;
  durationMs: number;
  /** A request with no complete response after this long counts as `timeout` (its connection is dropped). */
  requestTimeoutMs?: number;
  /**
   * After a refused connection a client waits this long before its next attempt. A load tool
   * reconnects at once, which on 2 cores takes CPU from the very restarts it waits for and
   * counts thousands of refusals a second; this pause keeps the refusals counted, not spun.
   */
  pauseAfterRefusedMs?: number;
  /** Ends the run early (each client finishes its request in flight first). */
  signal?: AbortSignal;
}

/** The outcome of a load run: every request ended as a 2xx or as a failure of one kind. */
export interface HttpLoadTally {
  /** Requests the clients started (connection attempts that were refused included). */
  sent: number;
  /** Requests answered with a complete 2xx response. */
  ok: number;
  /** Of `ok`, those that completed within the run's window (for the rate). */
  okInWindow: number;
  failures: Record<FailureKind, number>;
  /** Non-2xx responses by status code. */
  statuses: Map<number, number>;
  /** The start of the first body seen for each non-2xx status, to tell why. */
  sampleBodies: Map<number, string>;
  /** Error codes behind `other`. */
  otherCodes: Map<string, number>;
  /** Latency of each 2xx, send to end of body, in ms. */
  okLatenciesMs: number[];
  windowMs: number;
  /** CPU (user + system) this process spent during the run, in ms: the client's own cost. */
  clientCpuMs: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_PAUSE_AFTER_REFUSED_MS = 10;

/** Drives the load and tallies how each request ended. Resolves once every request has settled. */
export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadTally> {
  const tally: HttpLoadTally = {
    sent: 0,
    ok: 0,
    okInWindow: 0,
    failures: Object.fromEntries(FAILURE_KINDS.map((kind) => [kind, 0])) as Record<
      FailureKind,
      number
    >,
    statuses: new Map(),
    sampleBodies: new Map(),
    otherCodes: new Map(),
    okLatenciesMs: [],
    windowMs: options.durationMs,
    clientCpuMs: 0,
  };
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const deadline = startedAt + options.durationMs;
  const clients = Array.from({ length: options.connections }, () =>
    runClient(options, deadline, tally),
  );
  await Promise.all(clients);
  const cpu = process.cpuUsage(cpuBefore);
  tally.clientCpuMs = (cpu.user + cpu.system) / 1000;
  return tally;
}

async function runClient(
  options: HttpLoadOptions,
  deadline: number,
  tally: HttpLoadTally,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  try {
    while (performance.now() < deadline && options.signal?.aborted !== true) {
      tally.sent++;
      const sentAt = performance.now();
      const outcome = await sendOne(agent, options, tally.sampleBodies);
      const endedAt = performance.now();
      if (outcome.kind === 'ok') {
        tally.ok++;
        if (endedAt <= deadline) tally.okInWindow++;
        tally.okLatenciesMs.push(endedAt - sentAt);
        continue;
      }
      tally.failures[outcome.kind]++;
      if (outcome.kind === 'non-2xx' && outcome.status !== undefined)
        increment(tally.statuses, outcome.status);
      if (outcome.kind === 'other') increment(tally.otherCodes, outcome.code ?? 'unknown');
      if (outcome.kind === 'refused')
        await delay(options.pauseAfterRefusedMs ?? DEFAULT_PAUSE_AFTER_REFUSED_MS);
    }
  } finally {
    agent.destroy();
  }
}

interface RequestOutcome {
  kind: 'ok' | FailureKind;
  status?: number;
  code?: string;
}

const SAMPLE_BODY_CHARS = 300;

function sendOne(
  agent: Agent,
  options: HttpLoadOptions,
  sampleBodies: Map<number, string>,
): Promise<RequestOutcome> {
  return new Promise((resolve) => {
    let isSettled = false;
    let hasResponse = false;
    const settle = (outcome: RequestOutcome): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = request(
      { host: '127.0.0.1', port: options.port, path: options.path ?? '/', agent },
      (res) => {
        hasResponse = true;
        const status = res.statusCode ?? 0;
        const isOk = status >= 200 && status < 300;
        const isSampled = !isOk && !sampleBodies.has(status);
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          if (isSampled) chunks.push(chunk);
        });
        res.on('end', () => {
          if (isSampled && !sampleBodies.has(status)) {
            const body = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim();
            sampleBodies.set(status, body.slice(0, SAMPLE_BODY_CHARS));
          }
          settle(isOk ? { kind: 'ok' } : { kind: 'non-2xx', status });
        });
        res.on('aborted', () => settle({ kind: 'truncated' }));
        res.on('error', () => settle({ kind: 'truncated' }));
      },
    );
    const timer = setTimeout(() => {
      settle({ kind: 'timeout' });
      req.destroy();
    }, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    req.on('error', (error: NodeJS.ErrnoException) => settle(classifyError(error, hasResponse)));
    req.end();
  });
}

/** Node reports a connection that ended before any response as ECONNRESET "socket hang up". */
function classifyError(error: NodeJS.ErrnoException, hasResponse: boolean): RequestOutcome {
  if (hasResponse) return { kind: 'truncated' };
  switch (error.code) {
    case 'ECONNREFUSED':
      return { kind: 'refused' };
    case 'ECONNRESET':
      return { kind: error.message === 'socket hang up' ? 'closed' : 'reset' };
    case 'EPIPE':
      return { kind: 'reset' };
    default:
      return { kind: 'other', code: error.code ?? error.message };
  }
}

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** All failures of a tally, whatever their kind. */
export function countFailures(tally: HttpLoadTally): number {
  return FAILURE_KINDS.reduce((sum, kind) => sum + tally.failures[kind], 0);
}
