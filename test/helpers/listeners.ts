import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import type { TestContext } from 'node:test';
import { fixturePath } from '../fixtures/fixture-path.js';

const START_TIMEOUT_MS = 10_000;

/** A process family started for a test: the process tend would supervise, and the one that listens. */
export interface ListeningFamily {
  /** The process at the top (what tend would have spawned). */
  pid: number;
  /** The process that holds the listening socket: `pid` itself or its child. */
  listenerPid: number;
  port: number;
}

/**
 * Starts the http-echo fixture on `port` (a free one by default) in its own process group, directly or (`viaChild`)
 * as the child of a node process that only waits, the way a server forks its workers. Both are
 * ended by process group when the test ends.
 */
export async function startListeningFamily(
  t: TestContext,
  options: { viaChild?: boolean; port?: number } = {},
): Promise<ListeningFamily> {
  const echo = fixturePath('http-echo');
  // The parent prints its child's pid, then the child prints "listening <port>" on the same stdout.
  const parentCode = `const c = require('node:child_process').spawn(process.execPath, [${JSON.stringify(echo)}], { stdio: ['ignore', 'inherit', 'inherit'] }); console.log('child ' + c.pid); setInterval(() => {}, 1 << 30);`;
  const args = options.viaChild ? ['-e', parentCode] : [echo];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PORT: String(options.port ?? 0) },
  });
  const pid = child.pid as number;
  t.after(() => endGroup(pid));
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const guard = setTimeout(
      () => reject(new Error('the listener did not start')),
      START_TIMEOUT_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(guard);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(guard);
      reject(new Error(`the listener exited with ${code} before listening`));
    });
  });
  const childPid = /child (\d+)/.exec(output)?.[1];
  return { pid, listenerPid: childPid === undefined ? pid : Number(childPid), port };
}

/** Starts a `forever` fixture: a process that listens on nothing. Ended by pid when the test ends. */
export async function startIdleProcess(t: TestContext): Promise<number> {
  const child = spawn(process.execPath, [fixturePath('forever')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = child.pid as number;
  t.after(() => endGroup(pid, false));
  await once(child.stdout, 'data');
  return pid;
}

/** A server in the test process itself, on a free port of 127.0.0.1; closed when the test ends. */
export async function listenHere(t: TestContext): Promise<{ server: Server; port: number }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { server, port: address.port };
}

function endGroup(pid: number, isGroup = true): void {
  try {
    process.kill(isGroup ? -pid : pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
