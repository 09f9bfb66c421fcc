import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { exportCompose } from '../../src/export/compose-file.js';
import { AWKWARD, POOL, programSpec, SHELL_WORKER, SINGLE } from './export-specs.js';

type Service = Record<string, unknown> & { healthcheck?: Record<string, unknown> };

function composeOf(specs: Parameters<typeof exportCompose>[0], image?: string) {
  const result = exportCompose(specs, image === undefined ? {} : { image });
  const file = parse(result.text) as { services: Record<string, Service> };
  return { services: file.services, warnings: result.warnings, text: result.text };
}

test('a single program becomes a service with its command, directory, environment and stop settings', () => {
  const { services, warnings } = composeOf([SINGLE], 'registry.example.com/api:1.4');
  assert.deepEqual(services.api, {
    image: 'registry.example.com/api:1.4',
    working_dir: '/tmp',
    entrypoint: [process.execPath],
    command: ['server.js'],
    environment: { NODE_ENV: 'production', TEND_NAME: 'api', TEND_INSTANCE: '0' },
    restart: 'always',
    stop_signal: 'SIGTERM',
    stop_grace_period: '5s',
    logging: { driver: 'json-file', options: { 'max-size': '10240k', 'max-file': '5' } },
  });
  assert.ok(
    warnings.some((warning) => /^api: left out of the environment.*: PATH, HOME$/.test(warning)),
  );
  assert.ok(!warnings.some((warning) => warning.startsWith('image:')));
});

test('without --image, node:20 is written and named in a warning', () => {
  const { services, warnings } = composeOf([SINGLE]);
  assert.equal(services.api?.image, 'node:20');
  assert.match(warnings[0] ?? '', /^image: node:20 is a placeholder/);
});

test('a pool becomes replicas on its port, published on a range like its instances, with the liveness probe as healthcheck', () => {
  const { services, warnings } = composeOf([POOL], 'app:1');
  const web = services.web;
  assert.ok(web);
  assert.deepEqual(web.deploy, { replicas: 3 });
  assert.deepEqual(web.ports, ['127.0.0.1:3000-3003:3000']);
  assert.deepEqual(web.environment, { TEND_NAME: 'web', PORT: '3000' });
  assert.equal(web.stop_grace_period, '10s');
  assert.deepEqual(web.healthcheck, {
    test: [
      'CMD',
      'curl',
      '--fail',
      '--silent',
      '--output',
      '/dev/null',
      'http://127.0.0.1:3000/healthz',
    ],
    interval: '5s',
    timeout: '1s',
    retries: 2,
    start_period: '0s',
  });
  for (const expected of [
    /^web: readinessProbe does not translate: Compose has one healthcheck/,
    /^web: the http probe runs curl inside the container: the image needs curl$/,
    /^web: TEND_INSTANCE is not set/,
    /^web: min 2 and max 4 do not translate/,
    /^web: the proxy on 127\.0\.0\.1:8080 does not translate/,
  ]) {
    assert.ok(
      warnings.some((warning) => expected.test(warning)),
      `a warning matches ${expected}`,
    );
  }
});

test('an exec probe runs its command; a shell one runs through CMD-SHELL; a tcp one through bash; a startup probe becomes start_period', () => {
  const exec = composeOf([
    programSpec({
      name: 'a',
      readinessProbe: { kind: 'exec', command: 'pg_isready', args: ['-h', 'db'] },
    }),
  ]);
  assert.deepEqual(exec.services.a?.healthcheck?.test, ['CMD', 'pg_isready', '-h', 'db']);
  const shell = composeOf([
    programSpec({
      name: 'b',
      livenessProbe: { kind: 'exec', command: 'test -f /tmp/ok', shell: true },
    }),
  ]);
  assert.deepEqual(shell.services.b?.healthcheck?.test, ['CMD-SHELL', 'test -f /tmp/ok']);
  const tcp = composeOf([
    programSpec({
      name: 'c',
      port: 5432,
      livenessProbe: { kind: 'tcp', periodMs: 2_000, timeoutMs: 500 },
      startupProbe: { kind: 'tcp', periodMs: 1_000, failureThreshold: 30, initialDelayMs: 2_000 },
    }),
  ]);
  assert.deepEqual(tcp.services.c?.healthcheck, {
    test: ['CMD', 'bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/5432'],
    interval: '2s',
    timeout: '500ms',
    retries: 3,
    start_period: '32s',
  });
  assert.ok(
    tcp.warnings.some((warning) =>
      /^c: startupProbe became the healthcheck's start_period \(32s\)/.test(warning),
    ),
  );
});

test('a shell line, on-failure and a stop signal translate; done exit codes are named in a warning', () => {
  const { services, warnings } = composeOf([SHELL_WORKER], 'app:1');
  const worker = services.Queue_Worker;
  assert.deepEqual(worker?.entrypoint, ['/bin/sh']);
  assert.deepEqual(worker?.command, ['-c', 'php artisan queue:work | tee -a /tmp/queue.log']);
  assert.equal(worker?.restart, 'on-failure');
  assert.equal(worker?.stop_signal, 'SIGINT');
  assert.equal(worker?.stop_grace_period, '1500ms');
  assert.ok(
    warnings.includes(
      'Queue_Worker: noRestartExitCodes do not translate: Docker restarts on any exit with restart: always',
    ),
  );
  assert.equal(
    composeOf([programSpec({ name: 'once', restart: 'never' })]).services.once?.restart,
    'no',
  );
});

test('$ is doubled everywhere (Compose interpolates it); quotes, % and newlines survive YAML', () => {
  const { services } = composeOf([AWKWARD], 'app:1');
  const awkward = services.awkward;
  assert.deepEqual(awkward?.command, [
    '-e',
    'console.log(process.argv.slice(1))',
    '--',
    'two words',
    'say "hi"',
    '$$HOME',
    '100%',
    '',
  ]);
  assert.deepEqual(awkward?.environment, {
    GREETING: 'say "hi" to $$USER at 100%\nthen go',
    BACKSLASH: 'C:\\temp',
    TEND_NAME: 'awkward',
    TEND_INSTANCE: '0',
  });
});

test('a value YAML 1.1 would read as a boolean stays a string', () => {
  const { text } = composeOf(
    [programSpec({ name: 'flags', env: { DEBUG: 'no', COLOR: 'on' } })],
    'app:1',
  );
  assert.match(text, /DEBUG: "no"\n/);
  assert.match(text, /COLOR: "on"\n/);
});

test('a pool whose proxy listens on every address is published there; an IPv6 address gets brackets', () => {
  const everywhere = composeOf([
    programSpec({ name: 'a', port: 3000, instances: 2, proxy: { port: 80, host: '0.0.0.0' } }),
  ]);
  assert.deepEqual(everywhere.services.a?.ports, ['0.0.0.0:3000-3001:3000']);
  const ipv6 = composeOf([
    programSpec({ name: 'b', port: 3000, instances: 2, proxy: { port: 80, host: '::' } }),
  ]);
  assert.deepEqual(ipv6.services.b?.ports, ['[::]:3000-3001:3000']);
});
