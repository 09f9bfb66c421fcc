import assert from 'node:assert/strict';
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureFifosSync } from '../../src/logs/fifo.js';
import { partialLinePath } from '../../src/logs/log-paths.js';
import { StreamCapture } from '../../src/logs/stream-capture.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { storedTexts, withinTimeout } from './capture-support.js';

test('the unfinished-line file holds exactly the line cut by each chunk, a shorter one after a longer one included, and is gone once the run ends', async (t) => {
  const home = makeTempHome(t);
  const fifo = join(home, 'app.0.out');
  const logPath = join(home, 'logs', 'app.0.out.log');
  ensureFifosSync([fifo]);
  let linesRead: (() => void) | undefined;
  const capture = new StreamCapture({
    fifoPath: fifo,
    logPath,
    limits: { maxBytes: 1024 * 1024, maxFiles: 2 },
    onLines: () => linesRead?.(),
    onError: (error) => {
      throw error;
    },
  });
  t.after(() => capture.close());
  const fd = capture.openWriteEnd();
  let isOpen = true;
  t.after(() => isOpen && closeSync(fd));
  const partial = partialLinePath(fifo);
  const kept = () => (existsSync(partial) ? readFileSync(partial, 'utf8') : '');
  // Each write completes a line, so the capture has handled it once its lines are heard of.
  const send = async (text: string) => {
    const heard = new Promise<void>((resolve) => {
      linesRead = resolve;
    });
    writeSync(fd, text);
    await withinTimeout(heard, `the lines of ${JSON.stringify(text)}`);
  };

  await send('one\na longer unfinished');
  assert.equal(kept(), 'a longer unfinished');
  await send(' line\ntw');
  assert.equal(kept(), 'tw', 'nothing of the longer line is left behind the shorter one');
  await send('o\n');
  assert.equal(kept(), '');

  await send('three\nfour cut by the end');
  closeSync(fd);
  isOpen = false;
  await withinTimeout(capture.whenIdle(), 'the end of the run');
  assert.equal(existsSync(partial), false);
  assert.deepEqual(storedTexts(readFileSync(logPath, 'utf8')), [
    'one',
    'a longer unfinished line',
    'two',
    'three',
    'four cut by the end',
  ]);
});
