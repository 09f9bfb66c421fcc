import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { members, send, startProxy, startUpstream, until } from './harness.js';

test('round-robin sends consecutive requests to each ready instance in turn', async (t) => {
  const a = await startUpstream(t, (_req, res) => res.end('a'));
  const b = await startUpstream(t, (_req, res) => res.end('b'));
  const c = await startUpstream(t, (_req, res) => res.end('c'));
  const { port } = await startProxy(t, {}, members([a.port, true], [b.port, true], [c.port, true]));

  const bodies: string[] = [];
  for (let i = 0; i < 6; i++) bodies.push((await send(port)).body);

  assert.deepEqual(bodies, ['a', 'b', 'c', 'a', 'b', 'c']);
});

test('traffic goes only to instances the daemon reported ready', async (t) => {
  const a = await startUpstream(t, (_req, res) => res.end('a'));
  const b = await startUpstream(t, (_req, res) => res.end('b'));
  const { port, service } = await startProxy(t, {}, members([a.port, false], [b.port, true]));

  const before = await Promise.all([send(port), send(port), send(port)]);
  assert.deepEqual(
    before.map((response) => response.body),
    ['b', 'b', 'b'],
  );

  service.setUpstreams(members([a.port, true], [b.port, false]));
  const after = await Promise.all([send(port), send(port)]);
  assert.deepEqual(
    after.map((response) => response.body),
    ['a', 'a'],
  );
});

test('least-outstanding sends a request to the idle instance while another is busy', async (t) => {
  const held: ServerResponse[] = [];
  const busy = await startUpstream(t, (_req, res) => {
    held.push(res);
  });
  const idle = await startUpstream(t, (_req, res) => res.end('idle'));
  const { port } = await startProxy(
    t,
    { balance: 'least-outstanding' },
    members([busy.port, true], [idle.port, true]),
  );

  const slow = send(port);
  await until(() => held.length === 1);
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push((await send(port)).body);
  assert.deepEqual(answers, ['idle', 'idle', 'idle', 'idle']);

  held[0]?.end('busy');
  assert.equal((await slow).body, 'busy');
});

test('round-robin does not look at load: the busy instance still gets its turn', async (t) => {
  const held: ServerResponse[] = [];
  const busy = await startUpstream(t, (_req, res) => {
    held.push(res);
  });
  const idle = await startUpstream(t, (_req, res) => res.end('idle'));
  const { port } = await startProxy(t, {}, members([busy.port, true], [idle.port, true]));

  const first = send(port);
  await until(() => held.length === 1);
  assert.equal((await send(port)).body, 'idle');
  const third = send(port);
  await until(() => held.length === 2);
  for (const res of held) res.end('busy');
  assert.equal((await first).body, 'busy');
  assert.equal((await third).body, 'busy');
});
