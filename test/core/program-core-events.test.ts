import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TendEvent } from '../../src/core/events.js';
import { makeSpec } from '../supervisor/harness.js';
import { makeFakeCore } from './fake-core.js';

/** A core on the fake runtime, and every event it emitted as one short line each. */
function makeCore() {
  const { runtime, bus, core, events } = makeFakeCore();
  /** The events since the last call, as lines. */
  const take = (): string[] => events.splice(0).map(describe);
  /** Resolves on the next event that reads `line`. */
  const until = (line: string) =>
    new Promise<void>((resolve) => {
      const unsubscribe = bus.subscribe((event) => {
        if (describe(event) !== line) return;
        unsubscribe();
        resolve();
      });
    });
  return { runtime, bus, core, events, take, until };
}

function describe(event: TendEvent): string {
  switch (event.kind) {
    case 'instance.state':
      return `state ${event.program}:${event.instance} ${event.previous}→${event.state} pid=${event.pid}${event.reason ? ` (${event.reason})` : ''}`;
    case 'instance.spawned':
    case 'instance.ready':
      return `${event.kind.slice(9)} ${event.program}:${event.instance} pid=${event.pid}`;
    case 'instance.restarted':
      return `restarted ${event.program}:${event.instance} pid=${event.pid} cause=${event.cause}`;
    case 'instance.exited':
      return `exited ${event.program}:${event.instance} pid=${event.pid} code=${event.code} signal=${event.signal} uptime=${event.uptimeMs} failure=${event.isFailure} reason=${event.reason}`;
    case 'instance.errored':
      return `errored ${event.program}:${event.instance} (${event.reason})`;
    case 'program.scaled':
      return `scaled ${event.program} ${event.from}→${event.to}`;
    case 'program.desired':
      return `desired ${event.program} ${event.desired}`;
    case 'program.added':
    case 'program.removed':
      return `${event.kind} ${event.program}`;
    default:
      return event.kind;
  }
}

test('adding a program emits added, then its instance going starting → spawned → online → ready', async () => {
  const { core, take, events, bus } = makeCore();
  await core.add(makeSpec());
  const seqs = events.map((event) => event.seq);
  assert.deepEqual(take(), [
    'program.added web',
    'state web:0 stopped→starting pid=1000',
    'spawned web:0 pid=1000',
    'state web:0 starting→online pid=1000',
    'ready web:0 pid=1000',
  ]);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
  assert.equal(bus.nextSeq, 6);
});

test('a crash after a stable run: exited with the code, then restarted at once with its cause', async () => {
  const { core, runtime, take } = makeCore();
  await core.add(makeSpec({ minUptimeMs: 1000 }));
  take();
  runtime.advance(2500);
  runtime.exit(1000, { code: 3 });
  assert.deepEqual(take(), [
    'exited web:0 pid=1000 code=3 signal=null uptime=2500 failure=true reason=null',
    'state web:0 online→starting pid=1001',
    'spawned web:0 pid=1001',
    'restarted web:0 pid=1001 cause=exit-code',
    'state web:0 starting→online pid=1001',
    'ready web:0 pid=1001',
  ]);
  runtime.advance(2000);
  runtime.exit(1001, { signal: 'SIGKILL' });
  assert.ok(take().includes('restarted web:0 pid=1002 cause=signal'));
});

test('a young death waits out its backoff, saying so in the exit and the state', async () => {
  const { core, runtime, take } = makeCore();
  await core.add(makeSpec({ minUptimeMs: 1000, backoffInitialMs: 100 }));
  take();
  runtime.advance(10);
  runtime.exit(1000, { code: 1 });
  const [exited, waiting, ...rest] = take();
  assert.match(
    exited ?? '',
    /^exited web:0 pid=1000 code=1 signal=null uptime=10 failure=true reason=.*100ms/,
  );
  assert.match(waiting ?? '', /^state web:0 online→waiting pid=null \(.*100ms/);
  assert.deepEqual(rest, []);
  runtime.advance(100);
  assert.deepEqual(take(), [
    'state web:0 waiting→starting pid=1001',
    'spawned web:0 pid=1001',
    'restarted web:0 pid=1001 cause=exit-code',
    'state web:0 starting→online pid=1001',
    'ready web:0 pid=1001',
  ]);
});

test('a crash loop past the restart intensity ends errored, with the reason', async () => {
  const { core, runtime, take } = makeCore();
  await core.add(makeSpec({ minUptimeMs: 1000, maxRestarts: 1, backoffInitialMs: 100 }));
  runtime.exit(1000, { code: 1 });
  runtime.advance(100);
  take();
  runtime.exit(1001, { code: 1 });
  const lines = take();
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines[0] ?? '', /^exited web:0 pid=1001 code=1 .* failure=true reason=.+/);
  assert.match(lines[1] ?? '', /^state web:0 online→errored pid=null \(.+\)$/);
  assert.match(lines[2] ?? '', /^errored web:0 \(.+\)$/);
});

test('a stop: stopping, exited as requested, stopped, and the program no longer meant to run', async () => {
  const { core, runtime, take } = makeCore();
  await core.add(makeSpec());
  take();
  runtime.advance(700);
  const stopping = core.stop('web');
  assert.deepEqual(take(), ['state web:0 online→stopping pid=1000']);
  runtime.exit(1000, { signal: 'SIGTERM' });
  await stopping;
  assert.deepEqual(take(), [
    'exited web:0 pid=1000 code=null signal=SIGTERM uptime=700 failure=false reason=stopped on request',
    'state web:0 stopping→stopped pid=null',
    'desired web stopped',
  ]);
});

test('a stop that needs SIGKILL says so in the exit', async () => {
  const { core, runtime, take } = makeCore();
  await core.add(makeSpec({ stopTimeoutMs: 500 }));
  const stopping = core.stop('web');
  take();
  runtime.advance(500);
  runtime.exit(1000, { signal: 'SIGKILL' });
  await stopping;
  assert.match(
    take()[0] ?? '',
    /reason=did not stop within 500ms of SIGTERM; killed with SIGKILL$/,
  );
});

test('scaling emits scaled, then the new instance starting, and a shrink stops the highest', async () => {
  const { core, runtime, take, until } = makeCore();
  await core.add(makeSpec({ instances: 1, max: 3 }));
  take();
  await core.scale('web', { to: 2 });
  assert.deepEqual(take(), [
    'scaled web 1→2',
    'state web:1 stopped→starting pid=1001',
    'spawned web:1 pid=1001',
    'state web:1 starting→online pid=1001',
    'ready web:1 pid=1001',
  ]);
  const shrinking = core.scale('web', { by: -1 });
  await until('state web:1 online→stopping pid=1001');
  runtime.exit(1001, { signal: 'SIGTERM' });
  await shrinking;
  assert.deepEqual(take().slice(0, 2), ['scaled web 2→1', 'state web:1 online→stopping pid=1001']);
});

test('a first spawn that fails: errored, then the program is removed again', async () => {
  const { core, runtime, take } = makeCore();
  runtime.failNextSpawn();
  await assert.rejects(core.add(makeSpec()), { code: 'TEND_ERR_SPAWN_FAILED' });
  const lines = take();
  assert.deepEqual(lines.slice(0, 2), [
    'program.added web',
    'state web:0 stopped→starting pid=null',
  ]);
  assert.match(lines[2] ?? '', /^state web:0 starting→errored pid=null \(.*no such file/);
  assert.match(lines[3] ?? '', /^errored web:0 \(.*no such file/);
  assert.equal(lines.at(-1), 'program.removed web');
  assert.equal(core.has('web'), false);
});

test('a manual restart is a restart with cause manual', async () => {
  const { core, runtime, take } = makeCore();
  await core.add(makeSpec());
  take();
  const restarting = core.restart('web');
  runtime.exit(1000, { signal: 'SIGTERM' });
  await restarting;
  const lines = take();
  assert.ok(lines.includes('restarted web:0 pid=1001 cause=manual'), lines.join('\n'));
});

test('removing a program stops it and ends with removed', async () => {
  const { core, runtime, take } = makeCore();
  await core.add(makeSpec());
  take();
  const removing = core.remove('web');
  runtime.exit(1000, { signal: 'SIGTERM' });
  assert.deepEqual(await removing, ['web']);
  assert.equal(take().at(-1), 'program.removed web');
});
