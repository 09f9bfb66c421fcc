import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  descendantsByParentScan,
  describePortInUse,
  findListeningInodes,
  findSocketHolder,
  listeningInodesByPort,
  ownsListeningSocket,
  portsListenedBy,
  processFamily,
  socketInodesOf,
} from '../../src/health/listening-owner.js';
import { listenHere, startIdleProcess, startListeningFamily } from '../helpers/listeners.js';

test('a socket this process listens on is found by port and owned by this process; closed, it is gone', async (t) => {
  const { server, port } = await listenHere(t);
  const inodes = await findListeningInodes(port);
  assert.equal(inodes.size, 1);
  const [inode] = inodes;
  assert.ok((await socketInodesOf(process.pid))?.has(inode as number));
  assert.equal(await ownsListeningSocket(process.pid, port), true);

  server.close();
  await once(server, 'close');
  assert.equal((await findListeningInodes(port)).size, 0);
  assert.equal(await ownsListeningSocket(process.pid, port), false);
});

test('one read of the tables finds the listeners of several ports, each under its own port', async (t) => {
  const first = await listenHere(t);
  const second = await listenHere(t);
  const byPort = await listeningInodesByPort();
  const firstInodes = byPort.get(first.port);
  const secondInodes = byPort.get(second.port);
  assert.equal(firstInodes?.size, 1);
  assert.equal(secondInodes?.size, 1);
  assert.notDeepEqual(firstInodes, secondInodes);
  assert.deepEqual(await findListeningInodes(first.port), firstInodes);
});

test('a child that listens owns the port; a process that listens on nothing does not', async (t) => {
  const listener = await startListeningFamily(t);
  const idle = await startIdleProcess(t);
  assert.equal(await ownsListeningSocket(listener.pid, listener.port), true);
  assert.equal(await ownsListeningSocket(idle, listener.port), false);
});

test('a process whose forked child listens owns the port (a server with workers)', async (t) => {
  const family = await startListeningFamily(t, { viaChild: true });
  assert.notEqual(family.listenerPid, family.pid);
  assert.deepEqual(await processFamily(family.pid), [family.pid, family.listenerPid]);
  // The fallback for kernels without /proc/<pid>/task/<tid>/children finds the same.
  assert.deepEqual(await descendantsByParentScan(family.pid), [family.listenerPid]);
  assert.equal(await ownsListeningSocket(family.pid, family.port), true);
  // This test process is an ancestor of both: descendants count, so it owns the port too.
  assert.equal(await ownsListeningSocket(process.pid, family.port), true);
});

test('the holder of a listening socket is named by pid and process name', async (t) => {
  const family = await startListeningFamily(t, { viaChild: true });
  const holder = await findSocketHolder(await findListeningInodes(family.port));
  assert.deepEqual(holder, { pid: family.listenerPid, command: commandOf(family.listenerPid) });
  assert.equal(
    describePortInUse(family.port, holder),
    `port ${family.port} is already in use by pid ${family.listenerPid} (${commandOf(family.listenerPid)})`,
  );
  assert.equal(describePortInUse(8080, undefined), 'port 8080 is already in use');
});

function commandOf(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

test('the ports a process family listens on: those of its worker child, and none for an idle process', async (t) => {
  const family = await startListeningFamily(t, { viaChild: true });
  const idle = await startIdleProcess(t);
  const tables = await listeningInodesByPort();
  assert.deepEqual(await portsListenedBy(family.pid, tables), [family.port]);
  assert.deepEqual(await portsListenedBy(idle, tables), []);
});
