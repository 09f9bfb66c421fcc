import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus } from '../../src/core/event-bus.js';
import type { TendEvent } from '../../src/core/events.js';

const START_MS = Date.UTC(2026, 0, 1);

function removed(program: string) {
  return { kind: 'program.removed', program } as const;
}

test('each event gets the next sequence number and the time of the injected clock', () => {
  let now = START_MS;
  const bus = new EventBus({ firstSeq: 41, now: () => now });
  const first = bus.emit(removed('a'));
  now += 1500;
  const second = bus.emit(removed('b'));
  assert.deepEqual(
    [first, second].map((event) => [event.seq, event.time]),
    [
      [41, '2026-01-01T00:00:00.000Z'],
      [42, '2026-01-01T00:00:01.500Z'],
    ],
  );
  assert.equal(bus.nextSeq, 43);
  assert.equal(bus.emittedCount, 2);
});

test('subscribers get every event in order; an unsubscribed one gets no more', () => {
  const bus = new EventBus();
  const seen: number[] = [];
  const unsubscribe = bus.subscribe((event) => seen.push(event.seq));
  bus.emit(removed('a'));
  bus.emit(removed('b'));
  unsubscribe();
  bus.emit(removed('c'));
  assert.deepEqual(seen, [1, 2]);
});

test('a listener that throws is reported and does not keep the event from the others', () => {
  const errors: Array<[string, number]> = [];
  const bus = new EventBus({
    onListenerError: (error, event) => errors.push([(error as Error).message, event.seq]),
  });
  const seen: number[] = [];
  bus.subscribe(() => {
    throw new Error('broken subscriber');
  });
  bus.subscribe((event) => seen.push(event.seq));
  bus.emit(removed('a'));
  bus.emit(removed('b'));
  assert.deepEqual(seen, [1, 2]);
  assert.deepEqual(errors, [
    ['broken subscriber', 1],
    ['broken subscriber', 2],
  ]);
});

test('an event emitted by a listener reaches every listener after the one being delivered', () => {
  const bus = new EventBus();
  const first: number[] = [];
  const second: number[] = [];
  bus.subscribe((event) => {
    first.push(event.seq);
    if (event.seq === 1) bus.emit(removed('nested'));
  });
  bus.subscribe((event) => second.push(event.seq));
  bus.emit(removed('outer'));
  assert.deepEqual(first, [1, 2]);
  assert.deepEqual(second, [1, 2], 'the second listener sees 1 before 2, not the nested one first');
});

test('replaySince returns the events after a sequence number while the ring holds them', () => {
  const bus = new EventBus({ ringSize: 3 });
  for (const name of ['a', 'b', 'c', 'd', 'e']) bus.emit(removed(name));
  // The ring holds 3, 4, 5.
  assert.equal(bus.oldestSeq, 3);
  const seqs = (replay: ReturnType<EventBus['replaySince']>) =>
    replay.ok ? replay.events.map((event: TendEvent) => event.seq) : replay;
  assert.deepEqual(seqs(bus.replaySince(2)), [3, 4, 5], 'resuming right before the oldest: no gap');
  assert.deepEqual(seqs(bus.replaySince(4)), [5]);
  assert.deepEqual(seqs(bus.replaySince(5)), [], 'up to date');
  assert.deepEqual(bus.replaySince(1), { ok: false, oldestSeq: 3, nextSeq: 6 }, 'event 2 is lost');
  assert.deepEqual(bus.replaySince(0), { ok: false, oldestSeq: 3, nextSeq: 6 });
});

test('an empty bus replays nothing from 0 and reports no gap', () => {
  const bus = new EventBus();
  assert.deepEqual(bus.replaySince(0), { ok: true, events: [] });
  assert.equal(bus.oldestSeq, 1);
});
