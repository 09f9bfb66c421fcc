import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readForeignConfig } from '../../../src/config/formats/index.js';
import { PM2_IGNORED_FIELDS, PM2_MAPPED_FIELDS } from '../../../src/config/formats/pm2-fields.js';
import { FORMAT_FIXTURES, folderWith, PM2_TEMPLATES } from './format-helpers.js';

const DOCS = join(FORMAT_FIXTURES, 'pm2-docs');

test("PM2's documented JavaScript example: node with the script's absolute path, SIGINT, env_production with --env, watch warned", async () => {
  const config = await readForeignConfig(join(DOCS, 'ecosystem.config.js'), 'pm2', {
    envName: 'production',
  });
  assert.deepEqual(config.programs, [
    {
      name: 'worker',
      command: 'node',
      args: [join(DOCS, 'worker.js')],
      cwd: DOCS,
      env: { NODE_ENV: 'production' },
      stopSignal: 'SIGINT',
    },
    {
      name: 'api-app',
      command: 'node',
      args: [join(DOCS, 'api.js')],
      cwd: DOCS,
      instances: 4,
      env: {},
      stopSignal: 'SIGINT',
    },
  ]);
  assert.ok(
    config.warnings.includes(
      'app worker: `watch` is not supported by tend, ignored: tend does not watch files; `tend restart <name>` after a change',
    ),
    config.warnings.join('\n'),
  );
  assert.ok(config.warnings.some((line) => /^app api-app: cluster mode without a PORT/.test(line)));
  assert.ok(config.warnings.includes('app api-app: has no `env_production`; only `env` is used'));
});

test("PM2's documented YAML example gives the same programs as its JavaScript one", async () => {
  const byName = (programs: Array<{ name: string }>) =>
    [...programs].sort((a, b) => a.name.localeCompare(b.name));
  const fromJs = await readForeignConfig(join(DOCS, 'ecosystem.config.js'), 'pm2');
  const fromYaml = await readForeignConfig(join(DOCS, 'ecosystem.yml'), 'pm2');
  assert.deepEqual(byName(fromYaml.programs), byName(fromJs.programs));
  assert.equal(fromJs.programs.find((p) => p.name === 'worker')?.env?.NODE_ENV, 'development');
});

test('a JSON ecosystem file: args array kept word for word, node_args string split, absolute cwd, log and pid files warned', async () => {
  const folder = join(FORMAT_FIXTURES, 'pm2-gist');
  const config = await readForeignConfig(join(folder, 'ecosystem.json'), 'pm2');
  const [worker, api] = config.programs;
  assert.deepEqual(worker, {
    name: 'worker-app',
    command: 'node',
    args: ['--harmony', '/this/is/a/path/to/start/script/worker.js', '--toto=heya coco', '-d', '1'],
    cwd: '/this/is/a/path/to/start/script',
    env: { NODE_ENV: 'production', AWESOME_SERVICE_API_TOKEN: 'xxx' },
    stopSignal: 'SIGINT',
  });
  assert.equal(api?.instances, 4);
  assert.equal(api?.cwd, folder);
  for (const field of ['watch', 'merge_logs', 'error_file', 'out_file', 'pid_file']) {
    assert.ok(
      config.warnings.some((line) => line.includes(`\`${field}\` is not supported by tend`)),
      `${field} warned`,
    );
  }
});

test("socket.io's ES module example (`export const apps` in a type:module package): instances 'max' is one per CPU", async () => {
  const config = await readForeignConfig(
    join(FORMAT_FIXTURES, 'socketio', 'ecosystem.config.js'),
    'pm2',
    { cpuCount: 3 },
  );
  assert.equal(config.programs[0]?.name, 'pm2-example');
  assert.equal(config.programs[0]?.instances, 3);
});

test("PM2's own `pm2 init` templates, as .js (CommonJS), .mjs and ES modules: names from the scripts, deploy warned", async (t) => {
  const folder = folderWith(t, {});
  const files = {
    'ecosystem.config.js': 'ecosystem.tpl',
    'ecosystem.config.mjs': 'ecosystem-es.tpl',
    'ecosystem-simple.config.mjs': 'ecosystem-simple-es.tpl',
    'ecosystem-simple.config.cjs': 'ecosystem-simple.tpl',
  };
  for (const [file, template] of Object.entries(files))
    copyFileSync(join(PM2_TEMPLATES, template), join(folder, file));
  for (const file of ['ecosystem.config.js', 'ecosystem.config.mjs']) {
    const config = await readForeignConfig(join(folder, file), 'pm2');
    assert.deepEqual(
      config.programs.map((program) => [program.name, program.command, program.args]),
      [
        ['index', 'node', [join(folder, 'index.js')]],
        // A folder runs with node (its index.js), as PM2 runs it.
        ['service-worker', 'node', [join(folder, 'service-worker')]],
      ],
      file,
    );
    assert.ok(config.warnings.some((line) => line.startsWith('`deploy` is not supported')));
    assert.equal(config.warnings.filter((line) => line.includes('`watch`')).length, 2);
  }
  for (const file of ['ecosystem-simple.config.mjs', 'ecosystem-simple.config.cjs']) {
    const config = await readForeignConfig(join(folder, file), 'pm2');
    assert.deepEqual(
      config.programs.map((program) => program.name),
      ['app1'],
    );
  }
});

test('cluster mode with a PORT: a pool behind the proxy on that port, instances on the ports above it, PORT out of env', async (t) => {
  const folder = folderWith(t, {
    'ecosystem.json': JSON.stringify({
      apps: [
        {
          name: 'api',
          script: 'server.js',
          exec_mode: 'cluster',
          instances: -1,
          env: { PORT: 3000, DEBUG: true, OPTIONS: { a: 1 } },
          listen_timeout: 8000,
        },
        { name: 'one', script: 'one.js', instances: 2, exec_mode: 'fork', env: { PORT: '4000' } },
      ],
    }),
  });
  const config = await readForeignConfig(join(folder, 'ecosystem.json'), 'pm2', { cpuCount: 4 });
  const [api, one] = config.programs;
  assert.deepEqual(
    { ...api, args: undefined },
    {
      name: 'api',
      command: 'node',
      args: undefined,
      cwd: folder,
      instances: 3,
      port: 3001,
      proxy: { port: 3000 },
      env: { DEBUG: 'true', OPTIONS: '{"a":1}' },
      stopSignal: 'SIGINT',
      startTimeoutMs: 8000,
    },
  );
  assert.ok(
    config.warnings.includes(
      "app api: cluster mode: 3 processes on ports 3001-3003 (each gets its own PORT) behind tend's proxy on 127.0.0.1:3000 (set proxy.host to serve other machines), where PM2 shares port 3000 among its workers",
    ),
    config.warnings.join('\n'),
  );
  // fork mode keeps PORT as it is: PM2 gives every instance the same one.
  assert.deepEqual([one?.instances, one?.port, one?.env], [2, undefined, { PORT: '4000' }]);
});

test('instances: numbers, max, 0 and negatives are CPUs − n (at least 1); anything else names the app and field', async (t) => {
  const cases: Array<[unknown, number | undefined]> = [
    [2, 2],
    ['3', 3],
    ['max', 4],
    [0, 4],
    [-1, 3],
    [-9, undefined],
  ];
  for (const [instances, expected] of cases) {
    const folder = folderWith(t, {
      'ecosystem.json': JSON.stringify({ apps: [{ name: 'w', script: 'w.js', instances }] }),
    });
    const config = await readForeignConfig(join(folder, 'ecosystem.json'), 'pm2', { cpuCount: 4 });
    assert.equal(config.programs[0]?.instances, expected, `instances ${String(instances)}`);
  }
});

test('restart and stop settings: autorestart, stop_exit_codes, min_uptime as text, backoff, kill_timeout; memory and cron warned', async (t) => {
  const folder = folderWith(t, {
    'ecosystem.json': JSON.stringify({
      apps: [
        {
          name: 'a',
          script: 'a.js',
          autorestart: false,
          stop_exit_codes: [0, 3],
          min_uptime: '10s',
          max_restarts: 5,
          exp_backoff_restart_delay: 100,
          kill_timeout: 3000,
          max_memory_restart: '300M',
          cron_restart: '0 3 * * *',
        },
        { name: 'b', script: 'b.js', restart_delay: 5000, stop_exit_codes: 2, wait_ready: true },
      ],
    }),
  });
  const config = await readForeignConfig(join(folder, 'ecosystem.json'), 'pm2');
  const [a, b] = config.programs;
  assert.deepEqual(
    [a?.restart, a?.noRestartExitCodes, a?.minUptimeMs, a?.maxRestarts, a?.stopTimeoutMs],
    ['never', [0, 3], 10_000, 5, 3000],
  );
  assert.deepEqual([a?.backoffInitialMs, a?.backoffMaxMs], [100, 15_000]);
  assert.deepEqual(
    [b?.backoffInitialMs, b?.backoffMaxMs, b?.noRestartExitCodes],
    [5000, 5000, [2]],
  );
  const warned = config.warnings.join('\n');
  assert.equal(a?.maxMemoryBytes, 314_572_800, 'max_memory_restart 300M → maxMemoryBytes');
  assert.doesNotMatch(warned, /max_memory_restart/);
  assert.match(warned, /app a: `cron_restart` is not supported by tend/);
  assert.match(warned, /app b: `restart_delay` \(5s\) applies to runs shorter than min_uptime/);
  assert.match(warned, /app b: `wait_ready` is not supported by tend/);
});

test('the command line: interpreters by extension, interpreter none, a script with spaces through a shell, args split without a shell', async (t) => {
  const folder = folderWith(t, {
    'ecosystem.yaml': [
      'apps:',
      '  - { name: py, script: worker.py, args: "--queue \'high prio\' -v" }',
      '  - { name: bin, script: ./bin/server, interpreter: none, args: [--port, 8080] }',
      '  - { name: npm, script: npm, args: start }',
      '  - { name: sh, script: "python3 -m http.server 8000" }',
      '  - { name: node, script: app.js, interpreter: /usr/bin/node, node_args: --max-old-space-size=512 }',
      '  - { script: "./jobs/cleanup.js" }',
      '  - { name: "my app:prod", script: app.js, unknown_thing: 1, instance: 2 }',
    ].join('\n'),
  });
  const config = await readForeignConfig(join(folder, 'ecosystem.yaml'), 'pm2');
  const programs = Object.fromEntries(config.programs.map((program) => [program.name, program]));
  assert.deepEqual(programs.py?.command, 'python3');
  assert.deepEqual(programs.py?.args, [join(folder, 'worker.py'), '--queue', 'high prio', '-v']);
  assert.equal(programs.py?.env?.PYTHONUNBUFFERED, '1');
  assert.deepEqual(
    [programs.bin?.command, programs.bin?.args],
    [join(folder, 'bin/server'), ['--port', '8080']],
  );
  assert.deepEqual([programs.npm?.command, programs.npm?.args], ['npm', ['start']]);
  assert.deepEqual(
    [programs.sh?.command, programs.sh?.shell],
    ['python3 -m http.server 8000', true],
  );
  assert.deepEqual(programs.node?.args, ['--max-old-space-size=512', join(folder, 'app.js')]);
  assert.equal(programs.cleanup?.command, 'node');
  assert.ok(programs['my-app-prod'], Object.keys(programs).join());
  const warned = config.warnings.join('\n');
  assert.match(warned, /the name "my app:prod" is not a valid tend name; imported as my-app-prod/);
  assert.match(
    warned,
    /app my-app-prod: `unknown_thing` is not a PM2 app field tend knows, ignored/,
  );
});

test("every field of PM2's own schema (its lib/API/schema.json, aliases included) is mapped or warned with a reason", () => {
  const schema = JSON.parse(
    readFileSync(join(PM2_TEMPLATES, '..', 'API', 'schema.json'), 'utf8'),
  ) as Record<string, { alias?: string | string[] }>;
  const known = new Set([...PM2_MAPPED_FIELDS, ...Object.keys(PM2_IGNORED_FIELDS)]);
  const missing: string[] = [];
  for (const [field, { alias }] of Object.entries(schema)) {
    if (field.startsWith('^env_')) continue;
    for (const name of [field, ...[alias ?? []].flat()]) if (!known.has(name)) missing.push(name);
  }
  assert.deepEqual(missing, []);
});
