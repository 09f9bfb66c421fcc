import Fastify, { type FastifyInstance, LogController, type RouteOptions } from 'fastify';
import type { Logger } from 'pino';
import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';
import { DaemonError, NotFoundError, UsageError } from '../errors.js';
import { hasBearerToken } from './bearer-auth.js';
import { clientErrorAnswerer } from './client-error-reply.js';
import { replyWithError } from './error-reply.js';
import { RefusalLog } from './refusal-log.js';
import { registerDaemonRoutes } from './routes/daemon-routes.js';
import { isPublicRoute, registerDashboardRoutes } from './routes/dashboard-routes.js';
import { type EventStreamOptions, registerEventRoutes } from './routes/event-routes.js';
import { type LeaseService, registerLeaseRoutes } from './routes/lease-routes.js';
import { type ListenerControl, registerListenerRoutes } from './routes/listener-routes.js';
import { type LogSource, registerLogRoutes } from './routes/log-routes.js';
import { type MetricsExposition, registerMetricsRoutes } from './routes/metrics-routes.js';
import { registerProgramRoutes } from './routes/programs-routes.js';
import { registerReloadRoutes } from './routes/reload-routes.js';
import { registerTaskRoutes, type TaskRoutesService } from './routes/task-routes.js';
import type { LiveFiguresSource } from './views.js';
import { type HealthReply, MAX_BODY_BYTES } from './wire.js';

export { MAX_BODY_BYTES } from './wire.js';

/** How long a client may take to send a whole request (headers and body). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** How often, at most, the server looks for requests past their timeout. */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1_000;

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
  /** Has a new daemon started to take over from this one (`POST /v1/daemon/reload`). */
  requestReload?: () => void;
  /** Hands everything over to daemon `pid`, which asked (`POST /v1/daemon/hand-over`); then this one exits. */
  handOver?: (pid: number) => Promise<void>;
  /** Whether a hand-over has begun: from then on only reads are served (a change answers 503). */
  isHandingOver?: () => boolean;
  /** `GET /metrics`; left out, the route does not exist. */
  metrics?: MetricsExposition;
  logger?: Logger;
  /** Told of every route as it is registered (the docs test checks each is in docs/api.md). */
  onRoute?: (route: RouteOptions) => void;
  /** How long a client may take to send a whole request; REQUEST_TIMEOUT_MS unless a test sets it. */
  requestTimeoutMs?: number;
  /** On the Unix socket: the TCP listener that `/v1/daemon/listener` turns on and off. */
  listener?: ListenerControl;
  /** On TCP: the token every request but the dashboard's files needs, and the dashboard. */
  tcp?: TcpOptions;
  /** The dispatcher's leases (`/v1/programs/:name/allocate`…); left out, those routes do not exist. */
  leases?: LeaseService;
  /** The tasks of task programs (`/v1/programs/:name/tasks`); left out, those routes do not exist. */
  tasks?: TaskRoutesService;
}

/** What the API on a TCP port adds: a bearer token and the dashboard's files. */
export interface TcpOptions {
  token: string;
  /** Where the built dashboard is (dist/dashboard by default). */
  dashboardDir?: string;
}

/** Builds the control API (not yet listening), so tests can use `inject()` without a socket. */
export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const app = Fastify({
    bodyLimit: MAX_BODY_BYTES,
    // One log line per request would drown the daemon log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Connections from `tend logs -f` stay open; shutdown must not wait for them.
    forceCloseConnections: true,
    // A client that never finishes sending its request gets a 408 (long responses are not affected).
    requestTimeout: requestTimeoutMs,
    http: {
      // Node checks for late requests only every connectionsCheckingInterval (30 s by default),
      // and the headers have their own 60 s timeout: together a slow body took 62 s to refuse.
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(
        1,
        Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, Math.floor(requestTimeoutMs / 4)),
      ),
    },
    clientErrorHandler: clientErrorAnswerer(requestTimeoutMs),
    // Every input is checked with zod (parse-input.ts) and no route has a JSON schema, so
    // fastify's own compilers (ajv, fast-json-stringify) are never used: given these, fastify
    // does not load them, which keeps about 0.5 MiB of heap out of the daemon.
    schemaController: {
      compilersFactory: { buildValidator: noJsonSchemas, buildSerializer: noJsonSchemas },
    },
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
  if (options.metrics) registerMetricsRoutes(app, options.metrics);
  if (options.isHandingOver) refuseChangesWhileHandingOver(app, options.isHandingOver);
  registerDaemonRoutes(app, options);
  registerProgramRoutes(app, options);
  if (options.leases) registerLeaseRoutes(app, options.leases);
  if (options.tasks) registerTaskRoutes(app, options.tasks);
  registerReloadRoutes(app, options);
  registerLogRoutes(app, options.logs);
  registerEventRoutes(app, options);
  return app;
}

/** The schema compilers fastify gets: a route with a JSON schema is a mistake (inputs are parsed with zod). */
function noJsonSchemas(): () => never {
  return () => {
    throw new Error(
      'tend routes check their input with zod (api/parse-input.ts), not JSON schemas',
    );
  };
}

/** During a hand-over the old daemon still answers reads (the new one is not bound yet) but takes no change. */
function refuseChangesWhileHandingOver(app: FastifyInstance, isHandingOver: () => boolean): void {
  app.addHook('onRequest', async (request) => {
    if (request.method === 'GET' || isHandingOver() !== true) return;
    throw new DaemonError(
      'TEND_ERR_DAEMON_STOPPING',
      'The daemon is handing over to a new one (tend daemon reload); try again in a moment',
    );
  });
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
