import type { z } from 'zod';
import type { RoutedTaskSchema } from '../control-protocol.js';
import { Upstream } from '../upstream.js';
import type { DaemonSend } from './daemon-requests.js';

/** One allocated task as the daemon reported it. */
export type RoutedTask = z.output<typeof RoutedTaskSchema>;

/**
 * How long a change of a task's connection count alone may wait before the daemon is told: plain
 * HTTP requests come and go many times a second, and the count is for people (`tend tasks`). The
 * owner's coming and going is told at once (at the next turn of the event loop): it ends tasks.
 */
export const COUNT_REPORT_DELAY_MS = 250;

/** A client connection attached to a task: closed by the proxy when the task ends. */
export interface TaskClient {
  destroy(): void;
}

/** A live task, the proxy's view: where it runs, who is connected, who waits for it to be ready. */
export interface TaskEntry {
  task: RoutedTask;
  /** The task's instance, for exchanges pinned to it. */
  upstream: Upstream;
  clients: Map<TaskClient, boolean>;
  ownersConnected: number;
  readyWaiters: Set<(entry: TaskEntry | undefined) => void>;
  /** The last `task-connections` sent, as `count:isOwnerConnected`; undefined when the next state must be sent. */
  reported: string | undefined;
  /** Whether the last `task-connections` sent said the owner is connected (false before any). */
  reportedOwner: boolean;
  /** Set until an owner that allocated with POST connects (or its connect wait runs out). */
  ownerTimer: NodeJS.Timeout | undefined;
  /** Set when the owner will not come (reportNow); sent with the next report. */
  hasOwnerGivenUp: boolean;
}

/**
 * The live tasks of the pool, by id, as the daemon's `tasks` messages and allocation answers
 * tell them; counts each task's connections (WebSockets, and plain HTTP requests in flight) and
 * tells the daemon (`task-connections`) when the owner's presence changes, at the next turn of
 * the event loop, and when only the count changed, within COUNT_REPORT_DELAY_MS.
 */
export class TaskTable {
  readonly #send: DaemonSend;
  readonly #entries = new Map<string, TaskEntry>();
  readonly #dirty = new Set<TaskEntry>();
  #flush: NodeJS.Immediate | undefined;
  #flushLater: NodeJS.Timeout | undefined;

  constructor(send: DaemonSend) {
    this.#send = send;
  }

  /** Live tasks known now. */
  get size(): number {
    return this.#entries.size;
  }

  get(id: string): TaskEntry | undefined {
    return this.#entries.get(id);
  }

  /** Replaces the table (the full list, each time): tasks absent from it have ended. */
  setTasks(tasks: readonly RoutedTask[]): void {
    const live = new Set<string>();
    for (const task of tasks) {
      live.add(task.id);
      this.learn(task);
    }
    for (const [id, entry] of this.#entries) if (!live.has(id)) this.#end(id, entry);
  }

  /** Applies the daemon's `tasks-changed`: tasks added or changed, and the ids of those that ended. */
  change(changed: readonly RoutedTask[], ended: readonly string[]): void {
    for (const task of changed) this.learn(task);
    for (const id of ended) {
      const entry = this.#entries.get(id);
      if (entry !== undefined) this.#end(id, entry);
    }
  }

  /**
   * A task an allocation answer names: added if the table has not brought it yet; otherwise the
   * table's entry stands (it may be newer: a task can be ready before its answer is read).
   */
  learnAllocated(task: RoutedTask): TaskEntry {
    return this.#entries.get(task.id) ?? this.learn(task);
  }

  /** Adds or updates one task from the daemon's table. */
  learn(task: RoutedTask): TaskEntry {
    let entry = this.#entries.get(task.id);
    if (entry !== undefined && (entry.task.host !== task.host || entry.task.port !== task.port)) {
      this.#end(task.id, entry);
      entry = undefined;
    }
    const isReady = task.state === 'ready';
    if (entry === undefined) {
      entry = {
        task,
        upstream: new Upstream(task.instance, task.host, task.port, isReady, performance.now()),
        clients: new Map(),
        ownersConnected: 0,
        readyWaiters: new Set(),
        reported: undefined,
        reportedOwner: false,
        ownerTimer: undefined,
        hasOwnerGivenUp: false,
      };
      this.#entries.set(task.id, entry);
    } else {
      entry.task = task;
      entry.upstream.isReady = isReady;
    }
    if (isReady && entry.readyWaiters.size > 0) {
      const waiters = [...entry.readyWaiters];
      entry.readyWaiters.clear();
      for (const waiter of waiters) waiter(entry);
    }
    return entry;
  }

  /** Calls `onSettled` once with the entry when the task is ready, or with undefined if it ends first; returns a cancel. */
  whenReady(entry: TaskEntry, onSettled: (entry: TaskEntry | undefined) => void): () => void {
    if (entry.task.state === 'ready') {
      onSettled(entry);
      return () => {};
    }
    entry.readyWaiters.add(onSettled);
    return () => entry.readyWaiters.delete(onSettled);
  }

  /** Counts `client` as connected to the task until the returned function is called. */
  attach(entry: TaskEntry, client: TaskClient, isOwner: boolean): () => void {
    entry.clients.set(client, isOwner);
    if (isOwner) {
      entry.ownersConnected++;
      clearTimeout(entry.ownerTimer);
      entry.ownerTimer = undefined;
    }
    this.#markDirty(entry);
    let isAttached = true;
    return () => {
      if (!isAttached) return;
      isAttached = false;
      if (!entry.clients.delete(client)) return;
      if (isOwner) entry.ownersConnected--;
      if (this.#entries.get(entry.task.id) === entry) this.#markDirty(entry);
    };
  }

  /** An owner that allocated without connecting (POST) has `waitMs` to connect; then the daemon is told it is not. */
  awaitOwner(entry: TaskEntry, waitMs: number): void {
    if (entry.ownersConnected > 0) return;
    clearTimeout(entry.ownerTimer);
    entry.ownerTimer = setTimeout(() => {
      entry.ownerTimer = undefined;
      this.reportNow(entry);
    }, waitMs);
  }

  /** Tells the daemon the task's connections even if they did not change (its owner gave up before connecting). */
  reportNow(entry: TaskEntry): void {
    entry.reported = undefined;
    entry.hasOwnerGivenUp = true;
    this.#markDirty(entry);
  }

  /** Forgets every task and closes its clients (shutdown). */
  close(): void {
    for (const [id, entry] of this.#entries) this.#end(id, entry);
    this.#cancelFlush();
    this.#dirty.clear();
  }

  #end(id: string, entry: TaskEntry): void {
    this.#entries.delete(id);
    this.#dirty.delete(entry);
    clearTimeout(entry.ownerTimer);
    entry.upstream.isRemoved = true;
    entry.upstream.closeIdle();
    const waiters = [...entry.readyWaiters];
    entry.readyWaiters.clear();
    for (const waiter of waiters) waiter(undefined);
    for (const client of [...entry.clients.keys()]) client.destroy();
    entry.clients.clear();
  }

  #markDirty(entry: TaskEntry): void {
    this.#dirty.add(entry);
    const isUrgent = entry.hasOwnerGivenUp || entry.reportedOwner !== entry.ownersConnected > 0;
    if (isUrgent) this.#flush ??= setImmediate(this.#flushDirty);
    else this.#flushLater ??= setTimeout(this.#flushDirty, COUNT_REPORT_DELAY_MS);
  }

  /** Reports every task whose connections changed since the last flush. */
  #flushDirty = (): void => {
    this.#cancelFlush();
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const each of dirty) this.#report(each);
  };

  #cancelFlush(): void {
    if (this.#flush !== undefined) clearImmediate(this.#flush);
    clearTimeout(this.#flushLater);
    this.#flush = undefined;
    this.#flushLater = undefined;
  }

  #report(entry: TaskEntry): void {
    const count = entry.clients.size;
    const isOwnerConnected = entry.ownersConnected > 0;
    const state = `${count}:${isOwnerConnected}`;
    if (state === entry.reported) return;
    entry.reported = state;
    entry.reportedOwner = isOwnerConnected;
    const hasOwnerGivenUp = entry.hasOwnerGivenUp && !isOwnerConnected;
    entry.hasOwnerGivenUp = false;
    this.#send({
      type: 'task-connections',
      id: entry.task.id,
      count,
      isOwnerConnected,
      ...(hasOwnerGivenUp ? { hasOwnerGivenUp } : {}),
    });
  }
}
