import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIoK8sApiCoreV1Container as Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1Probe as Probe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import { instancePort } from '../config/instance-port.js';
import { PROBE_ROLES, type ProbeRole } from '../config/probe-defaults.js';
import { type ProbeSpec, probePath } from '../config/probe-spec.js';
import type { ProgramSpec } from '../config/program-spec.js';
import { UsageError } from '../errors.js';
import { hangWatchWarnings, isChanged } from './changed-settings.js';
import type { ExportResult, ForeignExportOptions } from './export-types.js';
import { containerEnv } from './host-env.js';
import { kubernetesNames } from './kubernetes-name.js';
import { isPool, programArgv } from './program-command.js';
import { yamlDocuments } from './yaml-text.js';

/** One object of the export: a Deployment, a Service or a HorizontalPodAutoscaler. */
export type KubernetesObject = IDeployment | IService | IHorizontalPodAutoscaler;

/** The name of the container port, which the probes and the Service refer to. */
const PORT_NAME = 'app';

/** The label that ties a program's pods to its Deployment, Service and autoscaler. */
const NAME_LABEL = 'app.kubernetes.io/name';

/** A variable name the Kubernetes API accepts. */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** How often the startup probe that stands for `readiness: tcp` checks the port. */
const TCP_READINESS_PERIOD_S = 1;

/** Kubernetes expands `$(VAR)` in command, args and env values, and turns `$$` into `$`: doubling every `$` keeps a value as it is. */
export function kubernetesLiteral(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/** Every program as Kubernetes objects (`--image` is required), and what did not translate. */
export function kubernetesObjects(
  specs: readonly ProgramSpec[],
  options: ForeignExportOptions,
): { objects: KubernetesObject[]; warnings: string[] } {
  const { image } = options;
  if (image === undefined || image.length === 0) {
    throw new UsageError(
      'TEND_ERR_USAGE_MISSING_ARGUMENT',
      'Expected --image IMAGE with --format kubernetes: the container image that holds the programs (such as registry.example.com/app:1.4)',
    );
  }
  const names = kubernetesNames(specs.map((spec) => spec.name));
  const warnings: string[] = [];
  if (specs.length > 0) {
    warnings.push(
      "workingDir is each program's directory on this machine: the image must hold the program there, and a program must listen on 0.0.0.0 in its pod to be reached",
    );
  }
  const objects: KubernetesObject[] = [];
  for (const spec of specs) {
    const name = names.get(spec.name) ?? spec.name;
    const warn = (text: string) => warnings.push(`${spec.name}: ${text}`);
    if (name !== spec.name) warn(`named ${name} in Kubernetes (lowercase letters, digits and -)`);
    objects.push(deployment(spec, name, image, warn));
    const service = proxyService(spec, name, warn);
    if (service) objects.push(service);
    if (spec.min !== spec.max) objects.push(autoscaler(spec, name, warn));
    warnUntranslated(spec, warn);
  }
  return { objects, warnings };
}

/** The objects as one multi-document YAML text. */
export function exportKubernetes(
  specs: ProgramSpec[],
  options: ForeignExportOptions,
): ExportResult {
  const { objects, warnings } = kubernetesObjects(specs, options);
  const text = yamlDocuments(objects, ['Written by `tend export --format kubernetes`.']);
  return { text, warnings };
}

function deployment(
  spec: ProgramSpec,
  name: string,
  image: string,
  warn: (text: string) => void,
): IDeployment {
  const labels = { [NAME_LABEL]: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: spec.instances,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: seconds(spec.stopTimeoutMs, 0, 'stopTimeoutMs', warn),
          containers: [container(spec, name, image, warn)],
        },
      },
    },
  };
}

function container(
  spec: ProgramSpec,
  name: string,
  image: string,
  warn: (text: string) => void,
): Container {
  const [command = spec.command, ...args] = programArgv(spec).map(kubernetesLiteral);
  const port = instancePort(spec, 0);
  const result: Container = {
    name,
    image,
    command: [command],
    ...(args.length > 0 ? { args } : {}),
    workingDir: spec.cwd,
    env: containerVariables(spec, warn),
  };
  if (port !== null) result.ports = [{ name: PORT_NAME, containerPort: port }];
  if (spec.maxMemoryBytes !== undefined) {
    result.resources = { limits: { memory: String(spec.maxMemoryBytes) } };
  }
  for (const role of PROBE_ROLES) {
    const probe = spec[role];
    if (probe) result[role] = kubernetesProbe(probe, role, warn);
  }
  // `readiness: tcp` (the default with a port): not started until the port accepts a connection, within startTimeoutMs.
  if (spec.readiness === 'tcp' && !spec.startupProbe && port !== null) {
    result.startupProbe = {
      tcpSocket: { port: PORT_NAME },
      periodSeconds: TCP_READINESS_PERIOD_S,
      failureThreshold: seconds(spec.startTimeoutMs, 1, 'startTimeoutMs', warn),
    };
  }
  return result;
}

function containerVariables(
  spec: ProgramSpec,
  warn: (text: string) => void,
): Array<{ name: string; value: string }> {
  const { kept, dropped } = containerEnv(spec.env);
  if (dropped.length > 0) {
    warn(
      `left out of the environment, as they describe this machine's session and the image has its own: ${dropped.join(', ')}`,
    );
  }
  const invalid = Object.keys(kept).filter((key) => !ENV_NAME.test(key));
  if (invalid.length > 0) {
    warn(
      `left out of the environment, as Kubernetes refuses their names (letters, digits, _, - and ., not starting with a digit): ${invalid.join(', ')}`,
    );
    for (const key of invalid) delete kept[key];
  }
  const env: Record<string, string> = { ...kept, TEND_NAME: spec.name };
  if (!isPool(spec)) env.TEND_INSTANCE = '0';
  // Each pod has its own address: every replica listens on the base port.
  const port = instancePort(spec, 0);
  if (port !== null) env.PORT = String(port);
  return Object.entries(env).map(([key, value]) => ({
    name: key,
    value: kubernetesLiteral(value),
  }));
}

/** A probe, field by field: Kubernetes counts in whole seconds. */
function kubernetesProbe(probe: ProbeSpec, role: ProbeRole, warn: (text: string) => void): Probe {
  const timing = {
    periodSeconds: seconds(probe.periodMs, 1, `${role}.periodMs`, warn),
    timeoutSeconds: seconds(probe.timeoutMs, 1, `${role}.timeoutMs`, warn),
    failureThreshold: probe.failureThreshold,
    successThreshold: probe.successThreshold,
    initialDelaySeconds: seconds(probe.initialDelayMs, 0, `${role}.initialDelayMs`, warn),
  };
  const port = probe.port ?? PORT_NAME;
  switch (probe.kind) {
    case 'http':
      return { httpGet: { path: probePath(probe), port }, ...timing };
    case 'tcp':
      return { tcpSocket: { port }, ...timing };
    case 'exec': {
      // Kubernetes does not expand $(VAR) in a probe's command: it is written as it is.
      const argv = programArgv({
        command: probe.command ?? '',
        args: probe.args ?? [],
        shell: probe.shell ?? false,
      });
      return { exec: { command: argv }, ...timing };
    }
  }
}

/** A Service for a pool's proxy: its port, to the pods' port. */
function proxyService(
  spec: ProgramSpec,
  name: string,
  warn: (text: string) => void,
): IService | undefined {
  if (!spec.proxy) return undefined;
  const { proxy } = spec;
  warn(
    `the proxy became a Service on port ${proxy.port}: it balances connections, and does not retry, wait for a ready pod (waitForReadyMs), or balance by least-outstanding; an ingress controller or a service mesh does that`,
  );
  if (proxy.host !== '127.0.0.1' && proxy.host !== 'localhost') {
    warn(
      `the proxy listened on ${proxy.host}: the Service is reached inside the cluster only; expose it with an Ingress or type: LoadBalancer`,
    );
  }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { [NAME_LABEL]: name } },
    spec: {
      selector: { [NAME_LABEL]: name },
      ports: [
        {
          name: PORT_NAME,
          port: proxy.port,
          targetPort: PORT_NAME,
          protocol: 'TCP',
        },
      ],
    },
  };
}

/** An autoscaler between min and max (it scales on CPU, which needs resources.requests.cpu). */
function autoscaler(
  spec: ProgramSpec,
  name: string,
  warn: (text: string) => void,
): IHorizontalPodAutoscaler {
  warn(
    `the HorizontalPodAutoscaler keeps ${spec.min}-${spec.max} replicas by CPU use (80%): add resources.requests.cpu to the container, or delete it and \`kubectl scale\` by hand as with \`tend scale\``,
  );
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, labels: { [NAME_LABEL]: name } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: spec.min,
      maxReplicas: spec.max,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
    },
  };
}

/** Milliseconds as whole seconds, rounded up (and at least `minimum`), with a warning when they were not whole. */
function seconds(ms: number, minimum: number, field: string, warn: (text: string) => void): number {
  const whole = Math.max(minimum, Math.ceil(ms / 1000));
  if (whole * 1000 !== ms)
    warn(`${field} ${ms} ms became ${whole} s: Kubernetes counts in whole seconds`);
  return whole;
}

function warnUntranslated(spec: ProgramSpec, warn: (text: string) => void): void {
  for (const text of hangWatchWarnings(spec, 'use a liveness probe')) warn(text);
  if (spec.dependsOn.length > 0) {
    warn(
      `dependsOn (${spec.dependsOn.join(', ')}) does not translate: Kubernetes starts pods in any order; make the program wait (an init container, or a readiness probe that checks its dependencies)`,
    );
  }
  if (spec.maxMemoryBytes !== undefined) {
    warn(
      'maxMemoryBytes became resources.limits.memory: the kernel kills the container at the limit, where tend restarts it after 3 checks above it',
    );
  }
  if (spec.restart !== 'always') {
    warn(
      `restart ${spec.restart} does not translate: a Deployment's pods always restart (a Job runs a program to completion)`,
    );
  }
  if (spec.noRestartExitCodes.length > 0) {
    warn('noRestartExitCodes do not translate: a Deployment restarts its containers on any exit');
  }
  if (spec.stopSignal !== 'SIGTERM') {
    warn(
      `stopSignal ${spec.stopSignal} does not translate: Kubernetes sends the image's STOPSIGNAL (SIGTERM unless the Dockerfile says STOPSIGNAL ${spec.stopSignal})`,
    );
  }
  if (isPool(spec)) {
    warn(
      'TEND_INSTANCE is not set: the pods of a Deployment are alike (a StatefulSet numbers them)',
    );
  }
  if (spec.port !== undefined && !spec.proxy && spec.max > 1) {
    warn(
      `the instances' ports ${spec.port}-${instancePort(spec, spec.max - 1)} became port ${spec.port} in every pod (each pod has its own address)`,
    );
  }
  if (isChanged(spec, 'backoffInitialMs') || isChanged(spec, 'backoffMaxMs')) {
    warn(
      'backoffInitialMs and backoffMaxMs do not translate: the kubelet doubles its own delay from 10 s to 5 min',
    );
  }
  if (isChanged(spec, 'minUptimeMs')) {
    warn('minUptimeMs does not translate: the kubelet resets its delay after 10 min of running');
  }
  if (isChanged(spec, 'maxRestarts') || isChanged(spec, 'restartWindowMs')) {
    warn(
      'maxRestarts and restartWindowMs do not translate: the kubelet restarts for ever (CrashLoopBackOff)',
    );
  }
  if (isChanged(spec, 'logMaxBytes') || isChanged(spec, 'logMaxFiles')) {
    warn(
      "logMaxBytes and logMaxFiles do not translate: the kubelet's containerLogMaxSize and containerLogMaxFiles rotate logs",
    );
  }
}
