import { hasBearerToken } from '../../api/bearer-auth.js';
import { AllocationRequestSchema, LeaseActionSchema } from '../../config/allocation-request.js';
import { formatDuration } from '../../config/human-units.js';
import { describeIssues } from '../../config/program-spec.js';
import type { TaskSettings } from '../../config/task-settings.js';
import { ERROR_TABLE, type ErrorCode } from '../../errors.js';
import { newTaskId, taskIdProblem, wantedTaskIdProblem } from '../../tasks/task-id.js';
import type { HttpProxyContext } from '../http/http-context.js';
import { type ActiveExchange, type ExchangeClient, ProxyExchange } from '../http/proxy-exchange.js';
import type { RequestHead } from '../http/request-head.js';
import { CountedClient } from './counted-client.js';
import type { AllocationAnswer, DaemonRequests } from './daemon-requests.js';
import { headerValue } from './head-fields.js';
import { errorBody, jsonResponse } from './json-response.js';
import type { TaskEntry, TaskTable } from './task-table.js';
import { type LeaseAction, parseTaskTarget, upstreamTarget, withTarget } from './task-target.js';
import { websocketHandshakeProblem } from './websocket-handshake.js';

/** The response header that tells a client which task it reached (on the 101 of `/new` too). */
export const TASK_HEADER = 'x-tend-task';
/** The response header that gives the client that allocated a task its owner id (`?owner=` makes a later connection the owner). */
export const OWNER_HEADER = 'x-tend-owner';

/** Bytes of request body held while the task is chosen, before reading from the client pauses. */
const HELD_BODY_HIGH_WATER_BYTES = 64 * 1024;

/** A client connection as a task route needs it: an exchange client whose socket close ends its attachment. */
export interface TaskRouteClient extends ExchangeClient {
  readonly socket: { once(event: 'close', listener: () => void): unknown };
}

/** What every task request shares: the table of tasks and the daemon round-trips. */
export interface TaskRouteShared {
  readonly table: TaskTable;
  readonly requests: DaemonRequests;
}

/**
 * One request on a task program's proxy port: decides what it asks for (`/<pool>/new`,
 * `/<pool>/allocate`, `/<pool>/<id>/…`), refuses bad input before anything is allocated, asks
 * the daemon when it must, waits for a starting task, then hands the request to a ProxyExchange
 * pinned to the task's instance. Holds the request body meanwhile.
 */
export class TaskRequest implements ActiveExchange {
  readonly #client: TaskRouteClient;
  readonly #context: HttpProxyContext;
  readonly #head: RequestHead;
  readonly #headText: string;
  readonly #shared: TaskRouteShared;
  #isBodyComplete: boolean;
  #chunks: Buffer[] = [];
  #heldBytes = 0;
  #inner: ProxyExchange | undefined;
  #isDone = false;
  #cancelWait: (() => void) | undefined;
  /** The owner id given to this client when it allocated over a WebSocket: told on the 101, so it can come back as the owner. */
  #owner: string | undefined;
  /** A plain HTTP request routed to a task counts as one of its connections until this is called (once). */
  #counted: CountedClient | undefined;

  constructor(
    client: TaskRouteClient,
    context: HttpProxyContext,
    head: RequestHead,
    headText: string,
    isBodyComplete: boolean,
    shared: TaskRouteShared,
  ) {
    this.#client = client;
    this.#context = context;
    this.#head = head;
    this.#headText = headText;
    this.#isBodyComplete = isBodyComplete;
    this.#shared = shared;
  }

  start(): void {
    const { pool, tasks } = this.#context.settings;
    const settings = tasks as TaskSettings;
    const head = this.#head;
    const target = parseTaskTarget(head.target, pool);
    if (head.isUpgrade && (target.kind === 'new' || target.kind === 'task')) {
      const problem = websocketHandshakeProblem(this.#headText);
      if (problem !== null) {
        this.#refuse('TEND_ERR_PROXY_BAD_HANDSHAKE', problem, 'sec-websocket-version: 13\r\n');
        return;
      }
    }
    switch (target.kind) {
      case 'none':
        this.#refuse(
          'TEND_ERR_API_ROUTE_NOT_FOUND',
          `Expected /${pool}/new, /${pool}/<task id>[/path], POST /${pool}/allocate or POST /${pool}/leases/<lease>/release|renew on the proxy of task program "${pool}", got ${head.method} ${head.target.slice(0, 128)}`,
        );
        return;
      case 'new':
        if (!head.isUpgrade && head.method !== 'POST') {
          this.#refuse(
            'TEND_ERR_API_ROUTE_NOT_FOUND',
            `Expected a WebSocket upgrade or a POST on /${pool}/new, got ${head.method}`,
          );
          return;
        }
        if (!this.#isAllowed(settings, target.query, 'allocate')) return;
        this.#allocateTask(settings, target.query);
        return;
      case 'allocate':
        if (head.method !== 'POST' || head.isUpgrade) {
          this.#refuse(
            'TEND_ERR_API_ROUTE_NOT_FOUND',
            `Expected a POST on /${pool}/allocate, got ${head.method}${head.isUpgrade ? ' with an upgrade' : ''}`,
          );
          return;
        }
        if (!this.#isAllowed(settings, target.query, 'allocate')) return;
        this.#allocateLease(target.query);
        return;
      case 'lease': {
        if (target.action === null || head.method !== 'POST' || head.isUpgrade) {
          this.#refuse(
            'TEND_ERR_API_ROUTE_NOT_FOUND',
            `Expected a POST on /${pool}/leases/<lease>/release or /${pool}/leases/<lease>/renew, got ${head.method}${head.isUpgrade ? ' with an upgrade' : ''} ${head.target.slice(0, 128)}`,
          );
          return;
        }
        if (!this.#isAllowed(settings, target.query, `${target.action} a lease`)) return;
        const problem = taskIdProblem(target.leaseId, 'lease id');
        if (problem !== null) {
          this.#refuse('TEND_ERR_TASK_ID_INVALID', problem);
          return;
        }
        this.#changeLease(target.action, target.leaseId, target.query);
        return;
      }
      case 'task': {
        const problem = taskIdProblem(target.id);
        if (problem !== null) {
          this.#refuse('TEND_ERR_TASK_ID_INVALID', problem);
          return;
        }
        const entry = this.#shared.table.get(target.id);
        if (entry === undefined) {
          this.#refuse(
            'TEND_ERR_TASK_NOT_FOUND',
            `No task "${target.id}" in pool "${pool}": never allocated, or it has ended`,
          );
          return;
        }
        const owner = target.query.get('owner');
        const isOwner = owner !== null && owner === entry.task.owner;
        this.#connect(entry, upstreamTarget(target.path, target.query), isOwner, settings);
        return;
      }
    }
  }

  onBodyData(chunk: Buffer): void {
    if (this.#inner !== undefined) {
      this.#inner.onBodyData(chunk);
      return;
    }
    if (this.#isDone) return;
    this.#chunks.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes > HELD_BODY_HIGH_WATER_BYTES) this.#client.pauseReading();
  }

  onBodyEnd(): void {
    this.#isBodyComplete = true;
    this.#inner?.onBodyEnd();
  }

  abort(): void {
    this.#isDone = true;
    this.#counted?.done();
    this.#chunks = [];
    this.#cancelWait?.();
    this.#cancelWait = undefined;
    this.#inner?.abort();
  }

  onClientDrain(): void {
    this.#inner?.onClientDrain();
  }

  /** Whether the client may allocate (or `what`): anyone without `allocateToken`, else only with it (401 otherwise). */
  #isAllowed(settings: TaskSettings, query: URLSearchParams, what: string): boolean {
    const token = settings.allocateToken;
    if (token === undefined) return true;
    const fromQuery = query.get('token');
    const authorization =
      fromQuery === null ? headerValue(this.#headText, 'authorization') : `Bearer ${fromQuery}`;
    if (hasBearerToken(authorization, token)) return true;
    this.#refuse(
      'TEND_ERR_API_UNAUTHORIZED',
      `Expected the pool's allocate token (\`Authorization: Bearer <token>\` or \`?token=\`) to ${what} on pool "${this.#context.settings.pool}"`,
    );
    return false;
  }

  #allocateTask(settings: TaskSettings, query: URLSearchParams): void {
    const wanted = query.get('id');
    if (wanted !== null) {
      const problem = wantedTaskIdProblem(wanted);
      if (problem !== null) {
        this.#refuse('TEND_ERR_TASK_ID_INVALID', problem);
        return;
      }
    }
    const owner = newTaskId('o');
    const isWebSocket = this.#head.isUpgrade;
    const { table, requests } = this.#shared;
    requests.request(
      (requestId) => ({ type: 'allocate-task', requestId, id: wanted, owner }),
      (answer) => {
        if (answer.type === 'task-allocated') {
          const entry = table.learnAllocated(answer.task);
          if (this.#isDone) {
            // The client left while the daemon allocated: nobody will ever own this task.
            table.reportNow(entry);
            return;
          }
          if (isWebSocket) {
            this.#owner = owner;
            this.#connect(entry, upstreamTarget('/', query), true, settings);
            return;
          }
          table.awaitOwner(entry, settings.connectWaitMs);
          this.#respond(201, describeTask(entry, owner), `${TASK_HEADER}: ${entry.task.id}\r\n`);
          return;
        }
        this.#answerOther(answer);
      },
    );
  }

  #allocateLease(query: URLSearchParams): void {
    const parsed = AllocationRequestSchema.safeParse({
      ...(query.has('holder') ? { holder: query.get('holder') } : {}),
      ...numberParameter(query, 'ttlMs'),
      ...numberParameter(query, 'timeoutMs'),
    });
    if (!parsed.success) {
      this.#refuse('TEND_ERR_API_INVALID_BODY', describeIssues(parsed.error));
      return;
    }
    const { holder, ttlMs, timeoutMs } = parsed.data;
    this.#shared.requests.request(
      (requestId) => ({ type: 'allocate-lease', requestId, holder, ttlMs, timeoutMs }),
      (answer) => {
        if (answer.type !== 'lease-granted') this.#answerOther(answer);
        else if (!this.#isDone) this.#respond(200, answer.lease);
        else {
          // The client left while the daemon allocated: nobody would ever release this lease.
          // The lease as the API returns it: the instance's address, and the lease itself under `lease`.
          const leaseId = String((answer.lease.lease as { id?: unknown } | undefined)?.id);
          this.#shared.requests.tell({ type: 'release-lease', leaseId, holder });
        }
      },
    );
  }

  /** Releases or renews a lease as the API's `…/leases/:lease/<action>` does: `holder` and `ttlMs` from the query. */
  #changeLease(action: LeaseAction, leaseId: string, query: URLSearchParams): void {
    const parsed = LeaseActionSchema.safeParse({
      ...(query.has('holder') ? { holder: query.get('holder') } : {}),
      ...numberParameter(query, 'ttlMs'),
    });
    if (!parsed.success) {
      this.#refuse('TEND_ERR_API_INVALID_BODY', describeIssues(parsed.error));
      return;
    }
    const { holder, ttlMs } = parsed.data;
    this.#shared.requests.request(
      (requestId) => ({
        type: 'lease-action',
        requestId,
        action,
        leaseId,
        holder,
        ttlMs: ttlMs ?? null,
      }),
      (answer) => {
        if (answer.type === 'lease-updated') this.#respond(200, answer.lease);
        else this.#answerOther(answer);
      },
    );
  }

  /** A refusal is passed on as the daemon gave it; a mismatched answer is a bug. */
  #answerOther(answer: AllocationAnswer): void {
    if (answer.type === 'refused') {
      this.#respond(answer.status, errorBody(answer.code, answer.message));
      return;
    }
    this.#respond(
      500,
      errorBody('TEND_ERR_INTERNAL', `The daemon answered ${answer.type} to the wrong request`),
    );
  }

  /**
   * Routes the request to the task, waiting up to connectWaitMs for one still starting. It counts
   * as one of the task's connections from now on: a WebSocket until its connection closes (the
   * owner's, with `isOwner`), a plain HTTP request until it is answered. Only a WebSocket can be
   * the owner: an owner-leaves task is not ended by HTTP requests coming and going.
   */
  #connect(entry: TaskEntry, target: string, isOwner: boolean, settings: TaskSettings): void {
    if (this.#isDone) return;
    const { table } = this.#shared;
    if (this.#head.isUpgrade) {
      const detach = table.attach(entry, this.#client, isOwner);
      this.#client.socket.once('close', detach);
    } else {
      this.#counted = new CountedClient(this.#client, table.attach(entry, this.#client, false));
    }
    if (entry.task.state === 'ready') {
      this.#forward(entry, target);
      return;
    }
    const timer = setTimeout(() => {
      cancel();
      this.#cancelWait = undefined;
      this.#refuse(
        'TEND_ERR_TASK_NOT_READY',
        `Task "${entry.task.id}" of pool "${this.#context.settings.pool}" was not ready within ${formatDuration(settings.connectWaitMs)}`,
      );
    }, settings.connectWaitMs);
    const cancel = table.whenReady(entry, (ready) => {
      clearTimeout(timer);
      this.#cancelWait = undefined;
      if (ready === undefined) {
        this.#refuse(
          'TEND_ERR_TASK_NOT_FOUND',
          `Task "${entry.task.id}" of pool "${this.#context.settings.pool}" ended before it was ready`,
        );
      } else {
        this.#forward(ready, target);
      }
    });
    this.#cancelWait = () => {
      clearTimeout(timer);
      cancel();
    };
  }

  #forward(entry: TaskEntry, target: string): void {
    if (this.#isDone) return;
    const head = this.#head;
    const pinnedHead: RequestHead = {
      ...head,
      // A failed upgrade closes its connection, so that the task's connection count ends with it.
      isKeepAlive: head.isKeepAlive && !head.isUpgrade,
      forwardHead: withTarget(head.forwardHead, head.method, target),
    };
    const client = this.#counted ?? this.#client;
    const inner = new ProxyExchange(client, this.#context, pinnedHead, this.#isBodyComplete, {
      upstream: entry.upstream,
      responseHeaders: `${TASK_HEADER}: ${entry.task.id}\r\n${this.#owner === undefined ? '' : `${OWNER_HEADER}: ${this.#owner}\r\n`}`,
      description: `task "${entry.task.id}" of pool "${this.#context.settings.pool}"`,
    });
    this.#inner = inner;
    const chunks = this.#chunks;
    this.#chunks = [];
    for (const chunk of chunks) inner.onBodyData(chunk);
    inner.start();
  }

  #refuse(code: ErrorCode, message: string, headers = ''): void {
    this.#respond(ERROR_TABLE[code].status, errorBody(code, message), headers);
  }

  #respond(status: number, body: unknown, headers = ''): void {
    if (this.#isDone) return;
    this.#isDone = true;
    // Before the connection may read its next request, which may be for the same task.
    this.#counted?.done();
    this.#chunks = [];
    const head = this.#head;
    const isKeepAlive = head.isKeepAlive && !head.isUpgrade && this.#client.isKeepAliveAllowed;
    this.#client.write(
      jsonResponse(
        status,
        body,
        { isKeepAlive, isHttp10: head.isHttp10, isHeadMethod: head.isHeadMethod },
        headers,
      ),
    );
    this.#client.onExchangeDone(isKeepAlive);
  }
}

/** What `POST /<pool>/new` answers: the task and the owner id that makes a later connection its owner. */
function describeTask(entry: TaskEntry, owner: string) {
  const { id, instance, state } = entry.task;
  return { id, owner, instance, state };
}

/** A query parameter as a number for the schema to check (a non-number stays a string, so the error names it). */
function numberParameter(query: URLSearchParams, name: string): Record<string, unknown> {
  const value = query.get(name);
  if (value === null) return {};
  if (value === 'null') return { [name]: null };
  const number = Number(value);
  return { [name]: value.trim() !== '' && Number.isFinite(number) ? number : value };
}
