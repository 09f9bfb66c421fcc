import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ExitRecordWire, InstanceDetail } from '../../src/api/wire.js';
import { fixture, TEND_BIN, useTend } from './harness.js';

type Tend = ReturnType<typeof useTend>;

/** Waits until instance 0 of `name` has an exit that tend recorded with a reason matching `reason`. */
async function untilHungExit(
  tend: Tend,
  name: string,
  reason: RegExp,
): Promise<{ exit: ExitRecordWire; instance: InstanceDetail }> {
  return tend.until(
    `an exit of ${name} for ${reason}`,
    async () => {
      const instance = (await tend.program(name)).instances[0];
      const exit = instance?.exits.find((candidate) => reason.test(candidate.reason ?? ''));
      return exit && instance && { exit, instance };
    },
    30_000,
  );
}

test('a worker that stops sending heartbeats is declared hung, stopped and restarted; the exit says why', async (t) => {
  const tend = useTend(t);
  await tend.ok([
    'start',
    '--name',
    'beater',
    '--ready-on',
    'notify',
    '--watchdog',
    '600ms',
    ...fixture('notify-worker', 'heartbeat', '100', '5'),
  ]);
  const [first] = (await tend.program('beater')).instances;
  assert.equal(first?.status, 'online', 'ready once it sent READY=1');
  assert.equal(first?.statusText, 'starting', 'its STATUS= is kept on the instance');
  const { exit, instance } = await untilHungExit(tend, 'beater', /no heartbeat/);
  assert.match(exit.reason ?? '', /^hung: no heartbeat for [\d.]+m?s \(--watchdog 600ms\)$/);
  assert.equal(exit.isFailure, true);
  const replaced = await tend.until(
    'a fresh instance',
    async () => {
      const now = (await tend.program('beater')).instances[0];
      return now?.pid !== first?.pid && now?.status === 'online' && now;
    },
    30_000,
  );
  assert.ok(replaced.restarts >= 1);
  assert.ok(instance.failureRestarts >= 1 || replaced.failureRestarts >= 1);
  const status = await tend.ok(['status', 'beater']);
  assert.match(status, /hung when\s+no heartbeat for 600ms/);
  assert.match(status, /hung: no heartbeat for/);
});

test('a shell script says it is ready with tend notify and stays alive on echo WATCHDOG=1 >&$TEND_NOTIFY_FD', async (t) => {
  const tend = useTend(t);
  const script = join(tend.home, 'worker.sh');
  const tendCommand = `"${process.execPath}" "${TEND_BIN}"`;
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `${tendCommand} notify --ready --status serving`,
      'i=0',
      'while [ $i -lt 15 ]; do echo WATCHDOG=1 >&"$TEND_NOTIFY_FD"; sleep 0.2; i=$((i+1)); done',
      `${tendCommand} notify --status "done beating"`,
      'exec sleep 1000',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  await tend.ok(['start', '--name', 'script', '--ready-on', 'notify', '--watchdog', '1s', script]);
  const [ready] = (await tend.program('script')).instances;
  assert.equal(ready?.status, 'online');
  assert.equal(ready?.statusText, 'serving');
  const { exit } = await untilHungExit(tend, 'script', /no heartbeat/);
  // 15 heartbeats 0.2 s apart: had they not counted, the watchdog (1 s after READY=1) would have
  // ended the run long before the loop did.
  assert.ok(exit.uptimeMs >= 3_000, `ran ${exit.uptimeMs} ms: the heartbeats kept it alive`);
});

test('a worker whose memory stays above --max-memory is restarted, with the memory in the reason', async (t) => {
  const tend = useTend(t);
  // Node itself is some 40-60 MiB resident; the worker adds 10 MiB every 100 ms up to 150 MiB more.
  await tend.ok([
    'start',
    '--name',
    'leaky',
    '--max-memory',
    '100M',
    ...fixture('notify-worker', 'leak', '10', '150'),
  ]);
  const { exit } = await untilHungExit(tend, 'leaky', /^memory:/);
  assert.match(
    exit.reason ?? '',
    /^memory: \d+ MiB resident, above --max-memory 100 MiB in 3 checks 1s apart$/,
  );
  assert.equal(exit.isFailure, true);
});

test('a worker silent for longer than --silence-timeout is hung', async (t) => {
  const tend = useTend(t);
  // --no-wait: on a loaded machine Node may take longer than the timeout to print its first line.
  await tend.ok([
    'start',
    '--no-wait',
    '--name',
    'quiet',
    '--silence-timeout',
    '1s',
    ...fixture('forever'),
  ]);
  const { exit } = await untilHungExit(tend, 'quiet', /no output/);
  assert.match(exit.reason ?? '', /^hung: no output for [\d.]+m?s \(--silence-timeout 1s\)$/);
  assert.ok(exit.uptimeMs >= 1_000, `ran ${exit.uptimeMs} ms`);
});

test('bad heartbeat options and tend notify outside an instance are refused; the daemon is untouched', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'steady', ...fixture('forever')]);
  const [before] = await tend.list();
  const cases: Array<{ args: string[]; message: RegExp }> = [
    {
      args: ['--max-memory', '300'],
      message:
        /Expected --max-memory to be a size with a unit, such as 300M.*bare number has no unit, got "300"/,
    },
    { args: ['--max-memory', '300MB'], message: /MB is ambiguous .*write 300M/ },
    { args: ['--max-memory', '1.5Q'], message: /unknown unit "Q"/ },
    { args: ['--watchdog', '0'], message: /Expected --watchdog to be a duration/ },
    { args: ['--ready-on', 'http'], message: /Expected --ready-on to be one of notify, tcp, none/ },
    {
      args: ['--ready-on', 'notify', '--readiness', 'none'],
      message: /Expected one of --ready-on notify and --readiness none/,
    },
  ];
  for (const { args, message } of cases) {
    const result = await tend.run(['start', '--name', 'bad', ...args, ...fixture('forever')]);
    assert.equal(result.code, 2, `tend start ${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, `tend start ${args.join(' ')}`);
  }
  const outside = await tend.run(['notify', '--heartbeat']);
  assert.equal(outside.code, 2);
  assert.match(
    outside.stderr,
    /TEND_NOTIFY_FD is not set: `tend notify` only works when run by tend as an instance/,
  );
  const forged = await tend.run(['notify', '--ready'], { env: { TEND_NOTIFY_FD: '1' } });
  assert.equal(
    forged.code,
    2,
    'a descriptor that is no channel (here stdout, a socket to the test) is refused',
  );
  assert.match(forged.stderr, /Expected TEND_NOTIFY_FD to name the open notify channel/);
  const reply = await tend.api<{ error: { code: string; message: string } }>(
    'POST',
    '/v1/programs',
    {
      name: 'tiny',
      command: 'true',
      cwd: tend.home,
      maxMemoryBytes: 1000,
    },
  );
  assert.equal(reply.status, 400);
  assert.match(reply.body.error.message, /`maxMemoryBytes`/);
  const after = await tend.list();
  assert.deepEqual(
    after.map((instance) => [instance.name, instance.pid]),
    [['steady', before?.pid]],
  );
});

test('a flood of heartbeats leaves the daemon answering and the instance online', async (t) => {
  const tend = useTend(t);
  await tend.ok([
    'start',
    '--name',
    'flood',
    '--ready-on',
    'notify',
    '--watchdog',
    '2s',
    ...fixture('notify-worker', 'flood', '300000'),
  ]);
  const flooded = await tend.until(
    'the flood to be read',
    async () => {
      const instance = (await tend.program('flood')).instances[0];
      return instance?.statusText === 'flooded' && instance;
    },
    30_000,
  );
  assert.equal(flooded.status, 'online');
  assert.equal(flooded.restarts, 0);
  const listed = await tend.list();
  assert.equal(listed[0]?.pid, flooded.pid);
});

test("another program's READY=1 never makes this one ready: each instance speaks only on its own channel", async (t) => {
  const tend = useTend(t);
  await tend.ok([
    'start',
    '--no-wait',
    '--name',
    'waiter',
    '--ready-on',
    'notify',
    ...fixture('forever'),
  ]);
  // `tend start` returns once `other` said READY=1 on its channel and is online.
  await tend.ok([
    'start',
    '--name',
    'other',
    '--ready-on',
    'notify',
    ...fixture('notify-worker', 'heartbeat', '100'),
  ]);
  const [other] = (await tend.program('other')).instances;
  assert.equal(other?.status, 'online');
  const [waiter] = (await tend.program('waiter')).instances;
  assert.equal(waiter?.status, 'starting', 'still waiting for its own READY=1');
  assert.equal(waiter?.restarts, 0);
});
