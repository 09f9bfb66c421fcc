import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstanceDetail, ProgramActionResult } from '../../src/api/wire.js';
import { describeEffects } from '../../src/cli/output/action-effect.js';

function program(
  name: string,
  pids: Array<number | null>,
  effect: ProgramActionResult['effect'],
): ProgramActionResult {
  const instances = pids.map((pid, instance) => ({ name, instance, pid }) as InstanceDetail);
  return { name, instances, effect } as ProgramActionResult;
}

test('a start that found every instance running says so with the pids, and one that found some says which', () => {
  assert.equal(
    describeEffects([program('web', [41, 42], { changed: [], unchanged: [0, 1] })], 'start'),
    'web was already running (pid 41, 42)\n',
  );
  assert.equal(
    describeEffects([program('web', [41, 43], { changed: [1], unchanged: [0] })], 'start'),
    'Started web[1]; web[0] was already running\n',
  );
  assert.equal(
    describeEffects([program('web', [44], { changed: [0], unchanged: [] })], 'start'),
    'Started web\n',
  );
});

test('a stop says which programs and instances were already stopped', () => {
  assert.equal(
    describeEffects(
      [
        program('a', [null, null], { changed: [0, 1], unchanged: [] }),
        program('b', [null], { changed: [], unchanged: [0] }),
        program('c', [null, null, null], { changed: [2], unchanged: [0, 1] }),
      ],
      'stop',
    ),
    'Stopped a (2 instances)\nb was already stopped\nStopped c[2]; c[0], c[1] were already stopped\n',
  );
});
