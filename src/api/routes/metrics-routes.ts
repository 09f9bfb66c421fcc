import type { FastifyInstance } from 'fastify';

/** What the metrics route needs: the exposition, and a place to count API requests. */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
  observeApiRequest(method: string, route: string, status: number): void;
}

/** Route pattern label of a request that matched no route (bounded, unlike its URL). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * `GET /metrics` in the Prometheus text format, and the hook that counts every answered API
 * request by route pattern. Register it before the other routes so the hook sees them all.
 */
export function registerMetricsRoutes(app: FastifyInstance, metrics: MetricsExposition): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeApiRequest(
      request.method,
      request.routeOptions.url ?? UNMATCHED_ROUTE,
      reply.statusCode,
    );
    done();
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}
