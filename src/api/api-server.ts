import Fastify, { type FastifyInstance, LogController, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';
import { NotFoundError, UsageError } from '../errors.js';
import { hasBearerToken } from './bearer-auth.js';
import { replyToClientError, replyWithError } from './error-reply.js';
import { RefusalLog } from './refusal-log.js';
import { registerDaemonRoutes } from './routes/daemon-routes.js';
import { isPublicRoute, registerDashboardRoutes } from './routes/dashboard-routes.js';
import { type EventStreamOptions, registerEventRoutes } from './routes/event-routes.js';
import { type ListenerControl, registerListenerRoutes } from './routes/listener-routes.js';
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
  /** On the Unix socket: the TCP listener that `/v1/daemon/listener` turns on and off. */
  listener?: ListenerControl;
  /** On TCP: the token every request but the dashboard's files needs, and the dashboard. */
  tcp?: TcpOptions;
}

/** What the API on a TCP port adds: a bearer token, the dashboard's files, stricter limits. */
export interface TcpOptions {
  token: string;
  /** How long a client may take to send a whole request (REQUEST_TIMEOUT_MS by default). */
  requestTimeoutMs?: number;
  /** Where the built dashboard is (dist/dashboard by default). */
  dashboardDir?: string;
}

/** Builds the control API (not yet listening), so tests can use `inject()` without a socket. */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const requestTimeoutMs = options.tcp?.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    // One log line per request would drown the daemon log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Connections from `tend logs -f` stay open; shutdown must not wait for them.
    forceCloseConnections: true,
    // A client that never finishes sending its request is dropped (long responses are not affected).
    requestTimeout: requestTimeoutMs,
    // Node checks for slow requests every 30 s by default: far too late to answer one in 10 s.
    http: { connectionsCheckingInterval: checkingIntervalMs(requestTimeoutMs) },
    clientErrorHandler: replyToClientError(requestTimeoutMs),
  }) as unknown as FastifyInstance;
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((request) => {
    throw new NotFoundError(
      'TEND_ERR_API_ROUTE_NOT_FOUND',
      `No route ${request.method} ${request.url.split('?')[0]}; docs/api.md lists the routes`,
    );
  });
  if (options.tcp) protectWithToken(app, options.tcp.token);
  if (options.tcp) registerDashboardRoutes(app, options.tcp.dashboardDir);
  if (options.listener) registerListenerRoutes(app, options.listener);
  registerDaemonRoutes(app, options);
  registerProgramRoutes(app, options);
  registerLogRoutes(app, options.logs);
  registerEventRoutes(app, options);
  return app;
}

/**
 * Every request on TCP needs `Authorization: Bearer <token>`, except the dashboard's own files;
 * a refusal is logged (without what was sent; a flood only counted). Checked on arrival, before any body is read.
 * No CORS headers are ever sent, so a page of another origin cannot read a reply.
 */
function protectWithToken(app: FastifyInstance, token: string): void {
  const refusals = new RefusalLog((fields, message) => app.log.warn(fields, message));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (isPublicRoute(request.routeOptions.config)) return;
    if (hasBearerToken(request.headers.authorization, token)) return;
    const hasHeader = request.headers.authorization !== undefined;
    refusals.refused(
      { remote: request.ip, method: request.method, path: request.url.split('?')[0] },
      hasHeader ? 'TCP request refused: wrong token' : 'TCP request refused: no token',
    );
    throw new UsageError(
      'TEND_ERR_API_UNAUTHORIZED',
      hasHeader
        ? 'Expected the token of this tend home in `Authorization: Bearer <token>`; the one sent is not it'
        : 'Expected `Authorization: Bearer <token>` with the token in $TEND_HOME/token (`tend dashboard` prints a URL that carries it)',
    );
  });
}

/** How often Node looks for requests past their time: often enough to answer within a quarter of it. */
function checkingIntervalMs(requestTimeoutMs: number): number {
  return Math.max(10, Math.min(1_000, Math.floor(requestTimeoutMs / 4)));
}
