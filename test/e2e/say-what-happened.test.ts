import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ProgramActionResult } from '../../src/api/wire.js';
import { fixture, useTend } from './harness.js';

test('tend start of a running program says it was already running, not "Started" with the old pid', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tick', ...fixture('forever')]);
  const [before] = await tend.list();
  assert.ok(before?.pid);

  const again = await tend.run(['start', 'tick']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^tick was already running \\(pid ${before.pid}\\)\\n`));
  assert.doesNotMatch(again.stdout, /Started/);
  const [after] = await tend.list();
  assert.equal(after?.pid, before.pid, 'the running instance was left alone');

  const json = JSON.parse(await tend.ok(['start', '--json', 'tick'])) as ProgramActionResult[];
  assert.deepEqual(json[0]?.effect, { changed: [], unchanged: [0] });

  await tend.ok(['stop', 'tick']);
  const restarted = await tend.ok(['start', 'tick']);
  assert.match(restarted, /^Started tick\n/);
});

test('tend stop of a stopped program says it was already stopped', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tock', '--instances', '2', ...fixture('forever')]);
  assert.equal(await tend.ok(['stop', 'tock']), 'Stopped tock (2 instances)\n');
  assert.equal(await tend.ok(['stop', 'tock']), 'tock was already stopped\n');
  const json = JSON.parse(await tend.ok(['stop', 'tock', '--json'])) as ProgramActionResult[];
  assert.deepEqual(json[0]?.effect, { changed: [], unchanged: [0, 1] });
});

test('tend stop, restart and delete take several names, and an unknown one among them changes nothing', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'a', ...fixture('forever')]);
  await tend.ok(['start', '--name', 'b', ...fixture('forever')]);
  await tend.ok(['start', '--name', 'c', ...fixture('forever')]);
  const pids = async () =>
    Object.fromEntries((await tend.list()).map((row) => [row.name, row.pid]));
  const before = await pids();

  const typo = await tend.run(['stop', 'a', 'nope', 'b', 'nada']);
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /No programs named `nope`, `nada`; nothing was done/);
  assert.deepEqual(await pids(), before, 'a and b still run, with the same processes');
  const deleteTypo = await tend.run(['delete', 'a', 'nope']);
  assert.equal(deleteTypo.code, 1);
  assert.equal((await tend.list()).length, 3);

  assert.equal(
    await tend.ok(['stop', 'a', 'b']),
    'Stopped a (1 instance)\nStopped b (1 instance)\n',
  );
  const statuses = Object.fromEntries((await tend.list()).map((row) => [row.name, row.status]));
  assert.deepEqual(statuses, { a: 'stopped', b: 'stopped', c: 'online' });

  const restarted = await tend.ok(['restart', 'a', 'c']);
  assert.match(restarted, /^Restarted a \(pid \d+\)\nRestarted c \(pid \d+\)\n$/);
  const after = await pids();
  assert.notEqual(after.c, before.c, 'c got a new process');
  assert.equal(after.b, null, 'b was not named and stays stopped');

  assert.equal(await tend.ok(['delete', 'a', 'b']), 'Deleted a\nDeleted b\n');
  assert.deepEqual(
    (await tend.list()).map((row) => row.name),
    ['c'],
  );
});

test('tend signal HUP all with no programs says there is nothing to signal and exits 0, as tend stop all does', async (t) => {
  const tend = useTend(t);
  assert.equal(await tend.ok(['stop', 'all']), 'No programs to stop\n');
  const none = await tend.run(['signal', 'HUP', 'all']);
  assert.deepEqual([none.code, none.stdout, none.stderr], [0, 'No programs to signal\n', '']);

  await tend.ok(['start', '--name', 'idle', ...fixture('forever')]);
  await tend.ok(['stop', 'idle']);
  const stopped = await tend.run(['signal', 'HUP', 'all']);
  assert.equal(stopped.code, 1, 'a program without a process is still a conflict');
  assert.match(
    stopped.stderr,
    /No program has a running process to send SIGHUP to; start one first/,
  );
});

test('with --json, errors are JSON on stderr, from the daemon and from the command line alike', async (t) => {
  const tend = useTend(t);
  const cases: Array<{ args: string[]; code: number; errorCode: string }> = [
    { args: ['stop', 'nope', '--json'], code: 1, errorCode: 'TEND_ERR_PROGRAM_NOT_FOUND' },
    { args: ['ls', '--json', '--bogus'], code: 2, errorCode: 'TEND_ERR_USAGE_UNKNOWN_OPTION' },
    { args: ['frobnicate', '--json'], code: 2, errorCode: 'TEND_ERR_USAGE_UNKNOWN_COMMAND' },
    { args: ['stop', '--json'], code: 2, errorCode: 'TEND_ERR_USAGE_MISSING_ARGUMENT' },
    {
      args: ['start', '--json', '--instances', '-1', 'true'],
      code: 2,
      errorCode: 'TEND_ERR_USAGE_INVALID_ARGUMENT',
    },
    { args: ['signal', 'HUP', 'nope', '--json'], code: 1, errorCode: 'TEND_ERR_PROGRAM_NOT_FOUND' },
  ];
  for (const { args, code, errorCode } of cases) {
    const result = await tend.run(args);
    assert.equal(result.code, code, `tend ${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '', `tend ${args.join(' ')}`);
    const body = JSON.parse(result.stderr) as { error: { code: string; message: string } };
    assert.equal(body.error.code, errorCode, `tend ${args.join(' ')}`);
    assert.ok(body.error.message.length > 0);
  }
  // After `--`, --json belongs to the program: the error stays text.
  const text = await tend.run(['start', '--instances', '-1', '--', 'true', '--json']);
  assert.match(text.stderr, /^tend: Expected --instances/);
});

test('tend ls after a corrupt state file was moved aside says so, where, and how to see it again', async (t) => {
  const tend = useTend(t);
  writeFileSync(join(tend.home, 'state.json'), '{"version":1,"programs":[{"oops"');
  const result = await tend.run(['ls']);
  assert.equal(result.code, 0, result.stderr);
  const [aside] = readdirSync(tend.home).filter((file) => file.startsWith('state.json.corrupt-'));
  assert.ok(aside);
  assert.ok(
    result.stdout.startsWith('daemon: State file '),
    `the problem comes first: ${result.stdout}`,
  );
  assert.ok(result.stdout.includes(join(tend.home, aside)), 'it says where the file went');
  assert.match(result.stdout, /`tend daemon status` \(or GET \/v1\/health, `problems`\)/);
  assert.match(result.stdout, /No programs are managed/);

  const json = await tend.run(['ls', '--json']);
  assert.deepEqual(JSON.parse(json.stdout), [], 'stdout stays JSON');
  assert.match(json.stderr, /^tend: the daemon reported at start-up: State file .*moved it aside/);
});

test('a start whose environment is over the body limit is refused by the CLI, naming the size and the limit', async (t) => {
  const tend = useTend(t);
  // Each variable under the kernel's 128 KiB per string, together over the API's 1 MiB.
  const chunk = 'x'.repeat(120 * 1024);
  const env = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`BIG_${i}`, chunk]));
  const result = await tend.run(['start', '--name', 'big', '--', 'true'], { env });
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr,
    /^tend: The program definition is \d+ KiB, over the daemon's limit of 1024 KiB: the environment is \d+ KiB \(\d+ variables, the largest BIG_\d at 120 KiB\)/,
  );
  assert.equal(tend.daemonPid(), undefined, 'nothing was sent: no daemon was even started');
});

test('the daemon answers a too-large body with 413 every time, never by closing the connection first', async (t) => {
  const tend = useTend(t);
  await tend.ok(['ls']);
  const body = JSON.stringify({
    name: 'big',
    command: 'true',
    cwd: '/',
    env: { X: 'x'.repeat(2 * 1024 * 1024) },
  });
  for (let attempt = 0; attempt < 10; attempt++) {
    // The CLI's own client: it sends `Connection: close`, the case that used to be reset.
    const reply = await new Promise<{ text: string; error?: string }>((resolve) => {
      const socket = connect(tend.socket);
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve({ text, error: error.code }));
      socket.on('close', () => resolve({ text }));
      socket.write(
        `POST /v1/programs HTTP/1.1\r\nHost: tend\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
    assert.equal(reply.error, undefined, `attempt ${attempt}`);
    assert.match(reply.text, /^HTTP\/1\.1 413 /);
    assert.match(reply.text, /"code":"TEND_ERR_API_BODY_TOO_LARGE"/);
  }
  assert.deepEqual(await tend.list(), []);
});

test('--env PORT with --port, and --env TEND_INSTANCE or TEND_NAME, are refused instead of silently overridden', async (t) => {
  const tend = useTend(t);
  const port = await tend.run(['start', '--port', '3000', '--env', 'PORT=1', '--', 'true']);
  assert.equal(port.code, 2);
  assert.match(
    port.stderr,
    /`env\.PORT`: tend sets PORT to the base port .*change the base port with --port/,
  );
  for (const key of ['TEND_INSTANCE', 'TEND_NAME']) {
    const result = await tend.run(['start', '--env', `${key}=7`, '--', 'true']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`\`env\\.${key}\`: tend sets ${key} itself`));
  }
  assert.deepEqual(await tend.list(), [], 'nothing was started');

  // What tend sets is not inherited from the shell either (a `tend start` inside an instance has them).
  await tend.ok(
    ['start', '--name', 'inside', '--port', '4100', '--readiness', 'none', ...fixture('forever')],
    { env: { TEND_NAME: 'outer', TEND_INSTANCE: '5', PORT: '9999' } },
  );
  const detail = await tend.program('inside');
  assert.equal(detail.spec.env.TEND_NAME, undefined);
  assert.equal(detail.spec.env.TEND_INSTANCE, undefined);
  assert.equal(detail.spec.env.PORT, undefined);
  // Without --port, PORT is the user's to pass on: tend does not set it.
  const free = await tend.run([
    'start',
    '--name',
    'free',
    '--env',
    'PORT=1',
    ...fixture('forever'),
  ]);
  assert.equal(free.code, 0, free.stderr);
  assert.equal((await tend.program('free')).spec.env.PORT, '1');
});

test('a path parameter like ..%2F.. is an invalid name on every route, not a missing program', async (t) => {
  const tend = useTend(t);
  await tend.ok(['ls']);
  const routes: Array<[string, string]> = [
    ['GET', '/v1/programs/..%2F..'],
    ['DELETE', '/v1/programs/..%2F..'],
    ['POST', '/v1/programs/..%2F../start'],
    ['POST', '/v1/programs/..%2F../stop'],
    ['POST', '/v1/programs/..%2F../restart'],
    ['POST', '/v1/programs/..%2F../scale'],
    ['POST', '/v1/programs/..%2F../signal'],
    ['GET', '/v1/logs?name=..%2F..'],
  ];
  for (const [method, path] of routes) {
    const reply = await tend.api<{ error: { code: string; message: string } }>(
      method,
      path,
      method === 'POST' ? {} : undefined,
    );
    assert.equal(reply.status, 400, `${method} ${path}: ${JSON.stringify(reply.body)}`);
    assert.equal(reply.body.error.code, 'TEND_ERR_PROGRAM_INVALID_NAME', `${method} ${path}`);
    assert.match(reply.body.error.message, /"\.\.\/\.\."/);
  }
});
