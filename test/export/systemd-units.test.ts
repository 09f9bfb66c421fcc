import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { poolPortScript, systemdUnits } from '../../src/export/systemd-units.js';
import { missingToolReason } from '../helpers/external-tool.js';
import { makeTempHome } from '../helpers/temp-home.js';
import { AWKWARD, POOL, programSpec, SHELL_WORKER, SINGLE } from './export-specs.js';

const NO_SYSTEMD_ANALYZE = missingToolReason('systemd-analyze', 'systemd');

function unitOf(spec: Parameters<typeof systemdUnits>[0][number]) {
  const { units, warnings } = systemdUnits([spec]);
  const unit = units[0];
  assert.ok(unit);
  return { ...unit, lines: unit.content.split('\n'), warnings };
}

test('a single program becomes one service with its command, directory, environment, restart and stop settings', () => {
  const { fileName, lines, warnings } = unitOf(SINGLE);
  assert.equal(fileName, 'api.service');
  for (const line of [
    'Type=exec',
    'WorkingDirectory=/tmp',
    'Environment="NODE_ENV=production"',
    'Environment="PATH=/usr/local/bin:/usr/bin:/bin"',
    'Environment="TEND_NAME=api"',
    'Environment="TEND_INSTANCE=0"',
    `ExecStart=${process.execPath} server.js`,
    'Restart=always',
    'RestartSec=100ms',
    'StartLimitIntervalSec=60s',
    'StartLimitBurst=10',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=5s',
    'WantedBy=multi-user.target',
  ]) {
    assert.ok(lines.includes(line), `the unit has ${line}`);
  }
  assert.deepEqual(warnings, []);
});

test('a pool becomes a template whose instance N is instance N, with PORT = port + N computed at start', () => {
  const { fileName, content, lines, warnings } = unitOf(POOL);
  assert.equal(fileName, 'web@.service');
  assert.ok(lines.includes('Environment=TEND_INSTANCE=%i'));
  assert.ok(
    lines.includes(
      `ExecStart=/bin/sh -c "export PORT=$$((3000 + $$1)) && shift && exec \\"$$@\\"" web %i ${process.execPath} server.js`,
    ),
  );
  assert.match(content, /systemctl enable --now web@0 web@1 web@2\n/);
  assert.ok(lines.includes('TimeoutStopSec=10s'));
  const topics = warnings.map((warning) => /^web: (\S+)/.exec(warning)?.[1]);
  assert.deepEqual(topics, ['readiness', 'readinessProbe', 'livenessProbe', 'the', 'min']);
  assert.match(warnings[3] ?? '', /proxy on 127\.0\.0\.1:8080 .* ports 3000-3003/);
});

test('the pool script gives PORT = port + instance and passes every argument through unchanged', () => {
  const printer =
    'process.stdout.write(JSON.stringify([process.env.PORT, ...process.argv.slice(1)]))';
  const result = spawnSync(
    '/bin/sh',
    [
      '-c',
      poolPortScript(3000),
      'web',
      '2',
      process.execPath,
      '-e',
      printer,
      'two words',
      '$HOME',
      '',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), ['3002', 'two words', '$HOME', '']);
});

test('a shell line, on-failure, done exit codes and a stop signal translate', () => {
  const { lines, warnings } = unitOf(SHELL_WORKER);
  for (const line of [
    'ExecStart=/bin/sh -c "php artisan queue:work | tee -a /tmp/queue.log"',
    'Restart=on-failure',
    // tend restarts after a death by any signal; systemd counts these as clean unless told.
    'RestartForceExitStatus=SIGHUP SIGINT SIGTERM SIGPIPE',
    'RestartPreventExitStatus=3',
    'SuccessExitStatus=3',
    'KillSignal=SIGINT',
    'TimeoutStopSec=1500ms',
  ]) {
    assert.ok(lines.includes(line), `the unit has ${line}`);
  }
  assert.deepEqual(warnings, []);
});

test('quotes, $, % and newlines in arguments and variables are written so that systemd reads them back exactly', () => {
  const { lines } = unitOf(AWKWARD);
  assert.ok(
    lines.includes(
      `ExecStart=${process.execPath} -e "console.log(process.argv.slice(1))" -- "two words" "say \\"hi\\"" "$$HOME" 100%% ""`,
    ),
  );
  assert.ok(lines.includes('Environment="GREETING=say \\"hi\\" to $USER at 100%%\\nthen go"'));
  assert.ok(lines.includes('Environment="BACKSLASH=C:\\\\temp"'));
});

test('never is Restart=no; a relative command is made absolute from the directory; a bare one is named in a warning', () => {
  assert.ok(unitOf(programSpec({ name: 'once', restart: 'never' })).lines.includes('Restart=no'));
  const relative = unitOf(programSpec({ name: 'rel', command: './bin/worker', cwd: '/srv/app' }));
  assert.ok(relative.lines.includes('ExecStart=/srv/app/bin/worker'));
  const bare = unitOf(programSpec({ name: 'bare', command: 'node', args: ['x.js'] }));
  assert.ok(bare.lines.includes('ExecStart=node x.js'));
  assert.match(bare.warnings[0] ?? '', /^bare: systemd looks `node` up in its own search path/);
});

test('the backoff is kept as RestartSec, with the doubling for systemd 254 and later in comments', () => {
  const { lines } = unitOf(
    programSpec({ name: 'slow', backoffInitialMs: 1_000, backoffMaxMs: 30_000 }),
  );
  assert.ok(lines.includes('RestartSec=1s'));
  assert.ok(lines.includes('# RestartSteps=5'));
  assert.ok(lines.includes('# RestartMaxDelaySec=30s'));
});

test('systemd-analyze verify accepts every unit', { skip: NO_SYSTEMD_ANALYZE }, (t) => {
  const folder = makeTempHome(t, 'tend-units-');
  const { units } = systemdUnits([SINGLE, POOL, SHELL_WORKER, AWKWARD]);
  const paths = units.map((unit) => {
    const path = join(folder, unit.fileName);
    writeFileSync(path, unit.content);
    return path;
  });
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', ...paths], {
    encoding: 'utf8',
  });
  assert.equal(result.stderr, '');
  assert.equal(result.status, 0);
});

test('systemd-analyze verify reports a unit it cannot read (so the test above can fail)', {
  skip: NO_SYSTEMD_ANALYZE,
}, (t) => {
  const path = join(makeTempHome(t, 'tend-units-'), 'broken.service');
  writeFileSync(path, '[Service]\nExecStart=/bin/true\nEnvironment="A=b\n');
  const result = spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
  assert.match(result.stderr, /Invalid syntax/);
});
