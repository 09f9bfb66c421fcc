import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type HolderPort,
  type HolderRef,
  OutputHolder,
  type OutputHolderOptions,
} from '../../src/logs/output-holder.js';

/** A fake port that records starts and ends in order, and a defer run by hand. */
function setUp(options: { found?: HolderRef[] } = {}) {
  const steps: string[] = [];
  const problems: string[] = [];
  const told: string[] = [];
  const exits = new Map<number, () => void>();
  let nextPid = 100;
  let failStart = false;
  let fifos: string[] = [];
  let pending: (() => void) | undefined;
  const port: HolderPort = {
    start(paths, onExit) {
      if (failStart) throw new Error('EMFILE');
      const pid = nextPid++;
      exits.set(pid, onExit);
      steps.push(`start ${pid} ${paths.join(',')}`);
      return { pid, startTime: pid * 10 };
    },
    end(holder) {
      steps.push(`end ${holder.pid}`);
      // A holder this daemon started tells its exit, as a child's 'exit' event does.
      exits.get(holder.pid)?.();
    },
  };
  const defer: OutputHolderOptions['defer'] = (update) => {
    assert.equal(pending, undefined, 'one deferred update at a time');
    pending = update;
    return () => {
      pending = undefined;
    };
  };
  const holder = new OutputHolder({
    port,
    fifos: () => fifos,
    found: options.found,
    defer,
    onProblem: (message) => problems.push(message),
    onStarted: (started, fifoCount) => told.push(`${started.pid} holds ${fifoCount}`),
  });
  return {
    holder,
    steps,
    problems,
    told,
    setFifos(paths: string[]) {
      fifos = paths;
    },
    failStarts(isFailing: boolean) {
      failStart = isFailing;
    },
    /** Runs the deferred update, as the timer would. */
    runDeferred(): boolean {
      const update = pending;
      pending = undefined;
      update?.();
      return update !== undefined;
    },
    /** A holder killed from outside (kill -9). */
    kill(pid: number) {
      exits.get(pid)?.();
    },
  };
}

test('changes until the deferred update are one holder of the whole set, sorted, each FIFO once', () => {
  const fake = setUp();
  fake.setFifos(['run/b.0.out', 'run/b.0.err']);
  fake.holder.changed();
  fake.setFifos(['run/b.0.out', 'run/b.0.err', 'run/a.0.out', 'run/a.0.err', 'run/a.0.out']);
  fake.holder.changed();
  fake.holder.changed();
  assert.deepEqual(fake.steps, [], 'nothing before the deferred update');
  assert.equal(fake.runDeferred(), true);
  assert.deepEqual(fake.steps, ['start 100 run/a.0.err,run/a.0.out,run/b.0.err,run/b.0.out']);
  assert.deepEqual(fake.told, ['100 holds 4'], "the daemon's log is told");
  assert.deepEqual(fake.holder.holders, [{ pid: 100, startTime: 1000 }]);
  assert.equal(fake.runDeferred(), false, 'no second update is pending');
});

test('a change of the set starts the new holder first, then ends the old one; the same set starts none', () => {
  const fake = setUp();
  fake.setFifos(['run/a.0.out', 'run/a.0.err']);
  fake.holder.changed();
  fake.runDeferred();
  // A restart reuses its instance's FIFOs: a change is announced, the set is the same.
  fake.holder.changed();
  fake.runDeferred();
  assert.deepEqual(fake.steps, ['start 100 run/a.0.err,run/a.0.out']);
  fake.setFifos(['run/a.0.out', 'run/a.0.err', 'run/a.1.out', 'run/a.1.err']);
  fake.holder.changed();
  fake.runDeferred();
  assert.deepEqual(fake.steps.slice(1), [
    'start 101 run/a.0.err,run/a.0.out,run/a.1.err,run/a.1.out',
    'end 100',
  ]);
  assert.deepEqual(
    fake.holder.holders.map((holder) => holder.pid),
    [101],
  );
  assert.deepEqual(fake.problems, [], 'ending a replaced holder is no problem');
});

test("a previous daemon's holders are kept until a new holder holds the set, then ended", () => {
  const found = [
    { pid: 7, startTime: 70 },
    { pid: 8, startTime: 80 },
  ];
  const fake = setUp({ found });
  assert.deepEqual(fake.holder.holders, found);
  fake.setFifos(['run/a.0.out', 'run/a.0.err']);
  fake.holder.changed();
  fake.runDeferred();
  assert.deepEqual(fake.steps, ['start 100 run/a.0.err,run/a.0.out', 'end 7', 'end 8']);
});

test('a previous holder with the same set is still replaced: what it holds is not known', () => {
  const fake = setUp({ found: [{ pid: 7, startTime: 70 }] });
  fake.setFifos(['run/a.0.out', 'run/a.0.err']);
  fake.holder.changed();
  fake.runDeferred();
  fake.holder.changed();
  fake.runDeferred();
  assert.deepEqual(fake.steps, ['start 100 run/a.0.err,run/a.0.out', 'end 7']);
});

test('an empty set ends every holder and starts none', () => {
  const fake = setUp({ found: [{ pid: 7, startTime: 70 }] });
  fake.holder.changed();
  fake.runDeferred();
  assert.deepEqual(fake.steps, ['end 7']);
  assert.deepEqual(fake.holder.holders, []);
});

test('a holder that cannot start leaves the old ones holding, says so, and is tried again at the next change', () => {
  const fake = setUp({ found: [{ pid: 7, startTime: 70 }] });
  fake.setFifos(['run/a.0.out', 'run/a.0.err']);
  fake.failStarts(true);
  fake.holder.changed();
  fake.runDeferred();
  assert.deepEqual(fake.steps, []);
  assert.deepEqual(fake.holder.holders, [{ pid: 7, startTime: 70 }]);
  assert.equal(fake.problems.length, 1);
  assert.match(fake.problems[0] ?? '', /could not start the output holder for 2 FIFOs/);
  fake.failStarts(false);
  fake.holder.changed();
  fake.runDeferred();
  assert.deepEqual(fake.steps, ['start 100 run/a.0.err,run/a.0.out', 'end 7']);
});

test('a holder killed from outside is replaced at the next deferred update, with the same set', () => {
  const fake = setUp();
  fake.setFifos(['run/a.0.out', 'run/a.0.err']);
  fake.holder.changed();
  fake.runDeferred();
  fake.kill(100);
  assert.deepEqual(fake.holder.holders, []);
  assert.match(fake.problems.join('\n'), /the output holder \(pid 100\) ended; starting another/);
  assert.equal(fake.runDeferred(), true, 'an update was scheduled by the exit');
  assert.deepEqual(fake.steps, [
    'start 100 run/a.0.err,run/a.0.out',
    'start 101 run/a.0.err,run/a.0.out',
  ]);
});

test('a holder that ends again before the set changes is not replaced until the next change: no spawn loop', () => {
  const fake = setUp();
  fake.setFifos(['run/a.0.out']);
  fake.holder.changed();
  fake.runDeferred();
  fake.kill(100);
  fake.runDeferred();
  fake.kill(101);
  assert.equal(fake.runDeferred(), false, 'nothing scheduled');
  assert.match(
    fake.problems.at(-1) ?? '',
    /pid 101\) ended again; another is started at the next change/,
  );
  fake.setFifos(['run/a.0.out', 'run/a.1.out']);
  fake.holder.changed();
  fake.runDeferred();
  assert.deepEqual(fake.steps, [
    'start 100 run/a.0.out',
    'start 101 run/a.0.out',
    'start 102 run/a.0.out,run/a.1.out',
  ]);
  fake.kill(102);
  assert.equal(fake.runDeferred(), true, 'after a change, a lost holder is replaced again');
});

test('a hand-over leaves every holder running and starts no more; a close ends them all', () => {
  const fake = setUp({ found: [{ pid: 7, startTime: 70 }] });
  fake.setFifos(['run/a.0.out', 'run/a.0.err']);
  fake.holder.changed();
  fake.runDeferred();
  fake.setFifos(['run/a.0.out', 'run/a.0.err', 'run/b.0.out', 'run/b.0.err']);
  fake.holder.changed();
  fake.holder.handOver();
  assert.equal(fake.runDeferred(), false, 'the pending update was cancelled');
  fake.holder.changed();
  assert.equal(fake.runDeferred(), false);
  fake.kill(100);
  assert.deepEqual(fake.steps, ['start 100 run/a.0.err,run/a.0.out', 'end 7']);

  const closing = setUp();
  closing.setFifos(['run/a.0.out']);
  closing.holder.changed();
  closing.runDeferred();
  closing.holder.changed();
  closing.holder.close();
  assert.equal(closing.runDeferred(), false);
  assert.deepEqual(closing.steps, ['start 100 run/a.0.out', 'end 100']);
  assert.deepEqual(closing.holder.holders, []);
  assert.deepEqual(closing.problems, [], 'its own end is not reported as a lost holder');
});
