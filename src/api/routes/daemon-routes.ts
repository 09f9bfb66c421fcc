import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DaemonError } from '../../errors.js';
import { parseInput } from '../parse-input.js';
import type { HealthReply } from '../wire.js';

/** Routes about the daemon itself: health, and stopping it. */
export function registerDaemonRoutes(
  app: FastifyInstance,
  options: {
    health: () => HealthReply;
    requestStop: () => void;
    requestReload?: () => void;
    handOver?: (pid: number) => Promise<void>;
  },
): void {
  app.get('/v1/health', async () => options.health());

  app.post('/v1/daemon/stop', async (_request, reply) => {
    // Answer first: the shutdown closes this server, and the client waits for the socket to go away.
    reply.raw.once('finish', () => options.requestStop());
    return reply.status(202).send({ stopping: true });
  });

  app.post('/v1/daemon/reload', async (_request, reply) => {
    const health = options.health();
    // Answer first: the hand-over closes this server; the client then waits for the next daemon.
    reply.raw.once('finish', () => options.requestReload?.());
    return reply.status(202).send({ reloading: true, pid: health.pid, version: health.version });
  });

  app.post('/v1/daemon/hand-over', async (request, reply) => {
    const { pid } = parseInput(HandOverRequestSchema, request.body, 'hand-over request');
    if (!options.handOver)
      throw new DaemonError('TEND_ERR_DAEMON_STOPPING', 'This daemon cannot hand over');
    // Asked by the next daemon once it is loaded: when this answers, the state is saved and the lock is its.
    await options.handOver(pid);
    return reply.status(200).send({ handedOver: true, pid: options.health().pid });
  });
}

/** `POST /v1/daemon/hand-over` body: the pid of the daemon that takes over. */
const HandOverRequestSchema = z.strictObject({ pid: z.number().int().min(2) });
