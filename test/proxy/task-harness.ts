import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { WebSocket } from 'ws';
import type { TaskSettings } from '../../src/config/task-settings.js';
import { ProxyControlClient } from '../../src/proxy/control-client.js';
import { ConfigureMessageSchema, type ProxyMessage } from '../../src/proxy/control-protocol.js';
import { PROXY_MAIN_PATH, PROXY_READY_LINE } from '../../src/proxy/proxy-paths.js';
import { ProxyService } from '../../src/proxy/proxy-service.js';
import type { RoutedTask } from '../../src/proxy/tasks/task-table.js';
import { fixturePath } from '../fixtures/fixture-path.js';
import { makeTempHome } from '../helpers/temp-home.js';

type After = Pick<TestContext, 'after'>;

/** Spawns a program and resolves once it printed `needle`, with what it printed; killed by pid after the test. */
async function spawnUntil(
  t: After,
  args: string[],
  needle: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
    }
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr += text;
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout?.on('data', (text: string) => {
      stdout += text;
      const found = needle.exec(stdout);
      if (found !== null) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${stderr}`)));
  });
  return { child, match };
}

/** Starts `count` ws-echo instances (real processes) and resolves with their ports. */
export async function startTaskInstances(t: After, count: number): Promise<number[]> {
  const started = await Promise.all(
    Array.from({ length: count }, () =>
      spawnUntil(t, [fixturePath('ws-echo')], /listening (\d+)\n/),
    ),
  );
  return started.map(({ match }) => Number(match[1]));
}

/** The open file descriptors of a process, from /proc. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The id of the lease the fake daemon grants for a request: a valid lease id (the proxy's hub prefixes request ids with `<worker>:`). */
export function fakeLeaseId(requestId: string): string {
  return `lease-${requestId.replaceAll(':', '-')}`;
}

/** How the fake daemon answers allocations. */
export interface FakeDaemonOptions {
  /** Instances (ports) it hands out, one per task, never twice. */
  ports: number[];
  /** The state a task is allocated in (`starting` tasks wait for `makeReady`). */
  initialState?: 'starting' | 'ready';
  /** How long a request that finds no free instance waits before its 503 (the daemon's allocation timeout). */
  refuseAfterMs?: number;
  /** Lease requests wait for `grantHeldLeases()` instead of being answered at once. */
  holdLeases?: boolean;
}

/**
 * The daemon's end of a real proxy process's control socket, faked: allocates tasks on the
 * given ports, keeps the task table, ends a task when its owner leaves (the default rule: an
 * owner that was connected and is no more, or that gave up), grants, releases and renews leases
 * (404 for one it does not hold, 409 for another holder), and records every message the proxy sent.
 */
export class FakeDaemon {
  readonly client: ProxyControlClient;
  readonly messages: ProxyMessage[] = [];
  readonly tasks = new Map<string, RoutedTask>();
  /** Leases held now, by id, with their holder. */
  readonly leases = new Map<string, string | null>();
  /** Tasks whose owner was reported connected at least once. */
  readonly #ownerSeen = new Set<string>();
  readonly #heldLeases: Array<Extract<ProxyMessage, { type: 'allocate-lease' }>> = [];
  #free: number[];
  #next = 0;
  readonly #options: FakeDaemonOptions;
  #waiters: (() => void)[] = [];

  constructor(client: ProxyControlClient, options: FakeDaemonOptions) {
    this.client = client;
    this.#options = options;
    this.#free = options.ports.map((_port, index) => index);
    client.onMessage((message) => this.#onMessage(message));
  }

  /** Messages of one type the proxy sent so far. */
  sent<T extends ProxyMessage['type']>(type: T): Extract<ProxyMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<ProxyMessage, { type: T }> => m.type === type);
  }

  /** Resolves when `predicate` holds, checked on each message from the proxy. */
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (predicate()) resolve();
        else this.#waiters.push(check);
      };
      this.#waiters.push(check);
    });
  }

  /** The last connection report for task `id`. */
  connections(id: string): { count: number; isOwnerConnected: boolean } | undefined {
    const reports = this.sent('task-connections').filter((m) => m.id === id);
    return reports.at(-1);
  }

  /** Marks a starting task ready and sends the table. */
  makeReady(id: string): void {
    const task = this.tasks.get(id);
    if (task === undefined) throw new Error(`No task ${id}`);
    task.state = 'ready';
    this.sendTable();
  }

  /** Ends a task (its instance is never handed out again) and sends the table. */
  end(id: string): void {
    this.tasks.delete(id);
    this.sendTable();
  }

  /** Answers the lease requests held so far (`holdLeases`). */
  grantHeldLeases(): void {
    for (const message of this.#heldLeases.splice(0)) this.#grantLease(message);
  }

  #grantLease(message: Extract<ProxyMessage, { type: 'allocate-lease' }>): void {
    this.leases.set(fakeLeaseId(message.requestId), message.holder);
    this.client.send({
      type: 'lease-granted',
      requestId: message.requestId,
      // As the API returns it (api/wire.ts LeaseView).
      lease: {
        program: 'rooms',
        instance: 0,
        host: '127.0.0.1',
        port: this.#options.ports[0],
        lease: { id: fakeLeaseId(message.requestId), holder: message.holder },
      },
    });
  }

  #changeLease(message: Extract<ProxyMessage, { type: 'lease-action' }>): void {
    const { requestId, leaseId, holder } = message;
    const held = this.leases.get(leaseId);
    if (held === undefined) {
      this.client.send({
        type: 'refused',
        requestId,
        status: 404,
        code: 'TEND_ERR_LEASE_NOT_FOUND',
        message: `No lease \`${leaseId}\` of \`rooms\``,
      });
      return;
    }
    if (held !== null && held !== holder) {
      this.client.send({
        type: 'refused',
        requestId,
        status: 409,
        code: 'TEND_ERR_LEASE_NOT_YOURS',
        message: `Lease \`${leaseId}\` is held by \`${held}\``,
      });
      return;
    }
    if (message.action === 'release') this.leases.delete(leaseId);
    this.client.send({
      type: 'lease-updated',
      requestId,
      lease: {
        program: 'rooms',
        instance: 0,
        lease: { id: leaseId, holder: held, ttlMs: message.ttlMs, action: message.action },
      },
    });
  }

  /** Sends the whole table, as the daemon does once per connection (and this fake at each change). */
  sendTable(): void {
    this.client.send({ type: 'tasks', tasks: [...this.tasks.values()] });
  }

  #onMessage(message: ProxyMessage): void {
    this.messages.push(message);
    if (message.type === 'allocate-task') this.#allocate(message);
    if (message.type === 'allocate-lease' && this.#options.holdLeases) {
      this.#heldLeases.push(message);
    } else if (message.type === 'allocate-lease') {
      this.#grantLease(message);
    }
    if (message.type === 'lease-action') this.#changeLease(message);
    if (message.type === 'task-connections' && message.isOwnerConnected) {
      this.#ownerSeen.add(message.id);
    } else if (
      message.type === 'task-connections' &&
      (this.#ownerSeen.has(message.id) || message.hasOwnerGivenUp === true) &&
      this.tasks.has(message.id)
    ) {
      this.end(message.id);
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }

  #allocate(message: Extract<ProxyMessage, { type: 'allocate-task' }>): void {
    const { requestId } = message;
    if (message.id !== null && this.tasks.has(message.id)) {
      this.client.send({
        type: 'refused',
        requestId,
        status: 409,
        code: 'TEND_ERR_TASK_EXISTS',
        message: `Task "${message.id}" exists`,
      });
      return;
    }
    const instance = this.#free.shift();
    if (instance === undefined) {
      setTimeout(() => {
        this.client.send({
          type: 'refused',
          requestId,
          status: 503,
          code: 'TEND_ERR_ALLOCATION_TIMEOUT',
          message: `No instance of pool "rooms" became free; ${this.#options.ports.length} of max ${this.#options.ports.length} allocated`,
        });
      }, this.#options.refuseAfterMs ?? 0);
      return;
    }
    const task: RoutedTask = {
      id: message.id ?? `t${++this.#next}`,
      instance,
      host: '127.0.0.1',
      port: this.#options.ports[instance] as number,
      state: this.#options.initialState ?? 'ready',
      owner: message.owner,
    };
    this.tasks.set(task.id, task);
    this.sendTable();
    this.client.send({ type: 'task-allocated', requestId, task });
  }
}

/** A real proxy process for the task program "rooms", driven by a fake daemon. */
export async function startTaskProxy(
  t: After,
  daemon: Omit<FakeDaemonOptions, 'ports'> & { instances: number },
  tasks: Partial<TaskSettings> = {},
): Promise<{ pid: number; port: number; daemon: FakeDaemon; ports: number[] }> {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const { child } = await spawnUntil(
    t,
    [PROXY_MAIN_PATH, socketPath],
    new RegExp(PROXY_READY_LINE),
  );
  const ports = await startTaskInstances(t, daemon.instances);
  const client = await ProxyControlClient.connect(socketPath);
  t.after(() => client.close());
  const fake = new FakeDaemon(client, { ...daemon, ports });
  const address = await client.configure({
    pool: 'rooms',
    listen: { host: '127.0.0.1', port: 0 },
    tasks: { connectWaitMs: 10_000, ...tasks },
  });
  // As the daemon does: the whole table once it is configured (the proxy answers it with each task's connections).
  fake.sendTable();
  return { pid: child.pid as number, port: address.port, daemon: fake, ports };
}

/** An in-process proxy for the task program "rooms" on a free port; `sendToDaemon` sees what it would tell the daemon. */
export async function startInProcessTaskProxy(
  t: After,
  sendToDaemon: (message: ProxyMessage) => boolean = () => true,
  tasks: Partial<TaskSettings> = {},
): Promise<{ service: ProxyService; port: number }> {
  const service = new ProxyService(
    () => {},
    {},
    () => {},
    { sendToDaemon },
  );
  t.after(() => service.close(0));
  const { port } = await service.configure(
    ConfigureMessageSchema.parse({
      type: 'configure',
      pool: 'rooms',
      listen: { host: '127.0.0.1', port: 0 },
      tasks,
    }),
  );
  return { service, port };
}

/** Opens a WebSocket; resolves with it and the response headers of its 101, or rejects with the status and body of a refusal. */
export function openWebSocket(
  t: After,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ socket: WebSocket; task: string | undefined; owner: string | undefined }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    t.after(() => socket.terminate());
    let task: string | undefined;
    let owner: string | undefined;
    socket.once('upgrade', (response) => {
      task = response.headers['x-tend-task'] as string | undefined;
      owner = response.headers['x-tend-owner'] as string | undefined;
    });
    socket.once('open', () => resolve({ socket, task, owner }));
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        reject(
          Object.assign(new Error(`HTTP ${response.statusCode}`), {
            status: response.statusCode,
            body: JSON.parse(Buffer.concat(chunks).toString() || 'null'),
          }),
        ),
      );
    });
    socket.once('error', reject);
  });
}

/** Sends one message and resolves with the next one received. */
export async function roundTrip(socket: WebSocket, text: string): Promise<string> {
  const reply = new Promise<string>((resolve) =>
    socket.once('message', (data) => resolve((data as Buffer).toString())),
  );
  socket.send(text);
  return reply;
}
