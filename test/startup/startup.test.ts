import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findCommand } from '../../src/cli/command-table.js';
import { runStartup } from '../../src/cli/commands/startup.js';
import { runUnstartup } from '../../src/cli/commands/unstartup.js';
import { createCliContext } from '../../src/cli/create-context.js';
import { parseCommandArgs } from '../../src/cli/parse-args.js';
import { tendCommand } from '../../src/cli/tend-command.js';
import { DAEMON_NODE_FLAGS } from '../../src/config/daemon-node-flags.js';
import { TendError } from '../../src/errors.js';
import { installStartup, planStartup, removeStartup } from '../../src/startup/install-startup.js';
import type { CommandOutcome, StartupHost } from '../../src/startup/startup-host.js';
import { CapturedStream, runTend } from '../cli/cli-harness.js';
import { missingToolReason } from '../helpers/external-tool.js';
import { makeTempHome } from '../helpers/temp-home.js';

const NO_SYSTEMD_ANALYZE = missingToolReason('systemd-analyze', 'systemd');
const USER_PATH = '/home/ann/.nvm/versions/node/v20.19.0/bin:/usr/local/bin:/usr/bin:/bin';

/** A machine with systemd (or not) whose unit folders are temporary and whose commands are recorded. */
function fakeHost(
  t: { after(fn: () => void): void },
  options: { uid?: number; hasSystemd?: boolean; hasNotify?: boolean; fails?: string } = {},
) {
  const folder = makeTempHome(t, 'tend-units-');
  const calls: string[] = [];
  const host: StartupHost = {
    run: async (file, args): Promise<CommandOutcome> => {
      const line = [file, ...args].join(' ');
      calls.push(line);
      return line === options.fails
        ? { code: 1, stdout: '', stderr: 'Failed to connect to bus: No medium found\n' }
        : { code: 0, stdout: '', stderr: '' };
    },
    isSystemdRunning: () => options.hasSystemd ?? true,
    findExecutable: (name, searchPath) =>
      name === 'systemd-notify' && (options.hasNotify ?? true) && searchPath === USER_PATH
        ? '/usr/bin/systemd-notify'
        : undefined,
    unitPath: (scope) => join(folder, scope, 'tend.service'),
    uid: options.uid ?? 1000,
    userName: 'ann',
  };
  return { host, calls, folder };
}

const TEND = {
  node: '/home/ann/.nvm/versions/node/v20.19.0/bin/node',
  bin: '/opt/tend/bin/tend.js',
};

function request(scope?: 'user' | 'system') {
  return { scope, home: '/home/ann/.tend', env: { PATH: USER_PATH }, tend: TEND };
}

test('the unit runs this Node and this tend in the foreground, with the PATH and TEND_HOME of the user who ran it', (t) => {
  const { host } = fakeHost(t);
  const plan = planStartup(request(), host);
  assert.equal(plan.scope, 'user');
  assert.equal(plan.type, 'notify');
  const lines = plan.unit.split('\n');
  for (const line of [
    'Type=notify',
    'NotifyAccess=all',
    `Environment="PATH=${USER_PATH}"`,
    'Environment="TEND_HOME=/home/ann/.tend"',
    'WorkingDirectory=/home/ann/.tend',
    `ExecStart=${[TEND.node, ...DAEMON_NODE_FLAGS, TEND.bin, 'daemon'].join(' ')}`,
    'KillMode=process',
    'Restart=always',
    'SuccessExitStatus=75',
    'WantedBy=default.target',
  ]) {
    assert.ok(lines.includes(line), `the unit has ${line}`);
  }
  assert.ok(!plan.unit.includes('User='));
});

test('root gets a system unit by default; a system unit for someone else runs as them; no systemd-notify means Type=simple', (t) => {
  const root = planStartup(request(), fakeHost(t, { uid: 0 }).host);
  assert.equal(root.scope, 'system');
  assert.match(root.unit, /\nWantedBy=multi-user\.target\n/);
  assert.match(root.unit, /\nAfter=network\.target\n/);
  assert.ok(!root.unit.includes('User='));
  const other = planStartup(request('system'), fakeHost(t).host);
  assert.match(other.unit, /\nUser=ann\n/);
  const simple = planStartup(request(), fakeHost(t, { hasNotify: false }).host);
  assert.equal(simple.type, 'simple');
  assert.match(simple.unit, /\nType=simple\n/);
  assert.ok(!simple.unit.includes('NotifyAccess'));
});

test('installing writes the unit, reloads systemd, enables and starts it, and lets the user manager run at boot', async (t) => {
  const { host, calls } = fakeHost(t);
  const plan = planStartup(request(), host);
  const outcome = await installStartup(plan, host, false);
  assert.deepEqual(outcome, { ok: true, isStartedNow: true, lingerProblem: undefined });
  assert.equal(readFileSync(plan.path, 'utf8'), plan.unit);
  assert.deepEqual(calls, [
    'systemctl --user daemon-reload',
    'systemctl --user enable --now tend.service',
    'loginctl enable-linger ann',
  ]);
});

test('with a daemon already running, the unit is enabled but not started (a second daemon would find the home taken)', async (t) => {
  const { host, calls } = fakeHost(t, { uid: 0 });
  const outcome = await installStartup(planStartup(request(), host), host, true);
  assert.deepEqual(outcome, { ok: true, isStartedNow: false, lingerProblem: undefined });
  assert.deepEqual(calls, ['systemctl daemon-reload', 'systemctl enable tend.service']);
});

test('a failing systemctl leaves the unit file as it was before', async (t) => {
  const { host } = fakeHost(t, { fails: 'systemctl --user enable --now tend.service' });
  const plan = planStartup(request(), host);
  const outcome = await installStartup(plan, host, false);
  assert.deepEqual(outcome, {
    ok: false,
    problem:
      'systemctl --user enable --now tend.service failed: Failed to connect to bus: No medium found',
  });
  assert.equal(existsSync(plan.path), false);

  writeFileSync(plan.path, '# the old unit\n');
  await installStartup(plan, host, false);
  assert.equal(readFileSync(plan.path, 'utf8'), '# the old unit\n');
});

test('without systemd, nothing is written and nothing is run', async (t) => {
  const { host, calls } = fakeHost(t, { hasSystemd: false });
  const plan = planStartup(request(), host);
  const outcome = await installStartup(plan, host, false);
  assert.equal(outcome.ok, false);
  assert.equal(existsSync(plan.path), false);
  assert.deepEqual(calls, []);
});

test('removing disables the unit, deletes it and reloads; removing twice says there was nothing', async (t) => {
  const { host, calls } = fakeHost(t);
  const plan = planStartup(request(), host);
  await installStartup(plan, host, true);
  calls.length = 0;
  assert.deepEqual(await removeStartup('user', host), { ok: true, wasInstalled: true });
  assert.equal(existsSync(plan.path), false);
  assert.deepEqual(calls, [
    'systemctl --user disable tend.service',
    'systemctl --user daemon-reload',
  ]);
  assert.deepEqual(await removeStartup('user', host), { ok: true, wasInstalled: false });
});

/** Runs a command module in-process on a fake machine, with a home where no daemon runs. */
async function runOnHost(
  t: { after(fn: () => void): void },
  name: 'startup' | 'unstartup',
  argv: string[],
  host: StartupHost,
) {
  const home = makeTempHome(t);
  const stdout = new CapturedStream();
  const stderr = new CapturedStream();
  const ctx = createCliContext({
    env: { TEND_HOME: home, PATH: USER_PATH },
    cwd: home,
    stdout,
    stderr,
  });
  const command = findCommand(name);
  assert.ok(command);
  const args = parseCommandArgs(command, argv);
  const run = name === 'startup' ? runStartup : runUnstartup;
  try {
    return { code: await run(args, ctx, host), stdout: stdout.text, stderr: stderr.text, home };
  } catch (error) {
    return { error, stdout: stdout.text, stderr: stderr.text, home };
  }
}

test('tend startup says what it did; tend unstartup undoes it', async (t) => {
  const { host } = fakeHost(t);
  const started = await runOnHost(t, 'startup', ['systemd'], host);
  assert.equal(started.code, 0);
  assert.match(
    started.stdout,
    /^Wrote .*\/user\/tend\.service \(Type=notify\) and enabled it: the daemon for .* starts at boot\.\nsystemd runs it now/,
  );
  const stopped = await runOnHost(t, 'unstartup', [], host);
  assert.equal(stopped.code, 0);
  assert.match(stopped.stdout, /^Disabled and removed .*\/user\/tend\.service/);
  const again = await runOnHost(t, 'unstartup', [], host);
  assert.match(again.stdout, /^No unit at .*\/user\/tend\.service: nothing to remove\.\n$/);
  assert.equal((await runOnHost(t, 'startup', ['--system'], host)).code, 0);
  const elsewhere = await runOnHost(t, 'unstartup', ['--user'], host);
  assert.match(
    elsewhere.stdout,
    /but there is one at .*\/system\/tend\.service: `tend unstartup --system` removes it\.\n$/,
  );
});

test('without systemd, tend startup prints the unit and where to put it, and fails', async (t) => {
  const { host } = fakeHost(t, { hasSystemd: false });
  const result = await runOnHost(t, 'startup', [], host);
  assert.ok(result.error instanceof TendError);
  assert.equal(result.error.code, 'TEND_ERR_STARTUP_NO_SYSTEMD');
  assert.equal(result.error.exitCode, 1);
  assert.match(
    result.error.message,
    /^systemd is not running on this machine .*: the unit was not installed/,
  );
  assert.match(result.stdout, /\nExecStart=.* daemon\n/);
  assert.match(
    result.stdout,
    /\nSave the unit above as .*\/user\/tend\.service, then run:\n {2}systemctl --user daemon-reload\n/,
  );
  assert.match(result.stdout, /\n {2}@reboot TEND_HOME=.* daemon start\n$/);
});

test('--print writes nothing and runs nothing; bad arguments are usage errors', async (t) => {
  const home = makeTempHome(t);
  const printed = await runTend(['startup', '--print', '--user'], home, {
    env: { TEND_HOME: home, PATH: process.env.PATH, XDG_CONFIG_HOME: join(home, 'config') },
  });
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(
    printed.stdout,
    new RegExp(`^# ${join(home, 'config')}/systemd/user/tend\\.service\n`),
  );
  assert.match(printed.stdout, new RegExp(`\nEnvironment="TEND_HOME=${home}"\n`));
  assert.equal(existsSync(join(home, 'config')), false);
  const both = await runTend(['startup', '--user', '--system'], home);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /Expected --user or --system, not both/);
  const upstart = await runTend(['startup', 'upstart'], home);
  assert.equal(upstart.code, 2);
  assert.match(upstart.stderr, /the only init system tend writes for\), got "upstart"/);
});

test('systemd-analyze verify accepts the user and the system unit', {
  skip: NO_SYSTEMD_ANALYZE,
}, (t) => {
  const folder = makeTempHome(t, 'tend-units-');
  const { node, bin } = tendCommand();
  for (const scope of ['user', 'system'] as const) {
    const { host } = fakeHost(t);
    const plan = planStartup(
      { scope, home: folder, env: { PATH: USER_PATH }, tend: { node, bin } },
      host,
    );
    const path = join(folder, `${scope}-tend.service`);
    writeFileSync(path, plan.unit);
    const result = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
    assert.equal(result.stderr, '', `${scope}: ${result.stderr}`);
    assert.equal(result.status, 0);
  }
});
