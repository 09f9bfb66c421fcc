import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { members, send, startProxy, startRawUpstream, startUpstream } from './harness.js';

/** Writes raw bytes to the proxy and reads until the connection closes. */
async function rawExchange(port: number, data: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.end(data);
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  await once(socket, 'close');
  return text;
}

test('X-Forwarded-For is appended, X-Forwarded-Proto and -Host are added', async (t) => {
  const live = await startUpstream(t);
  const { port } = await startProxy(t, {}, members([live.port, true]));

  await send(port, { headers: { 'x-forwarded-for': '203.0.113.9', host: 'example.test' } });
  await send(port, { headers: { host: 'plain.test' } });

  const [first, second] = live.received;
  assert.equal(first?.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  assert.equal(first?.headers['x-forwarded-proto'], 'http');
  assert.equal(first?.headers['x-forwarded-host'], 'example.test');
  assert.equal(first?.headers.host, 'example.test', 'Host itself is passed on unchanged');
  assert.equal(second?.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(second?.headers['x-forwarded-host'], 'plain.test');
});

test('X-Forwarded-Proto and -Host set by a proxy in front are kept', async (t) => {
  const live = await startUpstream(t);
  const { port } = await startProxy(t, {}, members([live.port, true]));

  await send(port, {
    headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.test', host: 'inner' },
  });

  assert.equal(live.received[0]?.headers['x-forwarded-proto'], 'https');
  assert.equal(live.received[0]?.headers['x-forwarded-host'], 'public.test');
});

test('hop-by-hop request headers, and those Connection names, are not forwarded', async (t) => {
  const live = await startUpstream(t);
  const { port } = await startProxy(t, {}, members([live.port, true]));

  await send(port, {
    headers: {
      connection: 'keep-alive, x-hop',
      'keep-alive': 'timeout=30',
      'x-hop': 'secret',
      te: 'trailers',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'proxy-connection': 'keep-alive',
      'x-end-to-end': 'kept',
    },
  });

  const headers = live.received[0]?.headers ?? {};
  assert.equal(headers['x-hop'], undefined);
  assert.equal(headers['keep-alive'], undefined);
  assert.equal(headers.te, undefined);
  assert.equal(headers['proxy-authorization'], undefined);
  assert.equal(headers['proxy-connection'], undefined);
  assert.equal(headers['x-end-to-end'], 'kept');
});

test('hop-by-hop response headers are dropped, end-to-end ones kept', async (t) => {
  const live = await startUpstream(t, (_req, res) => {
    res.setHeader('connection', 'keep-alive, x-upstream-hop');
    res.setHeader('keep-alive', 'timeout=5');
    res.setHeader('x-upstream-hop', 'private');
    res.setHeader('x-app', 'visible');
    res.end('body');
  });
  const { port } = await startProxy(t, {}, members([live.port, true]));

  const response = await send(port);

  assert.equal(response.headers['x-app'], 'visible');
  assert.equal(response.headers['x-upstream-hop'], undefined);
  assert.equal(response.headers['keep-alive'], undefined);
  assert.equal(response.body, 'body');
});

test('request smuggling attempts are refused with 400 and never reach an upstream', async (t) => {
  const live = await startUpstream(t);
  const { port } = await startProxy(t, {}, members([live.port, true]));

  const attempts = [
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
    'GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    'GET / HTTP/1.1\r\n\r\n',
    'GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n',
  ];
  for (const attempt of attempts) {
    const answer = await rawExchange(port, attempt);
    assert.match(answer, /^HTTP\/1\.1 400 /, JSON.stringify(attempt));
  }
  assert.equal(live.received.length, 0);
});

test('an unsupported version gets 505 and an oversized head 431', async (t) => {
  const live = await startUpstream(t);
  const { port } = await startProxy(t, {}, members([live.port, true]));

  assert.match(await rawExchange(port, 'GET / HTTP/2.0\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 505 /);
  const huge = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`;
  assert.match(await rawExchange(port, huge), /^HTTP\/1\.1 431 /);
});

test('pipelined requests are answered in order on one connection', async (t) => {
  const live = await startUpstream(t, (req, res) => res.end(`answer ${req.url}`));
  const { port } = await startProxy(t, {}, members([live.port, true]));

  const answer = await rawExchange(
    port,
    'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );

  const bodies = [...answer.matchAll(/answer (\/\d)/g)].map((match) => match[1]);
  assert.deepEqual(bodies, ['/1', '/2', '/3']);
});

test('an HTTP/1.0 client gets its response and a closed connection', async (t) => {
  const live = await startUpstream(t, (_req, res) => {
    res.write('part one, ');
    res.end('part two');
  });
  const { port } = await startProxy(t, {}, members([live.port, true]));

  const answer = await rawExchange(port, 'GET / HTTP/1.0\r\n\r\n');

  assert.match(answer, /^HTTP\/1\.1 200 /);
  assert.doesNotMatch(answer, /transfer-encoding/i);
  assert.ok(answer.endsWith('part one, part two'), answer);
});

test('HEAD responses carry no body even with a Content-Length', async (t) => {
  const live = await startUpstream(t, (_req, res) => {
    res.setHeader('content-length', '5');
    res.end();
  });
  const { port } = await startProxy(t, {}, members([live.port, true]));

  const answer = await rawExchange(
    port,
    'HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
  );

  assert.equal(answer.match(/HTTP\/1\.1 200/g)?.length, 2, answer);
});

test('chunked responses with trailers and large bodies pass through intact', async (t) => {
  const big = 'x'.repeat(3 * 1024 * 1024);
  const live = await startUpstream(t, (req, res) => {
    if (req.url === '/big') {
      res.end(big);
      return;
    }
    res.addTrailers({ 'x-checksum': 'abc' });
    res.write('chunk one;');
    res.end('chunk two');
  });
  const { port } = await startProxy(t, {}, members([live.port, true]));

  const chunked = await rawExchange(
    port,
    'GET /chunked HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: close\r\n\r\n',
  );
  assert.match(chunked, /transfer-encoding: chunked/i);
  assert.match(chunked, /x-checksum: abc/i);
  assert.match(chunked, /chunk one;/);

  const response = await send(port, { path: '/big' });
  assert.equal(response.body.length, big.length);
});

test('a slow upstream response is relayed without the proxy buffering it whole', async (t) => {
  const raw = await startRawUpstream(t, (socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n');
      socket.once('data', () => {});
      setImmediate(() => socket.end('6\r\nsecond\r\n0\r\n\r\n'));
    });
  });
  const { port } = await startProxy(t, {}, members([raw.port, true]));

  assert.equal((await send(port)).body, 'firstsecond');
});

test('a response without a length is read until the upstream closes, then the client is closed', async (t) => {
  const raw = await startRawUpstream(t, (socket) => {
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil ');
      setImmediate(() => socket.end('the end'));
    });
  });
  const { port } = await startProxy(t, {}, members([raw.port, true]));

  const answer = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');

  assert.match(answer, /connection: close/i);
  assert.ok(answer.endsWith('\r\n\r\nuntil the end'), answer);
});
