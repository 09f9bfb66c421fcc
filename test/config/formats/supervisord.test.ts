import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readForeignConfig } from '../../../src/config/formats/index.js';
import { expand, parseEnvironment } from '../../../src/config/formats/supervisord.js';
import { assertRejects, FORMAT_FIXTURES, folderWith } from './format-helpers.js';

const FOLDER = join(FORMAT_FIXTURES, 'supervisord');

test("supervisord's sample [program:x]: each mapped key, and a warning for each one tend does not do (autostart=true is what tend does)", async () => {
  const config = await readForeignConfig(join(FOLDER, 'supervisord.conf'), 'supervisord');
  assert.deepEqual(config.programs, [
    {
      name: 'theprogramname',
      command: '/bin/cat',
      args: [],
      cwd: '/tmp',
      env: { A: '1', B: '2' },
      restart: 'on-failure',
      noRestartExitCodes: [],
      minUptimeMs: 1000,
      maxRestarts: 3,
      stopSignal: 'SIGQUIT',
      stopTimeoutMs: 10_000,
      logMaxBytes: 1024 * 1024,
    },
  ]);
  const warned = config.warnings.map((line) => /`(\w+)/.exec(line)?.[1] ?? line);
  assert.deepEqual(warned, [
    'umask',
    'priority',
    'user',
    'redirect_stderr',
    'stdout_logfile',
    'serverurl',
    'stopasgroup',
    'killasgroup',
    '[include]: include sections are not supported by tend, ignored (import each included file on its own)',
  ]);
});

test("Laravel's queue worker: numprocs 8, autorestart true, stopwaitsecs 3600, the command split into words without a shell", async () => {
  const config = await readForeignConfig(join(FOLDER, 'laravel-worker.conf'), 'supervisord');
  const [worker] = config.programs;
  assert.deepEqual(
    [worker?.command, worker?.args, worker?.instances, worker?.restart, worker?.stopTimeoutMs],
    [
      'php',
      [
        '/home/forge/app.com/artisan',
        'queue:work',
        'sqs',
        '--sleep=3',
        '--tries=3',
        '--max-time=3600',
      ],
      8,
      'always',
      3_600_000,
    ],
  );
  // process_name with %(process_num) is what numprocs needs: not warned; user and the log are.
  assert.deepEqual(
    config.warnings.map((line) => /`(\w+)/.exec(line)?.[1]),
    ['user', 'redirect_stderr', 'stdout_logfile'],
  );
});

test('expansions: %(program_name)s, %(here)s, %(ENV_X)s, %(process_num)02d, %%; continuation lines; exitcodes with autorestart=unexpected', async (t) => {
  const folder = folderWith(t, {
    'app.ini': [
      '[program:api]',
      'command = %(here)s/bin/%(program_name)s --log=%(ENV_TEND_TEST_LOG)s --pct=50%% ; a comment',
      'directory: %(here)s',
      'exitcodes=0,3',
      'environment=',
      '    NAME="%(program_name)s",',
      '    QUOTED="a, b",PLAIN=x',
      'startsec=5',
      'stdout_logfile_backups=0',
      '[group:all]',
      'programs=api',
    ].join('\n'),
  });
  const config = await readForeignConfig(join(folder, 'app.ini'), 'supervisord', {
    env: { TEND_TEST_LOG: 'info' },
  });
  const [api] = config.programs;
  assert.deepEqual(
    [
      api?.command,
      api?.args,
      api?.cwd,
      api?.env,
      api?.restart,
      api?.noRestartExitCodes,
      api?.logMaxFiles,
    ],
    [
      join(folder, 'bin/api'),
      ['--log=info', '--pct=50%'],
      folder,
      { NAME: 'api', QUOTED: 'a, b', PLAIN: 'x' },
      'on-failure',
      [3],
      1,
    ],
  );
  assert.deepEqual(config.warnings, [
    'program api: `startsec` is not a supervisord program key tend knows, ignored (did you mean `startsecs`?)',
    '[group:all]: group sections are not supported by tend, ignored',
  ]);
  assert.equal(
    expand(
      '%(program_name)s_%(process_num)02d',
      { program_name: 'w', process_num: '3' },
      assert.fail,
    ),
    'w_03',
  );
});

test('bad supervisord input: an unknown %(name), %(process_num) in a command with numprocs > 1, an odd line, a bad autorestart', async (t) => {
  const folder = folderWith(t, {
    'unknown.conf': '[program:a]\ncommand=/bin/%(nope)s\n',
    'nums.conf': '[program:a]\ncommand=/bin/serve --port=80%(process_num)02d\nnumprocs=2\n',
    'odd.conf': '[program:a]\ncommand=/bin/cat\nthis is not a key\n',
    'restart.conf': '[program:a]\ncommand=/bin/cat\nautorestart=sometimes\n',
    'none.conf': '[supervisord]\nnodaemon=true\n',
  });
  await assertRejects(
    readForeignConfig(join(folder, 'unknown.conf'), 'supervisord'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^unknown\.conf: line 2: \[program:a\]: `command`: Expected only known %\(…\) names .*%\(nope\) is none/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'nums.conf'), 'supervisord'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /^nums\.conf: line 2: \[program:a\]: `command`: Expected no %\(process_num\) when numprocs > 1/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'odd.conf'), 'supervisord'),
    'TEND_ERR_CONFIG_IMPORT_SYNTAX',
    /^odd\.conf: line 3: Expected `key = value`/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'restart.conf'), 'supervisord'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /`autorestart`: Expected true, false or unexpected, got "sometimes"/,
  );
  await assertRejects(
    readForeignConfig(join(folder, 'none.conf'), 'supervisord'),
    'TEND_ERR_CONFIG_IMPORT_INVALID',
    /Expected at least one \[program:NAME\] section/,
  );
});

test("supervisord's environment syntax: quotes, commas inside quotes, backslashes; a key without = is refused", () => {
  const fail = (problem: string): never => {
    throw new Error(problem);
  };
  assert.deepEqual(parseEnvironment('A="1",B=\'two words\',C=plain,D="x\\"y"', fail), {
    A: '1',
    B: 'two words',
    C: 'plain',
    D: 'x"y',
  });
  assert.throws(() => parseEnvironment('A=1,B', fail), /"B" is not followed by =/);
});
