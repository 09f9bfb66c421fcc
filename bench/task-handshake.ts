/**
 * Benchmark: the proxy's CPU per WebSocket handshake on a task program's routes, beside a plain
 * pool's. Runs the real proxy process (`--profile DIR` adds `node --cpu-prof` to it) in front of
 * WebSocket echo instances, with a daemon faked on its control socket as the real one speaks:
 * each allocation is answered and followed by the change of the task table, an owner that
 * leaves ends its task. Three bursts, each with HANDSHAKES handshakes, CONCURRENCY in flight, all kept open:
 * `/rooms/new` (allocation and connection: the live tasks grow to HANDSHAKES), `/rooms/<id>`
 * (joining a live task: routing alone), and `/` on a plain pool's proxy (no task routes). The
 * proxy's CPU (utime + stime of its process) over each burst, divided by the handshakes.
 * The fake daemon also sends the pool's membership as the real one does: each allocation takes
 * the task's instance out of the rotation and adds a spare (starting, then ready), so the fleet
 * grows with the live tasks (SPARES + tasks instances).
 * `node dist/bench/task-handshake.js [--quick] [--handshakes N] [--profile DIR] [--full-tables]
 * [--full-membership]` (`--full-tables`: the daemon sends the whole task table at each change, as
 * it did before; `--full-membership`: the whole membership at each change, likewise).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { ProxyControlClient } from '../src/proxy/control-client.js';
import type { ProxyMessage } from '../src/proxy/control-protocol.js';
import type { UpstreamMember } from '../src/proxy/proxy-options.js';
import { PROXY_MAIN_PATH, PROXY_READY_LINE } from '../src/proxy/proxy-paths.js';
import type { RoutedTask } from '../src/proxy/tasks/task-table.js';
import { onCleanup } from './lib/cleanup.js';
import { CLOCK_TICKS_PER_S } from './lib/cpu-time.js';
import { killQuietly } from './lib/exec.js';
import { formatCount, formatMs, formatRatio, formatTable } from './lib/format.js';
import { progress, runIfMain } from './lib/main.js';
import type { BenchOptions } from './lib/options.js';
import { WS_ECHO } from './lib/paths.js';
import type { BenchResult } from './lib/result.js';
import { percentile } from './lib/stats.js';

const HANDSHAKES = 2_000;
const QUICK_HANDSHAKES = 300;
const CONCURRENCY = 50;
const INSTANCES = 4;
/** Idle instances in the rotation beside the tasks' (the task program's ready buffer). */
const SPARES = 4;

/** Spawns a node program and resolves once it printed a line matching `ready`; killed at cleanup. */
async function spawnUntil(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${args.at(-1)} did not spawn`);
  const cleanup = onCleanup(`kill ${pid}`, () => {
    killQuietly(pid, 'SIGKILL');
  });
  child.once('exit', () => cleanup.dismiss());
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const found = ready.exec(line);
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return { child, match };
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** A proxy process on a control socket of its own, with `--cpu-prof` when profiling. */
async function startProxy(home: string, name: string, profileDir: string | undefined) {
  const socket = join(home, `${name}.sock`);
  const flags = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const { child } = await spawnUntil(
    [...flags, PROXY_MAIN_PATH, socket],
    new RegExp(PROXY_READY_LINE),
  );
  const client = await ProxyControlClient.connect(socket);
  return { child, pid: child.pid as number, client };
}

/** How the fake daemon sends the task table and the membership: changes only, or whole at each change. */
interface FakeDaemonMode {
  isFullTables: boolean;
  isFullMembership: boolean;
}

/**
 * The daemon's side of a task program's proxy, as the real one speaks it (task-service.ts,
 * pool-proxy.ts): each change of the table as `tasks-changed`, or with `isFullTables` the whole
 * table each time, as the daemon did before. Each task has an instance of its own, out of the
 * rotation; an allocation refills the spares (one instance added, not ready, then ready) and an
 * ended task's instance leaves the pool: the membership is sent at each change, whole with
 * `isFullMembership`.
 */
function fakeDaemon(
  client: ProxyControlClient,
  ports: number[],
  mode: FakeDaemonMode,
): Map<string, RoutedTask> {
  const tasks = new Map<string, RoutedTask>();
  const members = new Map<number, UpstreamMember>();
  const member = (instance: number, isReady: boolean): UpstreamMember => ({
    instance,
    host: '127.0.0.1',
    port: ports[instance % ports.length] as number,
    isReady,
    isDraining: false,
  });
  /** The ready instances in the rotation, oldest first: the next task takes the first. */
  const spares: number[] = [];
  for (let instance = 0; instance < SPARES; instance++) {
    members.set(instance, member(instance, true));
    spares.push(instance);
  }
  let nextInstance = SPARES;
  let next = 0;
  const sendTable = (changed: RoutedTask[], ended: string[]) =>
    client.send(
      mode.isFullTables
        ? { type: 'tasks', tasks: [...tasks.values()] }
        : { type: 'tasks-changed', tasks: changed, ended },
    );
  const sendMembership = (changed: UpstreamMember[], removed: number[]) => {
    for (const each of changed) members.set(each.instance, each);
    for (const instance of removed) members.delete(instance);
    client.send(
      mode.isFullMembership
        ? { type: 'upstreams', upstreams: [...members.values()] }
        : { type: 'membership-changed', upstreams: changed, removed },
    );
  };
  client.send({ type: 'upstreams', upstreams: [...members.values()] });
  // The whole table once per connection, as the daemon sends it (the proxy answers it with each task's connections).
  client.send({ type: 'tasks', tasks: [] });
  client.onMessage((message: ProxyMessage) => {
    if (message.type === 'allocate-task') {
      // The first spare takes the task; a new instance refills the spares.
      const instance = spares.shift() ?? nextInstance++;
      const refill = nextInstance++;
      spares.push(refill);
      const task: RoutedTask = {
        id: `t${++next}`,
        instance,
        host: '127.0.0.1',
        port: ports[instance % ports.length] as number,
        state: 'ready',
        owner: message.owner,
      };
      tasks.set(task.id, task);
      sendMembership([member(instance, false), member(refill, false)], []);
      sendTable([task], []);
      client.send({ type: 'task-allocated', requestId: message.requestId, task });
      sendMembership([member(refill, true)], []);
    } else if (message.type === 'task-connections' && !message.isOwnerConnected) {
      const task = tasks.get(message.id);
      if (message.count !== 0 || task === undefined) return;
      tasks.delete(message.id);
      sendTable([], [message.id]);
      sendMembership([], [task.instance]);
    }
  });
  return tasks;
}

interface Burst {
  label: string;
  handshakes: number;
  cpuMs: number;
  wallMs: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

/** Opens `urls.length` WebSockets, `CONCURRENCY` at a time, keeping them open; measures the proxy's CPU meanwhile. */
async function burst(label: string, pid: number, urls: string[], kept: WebSocket[]) {
  const latencies: number[] = [];
  let failures = 0;
  let index = 0;
  const cpuBefore = cpuMs(pid);
  const startedAt = performance.now();
  const worker = async (): Promise<void> => {
    while (index < urls.length) {
      const url = urls[index++] as string;
      const openedAt = performance.now();
      const socket = new WebSocket(url);
      kept.push(socket);
      await new Promise<void>((resolve) => {
        socket.once('open', () => {
          latencies.push(performance.now() - openedAt);
          resolve();
        });
        socket.once('error', () => {
          failures++;
          resolve();
        });
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const result: Burst = {
    label,
    handshakes: urls.length,
    cpuMs: cpuMs(pid) - cpuBefore,
    wallMs: performance.now() - startedAt,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures,
  };
  progress(`${label}: ${formatMs(result.cpuMs)} of proxy CPU for ${urls.length} handshakes`);
  return result;
}

/** Closes the sockets and waits until each is closed. */
async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.splice(0).map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) resolve();
          else {
            socket.once('close', () => resolve());
            socket.terminate();
          }
        }),
    ),
  );
}

/** Stops a proxy with SIGTERM (so that `--cpu-prof` writes its profile) and waits for its exit. */
async function stopProxy(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function optionValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

/** Runs the three bursts and reports the proxy's CPU per handshake. */
export async function runTaskHandshake(options: BenchOptions): Promise<BenchResult> {
  const handshakes = Number(
    optionValue('--handshakes') ?? (options.isQuick ? QUICK_HANDSHAKES : HANDSHAKES),
  );
  const profileDir = optionValue('--profile');
  const mode: FakeDaemonMode = {
    isFullTables: process.argv.includes('--full-tables'),
    isFullMembership: process.argv.includes('--full-membership'),
  };
  const home = mkdtempSync(join(tmpdir(), 'tend-bench-handshake-'));
  onCleanup(`remove ${home}`, () => rmSync(home, { recursive: true, force: true }));
  const instances = await Promise.all(
    Array.from({ length: INSTANCES }, () => spawnUntil([WS_ECHO], /^listening (\d+)$/)),
  );
  const ports = instances.map(({ match }) => Number(match[1]));

  const tasksProxy = await startProxy(home, 'tasks', profileDir);
  const tasks = fakeDaemon(tasksProxy.client, ports, mode);
  const { port: tasksPort } = await tasksProxy.client.configure({
    pool: 'rooms',
    listen: { host: '127.0.0.1', port: 0 },
    tasks: { connectWaitMs: 10_000 },
  });
  const plainProxy = await startProxy(home, 'plain', profileDir);
  const { port: plainPort } = await plainProxy.client.configure({
    pool: 'echo',
    listen: { host: '127.0.0.1', port: 0 },
  });
  plainProxy.client.setUpstreams(
    ports.map((port, instance) => ({ instance, host: '127.0.0.1', port, isReady: true })),
  );

  const owners: WebSocket[] = [];
  const joiners: WebSocket[] = [];
  const plain: WebSocket[] = [];
  const newUrl = `ws://127.0.0.1:${tasksPort}/rooms/new`;
  const created = await burst(
    '/rooms/new',
    tasksProxy.pid,
    Array.from({ length: handshakes }, () => newUrl),
    owners,
  );
  const ids = [...tasks.keys()];
  const joined = await burst(
    '/rooms/<id>',
    tasksProxy.pid,
    Array.from(
      { length: handshakes },
      (_, i) => `ws://127.0.0.1:${tasksPort}/rooms/${ids[i % ids.length]}`,
    ),
    joiners,
  );
  const baseline = await burst(
    'plain pool /',
    plainProxy.pid,
    Array.from({ length: handshakes }, () => `ws://127.0.0.1:${plainPort}/`),
    plain,
  );
  await closeAll(joiners);
  await closeAll(owners);
  await closeAll(plain);
  tasksProxy.client.close();
  plainProxy.client.close();
  await Promise.all([stopProxy(tasksProxy.child), stopProxy(plainProxy.child)]);
  for (const { child } of instances) killQuietly(child.pid as number, 'SIGKILL');

  const perHandshake = (each: Burst) => (each.cpuMs * 1000) / each.handshakes;
  const rows = [created, joined, baseline].map((each) => [
    each.label,
    formatCount(each.handshakes),
    String(each.failures),
    formatMs(each.cpuMs),
    `${perHandshake(each).toFixed(0)} µs`,
    formatRatio(perHandshake(each) / perHandshake(baseline)),
    formatMs(each.p50Ms),
    formatMs(each.p99Ms),
  ]);
  const report = [
    `## Task handshakes: proxy CPU per WebSocket handshake (${formatCount(handshakes)} each, ${CONCURRENCY} in flight, all kept open${mode.isFullTables ? '; full task tables' : ''}${mode.isFullMembership ? '; full memberships' : ''})`,
    '',
    formatTable(
      ['route', 'handshakes', 'failed', 'proxy CPU', 'per handshake', '÷ plain', 'p50', 'p99'],
      rows,
    ),
    ...(profileDir === undefined ? [] : ['', `CPU profiles of both proxies in ${profileDir}`]),
  ].join('\n');
  console.log(report);
  return { name: 'task-handshake', report, targets: [] };
}

runIfMain(import.meta.url, runTaskHandshake);
