import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ListenerReply } from '../../src/api/wire.js';
import { pollUntil, TEND_BIN, type TendUnderTest, useTend } from './harness.js';

/** Turns the listener on at a free loopback port through the socket, as `tend dashboard` does. */
async function listenOnFreePort(tend: TendUnderTest): Promise<ListenerReply> {
  await tend.ok(['daemon', 'start']);
  const reply = await tend.api<ListenerReply>('PUT', '/v1/daemon/listener', { port: 0 });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body;
}

async function getOverTcp(url: string, token: string | undefined): Promise<Response> {
  return fetch(new URL('v1/health', url), {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

test('`tend dashboard` prints the URL with the token in its fragment; the token opens the API', async (t) => {
  const tend = useTend(t);
  const listener = await listenOnFreePort(tend);
  const out = await tend.ok(['dashboard', '--no-open']);
  const tokenFile = join(tend.home, 'token');
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  const token = readFileSync(tokenFile, 'utf8').trim();
  assert.equal(out, `The dashboard: ${listener.url}#token=${token}\n`);
  assert.equal((await getOverTcp(listener.url as string, token)).status, 200);
  const refused = await getOverTcp(listener.url as string, undefined);
  assert.equal(refused.status, 401);
  const body = (await refused.json()) as { error: { code: string } };
  assert.equal(body.error.code, 'TEND_ERR_API_UNAUTHORIZED');
});

test('the listener is saved: a restarted daemon listens again on the same address', async (t) => {
  const tend = useTend(t);
  const listener = await listenOnFreePort(tend);
  const saved = JSON.parse(readFileSync(join(tend.home, 'settings.json'), 'utf8'));
  assert.deepEqual(saved.listen, { host: '127.0.0.1', port: listener.port, isPublic: false });
  await tend.ok(['daemon', 'stop']);
  await tend.ok(['daemon', 'start']);
  const again = await tend.api<ListenerReply>('GET', '/v1/daemon/listener');
  assert.deepEqual(again.body, listener);

  const closed = await tend.api<ListenerReply>('DELETE', '/v1/daemon/listener');
  assert.equal(closed.body.isListening, false);
  await tend.ok(['daemon', 'stop']);
  await tend.ok(['daemon', 'start']);
  const off = await tend.api<ListenerReply>('GET', '/v1/daemon/listener');
  assert.equal(off.body.isListening, false, 'turned off stays off');
});

test('a port in use or a public address without consent is refused; the daemon goes on', async (t) => {
  const tend = useTend(t);
  await tend.ok(['daemon', 'start']);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = (taken.address() as { port: number }).port;

  const inUse = await tend.api<{ error: { code: string; message: string } }>(
    'PUT',
    '/v1/daemon/listener',
    { port },
  );
  assert.equal(inUse.status, 409);
  assert.equal(inUse.body.error.code, 'TEND_ERR_DAEMON_LISTEN_FAILED');
  assert.match(inUse.body.error.message, /port is in use/);

  const isPublic = await tend.api<{ error: { code: string; message: string } }>(
    'PUT',
    '/v1/daemon/listener',
    { host: '0.0.0.0', port: 0 },
  );
  assert.equal(isPublic.status, 400);
  assert.match(isPublic.body.error.message, /loopback/);

  const bad = await tend.api<{ error: { code: string } }>('PUT', '/v1/daemon/listener', {
    port: 'many',
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'TEND_ERR_API_INVALID_BODY');

  const status = await tend.api<ListenerReply>('GET', '/v1/daemon/listener');
  assert.equal(status.body.isListening, false);
  assert.equal(existsSync(join(tend.home, 'settings.json')), false, 'nothing was saved');
  await tend.ok(['ls']);
});

test('`tend daemon --listen` refuses a public address without --listen-public, and a malformed one', async (t) => {
  const tend = useTend(t);
  const isPublic = await tend.run(['daemon', '--listen', '0.0.0.0:7650']);
  assert.equal(isPublic.code, 2);
  assert.match(isPublic.stderr, /--listen-public/);
  const malformed = await tend.run(['daemon', '--listen', 'here']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /Expected --listen to be HOST:PORT/);
  const withAction = await tend.run(['daemon', 'status', '--listen', '127.0.0.1:1']);
  assert.equal(withAction.code, 2);
  assert.equal(tend.daemonPid(), undefined, 'no daemon was started');
});

test('`tend daemon --listen 127.0.0.1:0` serves the API on TCP from the start, and saves it', async (t) => {
  const tend = useTend(t);
  const daemon = spawn(process.execPath, [TEND_BIN, 'daemon', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, TEND_HOME: tend.home },
    stdio: 'ignore',
  });
  t.after(() => daemon.kill('SIGKILL'));
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const listener = await pollUntil('the daemon to listen on TCP', async () => {
    const reply = await tend.api<ListenerReply>('GET', '/v1/daemon/listener').catch(() => null);
    return reply?.body.isListening ? reply.body : undefined;
  });
  assert.equal(listener.host, '127.0.0.1');
  const token = readFileSync(join(tend.home, 'token'), 'utf8').trim();
  assert.equal((await getOverTcp(listener.url as string, token)).status, 200);
  const saved = JSON.parse(readFileSync(join(tend.home, 'settings.json'), 'utf8'));
  assert.equal(saved.listen.port, listener.port, 'the bound port is saved, not 0');
  await tend.ok(['daemon', 'stop']);
  await exited;
});

test('`tend dashboard` takes a free port when 7650 is taken, and saves it', async (t) => {
  const tend = useTend(t);
  // Taken by this test, or already by something else: either way tend must look elsewhere.
  const blocker = createServer();
  await new Promise<void>((resolve) => {
    blocker.once('error', () => resolve());
    blocker.listen(7650, '127.0.0.1', resolve);
  });
  t.after(() => blocker.close());
  const printed = JSON.parse(await tend.ok(['dashboard', '--no-open', '--json'])) as ListenerReply;
  assert.equal(printed.isListening, true);
  assert.notEqual(printed.port, 7650);
  const saved = JSON.parse(readFileSync(join(tend.home, 'settings.json'), 'utf8'));
  assert.equal(saved.listen.port, printed.port);
});

test('with a desktop, `tend dashboard` opens the URL with xdg-open (no shell); --no-open never does', async (t) => {
  const tend = useTend(t);
  await listenOnFreePort(tend);
  const bin = join(tend.home, 'fake-bin');
  const opened = join(tend.home, 'opened-url');
  mkdirSync(bin);
  // Appends each URL it is given: a --no-open run that opened anyway would add a line.
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const env = { DISPLAY: ':0', PATH: `${bin}:${process.env.PATH}` };

  const quiet = await tend.run(['dashboard', '--no-open'], { env });
  assert.equal(quiet.code, 0);
  const loud = await tend.run(['dashboard'], { env });
  assert.equal(loud.code, 0);
  const urls = await pollUntil('xdg-open to be run', async () =>
    existsSync(opened) && readFileSync(opened, 'utf8').endsWith('\n')
      ? readFileSync(opened, 'utf8').trimEnd().split('\n')
      : undefined,
  );
  assert.equal(urls.length, 1, 'xdg-open ran once, for the run without --no-open');
  assert.equal(`The dashboard: ${urls[0]}\n`, loud.stdout);
  assert.equal(quiet.stdout, loud.stdout, '--no-open printed the same URL');
});
