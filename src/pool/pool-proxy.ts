import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { formatDuration } from '../config/human-units.js';
import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec } from '../config/program-spec.js';
import { type BalanceStrategy, PROXY_DEFAULTS, type ProxyMode } from '../config/proxy-defaults.js';
import { probeInstancePort } from '../health/tcp-probe.js';
import { ProxyControlClient } from '../proxy/control-client.js';
import {
  CONTROL_PROTOCOL_VERSION,
  type DaemonMessageInput,
  type InstanceProxyStats,
  type ProxyMessage,
  proxyTakes,
} from '../proxy/control-protocol.js';
import { PROXY_MAIN_PATH } from '../proxy/proxy-paths.js';
import { InstanceSupervisor } from '../supervisor/instance-supervisor.js';
import { isInstanceReady } from '../supervisor/readiness.js';
import type {
  AdoptedProcess,
  InstanceFact,
  InstanceSnapshot,
  SpawnOutcome,
  SupervisorRuntime,
} from '../supervisor/types.js';
import { type MembershipUpdate, membershipChange, type ProxyMember } from './membership-change.js';
import { proxyProgramName } from './proxy-name.js';

/** How long the daemon keeps trying to reach a freshly spawned proxy's control socket. */
const CONTROL_CONNECT_TIMEOUT_MS = 10_000;
const CONTROL_CONNECT_RETRY_MS = 5;
const INSTANCE_HOST = '127.0.0.1';

/** The proxy of a pool as `tend status` shows it. */
export interface PoolProxyView {
  host: string;
  port: number;
  mode: ProxyMode;
  balance: BalanceStrategy;
  /** The proxy process, supervised like an instance. */
  process: InstanceSnapshot;
  /** Why the proxy does not serve, such as a port already in use. */
  problem: string | null;
  /**
   * The control protocol of a proxy older than this daemon (one adopted across `tend daemon
   * reload` runs the code it was started with until `tend restart <name> --proxy` or a stop and start); null when
   * it speaks this daemon's, or none is connected.
   */
  outdatedProtocol: number | null;
  /** Requests answered 503 (tcp: connections closed) because no instance was ready in time. */
  unavailable: number;
  instances: InstanceProxyStats[];
}

/** What a PoolProxy needs from the daemon. */
export interface PoolProxyOptions {
  spec: ProgramSpec;
  runDir: string;
  runtime: SupervisorRuntime;
  onChange: (snapshot: InstanceSnapshot) => void;
  /** What happened to the proxy process (spawned, exited…), as the supervisor reports it. */
  onFact?: (fact: InstanceFact) => void;
  /** Each change of the membership the proxy is (or, once connected, will be) sent; the first lists every member. */
  onMembership?: (update: MembershipUpdate) => void;
  onProblem: (message: string, detail?: unknown) => void;
  /** The proxy found an instance silent past a response timeout (it may be hung). */
  onSuspect?: (instance: number, reason: string) => void;
  /** A task program's proxy asked something (allocate a task or a lease, release or renew a lease) or told a task's connections; `reply` answers it. */
  onTaskMessage?: (message: ProxyTaskMessage, reply: (answer: DaemonMessageInput) => void) => void;
}

/** What a task program's proxy asks of the daemon or tells it (control-protocol.ts). */
export type ProxyTaskMessage = Extract<
  ProxyMessage,
  {
    type:
      | 'allocate-task'
      | 'allocate-lease'
      | 'task-connections'
      | 'release-lease'
      | 'lease-action';
  }
>;

/** One live task as the proxy is told about it (control-protocol.ts `tasks`). */
export interface ProxyTask {
  id: string;
  instance: number;
  port: number;
  state: 'starting' | 'ready';
  owner: string | null;
}

/**
 * The daemon's side of a pool's proxy: runs the proxy process (supervised like an instance,
 * restarted when it dies), connects to its control socket after every spawn, configures it,
 * and sends it the pool's membership whenever an instance changes. An instance the proxy
 * reports as failing is marked not ready until it accepts connections on its port again (the
 * instance itself, not another process that took the port).
 */
export class PoolProxy {
  readonly #options: PoolProxyOptions;
  readonly #supervisor: InstanceSupervisor;
  readonly #controlSocket: string;
  #spec: ProgramSpec;
  #client: ProxyControlClient | null = null;
  #members: InstanceSnapshot[] = [];
  /** Instances the proxy saw fail, held out of rotation until a TCP check passes. */
  readonly #suspended = new Map<number, AbortController>();
  /** Instances being drained for a reload, with what ends the wait for each. */
  readonly #draining = new Map<number, () => void>();
  #problem: string | null = null;
  /** The membership as last computed (reported through onMembership, and sent if a proxy is connected), by instance; undefined before the first. */
  #membership: Map<number, ProxyMember> | undefined;
  /** The live tasks (task programs): their instances are out of rotation. */
  #tasks: ProxyTask[] = [];
  /** The task table as the proxy knows it (the latest sent), each task as JSON by id: only changes are sent. */
  #sentTasks = new Map<string, string>();
  /** Whether the connected proxy was sent the whole membership: from then on, only changes. */
  #isMembershipSent = false;
  /**
   * Whether the task table is known (the first setTasks, once the daemon has taken its saved
   * tasks back): no `tasks` goes out before, so that the first table a proxy gets on a connection
   * lists every live task (the proxy answers it with each one's connections, proxy-hub.ts).
   */
  #hasTaskTable = false;
  /** Whether the connected proxy was sent the whole task table: from then on, only changes. */
  #isTaskTableSent = false;
  #connectingPid: number | null = null;
  /** Settles once the proxy listens (or could not) after the latest spawn. */
  #listening: Promise<void> = Promise.resolve();

  constructor(options: PoolProxyOptions) {
    this.#options = options;
    this.#spec = options.spec;
    this.#controlSocket = join(options.runDir, `${options.spec.name}.proxy.sock`);
    this.#supervisor = new InstanceSupervisor({
      spec: proxyProcessSpec(options.spec, this.#controlSocket),
      index: 0,
      runtime: options.runtime,
      onChange: (snapshot) => this.#onProcessChange(snapshot),
      ...(options.onFact ? { onFact: options.onFact } : {}),
    });
  }

  /** Starts the proxy process; resolves once it listens, or rejects with why it cannot. */
  async start(): Promise<SpawnOutcome> {
    const outcome = await this.#supervisor.start();
    if (outcome.ok) await this.#listening;
    if (this.#problem !== null) throw new Error(this.#problem);
    return outcome;
  }

  /**
   * Takes over the proxy process a previous daemon left running: it kept serving with the
   * membership it knew; once its control socket answers it is configured (same address: no
   * rebind) and fed the current membership.
   */
  adopt(adopted: AdoptedProcess & { startedAt: number }): boolean {
    return this.#supervisor.adopt(adopted);
  }

  /** Stops the proxy process. */
  async stop(): Promise<void> {
    for (const check of this.#suspended.values()) check.abort();
    this.#suspended.clear();
    await this.#supervisor.stop();
    this.#client?.close();
    this.#client = null;
  }

  /** Takes a new definition (pool size changes); the proxy settings apply from its next start. */
  updateSpec(spec: ProgramSpec): void {
    this.#spec = spec;
    this.#supervisor.updateSpec(proxyProcessSpec(spec, this.#controlSocket));
  }

  /** Sends the proxy the pool's instances; call after any change of one. */
  setMembers(members: InstanceSnapshot[]): void {
    this.#members = members;
    for (const instance of this.#suspended.keys()) {
      const member = members.find((candidate) => candidate.instance === instance);
      if (member?.state !== 'online') this.#clearSuspension(instance);
    }
    this.#sendMembers();
  }

  /**
   * Sends a task program's proxy its live tasks (routed by id), and keeps their instances out of
   * the rotation; call after any change of a task or of its instance. Only changes are sent.
   */
  setTasks(tasks: ProxyTask[]): void {
    const entries = new Map(tasks.map((task) => [task.id, JSON.stringify(task)]));
    const changed = tasks.filter((task) => this.#sentTasks.get(task.id) !== entries.get(task.id));
    const ended = [...this.#sentTasks.keys()].filter((id) => !entries.has(id));
    const isFirst = !this.#hasTaskTable;
    this.#hasTaskTable = true;
    if (!isFirst && changed.length === 0 && ended.length === 0) return;
    this.#tasks = tasks;
    this.#sendMembers();
    this.#sentTasks = entries;
    const client = this.#client;
    if (client === null) return;
    if (!this.#isTaskTableSent) {
      this.#sendTaskTable(client);
      return;
    }
    // Only what changed: the whole table for each allocation made the proxy's work per
    // allocation grow with the number of live tasks (bench/RESULTS.md, task handshakes).
    // A proxy from before `tasks-changed` (adopted across a reload) gets the whole table.
    if (proxyTakes(client.protocol, 'tasks-changed')) {
      client.send({
        type: 'tasks-changed',
        tasks: changed.map((task) => ({ ...task, host: INSTANCE_HOST })),
        ended,
      });
    } else {
      client.send({ type: 'tasks', tasks: this.#taskTable() });
    }
  }

  /**
   * Takes an instance out of rotation for a reload: the proxy sends it no new request, closes its
   * idle keep-alive connections, and says `drained` once none is in flight. Resolves then, or after
   * `timeoutMs`, or at once when no proxy is connected (nothing routes to the instance). The
   * instance stays out of rotation until `endDrain`.
   */
  drain(instance: number, timeoutMs: number): Promise<void> {
    this.#draining.get(instance)?.();
    return new Promise((resolve) => {
      const timer = this.#options.runtime.setTimer(timeoutMs, () => done());
      const done = (): void => {
        timer.cancel();
        if (this.#draining.get(instance) === done) this.#draining.set(instance, () => {});
        resolve();
      };
      this.#draining.set(instance, done);
      this.#sendMembers();
      if (this.#client === null) done();
    });
  }

  /** Puts a drained instance back in rotation (its new process gets traffic once ready). */
  endDrain(instance: number): void {
    const done = this.#draining.get(instance);
    if (done === undefined) return;
    this.#draining.delete(instance);
    done();
    this.#sendMembers();
  }

  /** The proxy process as the supervisor sees it. */
  processSnapshot(): InstanceSnapshot {
    return this.#supervisor.snapshot();
  }

  /** The proxy's state and per-instance counters. */
  async view(): Promise<PoolProxyView> {
    const proxy = this.#spec.proxy;
    const client = this.#client;
    const stats = client ? await client.poolStats().catch(() => undefined) : undefined;
    return {
      host: proxy?.host ?? PROXY_DEFAULTS.host,
      port: proxy?.port ?? 0,
      mode: proxy?.mode ?? PROXY_DEFAULTS.mode,
      balance: proxy?.balance ?? PROXY_DEFAULTS.balance,
      process: this.#supervisor.snapshot(),
      problem: this.#problem,
      outdatedProtocol:
        client && client.protocol < CONTROL_PROTOCOL_VERSION ? client.protocol : null,
      unavailable: stats?.unavailable ?? 0,
      instances: stats?.instances ?? [],
    };
  }

  #onProcessChange(snapshot: InstanceSnapshot): void {
    this.#options.onChange(snapshot);
    if (
      snapshot.pid !== null &&
      snapshot.state === 'online' &&
      snapshot.pid !== this.#connectingPid
    ) {
      this.#connectingPid = snapshot.pid;
      this.#listening = this.#connect(snapshot.pid);
    }
  }

  async #connect(pid: number): Promise<void> {
    this.#client?.close();
    this.#client = null;
    const proxy = this.#spec.proxy;
    if (!proxy) return;
    const client = await this.#reachControlSocket(pid);
    if (!client) return;
    try {
      const { host, port, ...tuning } = proxy;
      await client.configure({
        pool: this.#spec.name,
        listen: { host, port },
        ...tuning,
        tasks: this.#spec.tasks ?? null,
      });
      this.#problem = null;
    } catch (error) {
      this.#problem = `the proxy of ${this.#spec.name} cannot listen on ${proxy.host}:${proxy.port}: ${(error as Error).message}`;
      this.#options.onProblem(this.#problem);
      return;
    }
    this.#client = client;
    this.#isMembershipSent = false;
    if (client.protocol < CONTROL_PROTOCOL_VERSION) this.#reportOutdated(pid, client.protocol);
    client.onMessage((message) => {
      if (message.type === 'upstream-failed') this.#suspend(message.instance);
      else if (message.type === 'upstream-suspect')
        this.#options.onSuspect?.(message.instance, message.reason);
      else if (message.type === 'drained') this.#draining.get(message.instance)?.();
      else if (
        message.type === 'allocate-task' ||
        message.type === 'allocate-lease' ||
        message.type === 'task-connections' ||
        message.type === 'release-lease' ||
        message.type === 'lease-action'
      ) {
        this.#options.onTaskMessage?.(message, (answer) => {
          if (this.#client === client) client.send(answer);
        });
      }
    });
    void client.closed.then(() => {
      if (this.#client === client) this.#client = null;
    });
    this.#sendMembers();
    this.#isTaskTableSent = false;
    this.#sendTaskTable(client);
  }

  /** The whole task table, once per connection, when it is known (#hasTaskTable). */
  #sendTaskTable(client: ProxyControlClient): void {
    if (!this.#spec.tasks || !this.#hasTaskTable) return;
    this.#isTaskTableSent = true;
    client.send({ type: 'tasks', tasks: this.#taskTable() });
  }

  /** Said once per proxy process: #connect runs once per pid. */
  #reportOutdated(pid: number, protocol: number): void {
    const name = this.#spec.name;
    const whole = [
      ...(this.#spec.tasks && !proxyTakes(protocol, 'tasks-changed') ? ['task table'] : []),
      ...(proxyTakes(protocol, 'membership-changed') ? [] : ['membership']),
    ];
    const fallback =
      whole.length === 0
        ? ''
        : `: it is sent the whole ${whole.join(' and the whole ')} at each change`;
    this.#options.onProblem(
      `the proxy of ${name} (pid ${pid}) speaks control protocol ${protocol}, this daemon ${CONTROL_PROTOCOL_VERSION}: it runs an older tend's code, left running by a previous daemon, and is sent only what it understands${fallback}; \`tend restart ${name} --proxy\` replaces it with one that runs the new code`,
    );
  }

  #taskTable(): Array<ProxyTask & { host: string }> {
    return this.#tasks.map((task) => ({ ...task, host: INSTANCE_HOST }));
  }

  /** The control socket appears shortly after the spawn; there is no event for that, so try on a short interval. */
  async #reachControlSocket(pid: number): Promise<ProxyControlClient | undefined> {
    const deadline = Date.now() + CONTROL_CONNECT_TIMEOUT_MS;
    while (this.#supervisor.pid === pid && Date.now() < deadline) {
      try {
        return await ProxyControlClient.connect(this.#controlSocket);
      } catch {
        await delay(CONTROL_CONNECT_RETRY_MS);
      }
    }
    if (this.#supervisor.pid === pid) {
      this.#problem = `the proxy of ${this.#spec.name} did not open its control socket within ${formatDuration(CONTROL_CONNECT_TIMEOUT_MS)}`;
      this.#options.onProblem(this.#problem);
    }
    return undefined;
  }

  #sendMembers(): void {
    // A set, not a search per member: with a fleet of 1,000 and as many tasks, this runs per event.
    const taskInstances = new Set(this.#tasks.map((task) => task.instance));
    // A loop, not flatMap: an array per member made this 3.5 times slower (bench/membership-send.ts).
    const members: ProxyMember[] = [];
    let readyCount = 0;
    let drainingCount = 0;
    for (const member of this.#members) {
      const port = instancePort(this.#spec, member.instance);
      if (port === null) continue;
      const isDraining = this.#draining.has(member.instance);
      // A task's instance serves its task only (routed by id), never the rotation.
      const isTask = taskInstances.has(member.instance);
      const isReady =
        isInstanceReady(member) && !this.#suspended.has(member.instance) && !isDraining && !isTask;
      members.push({ instance: member.instance, port, isReady, isDraining });
      if (isReady) readyCount++;
      if (isDraining) drainingCount++;
    }
    const isFirst = this.#membership === undefined;
    this.#membership ??= new Map();
    const membership = this.#membership;
    const { changed, removed } = membershipChange(membership, members);
    const isChanged = isFirst || changed.length > 0 || removed.length > 0;
    if (isChanged) {
      for (const member of changed) membership.set(member.instance, member);
      for (const instance of removed) membership.delete(instance);
      const size = members.length;
      this.#options.onMembership?.({ changed, removed, size, readyCount, drainingCount });
    }
    const client = this.#client;
    // Every change of every instance calls this: an unchanged membership is not sent again.
    if (client === null || (this.#isMembershipSent && !isChanged)) return;
    // The whole membership once per connection, then only what changed: the whole list at each
    // allocation of a task fleet made the work per allocation grow with the fleet on both sides
    // (bench/RESULTS.md, membership changes). A proxy from before `membership-changed` (adopted
    // across a reload) gets the whole list each time.
    if (this.#isMembershipSent && proxyTakes(client.protocol, 'membership-changed')) {
      client.send({ type: 'membership-changed', upstreams: withHost(changed), removed });
    } else {
      this.#isMembershipSent = true;
      client.setUpstreams(withHost(members));
    }
  }

  #suspend(instance: number): void {
    const port = instancePort(this.#spec, instance);
    if (this.#suspended.has(instance) || port === null) return;
    const check = new AbortController();
    this.#suspended.set(instance, check);
    this.#sendMembers();
    void this.#recheck(instance, port, check.signal).then((isReady) => {
      if (isReady && this.#suspended.get(instance) === check) this.#clearSuspension(instance);
    });
  }

  async #recheck(instance: number, port: number, signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      const pid = this.#members.find((member) => member.instance === instance)?.pid ?? null;
      if (pid !== null && (await probeInstancePort(pid, INSTANCE_HOST, port)) === 'own')
        return true;
      await delay(CONTROL_CONNECT_RETRY_MS);
    }
    return false;
  }

  #clearSuspension(instance: number): void {
    this.#suspended.get(instance)?.abort();
    this.#suspended.delete(instance);
    this.#sendMembers();
  }
}

/** The members as the control protocol carries them. */
function withHost(members: readonly ProxyMember[]): Array<ProxyMember & { host: string }> {
  return members.map((member) => ({ ...member, host: INSTANCE_HOST }));
}

/** The proxy process's own definition: supervised like an instance, its output logged as `<name>.proxy`. */
function proxyProcessSpec(spec: ProgramSpec, controlSocket: string): ProgramSpec {
  return {
    ...spec,
    name: proxyProgramName(spec.name),
    command: process.execPath,
    args: [PROXY_MAIN_PATH, controlSocket],
    env: {},
    shell: false,
    restart: 'always',
    noRestartExitCodes: [],
    instances: 1,
    min: 1,
    max: 1,
    port: undefined,
    readiness: 'none',
    // The program's hang limits are about its instances, not the proxy in front of them.
    watchdogMs: undefined,
    maxMemoryBytes: undefined,
    silenceTimeoutMs: undefined,
    // The pool's probes check its instances, not the proxy.
    startupProbe: undefined,
    readinessProbe: undefined,
    livenessProbe: undefined,
    proxy: undefined,
    stopSignal: 'SIGTERM',
  };
}
