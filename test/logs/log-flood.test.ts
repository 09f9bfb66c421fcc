import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { LogManager } from '../../src/logs/log-manager.js';
import { logFilePath, rotatedPath } from '../../src/logs/log-paths.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { nodeProgram, runCaptured, withinTimeout } from './capture-support.js';

const LINE_COUNT = 1_000_000;
const MAX_BYTES = 1024 * 1024;

// Writes as fast as the FIFO takes it, batching lines and waiting for 'drain' (backpressure).
const FLOOD_SCRIPT = `
let i = 0;
function pump() {
  while (i < ${LINE_COUNT}) {
    let batch = '';
    for (let j = 0; j < 1000 && i < ${LINE_COUNT}; j++, i++) batch += 'flood line ' + i + '\\n';
    if (!process.stdout.write(batch)) return process.stdout.once('drain', pump);
  }
}
pump();`;

test('a flood of 1,000,000 lines arrives complete, in order, none cut or repeated, across rotation', async (t) => {
  const home = makeTempHome(t);
  const manager = new LogManager({
    home,
    onError: (error) => {
      throw error;
    },
  });
  t.after(() => manager.close());
  const spec = nodeProgram('flood', { logMaxBytes: MAX_BYTES, logMaxFiles: 100 });
  await manager.prepare('flood', 1);
  let followed = 0;
  manager.onLine(() => {
    followed++;
  });
  const started = Date.now();
  const run = runCaptured(t, manager, spec, 0, FLOOD_SCRIPT);
  assert.deepEqual(await withinTimeout(run.exited, 'flood exit'), { code: 0, signal: null });
  await withinTimeout(manager.whenIdle('flood'), 'flood drained');
  const elapsedMs = Date.now() - started;

  const path = logFilePath(home, 'flood', 0, 'out');
  const files: string[] = [];
  for (let generation = 0; existsSync(rotatedPath(path, generation)); generation++) {
    files.unshift(rotatedPath(path, generation));
  }
  assert.ok(files.length > 10, `rotated into ${files.length} files`);
  let expected = 0;
  for (const file of files) {
    assert.ok(statSync(file).size <= MAX_BYTES, `${file} within maxBytes`);
    const content = readFileSync(file, 'latin1');
    assert.ok(content.endsWith('\n'), `${file} ends with a whole line`);
    let start = 0;
    for (let end = content.indexOf('\n'); end !== -1; end = content.indexOf('\n', start)) {
      const text = content.slice(start + 25, end);
      if (text !== `flood line ${expected}`) {
        assert.fail(`${file}: expected "flood line ${expected}", got "${text}"`);
      }
      expected++;
      start = end + 1;
    }
  }
  assert.equal(expected, LINE_COUNT);
  assert.equal(followed, LINE_COUNT, 'every line reached the follower too');
  t.diagnostic(`1,000,000 lines captured in ${elapsedMs} ms`);
});
