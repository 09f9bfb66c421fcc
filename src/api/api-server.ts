import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { ProgramRegistry } from '../daemon/program-registry.js';
import { NotFoundError } from '../errors.js';
import { replyWithError } from './error-reply.js';
import { registerDaemonRoutes } from './routes/daemon-routes.js';
import { type LogSource, registerLogRoutes } from './routes/log-routes.js';
import { type MetricsExposition, registerMetricsRoutes } from './routes/metrics-routes.js';
import { registerProgramRoutes } from './routes/programs-routes.js';
import type { HealthReply } from './wire.js';

/** How long a client may take to send a whole request. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Largest request body the API accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the API serves. */
export interface ApiServerOptions {
  registry: ProgramRegistry;
  logs: LogSource;
  health: () => HealthReply;
  requestStop: () => void;
  /** `GET /metrics`; left out, the route does not exist. */
  metrics?: MetricsExposition;
  logger?: Logger;
}

/** Builds the control API (not yet listening), so tests can use `inject()` without a socket. */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    // One log line per request would drown the daemon log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Connections from `tend logs -f` stay open; shutdown must not wait for them.
    forceCloseConnections: true,
    // A client that never finishes sending its request is dropped (long responses are not affected).
    requestTimeout: REQUEST_TIMEOUT_MS,
  }) as unknown as FastifyInstance;
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((request) => {
    throw new NotFoundError(
      'TEND_ERR_API_ROUTE_NOT_FOUND',
      `No route ${request.method} ${request.url.split('?')[0]}; docs/api.md lists the routes`,
    );
  });
  if (options.metrics) registerMetricsRoutes(app, options.metrics);
  registerDaemonRoutes(app, options);
  registerProgramRoutes(app, options.registry);
  registerLogRoutes(app, options.logs);
  return app;
}
