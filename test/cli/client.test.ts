import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiClient, isAbortError, isDaemonUnreachable } from '../../src/api/client.js';
import type { LogLine } from '../../src/api/wire.js';
import { TendError } from '../../src/errors.js';
import { makeTempHome } from '../helpers/temp-home.js';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;
type AfterHook = { after(fn: () => unknown): void };

/** An HTTP server on a temp Unix socket, closed when the test ends. */
async function fakeApi(t: AfterHook, handler: Handler): Promise<string> {
  const socketPath = join(makeTempHome(t, 'tend-api-'), 'tend.sock');
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => handler(request, response, body));
  });
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a rejection');
}

test('requests carry JSON bodies; bodiless POSTs send no content-type (which a JSON parser would reject)', async (t) => {
  const seen: Array<{ method?: string; url?: string; type?: string; body: string }> = [];
  const socketPath = await fakeApi(t, (request, response, body) => {
    seen.push({
      method: request.method,
      url: request.url,
      type: request.headers['content-type'],
      body,
    });
    json(
      response,
      request.method === 'POST' && request.url === '/v1/programs' ? 201 : 200,
      request.url?.endsWith('/signal') ? { delivered: [] } : [],
    );
  });
  const client = new ApiClient({ socketPath });
  await client.createProgram({ name: 'web', command: 'node', cwd: '/' });
  await client.stopPrograms('my.app');
  await client.signalPrograms('all', { signal: 'SIGHUP', instance: 1 });
  assert.deepEqual(seen, [
    {
      method: 'POST',
      url: '/v1/programs',
      type: 'application/json',
      body: '{"name":"web","command":"node","cwd":"/"}',
    },
    { method: 'POST', url: '/v1/programs/my.app/stop', type: undefined, body: '' },
    {
      method: 'POST',
      url: '/v1/programs/all/signal',
      type: 'application/json',
      body: '{"signal":"SIGHUP","instance":1}',
    },
  ]);
});

test('an error reply becomes the TendError it names; a reply that is not one becomes an internal error', async (t) => {
  const socketPath = await fakeApi(t, (request, response) => {
    if (request.url === '/v1/programs/web') {
      json(response, 404, {
        error: { code: 'TEND_ERR_PROGRAM_NOT_FOUND', message: 'No program named `web`' },
      });
    } else if (request.url === '/v1/programs/odd') {
      json(response, 500, { error: { code: 'TEND_ERR_FROM_THE_FUTURE', message: 'hm' } });
    } else {
      response.writeHead(502);
      response.end('<html>bad gateway</html>');
    }
  });
  const client = new ApiClient({ socketPath });
  const notFound = await rejection(client.getProgram('web'));
  assert.ok(notFound instanceof TendError);
  assert.equal(notFound.code, 'TEND_ERR_PROGRAM_NOT_FOUND');
  assert.equal(notFound.exitCode, 1);
  assert.equal(notFound.message, 'No program named `web`');
  assert.equal(await client.findProgram('web'), undefined);
  const odd = await rejection(client.getProgram('odd'));
  assert.ok(odd instanceof TendError && odd.code === 'TEND_ERR_INTERNAL');
  const html = await rejection(client.health());
  assert.ok(html instanceof TendError && html.code === 'TEND_ERR_INTERNAL');
  assert.match(html.message, /502.*bad gateway/);
});

test('no daemon on the socket is TEND_ERR_DAEMON_UNREACHABLE, and onUnreachable gets one chance to start one', async (t) => {
  const socketPath = join(makeTempHome(t), 'tend.sock');
  const alone = await rejection(new ApiClient({ socketPath }).health());
  assert.ok(isDaemonUnreachable(alone));
  assert.match(alone.message, /No daemon answers on .*tend\.sock/);

  let starts = 0;
  const client = new ApiClient({
    socketPath,
    onUnreachable: async () => {
      starts++;
      const server = createServer((_request, response) => json(response, 200, []));
      t.after(() => server.close());
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    },
  });
  assert.deepEqual(await Promise.all([client.listPrograms(), client.listPrograms()]), [[], []]);
  assert.equal(starts, 1, 'concurrent requests share one start');
});

test('a socket path too long for Linux is refused with a clear message', async () => {
  const client = new ApiClient({ socketPath: `/tmp/${'x'.repeat(120)}/tend.sock` });
  const error = await rejection(client.health());
  assert.ok(isDaemonUnreachable(error));
  assert.match(error.message, /shorter TEND_HOME/);
});

test('logs arrive as NDJSON lines, even when split across chunks', async (t) => {
  const lines: LogLine[] = [
    { name: 'web', instance: 0, stream: 'out', time: '2024-01-01T00:00:00.000Z', line: 'hello' },
    { name: 'web', instance: 1, stream: 'err', time: '2024-01-01T00:00:01.000Z', line: 'wörld' },
  ];
  let query = '';
  const socketPath = await fakeApi(t, (request, response) => {
    query = request.url ?? '';
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const text = lines.map((line) => `${JSON.stringify(line)}\n`).join('');
    response.write(text.slice(0, 30));
    setImmediate(() => response.end(text.slice(30)));
  });
  const received: LogLine[] = [];
  await new ApiClient({ socketPath }).streamLogs(
    { name: 'web', lines: 5, stream: 'err', isFollowing: false },
    (line) => received.push(line),
  );
  assert.deepEqual(received, lines);
  assert.equal(query, '/v1/logs?lines=5&stream=err&follow=false&name=web');
});

test('following logs ends with an AbortError when the caller aborts', async (t) => {
  const socketPath = await fakeApi(t, (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/x-ndjson' });
    response.write(
      `${JSON.stringify({ name: 'a', instance: 0, stream: 'out', time: '', line: 'x' })}\n`,
    );
  });
  const controller = new AbortController();
  const client = new ApiClient({ socketPath, signal: controller.signal });
  const error = await rejection(
    client.streamLogs({ lines: 0, stream: 'both', isFollowing: true }, () => controller.abort()),
  );
  assert.ok(isAbortError(error), String(error));
});

test('stopDaemon resolves only when the daemon closes the connection, not when it answers', async (t) => {
  let closeConnection: (() => void) | undefined;
  const socketPath = await fakeApi(t, (request, response) => {
    assert.equal(request.url, '/v1/daemon/stop');
    json(response, 202, { stopping: true });
    closeConnection = () => request.socket.destroy();
  });
  let isResolved = false;
  const stopping = new ApiClient({ socketPath }).stopDaemon().then((outcome) => {
    isResolved = true;
    return outcome;
  });
  while (!closeConnection) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(isResolved, false, 'still waiting while the connection is open');
  closeConnection();
  assert.equal(await stopping, 'stopped');
});

test('stopDaemon reports an error reply, and no daemon as not-running', async (t) => {
  const socketPath = await fakeApi(t, (_request, response) => {
    json(response, 503, {
      error: { code: 'TEND_ERR_DAEMON_STOPPING', message: 'The daemon is already stopping' },
    });
  });
  const error = await rejection(new ApiClient({ socketPath }).stopDaemon());
  assert.ok(error instanceof TendError && error.code === 'TEND_ERR_DAEMON_STOPPING');
  const nowhere = new ApiClient({ socketPath: join(makeTempHome(t), 'tend.sock') });
  assert.equal(await nowhere.stopDaemon(), 'not-running');
});

/** A server on a temp socket that answers every connection with these raw bytes, one byte per write. */
async function rawServer(
  t: AfterHook,
  reply: string,
  options: { isClosingAfter: boolean },
): Promise<string> {
  const socketPath = join(makeTempHome(t, 'tend-raw-'), 'tend.sock');
  const server = createNetServer((socket) => {
    socket.once('data', async () => {
      for (const byte of Buffer.from(reply)) {
        socket.write(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (options.isClosingAfter) socket.end();
    });
  });
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

test('replies framed by content-length, chunked encoding or the end of the connection are read whole, byte by byte', async (t) => {
  const body = '{"ok":true,"word":"wörld"}';
  const length = Buffer.byteLength(body);
  const replies = [
    { reply: `HTTP/1.1 200 OK\r\nContent-Length: ${length}\r\n\r\n${body}`, isClosingAfter: false },
    {
      reply: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${body.slice(0, 5)}\r\n${(length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`,
      isClosingAfter: false,
    },
    {
      reply: `HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n${body}`,
      isClosingAfter: true,
    },
  ];
  for (const { reply, isClosingAfter } of replies) {
    const socketPath = await rawServer(t, reply, { isClosingAfter });
    assert.deepEqual(await new ApiClient({ socketPath }).request('GET', '/v1/health'), {
      ok: true,
      word: 'wörld',
    });
  }
});

test('a reply that is not HTTP, or is cut off, is an error and not a hang', async (t) => {
  const garbage = await rawServer(t, 'SSH-2.0-OpenSSH\r\n\r\n', { isClosingAfter: false });
  const notHttp = await rejection(new ApiClient({ socketPath: garbage }).health());
  assert.ok(notHttp instanceof TendError && notHttp.code === 'TEND_ERR_INTERNAL', String(notHttp));
  const short = await rawServer(t, 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"a":', {
    isClosingAfter: true,
  });
  const cut = await rejection(new ApiClient({ socketPath: short }).health());
  assert.ok(isDaemonUnreachable(cut));
  assert.match(cut.message, /before its reply was complete/);
});
