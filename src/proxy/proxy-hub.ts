import type {
  ConfigureMessage,
  DaemonMessage,
  ProxyMessage,
  RoutedUpstream,
} from './control-protocol.js';
import { SHUTDOWN_GRACE_MS } from './proxy-options.js';
import { mergeWorkerStats } from './stats-merge.js';
import { NO_DAEMON_MESSAGE, refusal } from './tasks/daemon-requests.js';
import type { RoutedTask } from './tasks/task-table.js';
import type { WorkerLink, WorkerStarter } from './worker-link.js';
import type { WorkerMessage, WorkerStatsMessage } from './worker-messages.js';

/** A worker's answer to `configure`; `gone` when it ended first. */
type ConfigureAnswer = Extract<ProxyMessage, { type: 'listening' | 'error' }> | { type: 'gone' };

interface WorkerState {
  id: number;
  link: WorkerLink;
  isInProcess: boolean;
  /** Whether it answered a `configure` with `listening` yet. */
  hasListened: boolean;
  /** Who waits for its answers to `configure`, oldest first (a worker answers in order). */
  answers: Array<(answer: ConfigureAnswer) => void>;
}

interface StatsRequest {
  id: number | string;
  reply: (message: ProxyMessage) => void;
  waitingFor: Set<number>;
  answers: WorkerStatsMessage[];
}

/** A task's connections as one worker counts them. */
interface TaskConnections {
  count: number;
  isOwnerConnected: boolean;
}

/** An owner that is to connect through a worker (its allocation was answered there). */
interface AwaitedOwner {
  worker: number;
  /** Armed once that worker is gone: the owner has connectWaitMs to connect through another. */
  timer: NodeJS.Timeout | undefined;
}

/** What the hub needs from the proxy process around it. */
export interface ProxyHubOptions {
  /** Sends a message to every connected daemon. */
  broadcast(message: ProxyMessage, callback?: () => void): void;
  /** Whether a daemon is connected: a worker's request is refused at once when none is. */
  isDaemonConnected(): boolean;
  /** The proxy cannot serve (it could not listen, a worker dies before it listens) and should exit 1. */
  onFatal(code: string): void;
  /** The worker of a one-worker proxy (in the proxy process itself). */
  startInProcess: WorkerStarter;
  /** A worker process of a proxy with several. */
  startCluster: WorkerStarter;
  /** Writes one line to the proxy's log (its stderr). */
  log(line: string): void;
}

const REQUEST_ID_PATTERN = /^(\d+):([\s\S]*)$/;

/**
 * The proxy's primary: holds the daemon's control connection and runs the workers that serve
 * (one in its own process, or `workers` cluster processes sharing the listening socket). It
 * forwards every daemon message to every worker (and the latest of each kind to a worker that
 * starts later; the task table folded from `tasks` and `tasks-changed`, the membership from
 * `upstreams` and `membership-changed`), answers carrying a `requestId` only to the worker that asked (the hub prefixes
 * the worker's number on the way out), and merges what needs merging: `listening` once every
 * worker listens, `stats` summed, `drained` once every worker is drained, a task's connections
 * summed. A worker that dies is logged and replaced.
 */
export class ProxyHub {
  readonly #options: ProxyHubOptions;
  readonly #workers = new Map<number, WorkerState>();
  #nextWorkerId = 1;
  #configured: ConfigureMessage | undefined;
  /** The latest daemon message of each other kind (`upstreams`, `tasks`…), in first-seen order. */
  readonly #latest = new Map<string, DaemonMessage>();
  /** The task table as the daemon's `tasks` and `tasks-changed` left it, for a worker that starts later. */
  #tasks: Map<string, RoutedTask> | undefined;
  /** The membership as the daemon's `upstreams` and `membership-changed` left it, likewise. */
  #membership: Map<number, RoutedUpstream> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #stats = new Map<number, StatsRequest>();
  #nextStatsId = 1;
  /** Instances being drained, with the workers that said they are drained. */
  readonly #drainedBy = new Map<number, Set<number>>();
  readonly #taskConnections = new Map<string, Map<number, TaskConnections>>();
  /**
   * Tasks whose allocation was answered to a worker that has not reported their owner connected
   * (nor given up) yet, with that worker, and the wait armed when it died.
   */
  readonly #awaitedOwners = new Map<string, AwaitedOwner>();
  /** The daemon connections (by their reply) told every task's connections already. */
  readonly #toldConnections = new WeakSet<(message: ProxyMessage) => void>();
  #isShuttingDown = false;

  constructor(options: ProxyHubOptions) {
    this.#options = options;
  }

  /** The running workers' pids, oldest first. */
  get workerPids(): number[] {
    return [...this.#workers.values()].map((worker) => worker.link.pid);
  }

  /** Takes one checked daemon message; `reply` answers the connection it came on. */
  handle(message: DaemonMessage, reply: (message: ProxyMessage) => void): void {
    if (message.type === 'configure') {
      void this.#enqueue(() => this.#configure(message));
      return;
    }
    if (message.type === 'stats') {
      this.#askStats(message.id, reply);
      return;
    }
    if ('requestId' in message) {
      this.#route(message);
      return;
    }
    if (message.type === 'upstreams' || message.type === 'membership-changed') {
      for (const upstream of message.upstreams) {
        if (!upstream.isDraining) this.#drainedBy.delete(upstream.instance);
      }
    }
    this.#fold(message);
    for (const worker of this.#workers.values()) worker.link.send(message);
    if (message.type === 'tasks' && !this.#toldConnections.has(reply)) {
      this.#toldConnections.add(reply);
      this.#tellConnections(message.tasks, reply);
    }
  }

  /**
   * Tells a daemon that has just connected every task's connections, as the workers last counted
   * them (none for a task no worker reported), after its first table: a new daemon knows only
   * what the state file kept, and a fresh proxy (after a crash or `tend restart --proxy`) has no
   * connection to report otherwise. One message per task, once per connection.
   */
  #tellConnections(tasks: readonly RoutedTask[], reply: (message: ProxyMessage) => void): void {
    for (const task of tasks) {
      const { count, isOwnerConnected } = this.#summed(this.#taskConnections.get(task.id));
      reply({ type: 'task-connections', id: task.id, count, isOwnerConnected });
    }
  }

  /**
   * Keeps the latest message of each kind for a worker that starts later; the task table and the
   * membership are folded from their changes (#replay sends them whole).
   */
  #fold(message: DaemonMessage): void {
    switch (message.type) {
      case 'tasks':
        this.#tasks = new Map(message.tasks.map((task) => [task.id, task]));
        for (const id of this.#taskConnections.keys()) {
          if (!this.#tasks.has(id)) this.#taskConnections.delete(id);
        }
        for (const id of this.#awaitedOwners.keys()) {
          if (!this.#tasks.has(id)) this.#ownerSettled(id);
        }
        break;
      case 'tasks-changed': {
        this.#tasks ??= new Map();
        const tasks = this.#tasks;
        for (const task of message.tasks) tasks.set(task.id, task);
        for (const id of message.ended) {
          tasks.delete(id);
          // Its clients are closed without a report: an ended task is nobody's to count.
          this.#taskConnections.delete(id);
          this.#ownerSettled(id);
        }
        // Its place in the replay order; #replay sends the folded table there.
        if (!this.#latest.has('tasks')) this.#latest.set('tasks', { type: 'tasks', tasks: [] });
        return;
      }
      case 'upstreams':
        this.#membership = new Map(message.upstreams.map((each) => [each.instance, each]));
        break;
      case 'membership-changed': {
        this.#membership ??= new Map();
        const membership = this.#membership;
        for (const upstream of message.upstreams) membership.set(upstream.instance, upstream);
        for (const instance of message.removed) membership.delete(instance);
        if (!this.#latest.has('upstreams'))
          this.#latest.set('upstreams', { type: 'upstreams', upstreams: [] });
        return;
      }
    }
    this.#latest.set(message.type, message);
  }

  /** Stops every worker (in-flight work gets SHUTDOWN_GRACE_MS) and starts no other. */
  shutdown(): Promise<void> {
    this.#isShuttingDown = true;
    for (const awaited of this.#awaitedOwners.values()) clearTimeout(awaited.timer);
    return this.#enqueue(() =>
      Promise.all([...this.#workers.values()].map((worker) => this.#stopWorker(worker))),
    ).then(() => {});
  }

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => {});
    return result;
  }

  async #configure(message: ConfigureMessage): Promise<void> {
    const fresh = await this.#resize(message.workers);
    // Each worker gets the port as asked: cluster workers that ask for port 0 share the one
    // socket the primary bound for it, so every worker answers with the same port.
    const answers = await Promise.all(
      [...this.#workers.values()].map((worker) => this.#ask(worker, message)),
    );
    this.#configured = message;
    for (const worker of fresh) this.#replay(worker);
    const failed = answers.find((answer) => answer.type === 'error');
    if (failed !== undefined) {
      this.#options.broadcast(failed, () => this.#options.onFatal(failed.code));
      return;
    }
    const listening = answers.find((answer) => answer.type === 'listening');
    if (listening !== undefined) this.#options.broadcast(listening);
  }

  /** Stops the workers of the wrong kind or beyond `count`, starts the missing ones; returns those started. */
  async #resize(count: number): Promise<WorkerState[]> {
    const isInProcess = count === 1;
    const workers = [...this.#workers.values()];
    const kept = workers.filter((worker) => worker.isInProcess === isInProcess).slice(0, count);
    await Promise.all(
      workers.filter((worker) => !kept.includes(worker)).map((worker) => this.#stopWorker(worker)),
    );
    const started: WorkerState[] = [];
    while (this.#workers.size < count) started.push(this.#startWorker(isInProcess));
    return started;
  }

  #startWorker(isInProcess: boolean): WorkerState {
    const id = this.#nextWorkerId++;
    const start = isInProcess ? this.#options.startInProcess : this.#options.startCluster;
    const state: WorkerState = {
      id,
      isInProcess,
      hasListened: false,
      answers: [],
      link: undefined as unknown as WorkerLink,
    };
    state.link = start(id, {
      onMessage: (message) => this.#onWorkerMessage(state, message),
      onExit: (code, signal) => this.#onWorkerExit(state, code, signal),
    });
    this.#workers.set(id, state);
    return state;
  }

  async #stopWorker(worker: WorkerState): Promise<void> {
    this.#forget(worker);
    await worker.link.stop(SHUTDOWN_GRACE_MS);
  }

  /** Takes a worker out of every count, as if it had never been. */
  #forget(worker: WorkerState): void {
    if (!this.#workers.delete(worker.id)) return;
    for (const answer of worker.answers.splice(0)) answer({ type: 'gone' });
    for (const [statsId, request] of this.#stats) {
      if (request.waitingFor.delete(worker.id)) this.#finishStats(statsId, request);
    }
    for (const instance of [...this.#drainedBy.keys()]) this.#checkDrained(instance);
    for (const [task, counts] of this.#taskConnections) {
      if (counts.delete(worker.id)) this.#reportTask(task, counts, false);
    }
    for (const [task, awaited] of this.#awaitedOwners) {
      if (awaited.worker === worker.id) this.#waitForLostOwner(task, awaited);
    }
  }

  /**
   * The worker an owner was to connect through is gone, and the wait the worker kept for it (or
   * the answer itself) with it: the owner has connectWaitMs to connect through another worker,
   * then the daemon is told it will not come.
   */
  #waitForLostOwner(task: string, awaited: AwaitedOwner): void {
    if (awaited.timer !== undefined || this.#isShuttingDown) return;
    awaited.timer = setTimeout(() => {
      if (this.#awaitedOwners.get(task) !== awaited) return;
      this.#awaitedOwners.delete(task);
      this.#reportTask(task, this.#taskConnections.get(task) ?? new Map(), true);
    }, this.#configured?.tasks?.connectWaitMs ?? 0);
  }

  /** The owner of `task` connected or gave up (or the task ended): no longer awaited. */
  #ownerSettled(task: string): void {
    clearTimeout(this.#awaitedOwners.get(task)?.timer);
    this.#awaitedOwners.delete(task);
  }

  #ask(worker: WorkerState, message: ConfigureMessage): Promise<ConfigureAnswer> {
    return new Promise((resolve) => {
      worker.answers.push(resolve);
      worker.link.send(message);
    });
  }

  /** Sends a worker that started late the latest message of each kind. */
  #replay(worker: WorkerState): void {
    for (const message of this.#latest.values()) {
      if (message.type === 'tasks')
        worker.link.send({ type: 'tasks', tasks: [...(this.#tasks?.values() ?? [])] });
      else if (message.type === 'upstreams')
        worker.link.send({ type: 'upstreams', upstreams: [...(this.#membership?.values() ?? [])] });
      else worker.link.send(message);
    }
  }

  #onWorkerExit(worker: WorkerState, code: number | null, signal: string | null): void {
    if (!this.#workers.has(worker.id)) return;
    this.#forget(worker);
    const how = signal === null ? `with code ${code}` : `on ${signal}`;
    if (this.#isShuttingDown) return;
    if (!worker.hasListened && this.#configured !== undefined) {
      this.#options.log(
        `tend proxy: worker ${worker.id} (pid ${worker.link.pid}) exited ${how} before it listened; the proxy exits`,
      );
      this.#options.onFatal('EWORKER');
      return;
    }
    const next = this.#nextWorkerId;
    this.#options.log(
      `tend proxy: worker ${worker.id} (pid ${worker.link.pid}) exited ${how}: its connections are lost, the other workers' go on; starting worker ${next}`,
    );
    void this.#enqueue(async () => {
      if (this.#isShuttingDown) return;
      const replacement = this.#startWorker(worker.isInProcess);
      const configured = this.#configured;
      if (configured === undefined) return;
      const answer = await this.#ask(replacement, configured);
      if (answer.type === 'error') {
        this.#options.log(
          `tend proxy: worker ${replacement.id} could not listen (${answer.code}: ${answer.message}); the proxy exits`,
        );
        this.#options.onFatal(answer.code);
        return;
      }
      this.#replay(replacement);
      this.#options.log(
        `tend proxy: worker ${replacement.id} (pid ${replacement.link.pid}) listens in place of worker ${worker.id}`,
      );
    });
  }

  #onWorkerMessage(worker: WorkerState, message: WorkerMessage): void {
    if (!this.#workers.has(worker.id)) return;
    switch (message.type) {
      case 'listening':
      case 'error': {
        if (message.type === 'listening') worker.hasListened = true;
        const answer = worker.answers.shift();
        if (answer !== undefined) answer(message);
        else this.#options.broadcast(message);
        return;
      }
      case 'stats': {
        const statsId = Number(message.id);
        const request = this.#stats.get(statsId);
        if (request?.waitingFor.delete(worker.id)) {
          request.answers.push(message);
          this.#finishStats(statsId, request);
        }
        return;
      }
      case 'drained': {
        const reporters = this.#drainedBy.get(message.instance) ?? new Set<number>();
        reporters.add(worker.id);
        this.#drainedBy.set(message.instance, reporters);
        this.#checkDrained(message.instance);
        return;
      }
      case 'task-connections': {
        if (message.isOwnerConnected || message.hasOwnerGivenUp === true)
          this.#ownerSettled(message.id);
        const counts = this.#taskConnections.get(message.id) ?? new Map<number, TaskConnections>();
        counts.set(worker.id, {
          count: message.count,
          isOwnerConnected: message.isOwnerConnected,
        });
        this.#taskConnections.set(message.id, counts);
        this.#reportTask(message.id, counts, message.hasOwnerGivenUp === true);
        return;
      }
      default:
        if ('requestId' in message) {
          if (!this.#options.isDaemonConnected()) {
            worker.link.send(refusal(message.requestId, NO_DAEMON_MESSAGE));
            return;
          }
          this.#options.broadcast({ ...message, requestId: `${worker.id}:${message.requestId}` });
        } else {
          this.#options.broadcast(message);
        }
    }
  }

  /** An answer to a worker's request goes to that worker alone, with the requestId it gave. */
  #route(message: Extract<DaemonMessage, { requestId: string }>): void {
    const match = REQUEST_ID_PATTERN.exec(message.requestId);
    const worker = match === null ? undefined : this.#workers.get(Number(match[1]));
    if (message.type === 'task-allocated' && match !== null) {
      // Answered to a worker that died since, its owner is awaited as one of a dead worker.
      const awaited: AwaitedOwner = { worker: Number(match[1]), timer: undefined };
      this.#ownerSettled(message.task.id);
      this.#awaitedOwners.set(message.task.id, awaited);
      if (worker === undefined) this.#waitForLostOwner(message.task.id, awaited);
    }
    if (match === null || worker === undefined) return;
    worker.link.send({ ...message, requestId: match[2] ?? '' });
  }

  #askStats(id: number | string, reply: (message: ProxyMessage) => void): void {
    const statsId = this.#nextStatsId++;
    const request: StatsRequest = {
      id,
      reply,
      waitingFor: new Set(this.#workers.keys()),
      answers: [],
    };
    this.#stats.set(statsId, request);
    for (const worker of this.#workers.values()) worker.link.send({ type: 'stats', id: statsId });
    this.#finishStats(statsId, request);
  }

  #finishStats(statsId: number, request: StatsRequest): void {
    if (request.waitingFor.size > 0) return;
    this.#stats.delete(statsId);
    request.reply({ type: 'stats', id: request.id, ...mergeWorkerStats(request.answers) });
  }

  #checkDrained(instance: number): void {
    const reporters = this.#drainedBy.get(instance);
    if (reporters === undefined) return;
    for (const id of this.#workers.keys()) if (!reporters.has(id)) return;
    this.#drainedBy.delete(instance);
    this.#options.broadcast({ type: 'drained', instance });
  }

  /** A task's connections over every worker. */
  #summed(counts: Map<number, TaskConnections> | undefined): TaskConnections {
    let count = 0;
    let isOwnerConnected = false;
    for (const part of counts?.values() ?? []) {
      count += part.count;
      isOwnerConnected ||= part.isOwnerConnected;
    }
    return { count, isOwnerConnected };
  }

  #reportTask(task: string, counts: Map<number, TaskConnections>, hasGivenUp: boolean): void {
    const { count, isOwnerConnected } = this.#summed(counts);
    if (count === 0) this.#taskConnections.delete(task);
    // The worker that served the owner says it will not come; another worker may have it.
    const hasOwnerGivenUp = hasGivenUp && !isOwnerConnected;
    this.#options.broadcast({
      type: 'task-connections',
      id: task,
      count,
      isOwnerConnected,
      ...(hasOwnerGivenUp ? { hasOwnerGivenUp } : {}),
    });
  }
}
