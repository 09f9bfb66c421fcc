import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeTempHome } from '../helpers/temp-home.js';
import { pollUntil, TEND_BIN, useTend } from './harness.js';

// systemd's notify socket takes datagrams, which Node cannot send without a native module: the
// daemon runs systemd-notify, so a stand-in systemd-notify on PATH shows what it was asked to say.
test('a foreground daemon under NOTIFY_SOCKET runs systemd-notify --ready once its API answers, and its programs do not inherit the socket', async (t) => {
  const tend = useTend(t);
  const bin = makeTempHome(t, 'tend-fake-bin-');
  const said = join(bin, 'said.fifo');
  assert.equal(spawnSync('mkfifo', [said]).status, 0);
  writeFileSync(
    join(bin, 'systemd-notify'),
    '#!/bin/sh\nprintf "%s|%s\\n" "$NOTIFY_SOCKET" "$*" > "$FAKE_NOTIFY_SAID"\n',
    { mode: 0o755 },
  );
  const daemon = spawn(process.execPath, [TEND_BIN, 'daemon'], {
    env: {
      ...process.env,
      TEND_HOME: tend.home,
      NOTIFY_SOCKET: '/run/user/1000/systemd/notify',
      FAKE_NOTIFY_SAID: said,
      PATH: `${bin}:${process.env.PATH}`,
    },
    stdio: 'ignore',
  });
  t.after(() => daemon.kill('SIGKILL'));
  let line = '';
  for await (const chunk of createReadStream(said, 'utf8')) line += chunk;
  assert.equal(
    line,
    `/run/user/1000/systemd/notify|--ready --pid=${daemon.pid} --status=tend daemon ready: its API answers\n`,
  );
  assert.equal((await tend.api('GET', '/v1/health')).status, 200);

  await tend.ok([
    'start',
    '--name',
    'probe',
    '--restart',
    'never',
    '--shell',
    'test -z "$NOTIFY_SOCKET"',
  ]);
  const ended = await tend.until('the check to end', async () => {
    const detail = await tend.program('probe');
    return detail.instances[0]?.status === 'stopped' ? detail.instances[0] : undefined;
  });
  assert.equal(ended.exits[0]?.code, 0, 'the program saw no NOTIFY_SOCKET');
});

// `systemctl restart tend` sends SIGTERM to the daemon alone (KillMode=process): the programs stay.
test('under systemd, SIGTERM ends the daemon but not its programs, which the next daemon adopts', async (t) => {
  const tend = useTend(t);
  const env = { ...process.env, TEND_HOME: tend.home, INVOCATION_ID: 'f00dfeed' };
  const daemon = spawn(process.execPath, [TEND_BIN, 'daemon'], { env, stdio: 'ignore' });
  t.after(() => daemon.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) => daemon.on('exit', resolve));
  // No event can be awaited before the daemon answers at all.
  await pollUntil('the foreground daemon to answer', async () => {
    const reply = await tend.api('GET', '/v1/health').catch(() => undefined);
    return reply?.status === 200;
  });
  await tend.ok(['start', '--name', 'kept', '--', 'sleep', '1000']);
  const before = (await tend.program('kept')).instances[0]?.pid;
  assert.ok(before);
  // It outlives the daemon on purpose: whatever happens below, it is ended by pid.
  t.after(() => {
    try {
      process.kill(-before, 'SIGKILL');
    } catch {}
  });

  daemon.kill('SIGTERM');
  assert.equal(await exited, 75, 'exits 75 (handed over), which the unit counts as success');
  process.kill(before, 0);

  // The next command starts a daemon (as systemd's Restart= would), which adopts the program.
  const after = (await tend.list()).find((row) => row.name === 'kept');
  assert.equal(after?.pid, before, 'the next daemon adopted it: same pid');
  assert.equal(after?.status, 'online');
});
