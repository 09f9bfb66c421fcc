import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import {
  type ApiServerOptions,
  createApiServer,
  REQUEST_TIMEOUT_MS,
} from '../../src/api/api-server.js';
import type { HealthReply } from '../../src/api/wire.js';
import { makeTempHome } from '../helpers/temp-home.js';

const TOKEN = 'Vq3cJ2uYtZy0dWk1m9yQF0t1T7mXbqC5i3dJx0oKz8E';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const HEALTH: HealthReply = {
  ok: true,
  pid: 1,
  version: 'test',
  home: '/nowhere',
  startedAt: new Date(0).toISOString(),
  problems: [],
};

/** A stand-in for any dependency: every property is itself, and calling it returns it. */
const anything: unknown = new Proxy(() => anything, {
  get: (_target, key) => (key === 'then' ? undefined : anything),
});

/** The TCP API over stand-ins for the daemon's parts, with its log lines kept for the test to read. */
function tcpApi(
  t: { after(fn: () => unknown): void },
  options: { requestTimeoutMs?: number } = {},
): { app: FastifyInstance; logLines: string[] } {
  const dashboardDir = makeTempHome(t, 'tend-dashboard-');
  mkdirSync(join(dashboardDir, 'assets'));
  writeFileSync(join(dashboardDir, 'index.html'), '<!doctype html><title>tend</title>');
  writeFileSync(join(dashboardDir, 'assets', 'app.js'), 'console.log(1)');
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const given: Partial<ApiServerOptions> = {
    logs: { tail: () => [], onLine: () => () => {}, isKnown: () => false },
    health: () => HEALTH,
    requestStop: () => {},
    logger: pino(sink),
    listener: undefined,
    tcp: { token: TOKEN, dashboardDir },
    requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
  };
  // The daemon's other parts are never reached by these requests: any stand-in does.
  const options_ = new Proxy(given, {
    get: (target, key) => (key in target ? target[key as keyof ApiServerOptions] : anything),
  }) as ApiServerOptions;
  const app = createApiServer(options_);
  t.after(() => app.close());
  return { app, logLines };
}

test('a TCP request without a token, or with a wrong one, gets 401 in tend shape and is logged without the token', async (t) => {
  const { app, logLines } = tcpApi(t);
  const missing = await app.inject({ method: 'GET', url: '/v1/health' });
  assert.equal(missing.statusCode, 401);
  assert.equal(missing.json().error.code, 'TEND_ERR_API_UNAUTHORIZED');
  assert.match(missing.json().error.message, /Authorization: Bearer/);

  const wrongToken = `${TOKEN.slice(0, -1)}F`;
  const wrong = await app.inject({
    method: 'GET',
    url: '/v1/programs',
    headers: { authorization: `Bearer ${wrongToken}` },
  });
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.json().error.code, 'TEND_ERR_API_UNAUTHORIZED');

  const log = logLines.join('');
  assert.match(log, /TCP request refused: no token/);
  assert.match(log, /TCP request refused: wrong token/);
  assert.doesNotMatch(log, new RegExp(wrongToken));
  assert.doesNotMatch(log, new RegExp(TOKEN));
});

test('with the token, the routes answer as on the socket', async (t) => {
  const { app } = tcpApi(t);
  const health = await app.inject({ method: 'GET', url: '/v1/health', headers: AUTH });
  assert.equal(health.statusCode, 200);
  assert.deepEqual(health.json(), HEALTH);
});

test('an unknown route needs the token too, so probing without one learns nothing', async (t) => {
  const { app } = tcpApi(t);
  const reply = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
  assert.equal(reply.statusCode, 401);
});

test('the listener routes are not on TCP: a token cannot move or close its own listener', async (t) => {
  const { app } = tcpApi(t);
  const reply = await app.inject({ method: 'DELETE', url: '/v1/daemon/listener', headers: AUTH });
  assert.equal(reply.statusCode, 404);
  assert.equal(reply.json().error.code, 'TEND_ERR_API_ROUTE_NOT_FOUND');
});

test("the dashboard's files are served without a token, the page with a strict content policy", async (t) => {
  const { app } = tcpApi(t);
  const page = await app.inject({ method: 'GET', url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.match(String(page.headers['content-security-policy']), /connect-src 'self'/);
  const script = await app.inject({ method: 'GET', url: '/assets/app.js' });
  assert.equal(script.statusCode, 200);
  assert.match(String(script.headers['content-type']), /^text\/javascript/);
  for (const url of ['/assets/other.js', '/assets/..%2F..%2Ftoken', '/assets/..%2Findex.html']) {
    const missing = await app.inject({ method: 'GET', url });
    assert.equal(missing.statusCode, 404, url);
  }
});

test('no reply carries CORS headers, so a page of another origin cannot read one', async (t) => {
  const { app } = tcpApi(t);
  const origin = { origin: 'http://evil.example' };
  const replies = [
    await app.inject({ method: 'GET', url: '/v1/health', headers: { ...AUTH, ...origin } }),
    await app.inject({ method: 'GET', url: '/', headers: origin }),
    await app.inject({
      method: 'OPTIONS',
      url: '/v1/programs',
      headers: { ...origin, 'access-control-request-method': 'POST' },
    }),
  ];
  for (const reply of replies) {
    const corsHeaders = Object.keys(reply.headers).filter((name) =>
      name.startsWith('access-control-'),
    );
    assert.deepEqual(corsHeaders, []);
  }
});

test('an oversized body gets 413 with the token and 401 without it, before it is read', async (t) => {
  const { app } = tcpApi(t);
  const payload = JSON.stringify({ command: 'x'.repeat(2 * 1024 * 1024) });
  const headers = { 'content-type': 'application/json' };
  const withToken = await app.inject({
    method: 'POST',
    url: '/v1/programs',
    headers: { ...headers, ...AUTH },
    payload,
  });
  assert.equal(withToken.statusCode, 413);
  assert.equal(withToken.json().error.code, 'TEND_ERR_API_BODY_TOO_LARGE');
  const without = await app.inject({ method: 'POST', url: '/v1/programs', headers, payload });
  assert.equal(without.statusCode, 401);
});

test('a request still arriving after the time limit gets 408 in tend shape; other clients are served meanwhile', async (t) => {
  const { app } = tcpApi(t, { requestTimeoutMs: 300 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;

  const slow = connect(port, '127.0.0.1');
  t.after(() => slow.destroy());
  const slowReply = new Promise<string>((resolve) => {
    let text = '';
    slow.on('data', (chunk) => {
      text += chunk;
    });
    slow.on('close', () => resolve(text));
    slow.on('error', () => {});
  });
  // Headers that never end: the client trickles them and stops.
  slow.write(`GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n`);

  const fast = await getJson(port, '/v1/health');
  assert.equal(fast.status, 200, 'a normal request is answered while the slow one waits');

  const text = await slowReply;
  assert.match(text, /^HTTP\/1\.1 408 /);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  assert.equal(body.error.code, 'TEND_ERR_API_REQUEST_TIMEOUT');
  assert.match(body.error.message, /within 300ms/);
  assert.equal((await getJson(port, '/v1/health')).status, 200, 'the server still answers');
});

test('headers over the size limit get 431 in tend shape', async (t) => {
  const { app } = tcpApi(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const reply = await getJson(port, '/v1/health', { 'x-padding': 'x'.repeat(64 * 1024) });
  assert.equal(reply.status, 431);
  assert.equal(
    (reply.body as { error: { code: string } }).error.code,
    'TEND_ERR_API_HEADERS_TOO_LARGE',
  );
});

function getJson(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { ...AUTH, ...headers } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
