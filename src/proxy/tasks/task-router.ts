import type { HttpProxyContext } from '../http/http-context.js';
import type { ActiveExchange } from '../http/proxy-exchange.js';
import type { RequestHead } from '../http/request-head.js';
import { type AllocationAnswer, DaemonRequests, type DaemonSend } from './daemon-requests.js';
import { TaskRequest, type TaskRouteClient } from './task-request.js';
import { type RoutedTask, TaskTable } from './task-table.js';

/**
 * Task routing for a task program's pool (`configure.tasks`): the table of live tasks the
 * daemon sends, the allocations the proxy asks of it, and a TaskRequest per request. Lives as
 * long as the proxy, across rebinds of its listener.
 */
export class TaskRouter {
  readonly table: TaskTable;
  readonly requests: DaemonRequests;

  /** `send` writes a message to the daemon and says whether one is connected. */
  constructor(send: DaemonSend) {
    this.table = new TaskTable(send);
    this.requests = new DaemonRequests(send, (answer) => {
      // An allocation answered after its client gave up: the task has no owner to wait for.
      if (answer.type === 'task-allocated')
        this.table.reportNow(this.table.learnAllocated(answer.task));
    });
  }

  /** The exchange for one request on the proxy port. */
  route(
    client: TaskRouteClient,
    context: HttpProxyContext,
    head: RequestHead,
    headText: string,
    isBodyComplete: boolean,
  ): ActiveExchange {
    return new TaskRequest(client, context, head, headText, isBodyComplete, this);
  }

  /** The daemon's full table of live tasks. */
  setTasks(tasks: readonly RoutedTask[]): void {
    this.table.setTasks(tasks);
  }

  /** The daemon's answer to an allocation this proxy asked for. */
  answer(answer: AllocationAnswer): void {
    this.requests.answer(answer);
  }

  /** Refuses pending allocations and closes every task's clients. */
  close(): void {
    this.requests.close();
    this.table.close();
  }
}
