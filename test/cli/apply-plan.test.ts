import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type CurrentProgram,
  describeSpecChanges,
  formatPlan,
  isEmptyPlan,
  planApply,
} from '../../src/cli/apply-plan.js';
import {
  type ProgramSpec,
  type ProgramSpecInput,
  ProgramSpecSchema,
} from '../../src/config/program-spec.js';
import { exportTendFile, minimalEntry } from '../../src/config/tend-file/export-tend-file.js';
import { parseTendFile } from '../../src/config/tend-file/load-config.js';
import { declaredSpec } from '../../src/export/host-env.js';

const spec = (input: Partial<ProgramSpecInput> & { name: string }) =>
  ProgramSpecSchema.parse({ command: 'node', cwd: '/srv', ...input });
const running = (input: Partial<ProgramSpecInput> & { name: string }): CurrentProgram => ({
  spec: spec(input),
  desired: 'running',
});

test('the plan adds, changes and leaves alone; removes only with --prune', () => {
  const current = [
    running({ name: 'web', instances: 2 }),
    running({ name: 'same' }),
    running({ name: 'old' }),
  ];
  const desired = [
    spec({ name: 'web', instances: 3 }),
    spec({ name: 'same' }),
    spec({ name: 'new' }),
  ];
  const plan = planApply(current, desired, { isPruning: false });
  assert.deepEqual(
    plan.add.map((program) => program.name),
    ['new'],
  );
  assert.deepEqual(
    plan.change.map((change) => change.name),
    ['web'],
  );
  assert.deepEqual(plan.unchanged, ['same']);
  assert.deepEqual(plan.remove, []);
  assert.deepEqual(plan.kept, ['old']);
  const pruned = planApply(current, desired, { isPruning: true });
  assert.deepEqual(pruned.remove, ['old']);
  assert.deepEqual(pruned.kept, []);
});

test('new programs are added after the new programs they depend on, else in file order', () => {
  // `dependsOn` comes with start order (issue 8); the plan reads it where the definition has it.
  const dependingOn = (name: string, dependsOn: string[]) =>
    ({ ...spec({ name }), dependsOn }) as ReturnType<typeof spec>;
  const plan = planApply(
    [running({ name: 'db' })],
    [
      dependingOn('web', ['api', 'db']),
      dependingOn('api', ['cache']),
      spec({ name: 'cache' }),
      spec({ name: 'solo' }),
    ],
    { isPruning: false },
  );
  assert.deepEqual(
    plan.add.map((program) => program.name),
    ['cache', 'api', 'web', 'solo'],
  );
});

test('scaling needs no respawn; env, command or port does; a stopped program is not restarted', () => {
  const [scaled] = planApply(
    [running({ name: 'web', instances: 2 })],
    [spec({ name: 'web', instances: 3 })],
    {
      isPruning: false,
    },
  ).change;
  assert.deepEqual(scaled?.fields, ['instances', 'min', 'max']);
  assert.deepEqual(scaled?.needsRespawn, []);
  const [envChange] = planApply(
    [{ spec: spec({ name: 'web', env: { A: '1' } }), desired: 'stopped' }],
    [spec({ name: 'web', env: { A: '2' } })],
    { isPruning: false },
  ).change;
  assert.deepEqual(envChange?.needsRespawn, ['env']);
  assert.equal(envChange?.isRunning, false);
  assert.match(
    formatPlan(
      planApply(
        [running({ name: 'web', env: { A: '1' } })],
        [spec({ name: 'web', env: { A: '2' } })],
        { isPruning: false },
      ),
      'tend.yaml',
    ),
    /~ web \(reload: env changed\)/,
  );
});

test('adding or removing a proxy is a replacement, said in the plan', () => {
  const plan = planApply(
    [running({ name: 'web', port: 4000 })],
    [spec({ name: 'web', port: 4000, proxy: { port: 4100 } })],
    { isPruning: false },
  );
  assert.equal(plan.change[0]?.isReplaced, true);
  assert.match(formatPlan(plan, 'tend.yaml'), /~ web \(the proxy is added: delete and add again\)/);
});

test('changes are listed field by field, into maps; environment values are never printed', () => {
  const before = spec({
    name: 'web',
    port: 4000,
    instances: 2,
    env: { API_KEY: 'secret-before', GONE: 'x', SAME: 's' },
    proxy: { port: 4100 },
  });
  const after = spec({
    name: 'web',
    port: 4000,
    instances: 3,
    env: { API_KEY: 'secret-after', NEW: 'y', SAME: 's' },
    proxy: { port: 4100, balance: 'least-outstanding' },
    args: ['server.js', '--verbose'],
  });
  const lines = describeSpecChanges(before, after);
  assert.deepEqual(lines.sort(), [
    'web.args: [] → ["server.js","--verbose"]',
    'web.env.API_KEY: changed',
    'web.env.GONE: removed',
    'web.env.NEW: added',
    'web.instances: 2 → 3',
    'web.max: 2 → 3',
    'web.min: 2 → 3',
    'web.proxy.balance: round-robin → least-outstanding',
  ]);
  const text = formatPlan(
    planApply([{ spec: before, desired: 'running' }], [after], { isPruning: false }),
    'tend.yaml',
  );
  assert.doesNotMatch(text, /secret|"y"|: x/);
});

test('the same definitions again make an empty plan that says so', () => {
  const plan = planApply([running({ name: 'web' })], [spec({ name: 'web' })], { isPruning: false });
  assert.ok(isEmptyPlan(plan));
  assert.equal(
    formatPlan(plan, 'tend.yaml'),
    "Nothing to change: the daemon's programs match tend.yaml (1 program)\n",
  );
});

test('a file that sets a shell variable to the value it has changes nothing, and takes the variable over', () => {
  const env = { PATH: '/usr/bin', HOME: '/h', API_KEY: 'k' };
  const started = running({ name: 'web', env, shellEnvNames: ['HOME', 'PATH'] });
  const file = [spec({ name: 'web', env: { PATH: '/usr/bin', API_KEY: 'k' } })];
  const plan = planApply([started], file, { isPruning: false });
  assert.ok(isEmptyPlan(plan));
  assert.deepEqual(plan.unchanged, ['web']);
  assert.deepEqual(
    plan.takenOver.map((taken) => [taken.env, taken.shellEnvNames]),
    [[env, ['HOME']]],
  );
  const exported = [spec({ name: 'web', env: { API_KEY: 'k' } })];
  assert.deepEqual(planApply([started], exported, { isPruning: false }).takenOver, []);
});

/** A program as `tend start` made it: PATH and HOME copied from its shell, API_KEY given with --env. */
const STARTED = running({
  name: 'web',
  env: { PATH: '/usr/bin', HOME: '/home/ann', API_KEY: 'k' },
  shellEnvNames: ['HOME', 'PATH'],
});

/** `tend export` of the program, read back as `tend apply` reads a file. */
function exportedFile(program: CurrentProgram): ProgramSpec[] {
  const text = exportTendFile([declaredSpec(program.spec, false).spec]);
  return parseTendFile(text, { file: 'tend.yaml', path: '/tmp/tend.yaml' });
}

test('applying the export of a tend start program changes nothing: the shell variables stay, unmentioned', () => {
  const file = exportedFile(STARTED);
  assert.deepEqual(file[0]?.env, { API_KEY: 'k' });
  const plan = planApply([STARTED], file, { isPruning: false });
  assert.ok(isEmptyPlan(plan));
  assert.deepEqual(plan.unchanged, ['web']);
});

test('a file that sets a variable copied from the shell changes it, and it is no longer the shell’s', () => {
  const file = exportedFile(STARTED).map((declared) => ({
    ...declared,
    env: { ...declared.env, PATH: '/opt/bin' },
  }));
  const [change] = planApply([STARTED], file, { isPruning: false }).change;
  assert.deepEqual(change?.fields, ['env']);
  assert.deepEqual(change?.after.env, { HOME: '/home/ann', PATH: '/opt/bin', API_KEY: 'k' });
  assert.deepEqual(change?.after.shellEnvNames, ['HOME']);
  assert.deepEqual(describeSpecChanges(STARTED.spec, change?.after ?? STARTED.spec), [
    'web.env.PATH: changed',
  ]);
});

test('a file that adds a variable changes the env, and removes none of the shell’s', () => {
  const file = exportedFile(STARTED).map((declared) => ({
    ...declared,
    env: { ...declared.env, RELEASE: '42' },
  }));
  const [change] = planApply([STARTED], file, { isPruning: false }).change;
  assert.deepEqual(change?.after.env, { ...STARTED.spec.env, RELEASE: '42' });
  assert.deepEqual(change?.after.shellEnvNames, ['HOME', 'PATH']);
  assert.deepEqual(change?.needsRespawn, ['env']);
  assert.deepEqual(describeSpecChanges(STARTED.spec, change?.after ?? STARTED.spec), [
    'web.env.RELEASE: added',
  ]);
});

test('a variable the file no longer sets is removed, unless the shell gave it', () => {
  const file = [spec({ name: 'web', env: {} })];
  const [change] = planApply([STARTED], file, { isPruning: false }).change;
  assert.deepEqual(change?.after.env, { PATH: '/usr/bin', HOME: '/home/ann' });
  assert.deepEqual(describeSpecChanges(STARTED.spec, change?.after ?? STARTED.spec), [
    'web.env.API_KEY: removed',
  ]);
});

test('export leaves out every setting that has its default, derived ones included', () => {
  assert.deepEqual(minimalEntry(spec({ name: 'web' })), { command: 'node', cwd: '/srv' });
  assert.deepEqual(
    minimalEntry(spec({ name: 'web', instances: 3, port: 4000, proxy: { port: 4100 } })),
    {
      command: 'node',
      cwd: '/srv',
      instances: 3,
      port: 4000,
      proxy: { port: 4100 },
    },
  );
  assert.deepEqual(
    minimalEntry(
      spec({ name: 'web', min: 1, max: 4, stopSignal: 'SIGINT', readiness: 'none', port: 4000 }),
    ),
    { command: 'node', cwd: '/srv', max: 4, port: 4000, readiness: 'none', stopSignal: 'SIGINT' },
  );
});

test('an exported file parses back into the same definitions (a round trip)', () => {
  const specs = [
    spec({
      name: 'web',
      args: ['server.js', 'yes', '0123', ''],
      cwd: '/',
      instances: 2,
      min: 1,
      max: 5,
      port: 4000,
      env: { A: '1', MULTI: 'a\nb', EMPTY: '', TRUE: 'true' },
      proxy: { port: 4100, waitForReadyMs: 0 },
      livenessProbe: { kind: 'http', path: '/healthz', periodMs: 2000 },
      stopTimeoutMs: 1234,
    }),
    spec({ name: 'worker', command: 'sleep', args: ['1000'], cwd: '/', restart: 'on-failure' }),
  ];
  const text = exportTendFile(specs);
  assert.deepEqual(parseTendFile(text, { file: 'tend.yaml', path: '/tmp/tend.yaml' }), specs);
});
