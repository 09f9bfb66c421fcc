import { join } from 'node:path';
import { test } from 'node:test';
import { readForeignConfig } from '../../../src/config/formats/index.js';
import { assertRejects, FORMAT_FIXTURES, folderWith } from './format-helpers.js';

test('malformed JSON: the file, line:column and what was expected', async (t) => {
  const folder = folderWith(t, {
    'ecosystem.json': '{\n  "apps": [\n    { "name": "api", }\n  ]\n}\n',
    'ecosystem.config.json': '// comments are JavaScript\n{ "apps": [] }\n',
  });
  await assertRejects(
    readForeignConfig(join(folder, 'ecosystem.json'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_SYNTAX',
    /^ecosystem\.json: 3:22: Expected valid JSON: Expected double-quoted property name/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'ecosystem.config.json'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_SYNTAX',
    /^ecosystem\.config\.json: 1:1: Expected valid JSON: Unexpected token '\/'.*rename the file to \.js/,
  );
});

test('malformed YAML: the file, line:column and the parser’s reason', async (t) => {
  const folder = folderWith(t, {
    'ecosystem.yml': 'apps:\n  - name: api\n    script: [unclosed\n',
  });
  await assertRejects(
    readForeignConfig(join(folder, 'ecosystem.yml'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_SYNTAX',
    /^ecosystem\.yml: \d+:\d+: Expected valid YAML: /,
  );
});

test('a JavaScript ecosystem file that throws: the error and where, from the child process', async (t) => {
  const folder = folderWith(t, {
    'ecosystem.config.cjs':
      "const port = require('./missing-settings.json');\nmodule.exports = { apps: [] };\n",
    'throws.config.js': "throw new Error('boom');\n",
  });
  await assertRejects(
    readForeignConfig(join(folder, 'ecosystem.config.cjs'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_JS_FAILED',
    /^ecosystem\.config\.cjs: Expected the ecosystem file to load without error; it threw Error: Cannot find module '\.\/missing-settings\.json'/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'throws.config.js'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_JS_FAILED',
    /it threw Error: boom/,
  );
});

test('a JavaScript ecosystem file that loops for ever is killed at its time limit, and named', async (t) => {
  const folder = folderWith(t, { 'ecosystem.config.js': 'for (;;) {}\n' });
  await assertRejects(
    readForeignConfig(join(folder, 'ecosystem.config.js'), 'pm2', { scriptTimeoutMs: 200 }),
    'TEND_ERR_CONFIG_IMPORT_JS_FAILED',
    /^ecosystem\.config\.js: Expected the ecosystem file to finish loading within 200ms; it was stopped/,
  );
});

test('a JavaScript ecosystem file that exports no object, or apps that are not objects', async (t) => {
  const folder = folderWith(t, {
    'number.config.js': 'module.exports = 42;\n',
    'nothing.config.mjs': 'export default undefined;\n',
    'strings.config.js': "module.exports = { apps: ['api.js'] };\n",
  });
  await assertRejects(
    readForeignConfig(join(folder, 'number.config.js'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_JS_FAILED',
    /Expected the ecosystem file to export an object such as `module\.exports = \{ apps: \[\.\.\.\] \}`, got a number/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'nothing.config.mjs'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_JS_FAILED',
    /got nothing/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'strings.config.js'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^strings\.config\.js: apps\[0\]: Expected an app object with `script`, got "api\.js"/,
  );
});

test('duplicate names are refused with both places', async (t) => {
  const folder = folderWith(t, {
    'ecosystem.yaml': 'apps:\n  - name: api\n    script: a.js\n  - name: api\n    script: b.js\n',
    Procfile: 'web: node a.js\nweb: node b.js\n',
    'supervisord.conf': '[program:api]\ncommand=/bin/cat\n[program:api]\ncommand=/bin/cat\n',
  });
  await assertRejects(
    readForeignConfig(join(folder, 'ecosystem.yaml'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^ecosystem\.yaml: line 4: app "api": Expected each program name once, got "api" again \(first at line 2: app "api"\)/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'Procfile'), 'procfile'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^Procfile: line 2: Expected each process type once, got "web" again/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'supervisord.conf'), 'supervisord'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^supervisord\.conf: line 3: \[program:api\]: Expected each program name once/,
  );
});

test('a value tend cannot take names the file, the app, the field and where it came from', async (t) => {
  const folder = folderWith(t, {
    'ecosystem.json': JSON.stringify({
      apps: [
        { name: 'ok', script: 'ok.js' },
        { name: 'api', script: 'api.js', kill_timeout: 0 },
      ],
    }),
    'instances.json': JSON.stringify({ apps: [{ name: 'w', script: 'w.js', instances: 'lots' }] }),
    'noscript.json': JSON.stringify({ apps: [{ name: 'w' }] }),
  });
  await assertRejects(
    readForeignConfig(join(folder, 'ecosystem.json'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^ecosystem\.json: app "api" \(apps\[1\]\): `stopTimeoutMs`: .* \(from kill_timeout\)$/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'instances.json'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^instances\.json: app "w" \(apps\[0\]\): `instances`: Expected a whole number or 'max', got "lots"$/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'noscript.json'), 'pm2'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /`script`: Expected the file or command to run/,
  );
});

test('a Procfile with odd lines: the line number and the expected shape', async (t) => {
  const folder = folderWith(t, {
    Procfile: '# processes\nweb: node server.js\nworker node worker.js\n',
  });
  await assertRejects(
    readForeignConfig(join(folder, 'Procfile'), 'procfile'),
    'TEND_ERR_CONFIG_IMPORT_SYNTAX',
    /^Procfile: line 3: Expected `<type>: <command>` .*got "worker node worker\.js"/,
  );
});

test('odd quoting: a .env value whose quote never closes, a line that is not KEY=value, supervisord environment', async (t) => {
  const unclosed = folderWith(t, {
    Procfile: 'web: node server.js\n',
    '.env': 'A=1\nB="never closed\nC=3\n',
  });
  await assertRejects(
    readForeignConfig(join(unclosed, 'Procfile'), 'procfile'),
    'TEND_ERR_CONFIG_IMPORT_SYNTAX',
    /^\.env: line 2, column 3: The " opened here is never closed$/,
  );
  const odd = folderWith(t, { Procfile: 'web: node server.js\n', '.env': 'A=1\njust words\n' });
  await assertRejects(
    readForeignConfig(join(odd, 'Procfile'), 'procfile'),
    'TEND_ERR_CONFIG_IMPORT_SYNTAX',
    /^\.env: line 2, column 1: Expected KEY=VALUE or a # comment$/,
  );
  const ini = folderWith(t, {
    'app.conf': '[program:api]\ncommand=/bin/cat\nenvironment=A="1",B="unclosed\n',
  });
  await assertRejects(
    readForeignConfig(join(ini, 'app.conf'), 'supervisord'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^app\.conf: line 3: \[program:api\]: `environment`: Expected a closing " for the quote at character 9/,
  );
});

test('a dump from another PM2 version: what is missing, the version it names, and the keys it has', async (t) => {
  await assertRejects(
    readForeignConfig(join(FORMAT_FIXTURES, 'pm2-dump', 'other-version.pm2'), 'pm2-dump'),
    'TEND_ERR_CONFIG_IMPORT_PM2_DUMP',
    /^other-version\.pm2: process 0 \(api\): Expected `pm_exec_path` in each process .* written by PM2 99\.0\.0, with keys name, exec, interpreter, instances, _pm2_version$/,
  );
  const folder = folderWith(t, {
    'object.pm2': '{"processes": []}',
    'empty.pm2': '[]',
  });
  await assertRejects(
    readForeignConfig(join(folder, 'object.pm2'), 'pm2-dump'),
    'TEND_ERR_CONFIG_IMPORT_PM2_DUMP',
    /Expected a JSON array of processes \(what `pm2 save` writes\), got an object/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'empty.pm2'), 'pm2-dump'),
    'TEND_ERR_CONFIG_IMPORT_PM2_DUMP',
    /the dump is empty/,
  );
});

test('a missing file is named with its full path, and a missing PM2 dump with what writes it', async (t) => {
  const folder = folderWith(t, {});
  await assertRejects(
    readForeignConfig(join(folder, 'dump.pm2'), 'pm2-dump'),
    'TEND_ERR_CONFIG_IMPORT_UNREADABLE',
    /^dump\.pm2: Expected a readable file: no such file: \/.+\/dump\.pm2 \(`pm2 save` writes it into \$PM2_HOME, by default ~\/\.pm2; `tend import pm2 <path>` reads another file\)$/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'Procfile'), 'procfile'),
    'TEND_ERR_CONFIG_IMPORT_UNREADABLE',
    new RegExp(`^Procfile: Expected a readable file: no such file: ${join(folder, 'Procfile')}$`),
  );
});
