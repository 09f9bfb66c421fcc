import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { pollUntil, TEND_BIN, useTend } from './harness.js';

const ECHO_ON_USR1 =
  "let n=0;process.on('SIGUSR1',()=>console.log('poke '+(++n)));process.on('SIGUSR2',()=>console.error('oops'));console.log('ready');setInterval(()=>{},1e9)";

test('tend logs shows the last lines by stream, and -f shows each new line as it is written', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'poke', '--', process.execPath, '-e', ECHO_ON_USR1]);
  await pollUntil('ready', async () => (await tend.ok(['logs', 'poke'])).includes('ready'));
  const [row] = await tend.list();
  assert.ok(row?.pid);

  const follower = spawn(process.execPath, [TEND_BIN, 'logs', 'poke', '-f', '--lines', '0'], {
    env: { ...process.env, TEND_HOME: tend.home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => follower.kill('SIGKILL'));
  let seen = '';
  follower.stdout.setEncoding('utf8');
  const lineArrives = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (seen.includes(text)) {
          follower.stdout.off('data', onData);
          resolve();
        }
      };
      const onData = (chunk: string) => {
        seen += chunk;
        check();
      };
      follower.stdout.on('data', onData);
      check();
    });

  // The follower has subscribed once the daemon has its connection; poke until the first line shows.
  await pollUntil('the follower to receive a line', async () => {
    process.kill(row.pid as number, 'SIGUSR1');
    return Promise.race([
      lineArrives('poke'),
      new Promise((resolve) => setTimeout(resolve, 200)),
    ]).then(() => seen.includes('poke'));
  });
  const before = (seen.match(/poke \d+/g) ?? []).length;
  process.kill(row.pid, 'SIGUSR1');
  await lineArrives(`poke ${before + 1}`);
  assert.doesNotMatch(seen, /ready/, '--lines 0 shows no past line');

  const last = await tend.ok(['logs', 'poke', '--lines', '2', '--out']);
  assert.equal(last.trim().split('\n').length, 2);
  process.kill(row.pid, 'SIGUSR2');
  await pollUntil('the stderr line', async () =>
    (await tend.ok(['logs', 'poke', '--err'])).includes('oops'),
  );
  assert.doesNotMatch(await tend.ok(['logs', 'poke', '--err']), /poke/);
  assert.match(
    await tend.ok(['logs', 'poke', '--timestamps', '--lines', '1']),
    /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d.* oops$/m,
  );

  follower.kill('SIGTERM');
  await once(follower, 'exit');
});

// Regression: `tend logs` showed 20 lines in total, while README and docs/logs.md promised 20 per instance.
test('tend logs --lines N shows the last N lines of each instance', async (t) => {
  const tend = useTend(t);
  const threeLines =
    "for(let i=1;i<=3;i++)console.log('i'+process.env.TEND_INSTANCE+' line '+i);setInterval(()=>{},1e9)";
  await tend.ok([
    'start',
    '--name',
    'pair',
    '--instances',
    '2',
    '--',
    process.execPath,
    '-e',
    threeLines,
  ]);
  await pollUntil('both instances to log three lines', async () => {
    const all = await tend.ok(['logs', 'pair']);
    return all.includes('i0 line 3') && all.includes('i1 line 3');
  });
  const shown = (await tend.ok(['logs', 'pair', '--lines', '2']))
    .trim()
    .split('\n')
    .map((line) => line.replace(/^.*\| /, ''))
    .sort();
  assert.deepEqual(shown, ['i0 line 2', 'i0 line 3', 'i1 line 2', 'i1 line 3']);
});

test('tend logs of a program that wrote nothing says so on standard error instead of printing nothing', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'mute', '--', 'sleep', '1000']);
  const both = await tend.run(['logs', 'mute']);
  assert.deepEqual(both, {
    code: 0,
    stdout: '',
    stderr: 'tend: `mute` has written nothing yet (`tend logs mute -f` waits for it)\n',
  });
  const err = await tend.run(['logs', 'mute', '--err']);
  assert.match(err.stderr, /^tend: `mute` has written nothing on standard error yet/);
  // Asked for no past lines, or for JSON: nothing to explain.
  assert.equal((await tend.run(['logs', 'mute', '-n', '0'])).stderr, '');
  assert.equal((await tend.run(['logs', 'mute', '--json'])).stderr, '');
});
