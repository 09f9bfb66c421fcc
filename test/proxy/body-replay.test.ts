import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { members, send, startProxy, startRawUpstream, startUpstream } from './harness.js';

/** An upstream that reads the whole request (head and `bodyLength` bytes of body), then resets. */
async function startResetAfterBody(t: Parameters<typeof startRawUpstream>[0], bodyLength: number) {
  let receivedBytes = 0;
  const upstream = await startRawUpstream(t, (socket) => {
    let seen = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const headEnd = seen.indexOf('\r\n\r\n');
      if (headEnd !== -1 && seen.length - headEnd - 4 >= bodyLength) {
        receivedBytes += seen.length - headEnd - 4;
        socket.destroy();
      }
    });
  });
  return { ...upstream, receivedBytes: () => receivedBytes };
}

test('a PUT body under the replay limit is replayed intact on the next instance', async (t) => {
  const body = randomBytes(200_000);
  const resetting = await startResetAfterBody(t, body.length);
  const live = await startUpstream(t, (_req, res, received) => res.end(String(received.length)));
  const { port } = await startProxy(t, {}, members([resetting.port, true], [live.port, true]));

  const response = await send(port, { method: 'PUT', body });

  assert.equal(response.status, 200);
  assert.equal(resetting.receivedBytes(), body.length, 'the first instance had the whole body');
  assert.equal(live.received.length, 1);
  assert.ok(live.received[0]?.body.equals(body), 'the replayed body is the same bytes');
});

test('a chunked body under the limit is replayed with its framing', async (t) => {
  const resetting = await startRawUpstream(t, (socket) => {
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.endsWith('0\r\n\r\n')) socket.destroy();
    });
  });
  const live = await startUpstream(t, (_req, res, received) => res.end(received));
  const { port } = await startProxy(t, {}, members([resetting.port, true], [live.port, true]));

  const response = await send(port, {
    method: 'PUT',
    headers: { 'transfer-encoding': 'chunked' },
    body: 'streamed body',
  });

  assert.equal(response.status, 200);
  assert.equal(response.body, 'streamed body');
});

test('a body over the replay limit streams and is not retried once sent', async (t) => {
  const body = randomBytes(5_000);
  const resetting = await startResetAfterBody(t, body.length);
  const live = await startUpstream(t);
  const { port } = await startProxy(
    t,
    { maxReplayBodyBytes: 1_000 },
    members([resetting.port, true], [live.port, true]),
  );

  const response = await send(port, { method: 'PUT', body });

  assert.equal(response.status, 502);
  assert.match(response.body, /larger than the replay limit/);
  assert.equal(resetting.receivedBytes(), body.length);
  assert.equal(live.received.length, 0);
});

test('a body over the limit is still retried when the connection was refused', async (t) => {
  const { refusedPort } = await import('./harness.js');
  const dead = await refusedPort();
  const body = randomBytes(50_000);
  const live = await startUpstream(t, (_req, res, received) => res.end(String(received.length)));
  const { port } = await startProxy(
    t,
    { maxReplayBodyBytes: 1_000 },
    members([dead, true], [live.port, true]),
  );

  const response = await send(port, { method: 'PUT', body });

  assert.equal(response.status, 200);
  assert.ok(live.received[0]?.body.equals(body));
});

test('Expect: 100-continue is answered by the proxy and the body still arrives', async (t) => {
  const live = await startUpstream(t, (req, res, received) =>
    res.end(`${req.headers.expect ?? 'no expect'} ${received.toString()}`),
  );
  const { port } = await startProxy(t, {}, members([live.port, true]));

  const response = await send(port, {
    method: 'POST',
    headers: { expect: '100-continue' },
    body: 'payload',
  });

  assert.equal(response.status, 200);
  assert.equal(response.body, 'no expect payload');
});
