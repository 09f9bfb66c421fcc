/**
 * Benchmark: the daemon's work per membership change of a large pool (PoolProxy.setMembers, which
 * every instance change calls): building the membership the proxy is told and finding out whether
 * it changed, with one instance changing per call (it leaves and rejoins the rotation, as a task's
 * allocation and a refill do). Beside it, the JSON of what goes on the control socket for that
 * change: the whole membership (`upstreams`, what the daemon sent before `membership-changed`, and
 * still sends a proxy of control protocol 2 or older) or the change alone (`membership-changed`).
 * In-process, no proxy: tend against itself.
 * `node dist/bench/membership-send.js [--quick] [--instances N]`
 */

import { performance } from 'node:perf_hooks';
import { ProgramSpecSchema } from '../src/config/program-spec.js';
import { PoolProxy } from '../src/pool/pool-proxy.js';
import type { DaemonMessageInput } from '../src/proxy/control-protocol.js';
import { emptyInstanceStats } from '../src/supervisor/instance-stats.js';
import type { InstanceSnapshot, SupervisorRuntime } from '../src/supervisor/types.js';
import { formatCount, formatTable } from './lib/format.js';
import { progress, runIfMain } from './lib/main.js';
import type { BenchOptions } from './lib/options.js';
import type { BenchResult } from './lib/result.js';

const INSTANCES = 1_000;
const CHANGES = 5_000;
const QUICK_CHANGES = 500;
const BASE_PORT = 20_000;

function optionValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

/** An online instance of the pool, ready or not. */
function snapshot(instance: number, isReady: boolean): InstanceSnapshot {
  return {
    name: 'fleet',
    instance,
    state: 'online',
    pid: 10_000 + instance,
    startedAt: 0,
    stateSince: 0,
    downSince: null,
    reason: null,
    statusText: null,
    nextRestartAt: null,
    notReady: isReady ? null : 'probe failing',
    lastProbeFailure: null,
    stats: emptyInstanceStats(),
  };
}

/** Microseconds per call of `step`, over `count` calls after as many to warm up. */
function timePerCall(count: number, step: (index: number) => void): number {
  for (let index = 0; index < count; index++) step(index);
  const startedAt = performance.now();
  for (let index = 0; index < count; index++) step(index);
  return ((performance.now() - startedAt) * 1000) / count;
}

/** Times setMembers and the JSON of each message at one membership change per call. */
export async function runMembershipSend(options: BenchOptions): Promise<BenchResult> {
  const instances = Number(optionValue('--instances') ?? INSTANCES);
  const changes = options.isQuick ? QUICK_CHANGES : CHANGES;
  const spec = ProgramSpecSchema.parse({
    name: 'fleet',
    command: 'node',
    cwd: '/',
    port: BASE_PORT,
    instances,
    max: instances,
    proxy: { port: 8000 },
  });
  // Nothing is spawned: the supervisor only reads the clock until start().
  const runtime = { now: () => Date.now() } as unknown as SupervisorRuntime;
  const proxy = new PoolProxy({
    spec,
    runDir: '/nonexistent',
    runtime,
    onChange: () => {},
    onProblem: () => {},
  });
  const members = Array.from({ length: instances }, (_, index) => snapshot(index, true));
  const setMembers = timePerCall(changes, (index) => {
    const instance = index % instances;
    const current = members[instance] as InstanceSnapshot;
    members[instance] = snapshot(instance, current.notReady !== null);
    proxy.setMembers(members);
  });
  progress(`setMembers: ${setMembers.toFixed(1)} µs per change`);

  const upstreams = members.map((member) => ({
    instance: member.instance,
    host: '127.0.0.1',
    port: BASE_PORT + member.instance,
    isReady: member.notReady === null,
    isDraining: false,
  }));
  const whole: DaemonMessageInput = { type: 'upstreams', upstreams };
  const wholeJson = timePerCall(changes, () => JSON.stringify(whole));
  const change: DaemonMessageInput = {
    type: 'membership-changed',
    upstreams: upstreams.slice(0, 1),
    removed: [],
  };
  const changeJson = timePerCall(changes, () => JSON.stringify(change));

  const report = [
    `## Membership sends: the daemon's work per membership change (${formatCount(instances)} instances, ${formatCount(changes)} changes)`,
    '',
    formatTable(
      ['step', 'per change', 'bytes'],
      [
        ['PoolProxy.setMembers (build, compare)', `${setMembers.toFixed(1)} µs`, '–'],
        [
          'JSON of `upstreams` (whole)',
          `${wholeJson.toFixed(1)} µs`,
          formatCount(JSON.stringify(whole).length),
        ],
        [
          'JSON of `membership-changed` (one instance)',
          `${changeJson.toFixed(1)} µs`,
          formatCount(JSON.stringify(change).length),
        ],
      ],
    ),
  ].join('\n');
  console.log(report);
  return { name: 'membership-send', report, targets: [] };
}

runIfMain(import.meta.url, runMembershipSend);
