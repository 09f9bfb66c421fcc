import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { constants } from 'node:os';
import { test } from 'node:test';
import { ProgramSpecSchema } from '../../src/config/program-spec.js';
import { LogManager } from '../../src/logs/log-manager.js';
import { fifoPath, logFilePath, rotatedPath } from '../../src/logs/log-paths.js';
import type { LogRecord } from '../../src/logs/types.js';
import { createNodeRuntime } from '../../src/process/node-runtime.js';
import type { ProcessExit } from '../../src/supervisor/types.js';
import { isProcessAlive } from '../helpers/proc.js';
import { makeTempHome } from '../helpers/temp-home.js';
import {
  blockUntilExited,
  killIfAlive,
  nextLine,
  nodeProgram,
  runCaptured,
  storedTexts,
  untilCatching,
  withinTimeout,
} from './capture-support.js';

function newManager(t: { after(fn: () => void): void }, home: string): LogManager {
  const manager = new LogManager({
    home,
    onError: (error) => {
      throw error;
    },
  });
  t.after(() => manager.close());
  return manager;
}

/** This process's fds open on any of `paths`. */
function openFdsTo(paths: string[]): string[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return paths.includes(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false;
    }
  });
}

function logLines(home: string, name: string, instance: number, stream: 'out' | 'err'): string[] {
  return storedTexts(readFileSync(logFilePath(home, name, instance, stream), 'utf8'));
}

test('prepare creates each instance FIFO once, mode 0600, and replaces a file that is not one', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  await manager.prepare('web', 1);
  const inode = lstatSync(fifoPath(home, 'web', 0, 'out')).ino;
  writeFileSync(fifoPath(home, 'web', 1, 'out'), 'a regular file in the way');
  await manager.prepare('web', 3);
  for (const instance of [0, 1, 2]) {
    for (const stream of ['out', 'err'] as const) {
      const stat = lstatSync(fifoPath(home, 'web', instance, stream));
      assert.ok(stat.isFIFO(), `${instance}.${stream} is a FIFO`);
      assert.equal(stat.mode & 0o777, 0o600);
    }
  }
  assert.equal(lstatSync(fifoPath(home, 'web', 0, 'out')).ino, inode, 'existing FIFO kept');
});

test('stdout and stderr go to separate files, and every line reaches the log after exit', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const spec = nodeProgram('app');
  await manager.prepare('app', 1);
  const run = runCaptured(
    t,
    manager,
    spec,
    0,
    `for (let i = 0; i < 1000; i++) console.log('out ' + i);
     console.error('to stderr');
     process.stdout.write('the last line\\n');
     process.exit(3);`,
  );
  assert.deepEqual(await withinTimeout(run.exited, 'exit'), { code: 3, signal: null });
  await withinTimeout(manager.whenIdle('app'), 'output drained');
  const out = logLines(home, 'app', 0, 'out');
  assert.equal(out.length, 1001);
  assert.deepEqual(out.slice(0, 2), ['out 0', 'out 1']);
  assert.equal(out.at(-1), 'the last line');
  assert.deepEqual(logLines(home, 'app', 0, 'err'), ['to stderr']);
  const fifos = [fifoPath(home, 'app', 0, 'out'), fifoPath(home, 'app', 0, 'err')];
  assert.deepEqual(openFdsTo(fifos), [], 'no FIFO end left open once the run is over');
});

test('a partial last line without newline is flushed as a line when the process exits', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const run = runCaptured(
    t,
    manager,
    nodeProgram('partial'),
    0,
    `process.stdout.write('whole\\nno newline at the end');`,
  );
  await withinTimeout(run.exited, 'exit');
  await withinTimeout(manager.whenIdle('partial'), 'output drained');
  assert.deepEqual(logLines(home, 'partial', 0, 'out'), ['whole', 'no newline at the end']);
});

test('every stored line has a fixed-width UTC timestamp of when it was read', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const before = Date.now();
  const run = runCaptured(t, manager, nodeProgram('stamp'), 0, `console.log('stamped')`);
  await withinTimeout(run.exited, 'exit');
  await withinTimeout(manager.whenIdle(), 'output drained');
  const content = readFileSync(logFilePath(home, 'stamp', 0, 'out'), 'utf8');
  assert.match(content, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z stamped\n$/);
  const time = Date.parse(content.slice(0, 24));
  assert.ok(time >= before && time <= Date.now());
});

test('lines of several runs of the same instance are all kept, in order', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const spec = nodeProgram('again');
  for (let runIndex = 0; runIndex < 3; runIndex++) {
    const run = runCaptured(
      t,
      manager,
      spec,
      0,
      `for (let i = 0; i < 3; i++) console.log('run ${runIndex} line ' + i)`,
    );
    await withinTimeout(run.exited, 'exit');
  }
  await withinTimeout(manager.whenIdle('again'), 'output drained');
  const expected = [0, 1, 2].flatMap((r) => [0, 1, 2].map((i) => `run ${r} line ${i}`));
  assert.deepEqual(logLines(home, 'again', 0, 'out'), expected);
});

test('an immediate restart before the old output was read neither loses it nor glues its partial line to the new run', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const spec = nodeProgram('quick');
  const first = runCaptured(
    t,
    manager,
    spec,
    0,
    `process.stdout.write('first run\\n' + 'x'.repeat(10000) + '\\nfirst run, no newline');`,
  );
  // No event loop turn between the exit and the restart: the capture has read nothing yet.
  blockUntilExited(first.pid);
  const second = runCaptured(t, manager, spec, 0, `console.log('second run')`);
  await withinTimeout(Promise.all([first.exited, second.exited]), 'exits');
  await withinTimeout(manager.whenIdle('quick'), 'output drained');
  assert.deepEqual(logLines(home, 'quick', 0, 'out'), [
    'first run',
    'x'.repeat(10000),
    'first run, no newline',
    'second run',
  ]);
});

test('output of a descendant that outlives its parent is still captured, and idle waits for it', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const spec = nodeProgram('family');
  const grandchildScript = `process.on('SIGUSR2', () => { console.log('from the grandchild'); process.exit(0); }); setInterval(() => {}, 1000);`;
  const pidLine = nextLine(manager, (r) => r.line.startsWith('grandchild '));
  const parent = runCaptured(
    t,
    manager,
    spec,
    0,
    `const { spawn } = require('node:child_process');
     const child = spawn(process.execPath, ['-e', ${JSON.stringify(grandchildScript)}], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
     child.unref();
     console.log('grandchild ' + child.pid);
     process.stdout.write('parent leaves mid-line');`,
  );
  const grandchildPid = Number((await pidLine).line.split(' ')[1]);
  t.after(() => killIfAlive(grandchildPid));
  await withinTimeout(parent.exited, 'parent exit');
  // The grandchild still holds the write end, so this run is not over.
  let isIdle = false;
  const idle = manager.whenIdle('family').then(() => {
    isIdle = true;
  });
  const restartLine = nextLine(manager, (r) => r.line === 'restarted');
  const restarted = runCaptured(t, manager, spec, 0, `console.log('restarted')`);
  await withinTimeout(restartLine, 'line of the restarted run');
  await withinTimeout(restarted.exited, 'restarted exit');
  assert.equal(isIdle, false, 'not idle while the grandchild holds the FIFO');
  const lastLine = nextLine(manager, (r) => r.line === 'from the grandchild');
  // Under load the grandchild may still be starting: SIGUSR2 before its handler would kill it.
  await untilCatching(grandchildPid, constants.signals.SIGUSR2);
  process.kill(grandchildPid, 'SIGUSR2');
  await withinTimeout(lastLine, 'grandchild line');
  await withinTimeout(idle, 'output drained');
  assert.deepEqual(logLines(home, 'family', 0, 'out'), [
    `grandchild ${grandchildPid}`,
    'parent leaves mid-line',
    'restarted',
    'from the grandchild',
  ]);
});

test('a follower gets a line while the process still runs, with its name, instance, stream and time', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  await manager.prepare('live', 2);
  const followed = nextLine(manager, (r) => r.line === 'hello follower');
  const run = runCaptured(
    t,
    manager,
    nodeProgram('live'),
    1,
    `console.error('hello follower'); setInterval(() => {}, 1000);`,
  );
  const record = await followed;
  assert.ok(isProcessAlive(run.pid), 'delivered live, not at exit');
  assert.equal(record.name, 'live');
  assert.equal(record.instance, 1);
  assert.equal(record.stream, 'err');
  assert.ok(Math.abs(record.time - Date.now()) < 60_000);
  process.kill(run.pid, 'SIGKILL');
  await withinTimeout(run.exited, 'exit');
});

test('onLine returns a function that unsubscribes', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const seen: LogRecord[] = [];
  const unsubscribe = manager.onLine((record) => seen.push(record));
  unsubscribe();
  const second = nextLine(manager, (r) => r.line === 'b');
  const run = runCaptured(
    t,
    manager,
    nodeProgram('unsub'),
    0,
    `console.log('a'); console.log('b')`,
  );
  await withinTimeout(second, 'line');
  await withinTimeout(run.exited, 'exit');
  assert.deepEqual(seen, []);
});

test('a listener that throws does not stop capture', async (t) => {
  const home = makeTempHome(t);
  const errors: Error[] = [];
  const manager = new LogManager({ home, onError: (error) => errors.push(error) });
  t.after(() => manager.close());
  manager.onLine(() => {
    throw new Error('listener bug');
  });
  const run = runCaptured(
    t,
    manager,
    nodeProgram('robust'),
    0,
    `console.log('1'); console.log('2')`,
  );
  await withinTimeout(run.exited, 'exit');
  await withinTimeout(manager.whenIdle(), 'output drained');
  assert.deepEqual(logLines(home, 'robust', 0, 'out'), ['1', '2']);
  assert.ok(errors.length >= 1);
});

test('tail merges instances and streams of captured output by time', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const spec = nodeProgram('merge', { logMaxBytes: 1024, logMaxFiles: 50 });
  await manager.prepare('merge', 2);
  const steps: Array<[number, string]> = [
    [0, `console.log('one')`],
    [1, `console.error('two')`],
    [0, `console.error('three')`],
    [1, `console.log('four')`],
  ];
  for (const [instance, script] of steps) {
    const run = runCaptured(t, manager, spec, instance, script);
    await withinTimeout(run.exited, 'exit');
    await withinTimeout(manager.whenIdle(), 'output drained');
  }
  const tail = manager.tail({ name: 'merge', lines: 2, stream: 'both' });
  assert.deepEqual(
    tail.map((r) => `${r.instance}:${r.stream}:${r.line}`),
    ['0:out:one', '1:err:two', '0:err:three', '1:out:four'],
  );
  assert.deepEqual(
    manager.tail({ name: 'merge', lines: 1, stream: 'both' }).map((r) => r.line),
    ['three', 'four'],
    'the last line of each instance',
  );
  assert.deepEqual(
    manager.tail({ lines: 10, stream: 'out' }).map((r) => r.line),
    ['one', 'four'],
  );
});

test('rotation during capture keeps files bounded and every line exactly once, in order', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const spec = nodeProgram('rotate', { logMaxBytes: 1024, logMaxFiles: 1000 });
  const run = runCaptured(
    t,
    manager,
    spec,
    0,
    `for (let i = 0; i < 5000; i++) console.log('rotating line ' + i)`,
  );
  await withinTimeout(run.exited, 'exit');
  await withinTimeout(manager.whenIdle(), 'output drained');
  const path = logFilePath(home, 'rotate', 0, 'out');
  const files: string[] = [];
  for (let generation = 0; existsSync(rotatedPath(path, generation)); generation++) {
    files.unshift(rotatedPath(path, generation));
  }
  assert.ok(files.length > 100);
  for (const file of files) assert.ok(statSync(file).size <= 1024);
  const lines = storedTexts(files.map((file) => readFileSync(file, 'utf8')).join(''));
  assert.deepEqual(
    lines,
    Array.from({ length: 5000 }, (_, i) => `rotating line ${i}`),
  );
  const tail = manager.tail({ name: 'rotate', lines: 100, stream: 'out' });
  assert.equal(tail.length, 100);
  assert.equal(tail[0]?.line, 'rotating line 4900');
  assert.equal(tail.at(-1)?.line, 'rotating line 4999');
});

test('close writes what the FIFO holds, even output not read yet', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const run = runCaptured(
    t,
    manager,
    nodeProgram('closing'),
    0,
    `console.log('before shutdown'); process.stdout.write('partial at shutdown');`,
  );
  blockUntilExited(run.pid);
  manager.close();
  assert.deepEqual(logLines(home, 'closing', 0, 'out'), ['before shutdown', 'partial at shutdown']);
  assert.throws(() => manager.openOutput({ spec: nodeProgram('closing'), instance: 0 }), {
    code: 'TEND_ERR_DAEMON_STOPPING',
  });
  await withinTimeout(run.exited, 'exit');
});

test('remove deletes the FIFOs but keeps the log files readable', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  await manager.prepare('gone', 2);
  await manager.prepare('stays', 1);
  const run = runCaptured(t, manager, nodeProgram('gone'), 1, `console.log('kept after delete')`);
  await withinTimeout(run.exited, 'exit');
  await withinTimeout(manager.whenIdle('gone'), 'output drained');
  manager.remove('gone');
  for (const instance of [0, 1]) {
    assert.equal(existsSync(fifoPath(home, 'gone', instance, 'out')), false);
    assert.equal(existsSync(fifoPath(home, 'gone', instance, 'err')), false);
  }
  assert.ok(lstatSync(fifoPath(home, 'stays', 0, 'out')).isFIFO(), "other programs' FIFOs stay");
  assert.deepEqual(logLines(home, 'gone', 1, 'out'), ['kept after delete']);
  assert.deepEqual(manager.tail({ lines: 10, stream: 'both' }), [], 'no longer in "all programs"');
  assert.deepEqual(
    manager.tail({ name: 'gone', lines: 10, stream: 'both' }).map((r) => r.line),
    ['kept after delete'],
  );
});

test('openOutput creates the FIFOs itself when prepare was not called', (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const output = manager.openOutput({ spec: nodeProgram('unprepared'), instance: 4 });
  output.afterSpawn(undefined);
  assert.ok(lstatSync(fifoPath(home, 'unprepared', 4, 'out')).isFIFO());
  assert.ok(lstatSync(fifoPath(home, 'unprepared', 4, 'err')).isFIFO());
});

test('after a failed spawn, afterSpawn(undefined) releases the FIFO so the capture goes idle', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const output = manager.openOutput({ spec: nodeProgram('nosuch'), instance: 0 });
  const child = spawn('/nonexistent/program', [], {
    stdio: ['ignore', output.stdout, output.stderr],
  });
  const failed = new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
  output.afterSpawn(child.pid);
  assert.equal((await failed).code, 'ENOENT');
  await withinTimeout(manager.whenIdle('nosuch'), 'capture idle');
  output.afterSpawn(undefined);
});

test('invalid names and line counts are refused with a clear error', (t) => {
  const manager = newManager(t, makeTempHome(t));
  assert.throws(() => manager.tail({ name: '../etc', lines: 1, stream: 'both' }), {
    code: 'TEND_ERR_PROGRAM_INVALID_NAME',
  });
  assert.throws(() => manager.tail({ lines: -1, stream: 'both' }), {
    code: 'TEND_ERR_USAGE_INVALID_ARGUMENT',
  });
  assert.throws(() => manager.remove('a/b'), { code: 'TEND_ERR_PROGRAM_INVALID_NAME' });
});

test('works as the process runtime openOutput, passed unbound', async (t) => {
  const home = makeTempHome(t);
  const manager = newManager(t, home);
  const runtime = createNodeRuntime({ openOutput: manager.openOutput });
  const spec = ProgramSpecSchema.parse({
    name: 'runtime',
    command: process.execPath,
    args: ['-e', `console.log('via runtime ' + process.env.TEND_INSTANCE); console.error('err')`],
    cwd: '/',
  });
  await manager.prepare('runtime', 1);
  let onExit: (exit: ProcessExit) => void = () => {};
  const exited = new Promise<ProcessExit>((resolve) => {
    onExit = resolve;
  });
  const outcome = runtime.spawn({ spec, instance: 0 }, onExit);
  assert.ok(outcome.ok, 'spawned');
  t.after(() => killIfAlive(outcome.pid));
  assert.deepEqual(await withinTimeout(exited, 'exit'), { code: 0, signal: null });
  await withinTimeout(manager.whenIdle('runtime'), 'output drained');
  assert.deepEqual(logLines(home, 'runtime', 0, 'out'), ['via runtime 0']);
  assert.deepEqual(logLines(home, 'runtime', 0, 'err'), ['err']);
});

test("the output holder's set: each instance's FIFOs from its first capture, not again when it runs again, until its program is removed", async (t) => {
  const home = makeTempHome(t);
  let changes = 0;
  const manager = new LogManager({
    home,
    onError: (error) => {
      throw error;
    },
    onFifoSetChanged: () => {
      changes += 1;
    },
  });
  t.after(() => manager.close());
  await manager.prepare('web', 2);
  await manager.prepare('api', 1);
  assert.equal(changes, 0, 'FIFOs made ahead are not captured yet');
  const open = (name: string, instance: number) =>
    manager.openOutput({ spec: nodeProgram(name), instance }).afterSpawn(undefined);
  open('web', 0);
  open('web', 1);
  open('api', 0);
  assert.equal(changes, 3);
  // A restart reuses its instance's FIFOs: the set is the same.
  open('web', 1);
  assert.equal(changes, 3);
  assert.deepEqual(manager.capturedFifos().sort(), [
    fifoPath(home, 'api', 0, 'err'),
    fifoPath(home, 'api', 0, 'out'),
    fifoPath(home, 'web', 0, 'err'),
    fifoPath(home, 'web', 0, 'out'),
    fifoPath(home, 'web', 1, 'err'),
    fifoPath(home, 'web', 1, 'out'),
  ]);
  manager.remove('web');
  assert.equal(changes, 4);
  assert.deepEqual(manager.capturedFifos().sort(), [
    fifoPath(home, 'api', 0, 'err'),
    fifoPath(home, 'api', 0, 'out'),
  ]);
  manager.remove('web');
  assert.equal(changes, 4, 'removing what is not captured changes nothing');
});
