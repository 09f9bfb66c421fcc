import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  cleanStatus,
  MAX_NOTIFY_LINE_BYTES,
  MAX_STATUS_CHARS,
  NotifyParser,
} from '../../src/notify/notify-parser.js';

test('each sd_notify assignment is read; unknown lines are counted, not acted on', () => {
  const digest = new NotifyParser().push(
    Buffer.from(
      'READY=1\nSTATUS=warming up\nWATCHDOG=1\nMAINPID=12\nWATCHDOG=1\nSTOPPING=1\nWATCHDOG=trigger\n',
    ),
  );
  assert.deepEqual(digest, {
    isReady: true,
    heartbeats: 2,
    isWatchdogTrigger: true,
    isStopping: true,
    isShutdown: false,
    taskState: undefined,
    status: 'warming up',
    ignored: 1,
  });
});

test("tend's own assignments: SHUTDOWN=1 and TASK_STATE (the last one said counts)", () => {
  const digest = new NotifyParser().push(
    Buffer.from('TASK_STATE=allocated\nTASK_STATE=free\nSHUTDOWN=1\nTASK_STATE=busy\n'),
  );
  assert.equal(digest.isShutdown, true);
  assert.equal(digest.taskState, 'free');
  assert.equal(digest.ignored, 1, 'an unknown task state is not understood');
});

test('a line split across chunks is read once it ends, never before', () => {
  const parser = new NotifyParser();
  assert.equal(parser.push(Buffer.from('WATCH')).heartbeats, 0);
  assert.equal(parser.push(Buffer.from('DOG=')).heartbeats, 0);
  const digest = parser.push(Buffer.from('1\nREA'));
  assert.equal(digest.heartbeats, 1);
  assert.equal(digest.isReady, false);
  assert.equal(parser.push(Buffer.from('DY=1\r\n')).isReady, true, 'CRLF is taken too');
});

test('only the last STATUS of a chunk counts; control characters are blanked and the text is capped', () => {
  const digest = new NotifyParser().push(Buffer.from('STATUS=one\nSTATUS=two\x1b[2J\x07 done\n'));
  assert.equal(digest.status, 'two [2J  done');
  const long = cleanStatus('x'.repeat(MAX_STATUS_CHARS + 50));
  assert.equal([...long].length, MAX_STATUS_CHARS);
  assert.ok(long.endsWith('…'));
});

test('garbage and a line over the cap are skipped without holding more than the cap', () => {
  const parser = new NotifyParser();
  const huge = Buffer.alloc(MAX_NOTIFY_LINE_BYTES * 3, 0x41);
  let digest = parser.push(huge);
  assert.ok(parser.pendingBytes <= MAX_NOTIFY_LINE_BYTES);
  digest = parser.push(Buffer.from(`${'B'.repeat(100)}\nWATCHDOG=1\n\u0000\u00ff\n`));
  assert.equal(digest.heartbeats, 1, 'the line after the long one is read');
  assert.equal(digest.ignored, 2, 'the long line and the binary one');
  assert.equal(parser.pendingBytes, 0);
  // A partial line that grows past the cap over several chunks is dropped too.
  parser.push(Buffer.alloc(MAX_NOTIFY_LINE_BYTES - 10, 0x42));
  parser.push(Buffer.alloc(20, 0x42));
  assert.equal(parser.pendingBytes, 0);
  assert.equal(parser.push(Buffer.from('tail\nREADY=1\n')).isReady, true);
});

test('a flood of 100 000 heartbeats is one digest per chunk, coalesced to a count', () => {
  const parser = new NotifyParser();
  const chunk = Buffer.from('WATCHDOG=1\n'.repeat(5_000));
  let heartbeats = 0;
  let digests = 0;
  for (let index = 0; index < 20; index++) {
    heartbeats += parser.push(chunk).heartbeats;
    digests += 1;
  }
  assert.equal(heartbeats, 100_000);
  assert.equal(digests, 20);
  assert.equal(parser.pendingBytes, 0);
});

test('reset drops a partial line left by a process that is gone', () => {
  const parser = new NotifyParser();
  parser.push(Buffer.from('REA'));
  parser.reset();
  assert.equal(parser.push(Buffer.from('DY=1\n')).isReady, false);
});
