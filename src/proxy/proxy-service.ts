import type { ConfigureMessage, InstanceProxyStats } from './control-protocol.js';
import { HttpProxy } from './http/http-proxy.js';
import type { BoundAddress, ProxyListener, SettingsSource } from './proxy-listener.js';
import {
  CLIENT_HEAD_TIMEOUT_MS,
  CLIENT_IDLE_TIMEOUT_MS,
  type ClientTimeouts,
  type ProxySettings,
  type ProxySuspension,
  type UpstreamFailureReason,
  type UpstreamMember,
} from './proxy-options.js';
import type { AllocationAnswer, DaemonSend } from './tasks/daemon-requests.js';
import { TaskRouter } from './tasks/task-router.js';
import type { RoutedTask } from './tasks/task-table.js';
import { TcpProxy } from './tcp/tcp-proxy.js';
import { UpstreamRegistry } from './upstream-registry.js';
import type { WorkerInstanceStats } from './worker-messages.js';

/** Told once each time an instance goes from healthy to failed, with the errno code or CLOSED. */
export type UpstreamFailedListener = (instance: number, reason: UpstreamFailureReason) => void;

/** What the proxy's creator may set besides the failure listeners; left out, the defaults. */
export interface ProxyServiceOptions {
  /** Writes a message to the daemon (task routing asks it to allocate); false when none is connected. */
  sendToDaemon?: DaemonSend;
  /** How long a client may be silent, or take to send a head (tests shorten them). */
  clientTimeouts?: Partial<ClientTimeouts>;
}

/** A listener that is being replaced closes at once: its clients reconnect to the new one. */
const REBIND_GRACE_MS = 0;

/**
 * The proxy for one pool, independent of how it is controlled: `configure` binds (or rebinds) the
 * public listener, `setUpstreams` replaces the membership (`changeUpstreams` changes it), `stats`
 * reads the counters.
 * Operations are applied in the order they are called.
 */
export class ProxyService implements SettingsSource {
  readonly #registry: UpstreamRegistry;
  readonly #tasks: TaskRouter;
  readonly #clientTimeouts: ClientTimeouts;
  #settings: ProxySettings | undefined;
  #listener: ProxyListener | undefined;
  #address: BoundAddress | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  /** `suspension` defaults to PROXY_SUSPENSION_DEFAULTS; tests set it rather than race the real clock. */
  constructor(
    onUpstreamFailed: UpstreamFailedListener,
    suspension: Partial<ProxySuspension> = {},
    onUpstreamDrained: (instance: number) => void = () => {},
    options: ProxyServiceOptions = {},
  ) {
    this.#tasks = new TaskRouter(options.sendToDaemon ?? (() => false));
    this.#clientTimeouts = {
      idleMs: options.clientTimeouts?.idleMs ?? CLIENT_IDLE_TIMEOUT_MS,
      headMs: options.clientTimeouts?.headMs ?? CLIENT_HEAD_TIMEOUT_MS,
    };
    this.#registry = new UpstreamRegistry(
      'round-robin',
      (upstream, reason) => onUpstreamFailed(upstream.instance, reason),
      suspension,
      (upstream) => onUpstreamDrained(upstream.instance),
    );
  }

  get settings(): ProxySettings {
    if (this.#settings === undefined) throw new Error('The proxy has not been configured');
    return this.#settings;
  }

  /** Where the public listener is bound, if it is. */
  get address(): BoundAddress | undefined {
    return this.#address;
  }

  /** Applies a configuration; binds a new listener when the address or mode changed. Rejects with the errno error when it cannot bind. */
  configure(message: ConfigureMessage): Promise<BoundAddress> {
    return this.#enqueue(() => this.#configure(message));
  }

  /** Replaces the membership (the full list). */
  setUpstreams(members: readonly UpstreamMember[]): void {
    this.#registry.setMembers(members, performance.now());
  }

  /** Applies the members added or changed, and the instances removed, since the last membership. */
  changeUpstreams(changed: readonly UpstreamMember[], removed: readonly number[]): void {
    this.#registry.changeMembers(changed, removed, performance.now());
  }

  /** Replaces the table of live tasks (a task program's pool). */
  setTasks(tasks: readonly RoutedTask[]): void {
    this.#tasks.setTasks(tasks);
  }

  /** Applies the tasks added or changed, and those ended, since the last table. */
  changeTasks(changed: readonly RoutedTask[], ended: readonly string[]): void {
    this.#tasks.table.change(changed, ended);
  }

  /** Hands the daemon's answer to the allocation request it names. */
  answerAllocation(answer: AllocationAnswer): void {
    this.#tasks.answer(answer);
  }

  /** The task routes' state, for tests and stats. */
  get tasks(): TaskRouter {
    return this.#tasks;
  }

  /** Requests (or connections) waiting for a ready instance now. */
  get waitingCount(): number {
    return this.#registry.waitingCount;
  }

  /** Requests answered 503 (tcp: connections closed) because no instance was ready in time. */
  get unavailableCount(): number {
    return this.#registry.unavailableCount;
  }

  /** Per-instance counters, by instance number. */
  stats(): InstanceProxyStats[] {
    return this.#registry.stats(performance.now());
  }

  /** Per-instance counters with each latency window, for the primary to merge. */
  workerStats(): WorkerInstanceStats[] {
    const nowMs = performance.now();
    return this.#registry.upstreams.map((upstream) => ({
      ...upstream.stats(nowMs),
      latencyWindow: upstream.latency.window(nowMs),
    }));
  }

  /** Stops accepting, lets in-flight work finish for up to `graceMs`, then closes everything. */
  close(graceMs: number): Promise<void> {
    return this.#enqueue(async () => {
      const listener = this.#listener;
      this.#listener = undefined;
      this.#address = undefined;
      await listener?.close(graceMs);
      this.#tasks.close();
      this.#registry.close();
    });
  }

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  async #configure(message: ConfigureMessage): Promise<BoundAddress> {
    const previous = this.#settings;
    const settings: ProxySettings = {
      pool: message.pool,
      host: message.listen.host,
      port: message.listen.port,
      mode: message.mode,
      balance: message.balance,
      waitForReadyMs: message.waitForReadyMs,
      maxReplayBodyBytes: message.maxReplayBodyBytes,
      retryNonIdempotent: message.retryNonIdempotent,
      responseHeaderTimeoutMs: message.responseHeaderTimeoutMs,
      responseIdleTimeoutMs: message.responseIdleTimeoutMs,
      tasks: message.tasks,
      workers: message.workers,
    };
    this.#settings = settings;
    this.#registry.balance = settings.balance;
    const address = this.#address;
    if (
      this.#listener !== undefined &&
      address !== undefined &&
      previous !== undefined &&
      previous.mode === settings.mode &&
      previous.host === settings.host &&
      (settings.port === 0 || settings.port === address.port)
    ) {
      return address;
    }
    const old = this.#listener;
    this.#listener = undefined;
    this.#address = undefined;
    await old?.close(REBIND_GRACE_MS);
    const listener =
      settings.mode === 'tcp'
        ? new TcpProxy(this, this.#registry)
        : new HttpProxy(this, this.#registry, this.#tasks, this.#clientTimeouts);
    const bound = await listener.listen(settings.host, settings.port);
    this.#listener = listener;
    this.#address = bound;
    return bound;
  }
}
