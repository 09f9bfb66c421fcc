import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROXY_DEFAULTS } from '../../src/config/proxy-defaults.js';
import { ProxyControlClient } from '../../src/proxy/control-client.js';
import type { ProxyMessage } from '../../src/proxy/control-protocol.js';
import { PROXY_MAIN_PATH, PROXY_READY_LINE } from '../../src/proxy/proxy-paths.js';
import { makeTempHome } from '../helpers/temp-home.js';
import {
  members,
  SKIP_FOR_THE_TEST,
  send,
  startProxy,
  startRawUpstream,
  startUpstream,
} from './harness.js';

/** An instance that accepts connections and reads requests but never answers: a frozen server. */
function neverAnswers(t: Parameters<typeof startRawUpstream>[0]) {
  return startRawUpstream(t, (socket) => socket.resume());
}

test('the response timeouts have documented defaults in the one proxy defaults object', () => {
  assert.equal(PROXY_DEFAULTS.responseHeaderTimeoutMs, 60_000);
  assert.equal(PROXY_DEFAULTS.responseIdleTimeoutMs, 60_000);
});

test('a GET that gets no response within the timeout is retried on another instance', async (t) => {
  const frozen = await neverAnswers(t);
  const live = await startUpstream(t, (_req, res) => res.end('live'));
  const { port, failed, service } = await startProxy(
    t,
    { responseHeaderTimeoutMs: 200, suspension: SKIP_FOR_THE_TEST },
    members([frozen.port, true], [live.port, true]),
  );

  const response = await send(port, { path: '/slow' });

  assert.equal(response.status, 200);
  assert.equal(response.body, 'live');
  assert.equal(frozen.connections(), 1);
  assert.deepEqual(failed, [{ instance: 0, reason: 'RESPONSE_TIMEOUT' }]);
  assert.equal(service.stats()[0]?.isSuspended, true, 'the frozen instance is skipped next');
  assert.equal(service.stats()[0]?.outstanding, 0);
});

test('a POST that gets no response is not retried: 504 says why, and the request went out once', async (t) => {
  const frozen = await neverAnswers(t);
  const live = await startUpstream(t, (_req, res) => res.end('live'));
  const { port } = await startProxy(
    t,
    { responseHeaderTimeoutMs: 200 },
    members([frozen.port, true], [live.port, true]),
  );

  const response = await send(port, { method: 'POST', body: 'order=1' });

  assert.equal(response.status, 504);
  assert.match(
    response.body,
    /Gateway timeout: instance 0 of pool "web" sent no response within 200ms; a POST request is not retried once sent/,
  );
  assert.equal(frozen.connections(), 1);
  assert.equal(live.received.length, 0);
});

test('an instance that goes silent in the middle of a response has it cut after the idle timeout', async (t) => {
  const stalling = await startRawUpstream(t, (socket) => {
    socket.once('data', () =>
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nfirst part'),
    );
  });
  const { port, failed } = await startProxy(
    t,
    { responseIdleTimeoutMs: 200 },
    members([stalling.port, true]),
  );

  // The status line had gone out: all the client can be told is a closed connection.
  await assert.rejects(send(port), /aborted|ECONNRESET|socket hang up/);
  assert.deepEqual(failed, [{ instance: 0, reason: 'RESPONSE_IDLE_TIMEOUT' }]);
});

test('the proxy process tells the daemon a timed-out instance is suspect (upstream-suspect)', async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const child = spawn(process.execPath, [PROXY_MAIN_PATH, socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
    }
  });
  child.stdout?.setEncoding('utf8');
  let stdout = '';
  while (!stdout.includes(PROXY_READY_LINE)) {
    const [chunk] = (await once(child.stdout ?? child, 'data')) as [string];
    stdout += chunk;
  }
  const client = await ProxyControlClient.connect(socketPath);
  t.after(() => client.close());
  const frozen = await neverAnswers(t);
  const address = await client.configure({
    pool: 'web',
    listen: { host: '127.0.0.1', port: 0 },
    waitForReadyMs: 0,
    responseHeaderTimeoutMs: 200,
  });
  const messages: ProxyMessage[] = [];
  const suspect = new Promise<void>((resolve) => {
    client.onMessage((message) => {
      messages.push(message);
      if (message.type === 'upstream-suspect') resolve();
    });
  });
  client.setUpstreams(members([frozen.port, true]));

  const response = await send(address.port);
  await suspect;

  assert.equal(response.status, 503, 'no other instance: the request waits, then 503');
  assert.deepEqual(
    messages.filter((message) => message.type.startsWith('upstream-')),
    [
      { type: 'upstream-failed', instance: 0, reason: 'RESPONSE_TIMEOUT' },
      { type: 'upstream-suspect', instance: 0, reason: 'RESPONSE_TIMEOUT' },
    ],
  );
});
