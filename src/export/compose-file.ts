import { instancePort } from '../config/instance-port.js';
import { type ProbeSpec, probePath } from '../config/probe-spec.js';
import type { ProgramSpec } from '../config/program-spec.js';
import { hangWatchWarnings, isChanged } from './changed-settings.js';
import type { ExportResult, ForeignExportOptions } from './export-types.js';
import { containerEnv } from './host-env.js';
import { isPool, programArgv } from './program-command.js';
import { durationText } from './systemd-syntax.js';
import { yamlDocument } from './yaml-text.js';

/** The image written when none is given: it runs Node programs, and is named in a warning. */
export const PLACEHOLDER_IMAGE = 'node:20';

/** Compose replaces `${VAR}` and `$VAR` in every value: `$$` is a literal `$`. */
export function composeLiteral(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/** Every program as a service of one Compose file. */
export function exportCompose(specs: ProgramSpec[], options: ForeignExportOptions): ExportResult {
  const warnings: string[] = [];
  const image = options.image ?? PLACEHOLDER_IMAGE;
  if (options.image === undefined) {
    warnings.push(
      `image: ${PLACEHOLDER_IMAGE} is a placeholder: give --image with an image that holds the programs`,
    );
  }
  if (specs.length > 0) {
    warnings.push(
      'working_dir is each program\'s directory on this machine: the image must hold the program there (or mount it: volumes: ["DIR:DIR"]), and a program must listen on 0.0.0.0 inside its container to be reached',
    );
  }
  const services: Record<string, unknown> = {};
  for (const spec of specs) {
    services[spec.name] = composeService(spec, image, (text) =>
      warnings.push(`${spec.name}: ${text}`),
    );
  }
  const text = yamlDocument({ services }, ['Written by `tend export --format compose`.']);
  return { text, warnings };
}

function composeService(
  spec: ProgramSpec,
  image: string,
  warn: (text: string) => void,
): Record<string, unknown> {
  const [entrypoint = spec.command, ...args] = programArgv(spec).map(composeLiteral);
  const service: Record<string, unknown> = {
    image,
    working_dir: composeLiteral(spec.cwd),
    entrypoint: [entrypoint],
    ...(args.length > 0 ? { command: args } : {}),
    environment: composeEnvironment(spec, warn),
  };
  const ports = publishedPorts(spec);
  if (ports.length > 0) service.ports = ports;
  if (isPool(spec)) service.deploy = { replicas: spec.instances };
  service.restart = spec.restart === 'never' ? 'no' : spec.restart;
  service.stop_signal = spec.stopSignal;
  service.stop_grace_period = durationText(spec.stopTimeoutMs);
  const healthcheck = composeHealthcheck(spec, warn);
  if (healthcheck) service.healthcheck = healthcheck;
  if (spec.dependsOn.length > 0) service.depends_on = [...spec.dependsOn];
  if (spec.maxMemoryBytes !== undefined) {
    const deploy = (service.deploy ?? {}) as Record<string, unknown>;
    deploy.resources = { limits: { memory: `${spec.maxMemoryBytes}b` } };
    service.deploy = deploy;
  }
  // Docker's json-file driver keeps every byte unless told otherwise: tend's rotation, kept.
  service.logging = {
    driver: 'json-file',
    options: {
      'max-size': `${Math.ceil(spec.logMaxBytes / 1024)}k`,
      'max-file': String(spec.logMaxFiles),
    },
  };
  warnUntranslated(spec, warn);
  return service;
}

function composeEnvironment(
  spec: ProgramSpec,
  warn: (text: string) => void,
): Record<string, string> {
  const { kept, dropped } = containerEnv(spec.env);
  if (dropped.length > 0) {
    warn(
      `left out of the environment, as they describe this machine's session and the image has its own: ${dropped.join(', ')}`,
    );
  }
  const env: Record<string, string> = { ...kept, TEND_NAME: spec.name };
  if (!isPool(spec)) env.TEND_INSTANCE = '0';
  // Each replica has its own network: every one listens on the base port.
  const port = instancePort(spec, 0);
  if (port !== null) env.PORT = String(port);
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, composeLiteral(value)]),
  );
}

/** Host ports, on the proxy's address (127.0.0.1 by default): a pool's replicas take one each of port…port+max−1, as tend's instances do. */
function publishedPorts(spec: ProgramSpec): string[] {
  const first = instancePort(spec, 0);
  if (first === null) return [];
  const proxyHost = spec.proxy?.host ?? '127.0.0.1';
  const host = proxyHost.includes(':') ? `[${proxyHost}]` : proxyHost;
  const last = instancePort(spec, spec.max - 1) ?? first;
  const published = last > first ? `${first}-${last}` : String(first);
  return [`${host}:${published}:${first}`];
}

/**
 * Compose has one healthcheck: the liveness probe (Swarm replaces an unhealthy container), else
 * the readiness probe (what `depends_on: condition: service_healthy` waits for), else the
 * startup probe. A startup probe next to another becomes the grace period before failures count.
 */
function composeHealthcheck(
  spec: ProgramSpec,
  warn: (text: string) => void,
): Record<string, unknown> | undefined {
  const chosen = spec.livenessProbe ?? spec.readinessProbe ?? spec.startupProbe;
  if (!chosen) return undefined;
  const role = spec.livenessProbe
    ? 'livenessProbe'
    : spec.readinessProbe
      ? 'readinessProbe'
      : 'startupProbe';
  if (spec.livenessProbe && spec.readinessProbe) {
    warn('readinessProbe does not translate: Compose has one healthcheck, made from livenessProbe');
  }
  let startPeriodMs = chosen.initialDelayMs;
  if (spec.startupProbe && chosen !== spec.startupProbe) {
    const startup = spec.startupProbe;
    startPeriodMs += startup.initialDelayMs + startup.periodMs * startup.failureThreshold;
    warn(
      `startupProbe became the healthcheck's start_period (${durationText(startPeriodMs)}): failures within it do not count`,
    );
  }
  if (role === 'readinessProbe' && chosen.successThreshold > 1) {
    warn(
      'readinessProbe.successThreshold does not translate: one success makes a container healthy',
    );
  }
  return {
    test: healthcheckTest(spec, chosen, warn),
    interval: durationText(chosen.periodMs),
    timeout: durationText(chosen.timeoutMs),
    retries: chosen.failureThreshold,
    start_period: durationText(startPeriodMs),
  };
}

function healthcheckTest(
  spec: ProgramSpec,
  probe: ProbeSpec,
  warn: (text: string) => void,
): string[] {
  const port = probe.port ?? spec.port;
  switch (probe.kind) {
    case 'http':
      warn('the http probe runs curl inside the container: the image needs curl');
      return [
        'CMD',
        'curl',
        '--fail',
        '--silent',
        '--output',
        '/dev/null',
        composeLiteral(`http://127.0.0.1:${port}${probePath(probe)}`),
      ];
    case 'tcp':
      warn('the tcp probe runs bash (its /dev/tcp) inside the container: the image needs bash');
      return ['CMD', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`];
    case 'exec': {
      const command = probe.command ?? '';
      if (probe.shell)
        return ['CMD-SHELL', composeLiteral([command, ...(probe.args ?? [])].join(' '))];
      return ['CMD', ...[command, ...(probe.args ?? [])].map(composeLiteral)];
    }
  }
}

function warnUntranslated(spec: ProgramSpec, warn: (text: string) => void): void {
  for (const text of hangWatchWarnings(spec, 'use a healthcheck')) warn(text);
  if (spec.dependsOn.length > 0) {
    warn(
      'dependsOn became depends_on: Compose starts the dependencies first but does not wait for them to be ready unless they have a healthcheck and you write `condition: service_healthy`',
    );
  }
  if (spec.maxMemoryBytes !== undefined) {
    warn(
      'maxMemoryBytes became deploy.resources.limits.memory: the kernel kills the container at the limit, where tend restarts it after 3 checks above it',
    );
  }
  if (isPool(spec)) {
    warn('TEND_INSTANCE is not set: the replicas of a Compose service are alike');
  }
  if (spec.min !== spec.max) {
    warn(
      `min ${spec.min} and max ${spec.max} do not translate: \`docker compose up --scale ${spec.name}=N\` sets the replicas`,
    );
  }
  if (spec.proxy) {
    warn(
      `the proxy on ${spec.proxy.host}:${spec.proxy.port} does not translate: each replica is published on one port of the range; put a load balancer (Traefik, nginx) in front, or use Swarm's ingress (\`docker stack deploy\`)`,
    );
  }
  if (spec.readiness === 'tcp' && !spec.readinessProbe) {
    warn(
      'readiness tcp does not translate: a container is up once started (a healthcheck and depends_on: condition: service_healthy wait for readiness)',
    );
  }
  if (spec.noRestartExitCodes.length > 0) {
    warn('noRestartExitCodes do not translate: Docker restarts on any exit with restart: always');
  }
  if (isChanged(spec, 'backoffInitialMs') || isChanged(spec, 'backoffMaxMs')) {
    warn(
      'backoffInitialMs and backoffMaxMs do not translate: Docker doubles its own delay from 100 ms',
    );
  }
  if (isChanged(spec, 'minUptimeMs')) {
    warn('minUptimeMs does not translate: Docker resets its delay after 10 s of running');
  }
  if (isChanged(spec, 'maxRestarts') || isChanged(spec, 'restartWindowMs')) {
    warn('maxRestarts and restartWindowMs do not translate: Docker restarts for ever');
  }
  if (isChanged(spec, 'startTimeoutMs')) {
    warn('startTimeoutMs does not translate: a healthcheck start_period is the nearest setting');
  }
}
