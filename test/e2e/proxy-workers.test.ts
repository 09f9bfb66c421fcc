import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { childPids } from '../proxy/proxy-process-helpers.js';
import { useTend } from './harness.js';
import { startPool } from './pool-harness.js';

const CONNECTIONS = 2_000;
const CONCURRENCY = 200;

/** Opens a WebSocket to `port` and resolves once its first message came back. */
async function openEchoing(port: number, sockets: WebSocket[]): Promise<void> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => {
      socket.once('message', () => resolve());
      socket.send('hello');
    });
  });
}

function echoes(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('close', () => reject(new Error('A connection was dropped')));
    socket.once('message', (data) => resolve(data.toString()));
    socket.send('again');
  });
}

test(`${CONNECTIONS} WebSocket connections through a proxy with 2 workers, none dropped, counted once`, async (t) => {
  const tend = useTend(t);
  const { base, proxyPort, detail } = await startPool(tend, 'sockets', {
    instances: 2,
    fixture: ['ws-echo'],
    extra: ['--proxy-workers', '2'],
  });
  const proxyPid = detail.proxy?.pid ?? 0;
  assert.equal(childPids(proxyPid).length, 2);

  const sockets: WebSocket[] = [];
  t.after(() => {
    for (const socket of sockets) socket.terminate();
  });
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < CONNECTIONS) {
      next++;
      await openEchoing(proxyPort, sockets);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const answers = await Promise.all(sockets.map(echoes));
  // The echo names the port of the instance that answered.
  const fromPool = new RegExp(`^(${base}|${base + 1}):again$`);
  assert.equal(answers.filter((answer) => fromPool.test(answer)).length, CONNECTIONS);

  const counters = (await tend.program('sockets')).proxy?.instances ?? [];
  const upgrades = counters.reduce((sum, instance) => sum + instance.responses['1xx'], 0);
  assert.equal(upgrades, CONNECTIONS);
  assert.equal(
    counters.reduce((sum, instance) => sum + instance.outstanding, 0),
    CONNECTIONS,
  );
});
