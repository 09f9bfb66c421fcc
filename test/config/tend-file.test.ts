import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type ProgramSpec, ProgramSpecSchema } from '../../src/config/program-spec.js';
import { ENV_SECTION_PATTERN, tendFileJsonSchema } from '../../src/config/tend-file/file-schema.js';
import { loadConfig, parseTendFile } from '../../src/config/tend-file/load-config.js';
import { TendError } from '../../src/errors.js';
import { makeTempHome } from '../helpers/temp-home.js';

type Hook = { after(fn: () => void): void };

/** Writes a tend.yaml (and other files) into a fresh directory; returns its directory. */
function project(t: Hook, files: Record<string, string>): string {
  const dir = makeTempHome(t, 'tend-file-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function parseIn(dir: string, text: string, envName?: string, name = 'tend.yaml'): ProgramSpec[] {
  return parseTendFile(text, { file: name, path: join(dir, name), envName });
}

/** The message of the TEND_ERR_CONFIG_INVALID that parsing throws. */
function problemsOf(dir: string, text: string, envName?: string, name = 'tend.yaml'): string {
  try {
    parseIn(dir, text, envName, name);
  } catch (error) {
    assert.ok(error instanceof TendError, String(error));
    assert.equal(error.code, 'TEND_ERR_CONFIG_INVALID');
    assert.equal(error.exitCode, 2);
    return error.message;
  }
  assert.fail(`expected the file to be refused:\n${text}`);
}

test('a program entry takes every field of the definition; its name is the key, cwd defaults to the file directory', (t) => {
  const dir = project(t, { 'srv/.keep': '' });
  const [web, worker] = parseIn(
    dir,
    [
      'programs:',
      '  web:',
      '    command: node',
      '    args: [server.js]',
      '    instances: 2',
      '    port: 4000',
      '    proxy: { port: 4100, balance: least-outstanding }',
      '    readinessProbe: { kind: http, path: /healthz }',
      '  worker:',
      '    command: ./work',
      '    cwd: srv',
    ].join('\n'),
  );
  assert.deepEqual(
    { ...web, env: undefined },
    {
      ...ProgramSpecSchema.parse({
        name: 'web',
        command: 'node',
        args: ['server.js'],
        cwd: dir,
        instances: 2,
        port: 4000,
        proxy: { port: 4100, balance: 'least-outstanding' },
        readinessProbe: { kind: 'http', path: '/healthz' },
      }),
      env: undefined,
    },
  );
  assert.equal(worker?.cwd, join(dir, 'srv'));
  assert.deepEqual(worker?.env, {}, 'nothing is taken from the shell that applies the file');
});

test('durations and sizes take the text forms of the CLI, at any depth', (t) => {
  const dir = project(t, {});
  const [web] = parseIn(
    dir,
    [
      'programs:',
      '  web:',
      '    command: node',
      '    port: 4000',
      '    stopTimeoutMs: 2s',
      '    minUptimeMs: 1.5m',
      '    logMaxBytes: 300M',
      '    proxy: { port: 4100, waitForReadyMs: 250ms, maxReplayBodyBytes: 64K }',
    ].join('\n'),
  );
  assert.equal(web?.stopTimeoutMs, 2000);
  assert.equal(web?.minUptimeMs, 90_000);
  assert.equal(web?.logMaxBytes, 300 * 1024 * 1024);
  assert.equal(web?.proxy?.waitForReadyMs, 250);
  assert.equal(web?.proxy?.maxReplayBodyBytes, 64 * 1024);
  const message = problemsOf(
    dir,
    'programs:\n  web:\n    command: node\n    stopTimeoutMs: fast\n',
  );
  assert.match(
    message,
    /^tend\.yaml:4:20: programs\.web\.stopTimeoutMs: expected milliseconds, or a number with a unit.*got "fast"$/m,
  );
  assert.doesNotMatch(message, /expected a number/, 'the problem is reported once');
});

test('an error names the file, line, column, field and what was expected; every problem is listed', (t) => {
  const dir = project(t, {});
  const message = problemsOf(
    dir,
    [
      'programs:', //           1
      '  web:', //              2
      '    command: node', //   3
      '    instnces: 2', //     4
      '  api:', //              5
      '    name: api', //       6
      '    command: node', //   7
      '    instances: -1', //   8
      '    restart: sometimes', // 9
      '    proxy: { port: 80, blance: x }', // 10
    ].join('\n'),
  );
  const lines = message.split('\n');
  assert.deepEqual(lines.slice(0, -1), [
    'tend.yaml:4:5: programs.web.instnces: unknown field; did you mean `instances`?',
    "tend.yaml:6:5: programs.api.name: unknown field: a program's name is its key under `programs`",
    'tend.yaml:8:16: programs.api.instances: expected a number ≥ 1, got -1',
    'tend.yaml:9:14: programs.api.restart: expected "always" or "on-failure" or "never", got "sometimes"',
    'tend.yaml:10:24: programs.api.proxy.blance: unknown field; did you mean `balance`?',
  ]);
  assert.equal(lines.at(-1), 'These 5 problems must be fixed first; nothing was changed');
});

test('checks across fields (the API schema itself) point at the field', (t) => {
  const dir = project(t, {});
  const message = problemsOf(dir, 'programs:\n  web:\n    command: node\n    min: 3\n    max: 2\n');
  assert.match(
    message,
    /^tend\.yaml:5:10: programs\.web\.max: expected `max` to be ≥ `min` \(3\), got 2$/m,
  );
  const missing = problemsOf(dir, 'programs:\n  web:\n    args: [x]\n');
  assert.match(missing, /^tend\.yaml:2:3: programs\.web\.command: required: expected a string$/m);
  const badName = problemsOf(dir, 'programs:\n  ../x:\n    command: node\n');
  assert.match(badName, /^tend\.yaml:2:3: programs\.\.\.\/x\.name: /m);
});

test('malformed YAML, duplicate names and a .json that is not JSON are refused with their place', (t) => {
  const dir = project(t, {});
  assert.match(problemsOf(dir, 'programs:\n  web: [\n'), /^tend\.yaml:3:1: /);
  assert.match(
    problemsOf(dir, 'programs:\n  web:\n    command: a\n  web:\n    command: b\n'),
    /^tend\.yaml:4:3: `web` is given twice in one map/,
  );
  assert.match(
    problemsOf(
      dir,
      '{"programs": {"web": {"command": "a"}, "web": {"command": "b"}}}',
      undefined,
      'tend.json',
    ),
    /^tend\.json:1:40: `web` is given twice/,
  );
  assert.match(
    problemsOf(dir, '{\n  // a comment\n  "programs": {}\n}\n', undefined, 'tend.json'),
    /^tend\.json(:\d+:\d+)?: expected JSON: /,
  );
  assert.match(
    problemsOf(dir, 'programs: [web]\n'),
    /^tend\.yaml:1:11: programs: expected a map, got a list$/m,
  );
  assert.match(problemsOf(dir, ''), /^tend\.yaml: programs: required: expected a map$/m);
  const [web] = parseIn(
    dir,
    '{\n  "programs": {\n    "web": {"command": "node", "instances": 2}\n  }\n}\n',
    undefined,
    'tend.json',
  );
  assert.equal(web?.instances, 2);
  assert.match(
    problemsOf(
      dir,
      '{\n  "programs": {\n    "web": {"command": "node", "instances": 0}\n  }\n}\n',
      undefined,
      'tend.json',
    ),
    /^tend\.json:3:45: programs\.web\.instances: expected a number ≥ 1, got 0$/m,
  );
});

test('env: envFile < env < env_<name> with --env; YAML numbers are strings; the shell is not read', (t) => {
  const dir = project(t, {
    'config/app.env': [
      '# comment',
      'export FROM_FILE=file',
      'SHARED=file',
      "SINGLE='a # not a comment'",
      'DOUBLE="line1\\nline2"',
      'MULTI="first',
      'second"',
      'EMPTY=',
      '',
    ].join('\n'),
  });
  const text = [
    'programs:',
    '  web:',
    '    command: node',
    '    envFile: config/app.env',
    '    env: { SHARED: env, WORKERS: 4, DEBUG: false, ONLY_ENV: x }',
    '    env_production: { SHARED: production, NODE_ENV: production }',
    '  worker:',
    '    command: node',
  ].join('\n');
  const [web, worker] = parseIn(dir, text);
  assert.deepEqual(web?.env, {
    FROM_FILE: 'file',
    SHARED: 'env',
    SINGLE: 'a # not a comment',
    DOUBLE: 'line1\nline2',
    MULTI: 'first\nsecond',
    EMPTY: '',
    WORKERS: '4',
    DEBUG: 'false',
    ONLY_ENV: 'x',
  });
  const [production, workerProduction] = parseIn(dir, text, 'production');
  assert.equal(production?.env.SHARED, 'production');
  assert.equal(production?.env.NODE_ENV, 'production');
  assert.deepEqual(
    workerProduction?.env,
    worker?.env,
    'a program without the section keeps its env',
  );
  assert.match(
    problemsOf(dir, text, 'staging'),
    /^tend\.yaml: --env staging: no program has an `env_staging` section \(the file has env_production\)$/m,
  );
  assert.ok(ENV_SECTION_PATTERN.test('env_production'));
});

test('an env file with odd quoting or lines that are no assignment is refused with its place', (t) => {
  const dir = project(t, {
    'unclosed.env': 'A=1\nB="never closed\nC=3\n',
    'junk.env': 'A=1\nthis is not an assignment\n',
    'after.env': "A='quoted' trailing\n",
  });
  const withEnvFile = (file: string) =>
    problemsOf(dir, `programs:\n  web:\n    command: node\n    envFile: ${file}\n`);
  assert.match(
    withEnvFile('unclosed.env'),
    /^unclosed\.env:2:3: the " opened here is never closed \(the envFile of programs\.web\)$/m,
  );
  assert.match(withEnvFile('junk.env'), /^junk\.env:2:1: expected KEY=VALUE or a # comment/m);
  assert.match(
    withEnvFile('after.env'),
    /^after\.env:1:12: expected the end of the line or a # comment after the closing ', got "trailing"/m,
  );
  assert.match(
    withEnvFile('missing.env'),
    /^tend\.yaml:4:14: programs\.web\.envFile: cannot read .*missing\.env: no such file$/m,
  );
});

test('variables tend sets itself are refused in env, as the API refuses them', (t) => {
  const dir = project(t, { '.env': 'PORT=80\n' });
  assert.match(
    problemsOf(dir, 'programs:\n  web:\n    command: node\n    port: 4000\n    envFile: .env\n'),
    /programs\.web\.env\.PORT: /,
  );
});

test('a cwd that is not a directory is refused before anything is sent', (t) => {
  const dir = project(t, {});
  assert.match(
    problemsOf(dir, 'programs:\n  web:\n    command: node\n    cwd: nowhere\n'),
    /^tend\.yaml:4:10: programs\.web\.cwd: expected a directory, got .*nowhere/m,
  );
});

test('loadConfig reads tend.yaml relative to the working directory; a missing file says so', async (t) => {
  const dir = project(t, { 'deploy/tend.yml': 'programs:\n  web:\n    command: node\n' });
  const config = await loadConfig('deploy/tend.yml', { cwd: dir });
  assert.equal(config.format, 'tend');
  assert.equal(config.specs[0]?.cwd, join(dir, 'deploy'));
  await assert.rejects(loadConfig('tend.yaml', { cwd: dir }), (error: unknown) => {
    assert.ok(error instanceof TendError);
    assert.equal(error.code, 'TEND_ERR_CONFIG_UNREADABLE');
    assert.match(error.message, /Cannot read tend\.yaml: no such file/);
    return true;
  });
});

test('the JSON Schema has every field of the program definition, text units, and env_<name> sections', () => {
  const schema = tendFileJsonSchema() as {
    properties: { programs: { additionalProperties: unknown } };
  };
  const entry = schema.properties.programs.additionalProperties as {
    properties: Record<string, { anyOf?: unknown[]; type?: string }>;
    patternProperties: Record<string, unknown>;
    additionalProperties: boolean;
  };
  // `name` is the entry's key; `shellEnvNames` is what `tend start` records, never a file's.
  const notInFile = new Set(['name', 'shellEnvNames']);
  const fields = Object.keys(ProgramSpecSchema.in.shape).filter((field) => !notInFile.has(field));
  for (const field of fields) assert.ok(field in entry.properties, `the schema has \`${field}\``);
  assert.equal('shellEnvNames' in entry.properties, false);
  assert.ok('envFile' in entry.properties);
  assert.equal(entry.additionalProperties, false, 'unknown fields are flagged by editors');
  assert.ok(entry.properties.stopTimeoutMs?.anyOf, 'a duration also takes "2s"');
  assert.ok(entry.properties.logMaxBytes?.anyOf, 'a size also takes "300M"');
  assert.ok(
    Object.keys(entry.patternProperties).some((pattern) =>
      new RegExp(pattern).test('env_production'),
    ),
  );
});
