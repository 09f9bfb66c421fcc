import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldsNeedingRespawn } from '../../src/config/spec-changes.js';
import { makeSpec } from '../supervisor/harness.js';
import { makeFakeCore } from './fake-core.js';

const makeCore = makeFakeCore;

test('update replaces the definition without touching running processes, and says which fields changed', async () => {
  const { core, events } = makeCore();
  await core.add(makeSpec({ env: { A: '1' } }));
  const pid = core.get('web').pool.instance(0)?.pid;
  const changed = await core.update(makeSpec({ env: { A: '2' }, stopTimeoutMs: 9_000 }));
  assert.deepEqual(changed.sort(), ['env', 'stopTimeoutMs']);
  assert.equal(core.get('web').pool.instance(0)?.pid, pid, 'same process');
  assert.deepEqual(core.get('web').spec.env, { A: '2' });
  const updated = events.find((event) => event.kind === 'program.updated');
  assert.deepEqual(updated?.kind === 'program.updated' && updated.changed.sort(), [
    'env',
    'stopTimeoutMs',
  ]);
  assert.deepEqual(fieldsNeedingRespawn(changed), ['env']);
});

test('the same definition changes nothing and emits nothing', async () => {
  const { core, events } = makeCore();
  await core.add(makeSpec());
  events.length = 0;
  assert.deepEqual(await core.update(makeSpec()), []);
  assert.deepEqual(events, []);
});

test('a definition that differs only in which variables came from the shell is kept, with no field changed', async () => {
  const { core, events } = makeCore();
  await core.add(makeSpec({ env: { PATH: '/bin', HOME: '/h' }, shellEnvNames: ['HOME', 'PATH'] }));
  const pid = core.get('web').pool.instance(0)?.pid;
  events.length = 0;
  const takenOver = makeSpec({ env: { PATH: '/bin', HOME: '/h' }, shellEnvNames: ['HOME'] });
  assert.deepEqual(await core.update(takenOver), []);
  assert.deepEqual(core.get('web').spec.shellEnvNames, ['HOME']);
  assert.equal(core.get('web').pool.instance(0)?.pid, pid, 'same process');
  assert.deepEqual(
    events.map((event) => event.kind === 'program.updated' && event.changed),
    [[]],
  );
});

test('a larger pool size adds instances as scaling does', async () => {
  const { core, events } = makeCore();
  await core.add(makeSpec({ instances: 1, max: 4 }));
  await core.update(makeSpec({ instances: 3, max: 4 }));
  assert.equal(core.get('web').pool.instances.length, 3);
  assert.ok(
    events.some((event) => event.kind === 'program.scaled' && event.from === 1 && event.to === 3),
  );
});

test('adding a proxy in place is refused and changes nothing', async () => {
  const { core } = makeCore();
  await core.add(makeSpec({ port: 3000 }));
  await assert.rejects(
    core.update(makeSpec({ port: 3000, proxy: { port: 8080 } })),
    /Cannot add a proxy to `web` in place/,
  );
  assert.equal(core.get('web').spec.proxy, undefined);
});
