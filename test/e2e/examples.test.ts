import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/api/client.js';
import type { AllocationReply, TaskReply } from '../../src/api/wire.js';
import type { TendEvent } from '../../src/core/events.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { type TendUnderTest, useTend } from './harness.js';
import { untilProxyFed } from './pool-harness.js';

// The examples of README.md, run as it tells a user to run them: the real CLI, the real example
// programs under examples/, and their own clients. A test through fixtures would not show that
// the walkthroughs work.

/** An example's file, from the checkout's root (the tests run from dist/test/e2e). */
function example(path: string): string {
  return fileURLToPath(new URL(`../../../examples/${path}`, import.meta.url));
}

/** Runs an example's client to its end (a one-shot client). */
function runClient(
  tend: TendUnderTest,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { env: { ...process.env, TEND_HOME: tend.home }, timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** An interactive client: what it printed so far, and a wait for a line that matches. */
interface LiveClient {
  child: ChildProcessWithoutNullStreams;
  untilLine(pattern: RegExp): Promise<string>;
  exited: Promise<number | null>;
}

/** Starts an interactive client; the test ends it by pid if it is still running. */
function startClient(t: { after(fn: () => unknown): void }, args: string[]): LiveClient {
  const child = spawn(process.execPath, args, { stdio: 'pipe' });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
    }
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const waiter of waiters) waiter();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    child,
    exited,
    untilLine: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const line = lines.find((each) => pattern.test(each));
          if (line === undefined) return;
          waiters.delete(check);
          resolve(line);
        };
        waiters.add(check);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          reject(
            new Error(
              `the client exited before printing ${pattern}; it printed:\n${lines.join('\n')}`,
            ),
          );
        });
        check();
      }),
  };
}

/** Records a program's lease events from now on, in order, until the test ends. */
async function recordLeaseEvents(
  t: { after(fn: () => unknown): void },
  tend: TendUnderTest,
  program: string,
): Promise<TendEvent[]> {
  const events: TendEvent[] = [];
  const abort = new AbortController();
  let opened = (): void => {};
  const isOpen = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const stream = new ApiClient({ socketPath: tend.socket })
    .events(
      { program, kind: 'lease.*' },
      (message) => {
        if (message.kind === 'stream.open') opened();
        else if (message.kind.startsWith('lease.')) events.push(message as TendEvent);
      },
      abort.signal,
    )
    .catch(() => {})
    .finally(opened);
  t.after(async () => {
    abort.abort();
    await stream;
  });
  await isOpen;
  return events;
}

test('examples/dispatcher: each client gets a worker of its own, the worker frees itself, a hung worker is restarted', async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(4);
  // As README.md says, on free ports and with a shorter watchdog.
  // biome-ignore format: one flag and its value a line
  await tend.ok([
    'start', '--name', 'worker', '--instances', '2', '--max', '4', '--port', String(base),
    '--watchdog', '1500ms', '--', process.execPath, example('dispatcher/worker.js'),
  ]);

  // Four clients at once: two workers are ready, the pool grows towards its max for the others
  // (a worker that has answered already may be leased again: it freed itself).
  const leaseEvents = await recordLeaseEvents(t, tend, 'worker');
  const clients = await Promise.all(
    [1, 2, 3, 4].map((job) =>
      runClient(tend, [
        example('dispatcher/client.js'),
        'worker',
        '--job',
        `j${job}`,
        '--work',
        '300',
      ]),
    ),
  );
  clients.forEach((client, index) => {
    assert.equal(client.code, 0, client.stderr);
    const [mine, answer] = client.stdout.trim().split('\n');
    assert.match(mine ?? '', /^worker:\d at 127\.0\.0\.1:\d+ is mine \(lease l\w+\)$/);
    const reply = JSON.parse(answer ?? '') as { worker: string; job: string };
    assert.equal(reply.job, `j${index + 1}`);
    assert.equal(mine?.split(' ')[0], reply.worker, 'the leased worker is the one that answered');
  });

  // Each worker said TASK_STATE=free once it had answered: no lease is left.
  await tend.until('every lease released by its worker', async () => {
    const leases = await tend.api<AllocationReply[]>('GET', '/v1/programs/worker/leases');
    return leases.body.length === 0;
  });
  // Never two clients on one worker: on each instance, a grant is always followed by its end.
  assert.equal(leaseEvents.filter((event) => event.kind === 'lease.granted').length, 4);
  const holding = new Map<number, string>();
  for (const event of leaseEvents) {
    if (event.kind === 'lease.granted') {
      assert.equal(
        holding.get(event.instance),
        undefined,
        `worker:${event.instance} leased twice at once`,
      );
      holding.set(event.instance, event.lease);
    } else if (event.kind === 'lease.ended') {
      assert.equal(holding.get(event.instance), event.lease);
      assert.equal(event.end, 'released', 'the worker freed itself');
      holding.delete(event.instance);
    }
  }
  assert.equal(holding.size, 0);

  // A client freezes its worker: tend sees the missing heartbeats and restarts it.
  const hang = await runClient(tend, [example('dispatcher/client.js'), 'worker', '--hang']);
  assert.equal(hang.code, 0, hang.stderr);
  const frozen = Number(/^worker:(\d)/.exec(hang.stdout)?.[1]);
  assert.match(hang.stdout, /hangs now/);
  const exit = await tend.until('the hung worker stopped', async () => {
    const instance = (await tend.program('worker')).instances[frozen];
    return instance?.exits.find((each) => /^hung: no heartbeat/.test(each.reason ?? ''));
  });
  assert.equal(exit.isFailure, true);
  const status = await tend.ok(['status', 'worker']);
  assert.match(status, /hung: no heartbeat for [\d.]+m?s \(--watchdog 1\.5s\)/);
});

test('examples/chat-room: two clients in one room through the proxy; when the owner leaves, the room ends', async (t) => {
  const tend = useTend(t);
  const base = await findFreePortRange(5);
  const proxyPort = base + 4;
  // As README.md says, on free ports and with a smaller fleet.
  // biome-ignore format: one flag and its value a line
  await tend.ok([
    'start', '--name', 'chat', '--tasks', '--ready-buffer', '2', '--max', '4', '--port', String(base),
    '--proxy-port', String(proxyPort), '--', process.execPath, example('chat-room/room.js'),
  ]);
  await untilProxyFed(tend, 'chat', 2, { isReadyNeeded: true });

  const alice = startClient(t, [
    example('chat-room/client.js'),
    `ws://127.0.0.1:${proxyPort}/chat/new`,
    'alice',
  ]);
  const invitation = await alice.untilLine(/^in room \S+; others join with: node /);
  const [, room, client, joinUrl] =
    /^in room (\S+); others join with: node (\S+) (\S+)$/.exec(invitation) ?? [];
  // A command line that works pasted where alice ran hers (README runs them from the repository).
  assert.equal(resolve(client ?? ''), example('chat-room/client.js'));
  assert.equal(joinUrl, `ws://127.0.0.1:${proxyPort}/chat/${room}`);
  const bob = startClient(t, [example('chat-room/client.js'), joinUrl ?? '', 'bob']);
  await bob.untilLine(new RegExp(`^welcome to room ${room} \\(2 here\\)$`));

  // A line typed by one reaches both.
  alice.child.stdin.write('hello\n');
  await Promise.all([alice.untilLine(/^alice: hello$/), bob.untilLine(/^alice: hello$/)]);
  const [task] = JSON.parse(await tend.ok(['tasks', 'chat', '--json'])) as TaskReply[];
  assert.equal(task?.id, room);
  assert.equal(task?.owner !== null, true, 'alice, who opened it, owns it');

  // Alice leaves (Ctrl-D): the room ends, bob is disconnected, the process is stopped.
  alice.child.stdin.end();
  assert.equal(await alice.exited, 0);
  // The room's own close frame (1001), or the proxy's cut when it learns first that the task ended.
  await bob.untilLine(/^left the room \((1001 room closed|1006)\)$/);
  assert.equal(await bob.exited, 0);
  await tend.until('the room ended', async () => {
    const tasks = await tend.api<TaskReply[]>('GET', '/v1/programs/chat/tasks');
    return tasks.body.length === 0;
  });
  const detail = await tend.program('chat');
  const ended = detail.instances.find((instance) =>
    instance.exits.some((each) => (each.reason ?? '').startsWith(`task ended (${room}`)),
  );
  assert.ok(ended, 'the room process was stopped as an ended task');
});
