import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { TaskRequestSchema } from '../../config/allocation-request.js';
import { parseInput } from '../parse-input.js';
import type { TaskReply } from '../wire.js';
import { parseNameParam } from './program-target.js';

/** What the task routes need: the daemon's tasks (src/daemon/task-service.ts). */
export interface TaskRoutesService {
  list(name: string): TaskReply[];
  allocate(name: string, request: z.output<typeof TaskRequestSchema>): Promise<TaskReply>;
  close(name: string, id: string): TaskReply;
}

/** Routes of task programs: list the live tasks, allocate one, close one. */
export function registerTaskRoutes(app: FastifyInstance, tasks: TaskRoutesService): void {
  app.get('/v1/programs/:name/tasks', async (request) =>
    tasks.list(parseNameParam(request.params)),
  );

  app.post('/v1/programs/:name/tasks', async (request) => {
    const name = parseNameParam(request.params);
    const body = parseInput(TaskRequestSchema, request.body ?? {}, 'task request');
    return tasks.allocate(name, body);
  });

  app.delete('/v1/programs/:name/tasks/:id', async (request) => {
    const { name, id } = request.params as { name?: unknown; id?: unknown };
    return tasks.close(parseNameParam({ name }), String(id ?? ''));
  });
}
