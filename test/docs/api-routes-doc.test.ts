import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { type ApiServerOptions, createApiServer } from '../../src/api/api-server.js';

/** `METHOD /path` of every row of docs/api.md's route table. */
function documentedRoutes(): Set<string> {
  const doc = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
  const start = doc.indexOf('\n## Routes\n');
  assert.ok(start >= 0, 'docs/api.md has a "## Routes" section');
  const end = doc.indexOf('\n## ', start + 1);
  const routes = new Set<string>();
  for (const row of doc.slice(start, end < 0 ? undefined : end).split('\n')) {
    const match = /^\|\s*([A-Z]+)\s*\|\s*`([^`]+)`/.exec(row);
    if (match) routes.add(`${match[1]} ${match[2]}`);
  }
  return routes;
}

/**
 * A stand-in for any dependency of the server: every property is itself, and calling it returns
 * it. The routes are only registered here, never called, so the daemon's real parts are not needed,
 * whatever they are called.
 */
const anything: unknown = new Proxy(() => anything, {
  get: (_target, key) => (key === 'then' ? undefined : anything),
});

/** `METHOD /path` of every route the API server registers (HEAD routes fastify adds for GET left out). */
async function registeredRoutes(): Promise<Set<string>> {
  const routes = new Set<string>();
  const given: Partial<ApiServerOptions> = {
    logger: undefined,
    requestTimeoutMs: 1_000,
    onRoute: (route) => {
      for (const method of [route.method].flat()) routes.add(`${method} ${route.url}`);
    },
  };
  const options = new Proxy(given, {
    get: (target, key) => (key in target ? target[key as keyof ApiServerOptions] : anything),
  }) as ApiServerOptions;
  const app = createApiServer(options);
  await app.ready();
  await app.close();
  for (const route of routes) {
    if (route.startsWith('HEAD ') && routes.has(`GET ${route.slice(5)}`)) routes.delete(route);
  }
  return routes;
}

// Regression: the `scale` route was served but missing from docs/api.md's route table.
test('every route the API server registers is in docs/api.md, and every documented route exists', async () => {
  const registered = await registeredRoutes();
  const documented = documentedRoutes();
  assert.ok(registered.has('POST /v1/programs/:name/scale'), 'the hook saw the routes');
  const undocumented = [...registered].filter((route) => !documented.has(route));
  assert.deepEqual(undocumented, [], 'routes missing from the table in docs/api.md');
  const unserved = [...documented].filter((route) => !registered.has(route));
  assert.deepEqual(unserved, [], 'routes in docs/api.md that the server does not register');
});
