import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { createApiServer } from '../../src/api/api-server.js';
import type { LogSource } from '../../src/api/routes/log-routes.js';
import type { HealthReply } from '../../src/api/wire.js';
import { formatDuration } from '../../src/config/human-units.js';
import type { EventBus } from '../../src/core/event-bus.js';
import type { ProgramCore } from '../../src/core/program-core.js';
import { makeTempHome } from '../helpers/temp-home.js';

const HEALTH: HealthReply = {
  ok: true,
  pid: process.pid,
  version: 'test',
  home: '/',
  startedAt: new Date(0).toISOString(),
  problems: [],
};

/** An API server on a socket in a temp folder; no request here reaches the core or the logs. */
async function listeningApi(
  t: { after(fn: () => unknown): void },
  requestTimeoutMs?: number,
): Promise<string> {
  const socketPath = join(makeTempHome(t), 'api.sock');
  const app = createApiServer({
    core: {} as ProgramCore,
    bus: {} as EventBus,
    live: { sample: () => undefined },
    logs: {} as LogSource,
    health: () => HEALTH,
    requestStop: () => {},
    ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }),
  });
  await app.listen({ path: socketPath });
  t.after(() => app.close());
  return socketPath;
}

/** Writes raw bytes on a fresh connection and resolves to everything the server sent until it closed. */
function exchange(socketPath: string, bytes: string): Promise<{ reply: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let reply = '';
    let error: string | undefined;
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
    });
    socket.on('error', (caught: NodeJS.ErrnoException) => {
      error = caught.code;
    });
    socket.on('close', () => resolve(error === undefined ? { reply } : { reply, error }));
    socket.write(bytes);
  });
}

function bodyOf(reply: string): unknown {
  return JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
}

test('a body sent too slowly gets 408 after the request timeout, in tend error shape', async (t) => {
  const timeoutMs = 200;
  const socketPath = await listeningApi(t, timeoutMs);
  const startedAt = performance.now();
  // Headers promise 100 bytes of body; 10 arrive, the rest never does.
  const { reply } = await exchange(
    socketPath,
    'POST /v1/programs HTTP/1.1\r\nHost: tend\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":"a',
  );
  const elapsedMs = performance.now() - startedAt;
  assert.match(reply, /^HTTP\/1\.1 408 /);
  assert.deepEqual(bodyOf(reply), {
    error: {
      code: 'TEND_ERR_API_REQUEST_TIMEOUT',
      message: `Expected the whole request (headers and body) within ${formatDuration(timeoutMs)}; it was still arriving`,
    },
  });
  // The server checks for late requests every timeout / 4, so the answer comes within 1.25 × the timeout (plus scheduling).
  assert.ok(elapsedMs >= timeoutMs, `answered after ${elapsedMs} ms, before the timeout`);
  assert.ok(elapsedMs < timeoutMs * 2, `answered after ${elapsedMs} ms`);
});

test('bytes that are not HTTP get 400 in tend error shape', async (t) => {
  const socketPath = await listeningApi(t);
  const { reply } = await exchange(socketPath, 'HELLO\r\n\r\n');
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.equal(
    (bodyOf(reply) as { error: { code: string } }).error.code,
    'TEND_ERR_API_MALFORMED_REQUEST',
  );
});

test('a body over the limit is answered 413 every time, never by closing the connection early', async (t) => {
  const socketPath = await listeningApi(t);
  const huge = 'x'.repeat(3 * 1024 * 1024);
  for (let attempt = 0; attempt < 20; attempt++) {
    // Half announce their length (refused before reading), half are chunked (refused part-way).
    const head =
      attempt % 2 === 0 ? `Content-Length: ${huge.length}\r\n` : 'Transfer-Encoding: chunked\r\n';
    const body = attempt % 2 === 0 ? huge : `${huge.length.toString(16)}\r\n${huge}\r\n0\r\n\r\n`;
    const { reply, error } = await exchange(
      socketPath,
      `POST /v1/programs HTTP/1.1\r\nHost: tend\r\nConnection: close\r\nContent-Type: application/json\r\n${head}\r\n${body}`,
    );
    assert.equal(error, undefined, `attempt ${attempt}: the connection failed with ${error}`);
    assert.match(reply, /^HTTP\/1\.1 413 /, `attempt ${attempt}`);
    assert.deepEqual(bodyOf(reply), {
      error: {
        code: 'TEND_ERR_API_BODY_TOO_LARGE',
        message: 'Expected a body of at most 1 MiB (1048576 bytes)',
      },
    });
  }
});
