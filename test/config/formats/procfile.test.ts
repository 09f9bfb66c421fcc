import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readForeignConfig } from '../../../src/config/formats/index.js';
import { FORMAT_FIXTURES, folderWith } from './format-helpers.js';

const FOLDER = join(FORMAT_FIXTURES, 'procfile');
const ENV = {
  ANIMAL: 'giraffe',
  RAILS_ENV: 'development',
  GREETING: 'hello world',
  DATABASE_URL: 'postgres://localhost/app',
};

test('a Rails Procfile: one program per type, run through a shell in its folder, with .env, PORT as foreman sets it', async () => {
  const config = await readForeignConfig(join(FOLDER, 'Procfile'), 'procfile');
  const program = (name: string, command: string, port: number) => ({
    name,
    command,
    shell: true,
    cwd: FOLDER,
    env: ENV,
    instances: 1,
    port,
    readiness: 'none',
  });
  assert.deepEqual(config.programs, [
    program('web', 'bundle exec rails server -p $PORT -e $RAILS_ENV', 5000),
    program('webpacker', './bin/webpack-dev-server', 5100),
    program('worker', 'QUEUES=mailers ./bin/rake jobs:work', 5200),
    program('client', 'cd client && npm start', 5300),
  ]);
  assert.deepEqual(config.warnings, []);
});

test('formation: web=2 gives two instances (PORT 5000, 5001), worker=0 leaves the type out with a warning', async () => {
  const config = await readForeignConfig(join(FOLDER, 'Procfile'), 'procfile', {
    formation: 'web=2,worker=0,mailer=1',
  });
  assert.deepEqual(
    config.programs.map((program) => [program.name, program.instances, program.port]),
    [
      ['web', 2, 5000],
      ['webpacker', 1, 5100],
      ['client', 1, 5300],
    ],
  );
  assert.deepEqual(config.warnings, [
    'worker: formation worker=0, not imported',
    `formation: mailer is not a process type of ${join(FOLDER, 'Procfile')}, ignored`,
  ]);
  const all = await readForeignConfig(join(FOLDER, 'Procfile'), 'procfile', { formation: 'all=3' });
  assert.ok(all.programs.every((program) => program.instances === 3));
});

test('PORT in .env is the base port, and leaves the environment (tend sets it per instance)', async (t) => {
  const folder = folderWith(t, { Procfile: 'web: ./server\r\n', '.env': 'PORT=8000\n' });
  const config = await readForeignConfig(join(folder, 'Procfile'), 'procfile');
  assert.deepEqual([config.programs[0]?.port, config.programs[0]?.env], [8000, {}]);
});
