import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { releaseMemory } from '../../src/core/release-memory.js';

function newSpaceKib(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  assert.ok(space, 'V8 reports a new_space');
  return space.physical_space_size / 1024;
}

test('releaseMemory shrinks the young generation that a burst of allocation grew', async () => {
  // Objects that survive a few scavenges make V8 grow the young generation, as a start-up does.
  let keep: unknown[] = [];
  for (let round = 0; round < 200; round += 1) {
    keep.push(Array.from({ length: 2_000 }, (_, i) => ({ i })));
    if (keep.length > 20) keep = keep.slice(10);
  }
  keep = [];
  const grown = newSpaceKib();
  assert.ok(grown > 2048, `the young generation grew (${grown} KiB)`);
  await releaseMemory();
  const after = newSpaceKib();
  assert.ok(after < grown / 2, `young generation ${grown} KiB -> ${after} KiB`);
});
