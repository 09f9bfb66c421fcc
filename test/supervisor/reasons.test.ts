import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backoffReason,
  describeExit,
  gaveUpReason,
  stayedDownReason,
} from '../../src/supervisor/reasons.js';

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

test('the daemon writes a set duration as the CLI prints it: 4s, not 4000ms', () => {
  assert.equal(
    backoffReason({ code: 1, signal: null }, 1500, 4000, 2),
    'code 1 1.5s after starting (2 times in a row); restarting in 4s',
  );
  assert.match(
    gaveUpReason({
      name: 'web',
      youngDeaths: 4,
      restartWindowMs: 90_000,
      minUptimeMs: 1000,
      lastExit: { code: 1, signal: null },
      isLastExitFailure: true,
    }),
    /^crashed 4 times within 1\.5m .*each within 1s of starting/,
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
