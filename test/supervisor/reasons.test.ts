import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backoffReason,
  describeExit,
  formatDuration,
  gaveUpReason,
  stayedDownReason,
} from '../../src/supervisor/reasons.js';

test('durations read as ms below 10 s and as seconds above', () => {
  assert.deepEqual([250, 1000, 9999, 10_000, 60_000, 12_500].map(formatDuration), [
    '250ms',
    '1000ms',
    '9999ms',
    '10s',
    '60s',
    '12.5s',
  ]);
});

test('an exit reads as its code or its signal', () => {
  assert.equal(describeExit({ code: 3, signal: null }), 'code 3');
  assert.equal(describeExit({ code: null, signal: 'SIGSEGV' }), 'signal SIGSEGV');
});

test('staying down says whether the code meant done or the policy said no', () => {
  assert.equal(
    stayedDownReason({ code: 0, signal: null }, 'always', true),
    'exited with code 0, listed as done in noRestartExitCodes',
  );
  assert.equal(
    stayedDownReason({ code: 0, signal: null }, 'on-failure', false),
    'exited with code 0; restart policy is on-failure',
  );
  assert.equal(
    stayedDownReason({ code: null, signal: 'SIGKILL' }, 'never', false),
    'killed by signal SIGKILL; restart policy is never',
  );
});

test('a backoff says how often in a row', () => {
  assert.equal(
    backoffReason({ code: 1, signal: null }, 40, 800, 4),
    'code 1 40ms after starting (4 times in a row); restarting in 800ms',
  );
});

test('giving up after clean exits does not call them crashes', () => {
  const reason = gaveUpReason({
    name: 'job',
    youngDeaths: 6,
    restartWindowMs: 30_000,
    minUptimeMs: 500,
    lastExit: { code: 0, signal: null },
    isLastExitFailure: false,
  });
  assert.match(
    reason,
    /^exited 6 times within 30s .*each within 500ms of starting; last exit: code 0\. Run `tend restart job`/,
  );
});
