import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readForeignConfig } from '../../../src/config/formats/index.js';
import { fixturePath } from '../../fixtures/fixture-path.js';
import { missingPm2Reason, writeRealPm2Dump } from '../../helpers/pm2-save.js';
import { folderWith } from './format-helpers.js';

test('a dump written by the real PM2 (`pm2 start -i 2` + `pm2 save`): one program per app, its instances, script, args and saved environment', {
  skip: missingPm2Reason(),
}, async (t) => {
  const folder = folderWith(t, {});
  const dump = join(folder, 'dump.pm2');
  const script = fixturePath('forever');
  await writeRealPm2Dump(
    [
      [script, '--name', 'web', '-i', '2'],
      [script, '--name', 'solo', '--', 'a b', 'c'],
    ],
    dump,
    folder,
  );
  const config = await readForeignConfig(dump, 'pm2-dump');
  const [web, solo] = config.programs;
  assert.deepEqual(
    { ...web, env: undefined },
    {
      name: 'web',
      command: 'node',
      args: [script],
      cwd: folder,
      instances: 2,
      env: undefined,
      stopSignal: 'SIGINT',
    },
  );
  assert.deepEqual(
    [solo?.name, solo?.args, solo?.instances],
    ['solo', [script, 'a b', 'c'], undefined],
  );
  // The environment PM2 saved, without PM2's own variables (its home, ids, the app's own key).
  assert.equal(web?.env?.PATH, process.env.PATH);
  for (const key of ['PM2_HOME', 'PM2_USAGE', 'unique_id', 'web', 'NODE_APP_INSTANCE', 'PWD']) {
    assert.equal(web?.env?.[key], undefined, key);
  }
  // PM2's defaults, saved for every process, are not warned about; cluster mode without a PORT is.
  assert.deepEqual(config.warnings, [
    "app web: cluster mode without a PORT in `env`: 2 separate processes; if they listen, set PORT in `env` for tend's proxy, or they will contend for one port",
  ]);
});
