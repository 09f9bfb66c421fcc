import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { TendError } from '../../src/errors.js';
import { exportKubernetes, kubernetesObjects } from '../../src/export/kubernetes-objects.js';
import { AWKWARD, POOL, programSpec, SHELL_WORKER, SINGLE } from './export-specs.js';

const IMAGE = 'registry.example.com/app:1.4';

/** Checks one object against the Kubernetes API schema (the models' validate() throws on a mismatch). */
function validate(object: { kind?: string }): void {
  switch (object.kind) {
    case 'Deployment':
      new Deployment(object as never).validate();
      break;
    case 'Service':
      new Service(object as never).validate();
      break;
    case 'HorizontalPodAutoscaler':
      new HorizontalPodAutoscaler(object as never).validate();
      break;
    default:
      assert.fail(`unexpected kind ${object.kind}`);
  }
}

/** The objects as a cluster would read them: the printed YAML, parsed back. */
function objectsOf(specs: Parameters<typeof exportKubernetes>[0]) {
  const result = exportKubernetes(specs, { image: IMAGE });
  const documents = parseAllDocuments(result.text);
  assert.ok(Array.isArray(documents));
  for (const document of documents) assert.deepEqual(document.errors, []);
  const objects = documents.map(
    (document) => document.toJS() as { kind: string; metadata: { name: string } },
  );
  return { objects, warnings: result.warnings };
}

function containerOf(object: unknown) {
  const container = (object as IDeployment).spec?.template.spec?.containers[0];
  assert.ok(container);
  return container;
}

test('every generated object passes the Kubernetes API schema', () => {
  const { objects } = objectsOf([SINGLE, POOL, SHELL_WORKER, AWKWARD]);
  assert.deepEqual(
    objects.map((object) => `${object.kind}/${object.metadata.name}`),
    [
      'Deployment/api',
      'Deployment/web',
      'Service/web',
      'HorizontalPodAutoscaler/web',
      'Deployment/queue-worker',
      'Deployment/awkward',
    ],
  );
  for (const object of objects) validate(object);
});

test('the schema check rejects a wrong object (so the test above can fail)', () => {
  const { objects } = objectsOf([SINGLE]);
  const broken = structuredClone(objects[0]) as IDeployment;
  (broken.spec as { replicas: unknown }).replicas = 'three';
  assert.throws(() => validate(broken));
});

test('a single program: one replica, its command and args, its environment without the session variables', () => {
  const { objects, warnings } = objectsOf([SINGLE]);
  const deployment = objects[0] as IDeployment;
  assert.equal(deployment.spec?.replicas, 1);
  assert.equal(deployment.spec?.template.spec?.terminationGracePeriodSeconds, 5);
  const container = containerOf(deployment);
  assert.deepEqual(container.command, [process.execPath]);
  assert.deepEqual(container.args, ['server.js']);
  assert.equal(container.image, IMAGE);
  assert.equal(container.workingDir, '/tmp');
  assert.deepEqual(container.env, [
    { name: 'NODE_ENV', value: 'production' },
    { name: 'TEND_NAME', value: 'api' },
    { name: 'TEND_INSTANCE', value: '0' },
  ]);
  assert.equal(container.ports, undefined);
  assert.ok(
    warnings.some((warning) => /^api: left out of the environment.*: PATH, HOME$/.test(warning)),
  );
});

test('a pool: replicas, its port, probes field by field, a Service for its proxy and an autoscaler from min and max', () => {
  const { objects, warnings } = objectsOf([POOL]);
  const [deployment, service, autoscaler] = objects;
  assert.equal((deployment as IDeployment).spec?.replicas, 3);
  const container = containerOf(deployment);
  assert.deepEqual(container.ports, [{ name: 'app', containerPort: 3000 }]);
  assert.deepEqual(container.livenessProbe, {
    httpGet: { path: '/healthz', port: 'app' },
    periodSeconds: 5,
    timeoutSeconds: 1,
    failureThreshold: 2,
    successThreshold: 1,
    initialDelaySeconds: 0,
  });
  assert.deepEqual(container.readinessProbe?.exec, {
    command: ['/usr/bin/test', '-f', '/tmp/ready'],
  });
  // readiness tcp with startTimeoutMs 30 s: the port must accept a connection within 30 checks a second apart.
  assert.deepEqual(container.startupProbe, {
    tcpSocket: { port: 'app' },
    periodSeconds: 1,
    failureThreshold: 30,
  });
  assert.equal((deployment as IDeployment).spec?.template.spec?.terminationGracePeriodSeconds, 10);
  assert.deepEqual((service as unknown as Service).spec?.ports, [
    { name: 'app', port: 8080, targetPort: 'app', protocol: 'TCP' },
  ]);
  assert.deepEqual((service as unknown as Service).spec?.selector, {
    'app.kubernetes.io/name': 'web',
  });
  const hpa = autoscaler as unknown as HorizontalPodAutoscaler;
  assert.equal(hpa.spec?.minReplicas, 2);
  assert.equal(hpa.spec?.maxReplicas, 4);
  assert.deepEqual(hpa.spec?.scaleTargetRef, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'web',
  });
  for (const expected of [
    /^web: the proxy became a Service on port 8080: .* does not retry/,
    /^web: TEND_INSTANCE is not set/,
    /^web: the HorizontalPodAutoscaler keeps 2-4 replicas/,
  ]) {
    assert.ok(
      warnings.some((warning) => expected.test(warning)),
      `a warning matches ${expected}`,
    );
  }
});

test('a shell line runs through /bin/sh -c; a name Kubernetes refuses is converted; what does not translate is named', () => {
  const { objects, warnings } = objectsOf([SHELL_WORKER]);
  const container = containerOf(objects[0]);
  assert.equal(objects[0]?.metadata.name, 'queue-worker');
  assert.deepEqual(container.command, ['/bin/sh']);
  assert.deepEqual(container.args, ['-c', 'php artisan queue:work | tee -a /tmp/queue.log']);
  assert.deepEqual(
    warnings.filter((warning) => warning.startsWith('Queue_Worker:')),
    [
      'Queue_Worker: named queue-worker in Kubernetes (lowercase letters, digits and -)',
      'Queue_Worker: stopTimeoutMs 1500 ms became 2 s: Kubernetes counts in whole seconds',
      "Queue_Worker: restart on-failure does not translate: a Deployment's pods always restart (a Job runs a program to completion)",
      'Queue_Worker: noRestartExitCodes do not translate: a Deployment restarts its containers on any exit',
      "Queue_Worker: stopSignal SIGINT does not translate: Kubernetes sends the image's STOPSIGNAL (SIGTERM unless the Dockerfile says STOPSIGNAL SIGINT)",
    ],
  );
});

test('$ is doubled in args and env values (Kubernetes expands $(VAR) there), not in a probe command', () => {
  const { objects } = objectsOf([
    AWKWARD,
    programSpec({
      name: 'probe',
      livenessProbe: { kind: 'exec', command: 'sh', args: ['-c', 'test "$PORT"'] },
    }),
  ]);
  const container = containerOf(objects[0]);
  assert.deepEqual(container.args?.slice(3), ['two words', 'say "hi"', '$$HOME', '100%', '']);
  assert.deepEqual(container.env?.[0], {
    name: 'GREETING',
    value: 'say "hi" to $$USER at 100%\nthen go',
  });
  assert.deepEqual(containerOf(objects[1]).livenessProbe?.exec?.command, [
    'sh',
    '-c',
    'test "$PORT"',
  ]);
});

test('milliseconds that are not whole seconds are rounded up, and said', () => {
  const { objects, warnings } = objectsOf([
    programSpec({
      name: 'fast',
      port: 4000,
      readinessProbe: { kind: 'tcp', periodMs: 500, timeoutMs: 200 },
    }),
  ]);
  const probe = containerOf(objects[0]).readinessProbe;
  assert.equal(probe?.periodSeconds, 1);
  assert.equal(probe?.timeoutSeconds, 1);
  assert.ok(
    warnings.includes(
      'fast: readinessProbe.periodMs 500 ms became 1 s: Kubernetes counts in whole seconds',
    ),
  );
});

test('without --image, or with two names that become one, nothing is written and the error says what was expected', () => {
  assert.throws(
    () => kubernetesObjects([SINGLE], {}),
    (error: unknown) =>
      error instanceof TendError &&
      error.code === 'TEND_ERR_USAGE_MISSING_ARGUMENT' &&
      /^Expected --image IMAGE with --format kubernetes/.test(error.message),
  );
  assert.throws(
    () =>
      kubernetesObjects([programSpec({ name: 'a_b' }), programSpec({ name: 'a-b' })], {
        image: IMAGE,
      }),
    /a_b and a-b both become a-b/,
  );
});

test('a variable whose name Kubernetes refuses is left out, and named', () => {
  const { objects, warnings } = objectsOf([
    programSpec({ name: 'odd', env: { GOOD: '1', '2BAD': 'x', 'WITH SPACE': 'y' } }),
  ]);
  assert.deepEqual(containerOf(objects[0]).env?.[0], { name: 'GOOD', value: '1' });
  assert.equal(containerOf(objects[0]).env?.length, 3);
  assert.ok(
    warnings.some((warning) =>
      /^odd: left out of the environment, as Kubernetes refuses their names .*: 2BAD, WITH SPACE$/.test(
        warning,
      ),
    ),
  );
});
