import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectForeignFormat } from '../../../src/config/formats/index.js';
import { folderWith } from './format-helpers.js';

test('the format is told by the file name, and a .conf/.ini by a [program:…] section in it', (t) => {
  const folder = folderWith(t, {
    'app.conf': '; comment\n[program:api]\ncommand=/bin/cat\n',
    'nginx.conf': 'server { listen 80; }\n',
  });
  const cases: Array<[string, string | null]> = [
    ['ecosystem.config.js', 'pm2'],
    ['ecosystem.config.cjs', 'pm2'],
    ['ecosystem.config.mjs', 'pm2'],
    ['ecosystem.json', 'pm2'],
    ['ecosystem.yml', 'pm2'],
    ['ecosystem.production.yaml', 'pm2'],
    ['pm2.config.js', 'pm2'],
    ['dump.pm2', 'pm2-dump'],
    ['Procfile', 'procfile'],
    ['Procfile.dev', 'procfile'],
    ['supervisord.conf', 'supervisord'],
    [join(folder, 'app.conf'), 'supervisord'],
    [join(folder, 'nginx.conf'), null],
    ['tend.yaml', null],
    ['package.json', null],
  ];
  for (const [path, format] of cases) assert.equal(detectForeignFormat(path), format, path);
});
