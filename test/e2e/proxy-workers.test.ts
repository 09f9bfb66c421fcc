import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { findFreePortRange } from '../helpers/free-ports.js';
import { childPids } from '../proxy/proxy-process-helpers.js';
import { fixture, useTend } from './harness.js';

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
  const base = await findFreePortRange(6);
  const proxyPort = base + 5;
  // biome-ignore format: one flag and its value a line
  await tend.ok([
    'start', '--name', 'sockets', '--instances', '2', '--port', String(base),
    '--proxy-port', String(proxyPort), '--proxy-workers', '2', '--', ...fixture('ws-echo'),
  ]);
  const detail = await tend.until('the pool and its proxy online', async () => {
    const program = await tend.program('sockets');
    const online = program.instances.filter((instance) => instance.status === 'online');
    return online.length === 2 && program.proxy?.status === 'online' ? program : undefined;
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
