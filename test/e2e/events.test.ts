import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fixture, TEND_BIN, type TendUnderTest, useTend } from './harness.js';

/** `tend events …` running in the background, with what it printed so far and a way to await a line. */
function follow(t: { after(fn: () => unknown): void }, tend: TendUnderTest, args: string[]) {
  const child = spawn(process.execPath, [TEND_BIN, 'events', ...args], {
    env: { ...process.env, TEND_HOME: tend.home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  /** Resolves with the printed text once a line matches. */
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = out.split('\n').find((candidate) => pattern.test(candidate));
        if (match !== undefined) resolve(match);
        else waiters.push(check);
      };
      child.once('exit', (code) => reject(new Error(`tend events exited ${code}: ${err}\n${out}`)));
      check();
    });
  return { child, line, output: () => out };
}

test('tend events shows an instance killed with kill -9 from outside as exited and restarted', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'victim', ...fixture('forever')]);
  const [row] = await tend.list();
  assert.ok(row?.pid);

  // --since 0 replays what the daemon kept: a first line means the stream is subscribed.
  const readable = follow(t, tend, ['victim', '--since', '0']);
  const json = follow(t, tend, ['victim', '--json', '--since', '0']);
  await readable.line(/ victim added$/);
  await json.line(/"kind":"program.added"/);

  process.kill(row.pid, 'SIGKILL');
  const exited = await readable.line(/ victim:0 exited SIGKILL after /);
  assert.match(
    exited,
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} victim:0 exited SIGKILL after \S+ \(pid \d+\)/,
  );
  await readable.line(/ victim:0 restarted as pid \d+ \(cause: signal\)$/);

  const exitedEvent = JSON.parse(await json.line(/"kind":"instance.exited"/));
  assert.equal(exitedEvent.pid, row.pid);
  assert.equal(exitedEvent.signal, 'SIGKILL');
  assert.equal(exitedEvent.code, null);
  assert.equal(exitedEvent.isFailure, true);
  assert.equal(exitedEvent.role, 'instance');
  const restarted = JSON.parse(await json.line(/"kind":"instance.restarted"/));
  assert.equal(restarted.cause, 'signal');
  assert.ok(restarted.seq > exitedEvent.seq);
  const [after] = await tend.list();
  assert.equal(after?.pid, restarted.pid);
});

test('tend events refuses a kind it does not know, with exit code 2, before streaming', async (t) => {
  const tend = useTend(t);
  const result = await tend.run(['events', '--kind', 'instance.exploded']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Expected a `kind` among .* got "instance.exploded"/);
  assert.equal(result.stdout, '');
});
