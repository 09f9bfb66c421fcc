import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProxyControlClient } from '../../src/proxy/control-client.js';
import { describeDescriptorLimit, raiseOpenFileLimit } from '../../src/proxy/open-file-limit.js';
import { missingToolReason } from '../helpers/external-tool.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { childPids, openFileLimitOf, spawnProxyProcess } from './proxy-process-helpers.js';

const noPrlimit = missingToolReason('prlimit', 'util-linux');

test('raiseOpenFileLimit raises the soft limit to the hard one, and says so when it cannot', () => {
  const raised: [number, number][] = [];
  let limit = { soft: 1024, hard: 20_000 };
  const after = raiseOpenFileLimit(
    () => {},
    () => limit,
    (soft, hard) => {
      raised.push([soft, hard]);
      limit = { soft, hard };
    },
  );
  assert.deepEqual(raised, [[20_000, 20_000]]);
  assert.deepEqual(after, { soft: 20_000, hard: 20_000 });

  assert.deepEqual(
    raiseOpenFileLimit(
      () => assert.fail('nothing to log'),
      () => ({ soft: 4096, hard: 4096 }),
      () => assert.fail('nothing to raise'),
    ),
    { soft: 4096, hard: 4096 },
  );

  const lines: string[] = [];
  raiseOpenFileLimit(
    (line) => lines.push(line),
    () => ({ soft: 1024, hard: 8192 }),
    () => {
      throw new Error('spawnSync prlimit ENOENT');
    },
  );
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? '', /could not raise the open-file limit from 1024 to 8192.*ENOENT/);
});

test('the EMFILE message names the limit and how to raise it', () => {
  const line = describeDescriptorLimit('EMFILE', 'connect', { soft: 64, hard: 64 });
  assert.match(line, /EMFILE on connect/);
  assert.match(line, /RLIMIT_NOFILE 64, hard limit 64/);
  assert.match(line, /LimitNOFILE=/);
  assert.match(line, /--proxy-workers/);
  assert.match(describeDescriptorLimit('ENFILE', 'accept', undefined), /fs\.file-max/);
});

test('the proxy and its workers run with the soft open-file limit at the hard one', {
  skip: noPrlimit,
}, async (t) => {
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const proxy = await spawnProxyProcess(t, socketPath, ['prlimit', '--nofile=256:4096', '--']);
  assert.deepEqual(openFileLimitOf(proxy.pid), { soft: 4096, hard: 4096 });
  const client = await ProxyControlClient.connect(socketPath);
  t.after(() => client.close());
  await client.configure({ pool: 'web', listen: { host: '127.0.0.1', port: 0 }, workers: 2 });
  const workers = childPids(proxy.pid);
  assert.equal(workers.length, 2);
  for (const worker of workers)
    assert.deepEqual(openFileLimitOf(worker), { soft: 4096, hard: 4096 });
});

/** Opens a connection through the proxy and resolves true if its byte comes back, false if the proxy closes it. */
function echoes(
  t: { after(fn: () => unknown): void },
  port: number,
  held: Socket[],
): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  held.push(socket);
  t.after(() => socket.destroy());
  socket.on('error', () => {});
  socket.write('x');
  return new Promise((resolve) => {
    socket.once('data', () => resolve(true));
    socket.once('close', () => resolve(false));
  });
}

test('out of file descriptors: connections are refused, the limit is logged once, the proxy recovers', {
  skip: noPrlimit,
}, async (t) => {
  const upstream = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  t.after(() => upstream.close());
  const upstreamPort = (upstream.address() as { port: number }).port;
  const home = makeTempHome(t);
  const socketPath = join(home, 'proxy.sock');
  const proxy = await spawnProxyProcess(t, socketPath, ['prlimit', '--nofile=160:160', '--']);
  const client = await ProxyControlClient.connect(socketPath);
  t.after(() => client.close());
  const { port } = await client.configure({
    pool: 'tcp',
    listen: { host: '127.0.0.1', port: 0 },
    mode: 'tcp',
  });
  client.setUpstreams([{ instance: 0, host: '127.0.0.1', port: upstreamPort, isReady: true }]);
  await client.poolStats();

  const held: Socket[] = [];
  let served = 0;
  let refused = 0;
  // 160 files hold fewer than 80 proxied connections: the rest are refused, never left hanging.
  for (let i = 0; i < 100; i++) {
    if (await echoes(t, port, held)) served++;
    else refused++;
  }
  assert.ok(served > 5, `served ${served}`);
  assert.ok(refused >= 8, `refused ${refused}`);
  const line = await proxy.stderrLine(/EMFILE on (accept|connect)/);
  assert.match(line, /RLIMIT_NOFILE 160, hard limit 160/);
  assert.equal(proxy.stderr().match(/EMFILE on/g)?.length, 1);

  const closing = held.filter((socket) => !socket.destroyed).map((socket) => once(socket, 'close'));
  for (const socket of held) socket.destroy();
  await Promise.all(closing);
  // The proxy closes its ends once it sees the clients go; then it serves again.
  let recovered = false;
  for (let attempt = 0; attempt < 50 && !recovered; attempt++)
    recovered = await echoes(t, port, []);
  assert.ok(recovered, 'the proxy did not serve again after the connections closed');
  assert.equal(proxy.stderr().match(/EMFILE on/g)?.length, 1);
});
