import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import type { ProgramDetail } from '../../src/api/wire.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { FIXTURES, type TendUnderTest, useTend } from './harness.js';

/** What an env-server instance on `port` says the variable `name` is. */
function servedEnv(port: number, name: string): Promise<{ pid: number; value: string | null }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: `/${name}` }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    }).on('error', reject);
  });
}

/** The environment process `pid` was started with, as /proc shows it. */
function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(
    entries.map((entry) => [
      entry.slice(0, entry.indexOf('=')),
      entry.slice(entry.indexOf('=') + 1),
    ]),
  );
}

/** The pids of a program's instances, by index. */
async function pidsOf(tend: TendUnderTest, name: string): Promise<Array<number | null>> {
  return (await tend.program(name)).instances.map((instance) => instance.pid);
}

async function onlineCount(
  tend: TendUnderTest,
  name: string,
  count: number,
): Promise<ProgramDetail> {
  return tend.until(`${count} instances of ${name} online`, async () => {
    const detail = await tend.program(name);
    const online = detail.instances.filter((instance) => instance.status === 'online');
    return detail.instances.length === count && online.length === count ? detail : undefined;
  });
}

interface WebSettings {
  instances: number;
  greeting: string;
  port: number;
}

/** A tend.yaml with a pool `web` (env-server) and a single `worker`, written as YAML. */
function tendFile(
  web: WebSettings,
  options: { hasWorker?: boolean; extra?: Record<string, unknown> } = {},
): string {
  const programs: Record<string, unknown> = {
    web: {
      command: process.execPath,
      args: [join(FIXTURES, 'env-server.js')],
      instances: web.instances,
      max: 4,
      port: web.port,
      stopTimeoutMs: '2s',
      env: { GREETING: web.greeting },
    },
  };
  if (options.hasWorker !== false) {
    programs.worker = { command: process.execPath, args: [join(FIXTURES, 'forever.js')] };
  }
  return stringify({ programs: { ...programs, ...options.extra } });
}

test('tend apply: adds, does nothing the second time, scales in place, restarts on an env change, dry-runs, refuses a bad file whole, round-trips through export, prunes', async (t) => {
  const tend = useTend(t);
  const dir = mkdtempSync(join(tmpdir(), 'tend-apply-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tend.yaml');
  const port = await findFreePortRange(4);
  const run = (args: string[]) => tend.run(['apply', ...args], { cwd: dir });

  // A fresh daemon: both programs are added, and started.
  writeFileSync(file, tendFile({ instances: 2, greeting: 'hello', port }));
  let result = await run([]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /Plan for tend\.yaml: 2 to add, 0 to change, 0 to remove, 0 unchanged/,
  );
  assert.match(result.stdout, /^Added web$/m);
  assert.match(result.stdout, /^Added worker$/m);
  await onlineCount(tend, 'web', 2);
  await onlineCount(tend, 'worker', 1);
  assert.equal(
    (await tend.program('web')).spec.cwd,
    dir,
    'cwd defaults to the directory of the file',
  );
  assert.equal((await servedEnv(port, 'GREETING')).value, 'hello');
  const firstPids = await pidsOf(tend, 'web');
  const workerPids = await pidsOf(tend, 'worker');

  // The same file again, named as an argument this time, changes nothing.
  result = await run(['tend.yaml']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    "Nothing to change: the daemon's programs match tend.yaml (2 programs)\n",
  );
  assert.deepEqual(await pidsOf(tend, 'web'), firstPids);
  result = await run(['tend.yaml', '-f', 'tend.yaml']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /Expected the file once/);

  // A new size within max scales the pool; the instances that stay keep their processes.
  writeFileSync(file, tendFile({ instances: 3, greeting: 'hello', port }));
  result = await run([]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /~ web \(scale 2 → 3, no restart\)/);
  assert.match(result.stdout, /web\.instances: 2 → 3/);
  const scaled = await onlineCount(tend, 'web', 3);
  assert.deepEqual(
    scaled.instances.slice(0, 2).map((instance) => instance.pid),
    firstPids,
    'instances 0 and 1 were not restarted',
  );
  const scaledPids = scaled.instances.map((instance) => instance.pid);

  // An env change restarts the running program; the value itself is never printed.
  writeFileSync(file, tendFile({ instances: 3, greeting: 'bonjour', port }));
  result = await run([]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /~ web \(reload: env changed\)/);
  assert.match(result.stdout, /web\.env\.GREETING: changed/);
  assert.doesNotMatch(result.stdout, /bonjour|hello/);
  assert.match(result.stdout, /^Reloaded web \(env changed\)$/m);
  const restarted = await onlineCount(tend, 'web', 3);
  for (const [index, instance] of restarted.instances.entries()) {
    assert.notEqual(instance.pid, scaledPids[index], `web[${index}] runs a new process`);
  }
  assert.equal((await servedEnv(port + 2, 'GREETING')).value, 'bonjour');
  assert.deepEqual(
    await pidsOf(tend, 'worker'),
    workerPids,
    'the unchanged program was left alone',
  );
  const settledPids = await pidsOf(tend, 'web');

  // --dry-run prints the plan and changes nothing, --prune included.
  writeFileSync(file, tendFile({ instances: 2, greeting: 'bonjour', port }, { hasWorker: false }));
  result = await run(['--dry-run', '--prune']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^ {2}- worker$/m);
  assert.match(result.stdout, /web\.instances: 3 → 2/);
  assert.match(result.stdout, /^Dry run: nothing was changed$/m);
  assert.deepEqual(await pidsOf(tend, 'web'), settledPids);
  assert.deepEqual(await pidsOf(tend, 'worker'), workerPids);

  // Without --prune, a program missing from the file is left alone, and said so.
  result = await run(['--dry-run']);
  assert.match(result.stdout, /Not in tend\.yaml, left alone \(--prune deletes them\): worker/);

  // One bad program: nothing is changed, not even the good change next to it.
  writeFileSync(
    file,
    tendFile(
      { instances: 2, greeting: 'bonjour', port },
      { extra: { broken: { command: 'node', instances: -1 } } },
    ),
  );
  result = await run([]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /^tend: tend\.yaml:\d+:\d+: programs\.broken\.instances: expected a number ≥ 1, got -1$/m,
  );
  assert.match(result.stderr, /nothing was changed/);
  assert.deepEqual(await pidsOf(tend, 'web'), settledPids);
  assert.deepEqual((await tend.list()).map((row) => row.name).sort(), [
    'web',
    'web',
    'web',
    'worker',
  ]);

  // export → apply: a round trip changes nothing.
  const exported = await tend.ok(['export']);
  writeFileSync(join(dir, 'exported.yaml'), exported);
  assert.doesNotMatch(exported, /restart: always|stopSignal|logMaxFiles/, 'defaults are left out');
  result = await run(['-f', 'exported.yaml']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    "Nothing to change: the daemon's programs match exported.yaml (2 programs)\n",
  );
  assert.deepEqual(await pidsOf(tend, 'web'), settledPids);

  // --prune deletes what the file does not declare.
  writeFileSync(file, tendFile({ instances: 3, greeting: 'bonjour', port }, { hasWorker: false }));
  result = await run(['--prune']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Deleted worker$/m);
  assert.deepEqual(
    (await tend.list()).map((row) => row.name),
    ['web', 'web', 'web'],
  );
  assert.deepEqual(await pidsOf(tend, 'web'), settledPids);
});

test('PUT /v1/programs/:name: 404 for an unknown program, 400 for another name, the changed fields in the answer', async (t) => {
  const tend = useTend(t);
  const dir = mkdtempSync(join(tmpdir(), 'tend-put-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const spec = {
    name: 'w',
    command: process.execPath,
    args: [join(FIXTURES, 'forever.js')],
    cwd: dir,
  };
  await tend.ok(['daemon', 'start']);
  const unknown = await tend.api<{ error: { code: string } }>('PUT', '/v1/programs/w', spec);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'TEND_ERR_PROGRAM_NOT_FOUND');
  assert.equal((await tend.api('POST', '/v1/programs', spec)).status, 201);
  const renamed = await tend.api<{ error: { code: string; message: string } }>(
    'PUT',
    '/v1/programs/w',
    {
      ...spec,
      name: 'x',
    },
  );
  assert.equal(renamed.status, 400);
  assert.match(renamed.body.error.message, /`name` to be "w" as in the path, got "x"/);
  const changed = await tend.api<{ changed: string[]; needsRespawn: string[] }>(
    'PUT',
    '/v1/programs/w',
    {
      ...spec,
      env: { A: '1' },
      maxRestarts: 3,
    },
  );
  assert.equal(changed.status, 200);
  assert.deepEqual(changed.body.changed.sort(), ['env', 'maxRestarts']);
  assert.deepEqual(changed.body.needsRespawn, ['env']);
  const again = await tend.api<{ changed: string[] }>('PUT', '/v1/programs/w', {
    ...spec,
    env: { A: '1' },
    maxRestarts: 3,
  });
  assert.deepEqual(again.body.changed, []);
});

test('a step that fails ends tend apply with exit 1, the reason, and what was already done', async (t) => {
  const tend = useTend(t);
  const dir = mkdtempSync(join(tmpdir(), 'tend-apply-fail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const forever = { command: process.execPath, args: [join(FIXTURES, 'forever.js')] };
  writeFileSync(
    join(dir, 'tend.yaml'),
    stringify({ programs: { first: forever, second: { command: join(dir, 'no-such-program') } } }),
  );
  const result = await tend.run(['apply'], { cwd: dir });
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stdout, /^Added first$/m);
  assert.match(result.stderr, /no-such-program/);
  assert.match(
    result.stderr,
    /Already done: Added first\. The rest of the plan was not carried out\./,
  );
  assert.deepEqual(
    (await tend.list()).map((row) => row.name),
    ['first'],
  );
});

test('adding a proxy deletes the program and adds it again, as the plan says; schema and export through the CLI', async (t) => {
  const tend = useTend(t);
  const dir = mkdtempSync(join(tmpdir(), 'tend-apply-proxy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const port = await findFreePortRange(3);
  const web = { command: process.execPath, args: [join(FIXTURES, 'env-server.js')], port };
  const file = join(dir, 'tend.yaml');
  writeFileSync(file, stringify({ programs: { web } }));
  await tend.ok(['apply'], { cwd: dir });
  writeFileSync(file, stringify({ programs: { web: { ...web, proxy: { port: port + 2 } } } }));
  const result = await tend.run(['apply'], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /~ web \(the proxy is added: delete and add again\)/);
  assert.match(result.stdout, /^Deleted web to add it again with a proxy$/m);
  assert.match(result.stdout, /^Added web again$/m);
  const detail = await tend.until('the proxy of web online', async () => {
    const program = await tend.program('web');
    return program.proxy?.status === 'online' ? program : undefined;
  });
  assert.equal(detail.spec.proxy?.port, port + 2);

  // Each kind of bad file is refused with its place, and the daemon's programs stay as they are.
  const before = await tend.program('web');
  writeFileSync(join(dir, 'odd.env'), 'A="never closed\n');
  const badFiles: Array<[string, string, RegExp]> = [
    ['malformed.yaml', 'programs:\n  web: [\n', /^tend: malformed\.yaml:3:1: /m],
    ['broken.json', '{"programs": {"web": }}', /^tend: broken\.json:1:\d+: /m],
    [
      'twice.yaml',
      'programs:\n  web: {command: a}\n  web: {command: b}\n',
      /^tend: twice\.yaml:3:3: `web` is given twice/m,
    ],
    [
      'typo.yaml',
      'programs:\n  web: {command: a, instnces: 2}\n',
      /^tend: typo\.yaml:2:21: programs\.web\.instnces: unknown field; did you mean `instances`\?/m,
    ],
    [
      'quoting.yaml',
      'programs:\n  web: {command: a, envFile: odd.env}\n',
      /^tend: odd\.env:1:3: the " opened here is never closed/m,
    ],
  ];
  for (const [name, text, expected] of badFiles) {
    writeFileSync(join(dir, name), text);
    const refused = await tend.run(['apply', '-f', name, '--prune'], { cwd: dir });
    assert.equal(refused.code, 2, name);
    assert.match(refused.stderr, expected);
  }
  const after = await tend.program('web');
  assert.deepEqual(after.spec, before.spec);
  assert.deepEqual(
    after.instances.map((instance) => instance.pid),
    before.instances.map((instance) => instance.pid),
  );

  const schema = JSON.parse(await tend.ok(['schema'])) as { properties: Record<string, unknown> };
  assert.ok('programs' in schema.properties);
  // A program from `tend start` holds the shell's whole environment: export writes what was set
  // with --env, says what it left out, and writes the rest only when asked.
  await tend.ok(
    [
      'start',
      '--name',
      'shelled',
      '--env',
      'API_KEY=k',
      '--env',
      'TERM=dumb',
      '--',
      'sleep',
      '1000',
    ],
    { env: { SHELL: '/bin/bash', TERM: 'xterm', EDITOR: 'vi' } },
  );
  const shelled = await tend.run(['export', 'shelled']);
  assert.equal(shelled.code, 0, shelled.stderr);
  assert.match(shelled.stdout, /\n {4}env:\n {6}TERM: dumb\n {6}API_KEY: k\n$/);
  assert.match(
    shelled.stderr,
    /^tend: shelled: left out \d+ variables `tend start` copied from its shell \(such as [A-Z_]+(, [A-Z_]+){0,4}\); --with-shell-env writes them too\n$/,
  );
  const whole = await tend.run(['export', 'shelled', '--with-shell-env']);
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(whole.stdout, /^ {6}SHELL: \/bin\/bash$/m);
  assert.match(whole.stdout, /^ {6}TERM: dumb$/m);
  assert.doesNotMatch(whole.stdout, /shellEnvNames/);
  assert.match(
    whole.stderr,
    /^tend: warning: shelled: env holds session variables of the shell `tend start` ran in \([A-Z_]+(, [A-Z_]+){0,4}(, …)?\); the file sets them wherever it is applied: keep only what the program needs\n$/,
  );
  // Applied back, the export changes nothing: the shell's variables are the program's base, not
  // the file's, so the same process runs on with the same environment.
  const [shelledPid] = await pidsOf(tend, 'shelled');
  assert.ok(shelledPid, 'shelled runs');
  const environBefore = environOf(shelledPid);
  assert.equal(environBefore.get('SHELL'), '/bin/bash');
  assert.equal(environBefore.get('TERM'), 'dumb');
  writeFileSync(join(dir, 'shelled.yaml'), shelled.stdout);
  const reapplied = await tend.run(['apply', '-f', 'shelled.yaml', '--dry-run'], { cwd: dir });
  assert.equal(reapplied.code, 0, reapplied.stderr);
  assert.match(reapplied.stdout, /^Nothing to change: the daemon's programs match shelled\.yaml /);
  const applied = await tend.run(['apply', '-f', 'shelled.yaml'], { cwd: dir });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /^Nothing to change: the daemon's programs match shelled\.yaml /);
  assert.deepEqual(await pidsOf(tend, 'shelled'), [shelledPid]);
  assert.deepEqual(environOf(shelledPid), environBefore);
  // A file that sets one of them takes it over: it changes, the others stay, export writes it.
  writeFileSync(
    join(dir, 'shelled.yaml'),
    shelled.stdout.replace(/\n {6}API_KEY: k\n$/, '\n      API_KEY: k\n      SHELL: /bin/zsh\n'),
  );
  const takenOver = await tend.run(['apply', '-f', 'shelled.yaml'], { cwd: dir });
  assert.equal(takenOver.code, 0, takenOver.stderr);
  assert.match(takenOver.stdout, /^ {6}shelled\.env\.SHELL: changed\nNot in/m);
  const [reloadedPid] = await tend.until('shelled runs a new process', async () => {
    const pids = await pidsOf(tend, 'shelled');
    return pids[0] !== null && pids[0] !== shelledPid ? pids : undefined;
  });
  assert.ok(reloadedPid);
  assert.deepEqual(environOf(reloadedPid), new Map([...environBefore, ['SHELL', '/bin/zsh']]));
  assert.match(await tend.ok(['export', 'shelled']), /^ {6}SHELL: \/bin\/zsh$/m);
  // Set to the value it has, a shell variable is no change, yet it becomes the file's.
  writeFileSync(
    join(dir, 'shelled.yaml'),
    shelled.stdout.replace(
      /\n {6}API_KEY: k\n$/,
      '\n      API_KEY: k\n      SHELL: /bin/zsh\n      EDITOR: vi\n',
    ),
  );
  const same = await tend.run(['apply', '-f', 'shelled.yaml'], { cwd: dir });
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stdout, /^Nothing to change: the daemon's programs match shelled\.yaml /);
  assert.deepEqual(await pidsOf(tend, 'shelled'), [reloadedPid]);
  assert.match(await tend.ok(['export', 'shelled']), /^ {6}EDITOR: vi$/m);
  const unknownName = await tend.run(['export', 'nope']);
  assert.equal(unknownName.code, 1);
  assert.match(unknownName.stderr, /No program named `nope`/);
  const badFormat = await tend.run(['export', '--format', 'ini']);
  assert.equal(badFormat.code, 2);
  assert.match(
    badFormat.stderr,
    /Expected --format to be one of tend, systemd, compose, kubernetes, got "ini"/,
  );
});
