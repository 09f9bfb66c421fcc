import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixturePath } from '../fixtures/fixture-path.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { missingPm2Reason, writeRealPm2Dump } from '../helpers/pm2-save.js';
import { isProcessAlive } from '../helpers/proc.js';
import { useTend } from './harness.js';

/** A temporary folder, removed after the test. */
function tempFolder(t: { after(fn: () => void): void }): string {
  const folder = mkdtempSync(join(tmpdir(), 'tend-import-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}

test('tend import pm2: the real PM2 dump in $PM2_HOME becomes running programs; a second import is refused and changes nothing', {
  skip: missingPm2Reason(),
}, async (t) => {
  const tend = useTend(t);
  const pm2Home = tempFolder(t);
  const script = fixturePath('forever');
  await writeRealPm2Dump(
    [
      [script, '--name', 'web', '-i', '2'],
      [script, '--name', 'solo', '--', 'a b'],
    ],
    join(pm2Home, 'dump.pm2'),
    pm2Home,
  );

  const imported = await tend.run(['import', 'pm2'], { env: { PM2_HOME: pm2Home } });
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(
    imported.stdout,
    new RegExp(`^Imported 2 program\\(s\\) from ${join(pm2Home, 'dump.pm2')}:`),
  );
  assert.match(imported.stdout, /^ {2}web \(2 instances\): node .*forever\.js$/m);
  assert.match(imported.stdout, /^ {2}solo \(1 instance\): node .*forever\.js "a b"$/m);
  assert.match(imported.stderr, /^tend: warning: app web: cluster mode without a PORT/m);

  const running = await tend.until('web:0, web:1 and solo:0 online', async () => {
    const rows = await tend.list();
    const online = rows.filter((row) => row.status === 'online');
    return online.length === 3 ? rows : undefined;
  });
  const solo = await tend.program('solo');
  assert.deepEqual(solo.spec.args, [script, 'a b']);
  assert.equal(solo.spec.stopSignal, 'SIGINT');

  const again = await tend.run(['import', 'pm2'], { env: { PM2_HOME: pm2Home } });
  assert.equal(again.code, 1);
  assert.match(
    again.stderr,
    /^tend: Expected names not yet managed; web, solo are already: nothing was imported/m,
  );
  const after = await tend.list();
  assert.deepEqual(
    after.map((row) => [row.name, row.instance, row.pid]),
    running.map((row) => [row.name, row.instance, row.pid]),
  );
});

test('tend import: a file with an invalid program creates nothing; a program the daemon refuses removes the ones created before it', async (t) => {
  const tend = useTend(t);
  const folder = tempFolder(t);
  const script = fixturePath('forever');
  writeFileSync(
    join(folder, 'ecosystem.config.js'),
    `module.exports = { apps: [
      { name: 'first', script: ${JSON.stringify(script)} },
      { name: 'second', script: ${JSON.stringify(script)}, kill_timeout: -5 },
    ] };\n`,
  );
  const invalid = await tend.run(['import', 'ecosystem', 'ecosystem.config.js'], { cwd: folder });
  assert.equal(invalid.code, 2);
  assert.match(
    invalid.stderr,
    /^tend: ecosystem\.config\.js: app "second" \(apps\[1\]\): `kill_timeout`: Expected a duration/m,
  );
  assert.deepEqual(await tend.list(), []);

  writeFileSync(
    join(folder, 'ecosystem.config.js'),
    `module.exports = { apps: [
      { name: 'first', script: ${JSON.stringify(script)} },
      { name: 'second', script: './no-such-program', interpreter: 'none' },
    ] };\n`,
  );
  const refused = await tend.run(['import', 'ecosystem', 'ecosystem.config.js'], { cwd: folder });
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /^tend: second: .*; nothing was imported \(first removed again\)$/m);
  assert.deepEqual(await tend.list(), []);
});

test('tend import procfile: the commands run through a shell with the .env, and PORT from it (base) plus the instance, shown by --dry-run as the import assigns it', async (t) => {
  const tend = useTend(t);
  const folder = tempFolder(t);
  writeFileSync(
    join(folder, 'Procfile'),
    `# a process type whose shell line uses the environment\nweb: exec node ${fixturePath('forever')} "$GREETING" "$PORT"\n`,
  );
  const port = await findFreePortRange(2);
  writeFileSync(join(folder, '.env'), `GREETING="hello world"\nPORT=${port}\n`);
  const line = `web (2 instances on ports ${port}-${port + 1}): sh -c "exec node ${fixturePath('forever')} \\"$GREETING\\" \\"$PORT\\""\n`;
  const dryRun = await tend.ok(['import', 'procfile', '--formation', 'web=2', '--dry-run'], {
    cwd: folder,
  });
  assert.equal(dryRun, `Would import 1 program(s) from ${join(folder, 'Procfile')}:\n  ${line}`);
  const imported = await tend.ok(['import', 'procfile', '--formation', 'web=2'], { cwd: folder });
  assert.equal(imported, `Imported 1 program(s) from ${join(folder, 'Procfile')}:\n  ${line}`);
  const rows = await tend.until('web:0 and web:1 online', async () => {
    const online = (await tend.list()).filter((row) => row.status === 'online');
    return online.length === 2 ? online : undefined;
  });
  for (const row of rows) {
    assert.ok(typeof row.pid === 'number' && isProcessAlive(row.pid));
    const argv = readFileSync(`/proc/${row.pid}/cmdline`, 'utf8').split('\0').slice(-3, -1);
    assert.deepEqual(argv, ['hello world', String(port + row.instance)]);
  }
});
