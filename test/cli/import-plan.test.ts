import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkImportOptions, planImport } from '../../src/cli/commands/import.js';
import { detectForeignFormat } from '../../src/config/formats/index.js';
import { TendError } from '../../src/errors.js';

const WHERE = { cwd: '/srv/app', env: { HOME: '/home/me' } };

test('import pm2: $PM2_HOME/dump.pm2, else ~/.pm2/dump.pm2; a path given is read as a dump or, by its name, an ecosystem file', () => {
  assert.deepEqual(planImport('pm2', undefined, WHERE, detectForeignFormat), {
    file: '/home/me/.pm2/dump.pm2',
    format: 'pm2-dump',
  });
  assert.deepEqual(
    planImport(
      'pm2',
      undefined,
      { cwd: '/srv', env: { HOME: '/h', PM2_HOME: '/opt/pm2' } },
      detectForeignFormat,
    ),
    { file: '/opt/pm2/dump.pm2', format: 'pm2-dump' },
  );
  assert.deepEqual(planImport('pm2', 'ecosystem.config.js', WHERE, detectForeignFormat), {
    file: '/srv/app/ecosystem.config.js',
    format: 'pm2',
  });
  assert.deepEqual(planImport('pm2', 'backup/saved.json', WHERE, detectForeignFormat), {
    file: '/srv/app/backup/saved.json',
    format: 'pm2-dump',
  });
});

test('import procfile defaults to ./Procfile; ecosystem and supervisord need a path; another kind is a usage error', () => {
  assert.deepEqual(planImport('procfile', undefined, WHERE, detectForeignFormat), {
    file: '/srv/app/Procfile',
    format: 'procfile',
  });
  assert.deepEqual(
    planImport('supervisord', '/etc/supervisor/conf.d/a.conf', WHERE, detectForeignFormat),
    {
      file: '/etc/supervisor/conf.d/a.conf',
      format: 'supervisord',
    },
  );
  for (const [kind, code, message] of [
    ['ecosystem', 'TEND_ERR_USAGE_MISSING_ARGUMENT', /Expected the path of the ecosystem file/],
    ['supervisord', 'TEND_ERR_USAGE_MISSING_ARGUMENT', /supervisord configuration/],
    [
      'systemd',
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      /Expected what to import: pm2, ecosystem, procfile, supervisord; got "systemd"/,
    ],
  ] as const) {
    assert.throws(
      () => planImport(kind, undefined, WHERE, detectForeignFormat),
      (error: unknown) =>
        error instanceof TendError && error.code === code && message.test(error.message),
    );
  }
});

test('--env only with an ecosystem file and --formation only with a Procfile: elsewhere they are refused, not ignored', () => {
  checkImportOptions('pm2', 'production', undefined);
  checkImportOptions('procfile', undefined, 'web=2');
  assert.throws(
    () => checkImportOptions('pm2-dump', 'production', undefined),
    /Expected --env with a PM2 ecosystem file/,
  );
  assert.throws(
    () => checkImportOptions('supervisord', undefined, 'web=2'),
    /Expected --formation with a Procfile/,
  );
});
