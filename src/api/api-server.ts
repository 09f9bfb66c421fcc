import Fastify, { type FastifyInstance, LogController, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';
import { NotFoundError } from '../errors.js';
import { replyWithError } from './error-reply.js';
import { registerDaemonRoutes } from './routes/daemon-routes.js';
import { type EventStreamOptions, registerEventRoutes } from './routes/event-routes.js';
import { type LogSource, registerLogRoutes } from './routes/log-routes.js';
import { registerProgramRoutes } from './routes/programs-routes.js';
import type { LiveFiguresSource } from './views.js';
import type { HealthReply } from './wire.js';

/** How long a client may take to send a whole request. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Largest request body the API accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the API serves. */
export interface ApiServerOptions {
  /** The domain core: every program action goes through it. */
  core: ProgramCore;
  /** The daemon's event bus: the event stream (and metrics) read it. */
  bus: EventBus;
  live: LiveFiguresSource;
  logs: LogSource;
  /** Tunables of `GET /v1/events` (tests shorten the keep-alive and the backlog bound). */
  events?: EventStreamOptions;
  health: () => HealthReply;
  requestStop: () => void;
  logger?: Logger;
  /** Told of every route as it is registered (the docs test checks each is in docs/api.md). */
  onRoute?: (route: RouteOptions) => void;
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
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((request) => {
    throw new NotFoundError(
      'TEND_ERR_API_ROUTE_NOT_FOUND',
      `No route ${request.method} ${request.url.split('?')[0]}; docs/api.md lists the routes`,
    );
  });
  registerDaemonRoutes(app, options);
  registerProgramRoutes(app, options);
  registerLogRoutes(app, options.logs);
  registerEventRoutes(app, options);
  return app;
}
