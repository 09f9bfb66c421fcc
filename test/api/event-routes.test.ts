import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createApiServer } from '../../src/api/api-server.js';
import { ApiClient } from '../../src/api/client.js';
import type { EventStreamEnd, EventStreamOptions } from '../../src/api/routes/event-routes.js';
import type { EventStreamMessage } from '../../src/api/wire.js';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEventBody } from '../../src/core/events.js';
import { ProgramCore } from '../../src/core/program-core.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';
import { makeSpec } from '../supervisor/harness.js';

type Hook = { after(fn: () => unknown): void };

/** A real API server on a Unix socket in a temp home, over a bus the test emits on. */
async function serve(t: Hook, options: { ringSize?: number; events?: EventStreamOptions } = {}) {
  const home = makeTempHome(t, 'tend-events-');
  const socketPath = join(home, 'tend.sock');
  const bus = new EventBus({ ringSize: options.ringSize ?? 4096 });
  const runtime = new FakeRuntime();
  const core = new ProgramCore({
    runtime,
    bus,
    output: { prepare: async () => {}, remove: () => {} },
    runDir: home,
    onProblem: () => {},
  });
  const ends: EventStreamEnd[] = [];
  const endWaiters: Array<(why: EventStreamEnd) => void> = [];
  const app = createApiServer({
    core,
    bus,
    live: { sample: () => undefined },
    logs: { tail: () => [], onLine: () => () => {}, isKnown: () => false },
    health: () => ({ ok: true, pid: 1, version: 'test', home, startedAt: '', problems: [] }),
    requestStop: () => {},
    events: {
      ...options.events,
      onStreamEnd: (why) => {
        ends.push(why);
        endWaiters.shift()?.(why);
      },
    },
  });
  await app.listen({ path: socketPath });
  t.after(() => app.close());
  /** Resolves with the reason of the next stream that ends. */
  const nextEnd = () => new Promise<EventStreamEnd>((resolve) => endWaiters.push(resolve));
  // The core listens on the bus itself (programs waiting for their dependencies); the rest are streams.
  const coreListeners = bus.listenerCount;
  const streamCount = () => bus.listenerCount - coreListeners;
  return {
    app,
    bus,
    socketPath,
    client: new ApiClient({ socketPath }),
    nextEnd,
    ends,
    streamCount,
  };
}

function spawned(program: string, pid: number): TendEventBody {
  return { kind: 'instance.spawned', program, instance: 0, role: 'instance', pid };
}

/** Reads a stream through ApiClient until `until` says enough; returns every message. */
async function collect(
  client: ApiClient,
  query: Parameters<ApiClient['events']>[0],
  onOpen: () => void,
  until: (messages: EventStreamMessage[]) => boolean,
): Promise<EventStreamMessage[]> {
  const messages: EventStreamMessage[] = [];
  const abort = new AbortController();
  await client.events(
    query,
    (message) => {
      messages.push(message);
      if (message.kind === 'stream.open') onOpen();
      if (until(messages)) abort.abort();
    },
    abort.signal,
  );
  return messages;
}

/** A raw HTTP request on the socket, to see the bytes of the stream. */
async function rawStream(socketPath: string, path: string, headers = ''): Promise<Socket> {
  const socket = connect(socketPath);
  await once(socket, 'connect');
  // HTTP/1.0: no chunked framing, so the test sees the stream's own bytes.
  socket.write(`GET ${path} HTTP/1.0\r\nHost: tend\r\n${headers}\r\n`);
  return socket;
}

/** Resolves with everything the socket received once it contains `text`. */
function readUntil(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('utf8');
      if (!received.includes(text)) return;
      socket.off('data', onData);
      resolve(received);
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before ${text}; got ${received}`)));
  });
}

const seqsOf = (messages: EventStreamMessage[]) =>
  messages.flatMap((message) => ('seq' in message ? [message.seq] : []));

test('each event is an SSE message with its seq as id, its kind as event and its JSON as data', async (t) => {
  const { bus, socketPath } = await serve(t);
  const socket = await rawStream(socketPath, '/v1/events');
  t.after(() => socket.destroy());
  const head = await readUntil(socket, 'event: stream.open');
  assert.match(head, /^HTTP\/1\.1 200/);
  assert.match(head, /content-type: text\/event-stream/i);
  const emitted = bus.emit(spawned('web', 42));
  const received = await readUntil(socket, '\n\n');
  assert.equal(
    received,
    `id: ${emitted.seq}\nevent: instance.spawned\ndata: ${JSON.stringify(emitted)}\n\n`,
  );
});

test('program and kind filters: repeated or comma lists, and kind prefixes', async (t) => {
  const { bus, client } = await serve(t);
  const messages = await collect(
    client,
    { program: ['web', 'api'], kind: 'instance.*,program.removed' },
    () => {
      bus.emit(spawned('web', 1));
      bus.emit(spawned('other', 2));
      bus.emit({ kind: 'program.added', program: 'web', spec: makeSpec() });
      bus.emit({ kind: 'program.removed', program: 'api' });
      bus.emit({ kind: 'daemon.stopping', pid: 1 });
      bus.emit({
        kind: 'instance.errored',
        program: 'api',
        instance: 0,
        role: 'instance',
        reason: 'x',
      });
    },
    (received) => received.at(-1)?.kind === 'instance.errored',
  );
  assert.deepEqual(
    messages.map((message) =>
      'program' in message ? `${message.kind} ${message.program}` : message.kind,
    ),
    ['stream.open', 'instance.spawned web', 'program.removed api', 'instance.errored api'],
  );
});

test('daemon events pass a program filter; a kind filter still applies to them', async (t) => {
  const { bus, client } = await serve(t);
  const messages = await collect(
    client,
    { program: 'web' },
    () => {
      bus.emit(spawned('other', 2));
      bus.emit({ kind: 'daemon.stopping', pid: 1 });
    },
    (received) => received.at(-1)?.kind === 'daemon.stopping',
  );
  assert.deepEqual(
    messages.map((message) => message.kind),
    ['stream.open', 'daemon.stopping'],
  );
});

test('since replays the kept events after it, then live ones: no gap, no duplicate', async (t) => {
  const { bus, client } = await serve(t);
  for (let pid = 1; pid <= 5; pid++) bus.emit(spawned('web', pid));
  const messages = await collect(
    client,
    { since: 2 },
    () => {
      bus.emit(spawned('web', 6));
      bus.emit(spawned('web', 7));
    },
    (received) => seqsOf(received).at(-1) === 7,
  );
  assert.deepEqual(seqsOf(messages), [3, 4, 5, 6, 7]);
  assert.deepEqual(messages[0], { kind: 'stream.open', nextSeq: 6 });
});

test('Last-Event-ID resumes like since', async (t) => {
  const { bus, socketPath } = await serve(t);
  for (let pid = 1; pid <= 3; pid++) bus.emit(spawned('web', pid));
  const socket = await rawStream(socketPath, '/v1/events', 'Last-Event-ID: 2\r\n');
  t.after(() => socket.destroy());
  const received = await readUntil(socket, 'id: 3\n');
  assert.equal(received.match(/^id: /gm)?.length, 1, 'only event 3');
});

test('a resume point older than the ring: a stream.gap notice, then from the oldest kept', async (t) => {
  const { bus, client } = await serve(t, { ringSize: 3 });
  for (let pid = 1; pid <= 6; pid++) bus.emit(spawned('web', pid));
  const messages = await collect(
    client,
    { since: 1 },
    () => {},
    (received) => seqsOf(received).at(-1) === 6,
  );
  assert.deepEqual(messages.slice(0, 2), [
    { kind: 'stream.open', nextSeq: 7 },
    { kind: 'stream.gap', oldestSeq: 4, nextSeq: 7 },
  ]);
  assert.deepEqual(seqsOf(messages), [4, 5, 6]);
});

test('malformed filters and a since in the future get 400 with a clear error, and no stream', async (t) => {
  const { app, bus, streamCount } = await serve(t);
  bus.emit(spawned('web', 1));
  const cases: Array<[string, string, RegExp]> = [
    [
      'kind=nope',
      'TEND_ERR_EVENTS_INVALID_FILTER',
      /Expected a `kind` among daemon\.started.*got "nope"/,
    ],
    ['kind=foo.*', 'TEND_ERR_EVENTS_INVALID_FILTER', /got "foo\.\*"/],
    ['kind=instance.exited,', 'TEND_ERR_EVENTS_INVALID_FILTER', /comma-separated list/],
    ['program=..%2Fetc', 'TEND_ERR_EVENTS_INVALID_FILTER', /Invalid `program` filter/],
    ['since=abc', 'TEND_ERR_EVENTS_INVALID_FILTER', /sequence number .* got "abc"/],
    ['since=-1', 'TEND_ERR_EVENTS_INVALID_FILTER', /got "-1"/],
    [
      'since=2',
      'TEND_ERR_EVENTS_SINCE_AHEAD',
      /at most the newest event's sequence number \(1\), got 2/,
    ],
    ['follow=1', 'TEND_ERR_EVENTS_INVALID_FILTER', /only the query parameters/],
  ];
  for (const [query, code, message] of cases) {
    const reply = await app.inject({ method: 'GET', url: `/v1/events?${query}` });
    assert.equal(reply.statusCode, 400, query);
    const body = reply.json() as { error: { code: string; message: string } };
    assert.equal(body.error.code, code, query);
    assert.match(body.error.message, message, query);
  }
  assert.equal(streamCount(), 0, 'no refused request subscribed');
});

test('a client that disconnects mid-stream is unsubscribed', async (t) => {
  const { bus, client, nextEnd, streamCount } = await serve(t);
  const ended = nextEnd();
  const abort = new AbortController();
  const streaming = client.events(
    {},
    (message) => {
      if (message.kind !== 'stream.open') return;
      assert.equal(streamCount(), 1);
      abort.abort();
    },
    abort.signal,
  );
  await streaming;
  assert.equal(await ended, 'client-closed');
  assert.equal(streamCount(), 0);
  bus.emit(spawned('web', 1));
});

test('an idle stream gets a keep-alive comment at the injected interval', async (t) => {
  const { socketPath } = await serve(t, { events: { keepAliveMs: 10 } });
  const socket = await rawStream(socketPath, '/v1/events');
  t.after(() => socket.destroy());
  const received = await readUntil(socket, ': keep-alive\n\n');
  assert.match(received, /event: stream\.open/);
});

test('a consumer that does not read is told why and cut off once its backlog passes the bound', async (t) => {
  const { bus, socketPath, nextEnd, streamCount } = await serve(t, {
    events: { maxBacklogBytes: 64 * 1024 },
  });
  const socket = await rawStream(socketPath, '/v1/events');
  t.after(() => socket.destroy());
  await readUntil(socket, 'event: stream.open');
  socket.pause();
  const ended = nextEnd();
  let why: EventStreamEnd | undefined;
  void ended.then((reason) => {
    why = reason;
  });
  const spec = makeSpec({ env: { BIG: 'x'.repeat(16 * 1024) } });
  // The kernel's socket buffers take a few hundred KiB before the daemon's own buffer grows.
  for (let round = 0; why === undefined && round < 10_000; round++) {
    bus.emit({ kind: 'program.added', program: 'web', spec });
    await nextTurn();
  }
  assert.equal(why, 'too-slow');
  assert.equal(streamCount(), 0);
  const rest: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => rest.push(chunk));
  socket.resume();
  await once(socket, 'end');
  const tail = Buffer.concat(rest).toString('utf8').slice(-400);
  assert.match(
    tail,
    /event: stream\.closed\ndata: \{"reason":"the client read too slowly: more than 65536 bytes/,
  );
});

test('a replay larger than the backlog bound is sent whole: the bound counts live events on top of it', async (t) => {
  const { bus, client } = await serve(t, { events: { maxBacklogBytes: 16 * 1024 } });
  const spec = makeSpec({ env: { BIG: 'x'.repeat(8 * 1024) } });
  for (let round = 0; round < 40; round++)
    bus.emit({ kind: 'program.added', program: 'web', spec });
  const messages = await collect(
    client,
    { since: 0 },
    () => {},
    (received) => seqsOf(received).at(-1) === 40,
  );
  assert.equal(seqsOf(messages).length, 40);
  assert.ok(!messages.some((message) => message.kind === 'stream.closed'));
});
