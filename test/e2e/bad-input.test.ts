import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import type { HealthReply } from '../../src/api/wire.js';
import { fixture, useTend } from './harness.js';

test('bad command lines get a clear message and the right exit code, and change nothing', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'steady', ...fixture('forever')]);
  const [before] = await tend.list();

  const cases: Array<{ args: string[]; code: number; message: RegExp }> = [
    { args: ['frobnicate'], code: 2, message: /frobnicate/ },
    { args: ['ls', '--bogus'], code: 2, message: /--bogus/ },
    { args: ['stop'], code: 2, message: /name|argument/i },
    { args: ['start', '--instances', '-1', 'true'], code: 2, message: /instances/ },
    { args: ['start', '--instances', 'abc', 'true'], code: 2, message: /instances/ },
    { args: ['start', '--name', 'a/b', 'true'], code: 2, message: /name/ },
    { args: ['start', '--name', 'x'.repeat(65), 'true'], code: 2, message: /64/ },
    { args: ['start', '--name', 'has space', 'true'], code: 2, message: /name/ },
    { args: ['start', '--restart', 'sometimes', 'true'], code: 2, message: /restart/ },
    { args: ['logs', 'steady', '--lines', 'many'], code: 2, message: /lines/ },
    { args: ['signal', 'NOTASIGNAL', 'steady'], code: 2, message: /signal/i },
    { args: ['stop', 'nope'], code: 1, message: /No program named `nope`/ },
    { args: ['signal', 'HUP', 'steady:7'], code: 1, message: /instance|0/ },
    {
      args: ['start', '--name', 'steady', ...fixture('forever')],
      code: 1,
      message: /already managed/,
    },
    // An option after a managed program's name makes it a command of its own, which is not found.
    {
      args: ['start', 'steady', '--instances', '2'],
      code: 1,
      message:
        /^tend: cannot start steady: no such file or directory; `steady` is a managed program: `tend start steady` alone starts it again, `tend scale steady N` resizes it/,
    },
  ];
  for (const { args, code, message } of cases) {
    const result = await tend.run(args);
    assert.equal(result.code, code, `tend ${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, `tend ${args.join(' ')}`);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }

  const [after] = await tend.list();
  assert.equal(after?.pid, before?.pid);
  assert.equal(after?.restarts, 0);
  assert.equal((await tend.list()).length, 1);
});

/** A small seeded generator, so that a failure can be reproduced. */
function randomGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

test('thousands of random and malformed requests leave the daemon answering and the processes untouched', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'steady', ...fixture('forever')]);
  const [before] = await tend.list();
  assert.ok(before?.pid);

  const random = randomGenerator(0x7e4d);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'BREW'];
  // Never a valid destructive request: targets are never `steady` or `all`, and /v1/daemon/stop is left out.
  const names = ['nope', '..', '%2e%2e', 'a%2Fb', '%00', 'x'.repeat(300), '💥', ' ', 'steady2'];
  const paths = [
    '/',
    '/v1',
    '/v1/programs',
    '/v1/health',
    '/v1/logs',
    `/v1/logs?lines=${pick(['-1', 'abc', '1e9', '%00'])}`,
    '/v1/logs?stream=sideways',
    '/v1/logs?follow=maybe',
    '/v2/programs',
    '/v1/programs/%',
    '/../../etc/passwd',
  ];
  const bodies = [
    '',
    '{',
    'null',
    '[]',
    '"x"',
    '{"name":1}',
    '{"name":"ok","command":""}',
    '{"name":"ok","command":"true","cwd":"relative"}',
    '{"name":"../x","command":"true","cwd":"/"}',
    '{"name":"ok","command":"true","cwd":"/","instances":-4}',
    '{"name":"ok","command":"true","cwd":"/","stopSignal":"SIGNOPE"}',
    '{"signal":"SIGNOPE"}',
    '{"signal":99}',
    '{"__proto__":{"polluted":true}}',
    '\u0000\u0001\u0002',
  ];

  const unanswered: string[] = [];
  const send = (): Promise<number> => {
    const method = pick(methods);
    const roll = random();
    const path =
      roll < 0.5
        ? pick(paths)
        : `/v1/programs/${encodeURI(pick(names))}${pick(['', '/start', '/stop', '/restart', '/signal', '/x'])}`;
    const body = random() < 0.05 ? 'x'.repeat(1024 * 1024 + 10) : pick(bodies);
    const contentType = pick([
      'application/json',
      'text/plain',
      'application/json; charset=utf-8',
      '',
    ]);
    return exchange(method, path, body, contentType, true);
  };

  /**
   * One request through Node's keep-alive agent. A reset on a *reused* connection before any
   * answer is the keep-alive race that Node's documentation describes (the client wrote on a
   * connection as it was being closed; the request was never read): sent again once, as its docs
   * advise, and counted. Any other failure to answer is -1.
   */
  let resentOnReusedConnection = 0;
  const exchange = (
    method: string,
    path: string,
    body: string,
    contentType: string,
    isFirstTry: boolean,
  ): Promise<number> =>
    new Promise((resolve) => {
      let status: number | undefined;
      const req = request(
        {
          socketPath: tend.socket,
          method,
          path,
          headers: contentType ? { 'content-type': contentType } : {},
        },
        (res) => {
          status = res.statusCode ?? 0;
          res.resume();
          res.on('close', () => resolve(status ?? 0));
        },
      );
      // An answer counts even when Node's client then fails its last write on the closed
      // connection (EPIPE after the whole body was read and answered); no answer is -1.
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (status !== undefined) {
          resolve(status);
        } else if (isFirstTry && req.reusedSocket && error.code === 'ECONNRESET') {
          resentOnReusedConnection++;
          resolve(exchange(method, path, body, contentType, false));
        } else {
          unanswered.push(
            `${method} ${path} (${body.length} B, reused ${req.reusedSocket}): ${error.code}`,
          );
          resolve(-1);
        }
      });
      req.end(method === 'GET' || method === 'HEAD' ? undefined : body);
    });

  const sendGarbage = (): Promise<void> =>
    new Promise((resolve) => {
      const socket = connect(tend.socket);
      const bytes = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 2000) }, () => Math.floor(random() * 256)),
      );
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      // Garbage that looks like the start of a request keeps the connection open on the daemon's side
      // until its request timeout; the test does not wait for that.
      socket.setTimeout(500, () => socket.destroy());
      socket.resume();
      socket.end(bytes);
    });

  const statuses = new Map<number, number>();
  const TOTAL = 3000;
  const PARALLEL = 16;
  let sent = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (sent < TOTAL) {
        sent++;
        if (random() < 0.1) {
          await sendGarbage();
          continue;
        }
        const status = await send();
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );

  assert.equal(statuses.get(500) ?? 0, 0, `no internal error: ${JSON.stringify([...statuses])}`);
  // Every request is answered, a body over the limit too: the daemon reads it before it answers
  // 413 and closes, so the client never meets ECONNRESET or EPIPE instead of the answer.
  t.diagnostic(
    `sent again after a reset on a reused keep-alive connection: ${resentOnReusedConnection}`,
  );
  assert.equal(
    statuses.get(-1) ?? 0,
    0,
    `every request answered: ${JSON.stringify([...statuses])}; unanswered: ${unanswered.join('; ')}`,
  );
  const health = await tend.api<HealthReply>('GET', '/v1/health');
  assert.equal(health.status, 200);
  assert.equal(health.body.pid, tend.daemonPid());
  const rows = await tend.list();
  assert.deepEqual(
    rows.map((row) => [row.name, row.pid, row.restarts, row.status]),
    [['steady', before.pid, 0, 'online']],
  );
});
