import type { FastifyInstance } from 'fastify';
import type { HealthReply } from '../wire.js';

/** Routes about the daemon itself: health, and stopping it. */
export function registerDaemonRoutes(
  app: FastifyInstance,
  options: {
    health: () => HealthReply;
    requestStop: () => void;
    requestReload?: () => void;
    requestHandOver?: () => void;
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

  app.post('/v1/daemon/hand-over', async (_request, reply) => {
    // Asked by the next daemon once it is loaded: it waits for this one to exit, then adopts.
    reply.raw.once('finish', () => options.requestHandOver?.());
    return reply.status(202).send({ handingOver: true, pid: options.health().pid });
  });
}
