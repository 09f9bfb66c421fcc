import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiClient } from '../../src/api/client.js';
import type { TendEvent } from '../../src/api/wire.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { fixture, type TendUnderTest, useTend } from './harness.js';

/** Every event the daemon kept, read from its stream until `isEnough` says so. */
async function eventsUntil(
  tend: TendUnderTest,
  isEnough: (event: TendEvent) => boolean,
): Promise<TendEvent[]> {
  const events: TendEvent[] = [];
  const abort = new AbortController();
  await new ApiClient({ socketPath: tend.socket }).events(
    { since: 0 },
    (message) => {
      if (!('seq' in message) || message.kind.startsWith('stream.')) return;
      events.push(message as TendEvent);
      if (isEnough(message as TendEvent)) abort.abort();
    },
    abort.signal,
  );
  return events;
}

test('api --after db spawns only once db is online; tend start waits for it and then succeeds', async (t) => {
  const tend = useTend(t);
  const gate = join(tend.home, 'db-may-listen');
  const port = await findFreePortRange(1);
  // db listens (and so becomes ready) only once the test creates the gate file.
  await tend.ok([
    'start',
    '--name',
    'db',
    '--port',
    String(port),
    '--no-wait',
    ...fixture('listen-when', gate),
  ]);
  const starting = tend.run(['start', '--name', 'api', '--after', 'db', ...fixture('forever')]);
  const waiting = await tend.until('api to wait for db', async () => {
    const api = await tend.program('api').catch(() => undefined);
    return api?.waiting ?? undefined;
  });
  assert.deepEqual(waiting, {
    dependencies: ['db'],
    reason: 'waiting for db (starting)',
    isStuck: false,
  });
  const listed = await tend.ok(['ls']);
  assert.match(listed, /^api +0 +- +waiting /m);
  assert.match(listed, /^api: waiting for db \(starting\)$/m);
  assert.match(await tend.ok(['status', 'api']), /waiting +waiting for db \(starting\)/);

  writeFileSync(gate, '');
  const started = await starting;
  assert.equal(started.code, 0, started.stderr);

  const events = await eventsUntil(
    tend,
    (event) => event.kind === 'instance.spawned' && event.program === 'api',
  );
  const seqOf = (what: string, match: (event: TendEvent) => boolean) => {
    const found = events.find(match);
    assert.ok(found, `${what} is in the event stream:\n${JSON.stringify(events, null, 1)}`);
    return found.seq;
  };
  const dbOnline = seqOf(
    'db online',
    (event) =>
      event.kind === 'instance.state' && event.program === 'db' && event.state === 'online',
  );
  const apiWaiting = seqOf(
    'api waiting',
    (event) => event.kind === 'program.waiting' && event.program === 'api',
  );
  const apiUnblocked = seqOf(
    'api unblocked',
    (event) =>
      event.kind === 'program.unblocked' &&
      event.program === 'api' &&
      event.cause === 'dependencies-ready',
  );
  const apiSpawned = seqOf(
    'api spawned',
    (event) => event.kind === 'instance.spawned' && event.program === 'api',
  );
  assert.ok(apiWaiting < dbOnline, 'api waited while db was starting');
  assert.ok(dbOnline < apiUnblocked, 'api was released after db went online');
  assert.ok(apiUnblocked < apiSpawned, 'api spawned after it was released');
  const [api] = (await tend.list()).filter((row) => row.name === 'api');
  assert.equal(api?.status, 'online');
});

test('a dependency that is unknown or makes a cycle is refused at tend start, and nothing changes', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'db', ...fixture('forever')]);
  const unknown = await tend.run([
    'start',
    '--name',
    'api',
    '--after',
    'cache',
    ...fixture('forever'),
  ]);
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match(unknown.stderr, /`api` depends on `cache`, which is not managed/);
  const self = await tend.run(['start', '--name', 'api', '--after', 'api', ...fixture('forever')]);
  assert.equal(self.code, 2, self.stderr);
  assert.match(self.stderr, /makes a cycle, api → api/);
  const bad = await tend.api('POST', '/v1/programs', {
    name: 'api',
    command: process.execPath,
    cwd: tend.home,
    dependsOn: ['db', 'db'],
  });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.body), /Expected each dependency once, got \\"db\\" twice/);
  assert.deepEqual(
    (await tend.list()).map((row) => [row.name, row.status]),
    [['db', 'online']],
  );

  // A forced delete is the one way to a program that depends on one that is gone.
  await tend.ok(['start', '--name', 'api', '--after', 'db', ...fixture('forever')]);
  const refused = await tend.run(['delete', 'db']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /`db` is needed by `api`/);
  await tend.ok(['delete', '--force', 'db']);
  const cycle = await tend.run(['start', '--name', 'db', '--after', 'api', ...fixture('forever')]);
  assert.equal(cycle.code, 2, cycle.stderr);
  assert.match(cycle.stderr, /makes a cycle, db → api → db/);
  assert.deepEqual(
    (await tend.list()).map((row) => row.name),
    ['api'],
  );
});

test('a program after an errored dependency: tend start says it waits, and why, and exits 1', async (t) => {
  const tend = useTend(t);
  const port = await findFreePortRange(1);
  // A port that is never listened on: each start times out, and the second young death gives up.
  await tend.ok(['ls']);
  const created = await tend.api('POST', '/v1/programs', {
    name: 'db',
    command: process.execPath,
    args: fixture('forever').slice(1),
    cwd: tend.home,
    port,
    startTimeoutMs: 100,
    maxRestarts: 1,
    backoffInitialMs: 10,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await tend.until('db to be errored', async () => {
    const [db] = await tend.list();
    return db?.status === 'errored';
  });
  const started = await tend.run([
    'start',
    '--name',
    'api',
    '--after',
    'db',
    ...fixture('forever'),
  ]);
  assert.equal(started.code, 1, started.stdout);
  assert.match(started.stderr, /^tend: api is waiting for db: db is errored \(.+\)$/m);
  const api = await tend.program('api');
  assert.equal(api.waiting?.isStuck, true);
  assert.equal(api.instances[0]?.status, 'waiting');
  assert.equal(api.instances[0]?.pid, null);
});

test('a daemon that starts up starts db before api, and api waits for db to be online', async (t) => {
  const tend = useTend(t);
  const gate = join(tend.home, 'db-may-listen');
  const port = await findFreePortRange(1);
  writeFileSync(gate, '');
  // api first in the state file's order (sorted by name): the order must come from --after.
  await tend.ok(['start', '--name', 'db', '--port', String(port), ...fixture('listen-when', gate)]);
  await tend.ok(['start', '--name', 'api', '--after', 'db', ...fixture('forever')]);
  await tend.ok(['daemon', 'stop']);
  rmSync(gate);

  await tend.ok(['daemon', 'start']);
  const waiting = await tend.until('api to wait for db after the restart', async () => {
    const api = await tend.program('api');
    return api.waiting ?? undefined;
  });
  assert.equal(waiting.reason, 'waiting for db (starting)');
  writeFileSync(gate, '');
  const events = await eventsUntil(
    tend,
    (event) => event.kind === 'instance.spawned' && event.program === 'api',
  );
  // The ring holds this daemon's events only, from the restore on (before `daemon.started`).
  assert.equal(events[0]?.kind, 'program.added');
  const order = events.flatMap((event) => {
    if (event.kind === 'instance.spawned' && event.role === 'instance')
      return [`${event.program} spawned`];
    if (event.kind === 'instance.state' && event.state === 'online')
      return [`${event.program} online`];
    return [];
  });
  assert.deepEqual(order.slice(0, 3), ['db spawned', 'db online', 'api spawned']);
});
