import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completeWords } from '../../src/cli/complete-words.js';

let asked = 0;
const names = async () => {
  asked++;
  return ['web', 'worker'];
};

test('the first word completes to commands and aliases', async () => {
  assert.deepEqual(await completeWords(['st'], names), ['start', 'status', 'stop', 'startup']);
  assert.deepEqual(await completeWords(['r'], names), ['release', 'restart', 'reload', 'rm']);
  assert.ok((await completeWords([''], names)).includes('logs'));
});

test("program arguments complete to program names and all; options to the command's options", async () => {
  asked = 0;
  assert.deepEqual(await completeWords(['stop', 'w'], names), ['web', 'worker']);
  assert.deepEqual(await completeWords(['logs', '-f', 'a'], names), ['all']);
  assert.deepEqual(await completeWords(['logs', '--f'], names), ['--follow']);
  assert.deepEqual(await completeWords(['signal', 'HUP', 'we'], names), ['web']);
  assert.equal(asked, 3);
  assert.deepEqual(await completeWords(['signal', 'US'], names), ['USR1', 'USR2']);
  assert.deepEqual(await completeWords(['help', 'd'], names), [
    'describe',
    'delete',
    'daemon',
    'dashboard',
  ]);
  assert.deepEqual(await completeWords(['completion', ''], names), ['bash', 'zsh']);
  assert.deepEqual(
    await completeWords(['stop', 'web', ''], names),
    ['worker'],
    'stop takes several names: the others, not `all`',
  );
  assert.deepEqual(await completeWords(['status', 'web', ''], names), [], 'no second target');
  assert.deepEqual(await completeWords(['nosuch', ''], names), []);
});

test("option values: closed sets complete, and an option's value is not taken for a positional", async () => {
  assert.deepEqual(await completeWords(['start', '--restart', 'o'], names), ['on-failure']);
  assert.deepEqual(await completeWords(['logs', '--lines', '5', 'w'], names), ['web', 'worker']);
  assert.deepEqual(
    await completeWords(['start', '--name', 'x', 'node', ''], names),
    [],
    "the command's own args are left to the shell",
  );
});
