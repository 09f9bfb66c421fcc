import assert from 'node:assert/strict';
import { test } from 'node:test';
import { members, refusedPort, send, startProxy, startUpstream, until } from './harness.js';

test('with no ready instance a request waits waitForReadyMs, then gets 503 naming the pool', async (t) => {
  const live = await startUpstream(t);
  const { port } = await startProxy(t, { waitForReadyMs: 200 }, members([live.port, false]));

  const started = performance.now();
  const response = await send(port);
  const elapsedMs = performance.now() - started;

  assert.equal(response.status, 503);
  assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8');
  assert.match(response.body, /pool "web"/);
  assert.match(response.body, /within 200ms/);
  assert.ok(elapsedMs >= 190, `waited ${elapsedMs} ms`);
  assert.equal(live.received.length, 0);
});

test('a pool with no members at all answers 503 too', async (t) => {
  const { port } = await startProxy(t, { waitForReadyMs: 50 }, []);
  assert.equal((await send(port)).status, 503);
});

test('a waiting request is served as soon as an instance becomes ready', async (t) => {
  const live = await startUpstream(t, (_req, res) => res.end('served'));
  const { port, service } = await startProxy(
    t,
    { waitForReadyMs: 5_000 },
    members([live.port, false]),
  );

  const started = performance.now();
  const pending = send(port);
  await until(() => service.waitingCount === 1);
  service.setUpstreams(members([live.port, true]));
  const response = await pending;

  assert.equal(response.status, 200);
  assert.equal(response.body, 'served');
  assert.ok(performance.now() - started < 4_000);
});

test('a request whose only instance refuses waits for the daemon to report it ready again', async (t) => {
  const dead = await refusedPort();
  const live = await startUpstream(t, (_req, res) => res.end('restarted'));
  const { port, service, failed } = await startProxy(
    t,
    { waitForReadyMs: 5_000 },
    members([dead, true]),
  );

  const pending = send(port);
  await until(() => failed.length === 1 && service.waitingCount === 1);
  // The daemon restarts the instance (here: on another port) and reports it ready.
  service.setUpstreams([{ instance: 0, host: '127.0.0.1', port: live.port, isReady: true }]);

  assert.equal((await pending).body, 'restarted');
});

test('503 keeps the client connection usable for the next request', async (t) => {
  const { port, service } = await startProxy(t, { waitForReadyMs: 0 }, []);
  const live = await startUpstream(t, (_req, res) => res.end('later'));
  const { Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const { request } = await import('node:http');
  const get = () =>
    new Promise<{ status: number; body: string; socket: unknown }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket }));
      });
      req.on('error', reject);
      req.end();
    });

  const first = await get();
  service.setUpstreams(members([live.port, true]));
  const second = await get();

  assert.equal(first.status, 503);
  assert.equal(second.status, 200);
  assert.equal(second.body, 'later');
  assert.equal(first.socket, second.socket, 'the same client connection carried both');
});
