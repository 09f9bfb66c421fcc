import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec } from '../config/program-spec.js';
import type { ManagedProgram } from '../core/managed-program.js';
import type { PoolProxyView } from '../pool/pool-proxy.js';
import type { InstanceSnapshot } from '../supervisor/types.js';
import type {
  DependencyWait,
  DesiredState,
  ExitRecordWire,
  InstanceDetail,
  ProgramDetail,
  ProxyDetail,
  TaskReply,
} from './wire.js';

/** Live figures of a running process, when it could be sampled. */
export interface LiveFigures {
  cpu: number;
  memoryBytes: number;
  /** The kernel reports the process stopped (state T or t). */
  isStopped: boolean;
}

/** Where the views get live figures from (the daemon's /proc sampler). */
export interface LiveFiguresSource {
  sample(pid: number): LiveFigures | undefined;
  /** The live tasks of a task program (the daemon's task service); left out, none are shown. */
  tasks?(name: string): TaskReply[];
}

const RUNNING_STATES = new Set(['starting', 'online', 'stopping']);

/** The wire view of one instance at `now`, with its live figures. */
export function toInstanceDetail(
  snapshot: InstanceSnapshot,
  spec: ProgramSpec,
  live: LiveFigures | undefined,
  now: number,
): InstanceDetail {
  const { stats } = snapshot;
  const isRunning = RUNNING_STATES.has(snapshot.state) && snapshot.pid !== null;
  const uptimeMs = isRunning && snapshot.startedAt !== null ? now - snapshot.startedAt : null;
  const downForMs = !isRunning && snapshot.downSince !== null ? now - snapshot.downSince : null;
  return {
    name: snapshot.name,
    instance: snapshot.instance,
    pid: snapshot.pid,
    status: snapshot.state,
    restarts: stats.restarts,
    uptimeMs,
    cpu: isRunning && live ? live.cpu : null,
    memoryBytes: isRunning && live ? live.memoryBytes : null,
    isFrozen: isRunning && live?.isStopped === true,
    notReady: snapshot.notReady,
    port: instancePort(spec, snapshot.instance),
    startedAt: toIso(snapshot.startedAt),
    stateSince: new Date(snapshot.stateSince).toISOString(),
    reason: snapshot.reason,
    statusText: snapshot.statusText,
    nextRestartAt: toIso(snapshot.nextRestartAt),
    failureRestarts: stats.failureRestarts,
    runs: stats.runs,
    averageRunMs: stats.runs > 0 ? Math.round(stats.totalRunMs / stats.runs) : null,
    upForMs: uptimeMs,
    downForMs,
    lastProbeFailure: snapshot.lastProbeFailure && {
      probe: snapshot.lastProbeFailure.probe,
      reason: snapshot.lastProbeFailure.reason,
      at: new Date(snapshot.lastProbeFailure.at).toISOString(),
    },
    exits: stats.exits.map(
      (exit): ExitRecordWire => ({
        at: new Date(exit.at).toISOString(),
        code: exit.code,
        signal: exit.signal,
        uptimeMs: exit.uptimeMs,
        isFailure: exit.isFailure,
        reason: exit.reason ?? null,
      }),
    ),
  };
}

/** The wire view of a program. */
export function toProgramDetail(
  spec: ProgramSpec,
  desired: DesiredState,
  instances: InstanceDetail[],
  proxy: ProxyDetail | null,
  waiting: DependencyWait | null = null,
): ProgramDetail {
  return { name: spec.name, spec, desired, instances, proxy, waiting };
}

/** An instance of a program that waits for its dependencies: `waiting`, with the program's reason. */
function asWaitingFor(detail: InstanceDetail, waiting: DependencyWait | null): InstanceDetail {
  if (waiting === null || detail.pid !== null) return detail;
  return { ...detail, status: 'waiting', reason: waiting.reason };
}

/** The wire view of a pool's proxy. */
export function toProxyDetail(view: PoolProxyView): ProxyDetail {
  return {
    host: view.host,
    port: view.port,
    mode: view.mode,
    balance: view.balance,
    pid: view.process.pid,
    status: view.process.state,
    restarts: view.process.stats.restarts,
    problem: view.problem,
    outdatedProtocol: view.outdatedProtocol,
    unavailable: view.unavailable,
    instances: view.instances.map((counters) => ({
      instance: counters.instance,
      requests: counters.requests,
      retries: counters.retries,
      failures: counters.failures,
      outstanding: counters.outstanding,
      isReady: counters.isReady,
      isSuspended: counters.isSuspended,
      latencyMs: counters.latencyMs,
      responses: counters.responses,
      failuresHidden: counters.failuresHidden,
      badGateway: counters.badGateway,
      latencyTotals: counters.latencyTotals,
    })),
  };
}

function toIso(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}

/** The wire view of a managed program now, with live figures and the proxy's counters. */
export async function viewProgram(
  program: ManagedProgram,
  live: LiveFiguresSource,
): Promise<ProgramDetail> {
  const proxy = await program.proxyView();
  const now = Date.now();
  const detail = toProgramDetail(
    program.spec,
    program.desired,
    program.pool
      .snapshot()
      .instances.map((instance) =>
        asWaitingFor(
          toInstanceDetail(
            instance,
            program.spec,
            instance.pid === null ? undefined : live.sample(instance.pid),
            now,
          ),
          program.waiting,
        ),
      ),
    proxy && toProxyDetail(proxy),
    program.waiting,
  );
  if (program.spec.tasks === undefined) return detail;
  return { ...detail, tasks: live.tasks?.(program.name) ?? [] };
}

/** The wire views of several programs. */
export function viewPrograms(
  programs: ManagedProgram[],
  live: LiveFiguresSource,
): Promise<ProgramDetail[]> {
  return Promise.all(programs.map((program) => viewProgram(program, live)));
}
