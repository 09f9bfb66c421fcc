import { writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { runCommand } from './exec.js';
import type { ProcessManager } from './manager.js';
import { REPO_ROOT, TEND_BIN } from './paths.js';
import { pollUntil } from './probes.js';

/** The lab's chaos web server (exits on CHAOS_RATE of requests, 0.05 by default), by absolute path. */
export const CHAOS_SERVER = join(REPO_ROOT, 'examples', 'chaos-web', 'server.js');

/** A pool of chaos-web servers under tend, behind tend's proxy. */
export interface TendPoolSpec {
  name: string;
  instances: number;
  basePort: number;
  proxyPort: number;
  proxyMode: 'http' | 'tcp';
  chaosRate: number;
  /** `--proxy-workers` (tend's default when not given). */
  proxyWorkers?: number;
}

/** Starts a pool with `tend start --instances N --port P --proxy-port Q --proxy-mode M --env CHAOS_RATE=…`. */
export async function startTendPool(manager: ProcessManager, spec: TendPoolSpec): Promise<void> {
  await manager.start({
    name: spec.name,
    command: process.execPath,
    args: [CHAOS_SERVER],
    instances: spec.instances,
    extraFlags: {
      tend: [
        '--port',
        String(spec.basePort),
        '--proxy-port',
        String(spec.proxyPort),
        '--proxy-mode',
        spec.proxyMode,
        '--env',
        `CHAOS_RATE=${spec.chaosRate}`,
        ...(spec.proxyWorkers === undefined ? [] : ['--proxy-workers', String(spec.proxyWorkers)]),
      ],
    },
  });
}

/** One app of a PM2 ecosystem file. */
export interface Pm2App {
  name: string;
  script: string;
  exec_mode: 'cluster' | 'fork';
  instances: number;
  env: Record<string, string>;
}

/** PM2 cluster mode: `instances` workers sharing one port (what `pm2 start server.js -i 3` runs). */
export function pm2ClusterApp(
  name: string,
  instances: number,
  port: number,
  chaosRate: number,
): Pm2App {
  return {
    name,
    script: CHAOS_SERVER,
    exec_mode: 'cluster',
    instances,
    env: { PORT: String(port), CHAOS_RATE: String(chaosRate) },
  };
}

/** PM2 fork mode: one app per port (`name-0`, `name-1`, …), for a balancer in front. */
export function pm2ForkApps(
  name: string,
  count: number,
  basePort: number,
  chaosRate: number,
): Pm2App[] {
  return Array.from({ length: count }, (_, index) => ({
    name: `${name}-${index}`,
    script: CHAOS_SERVER,
    exec_mode: 'fork',
    instances: 1,
    env: { PORT: String(basePort + index), CHAOS_RATE: String(chaosRate) },
  }));
}

/** Writes the apps to `<dir>/<fileName>.config.json` and runs `pm2 start` on that file. */
export async function startPm2Apps(
  manager: ProcessManager,
  dir: string,
  fileName: string,
  apps: readonly Pm2App[],
): Promise<void> {
  const path = join(dir, `${fileName}.config.json`);
  writeFileSync(path, `${JSON.stringify({ apps }, null, 2)}\n`);
  // PM2 keeps each app's own name from the file; the `--name` that start() adds is not used.
  await manager.start({ name: fileName, command: path, args: [] });
}

/** Waits until `count` instances whose program name starts with `prefix` are online with a pid. */
export async function awaitOnline(
  manager: ProcessManager,
  prefix: string,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  await pollUntil(
    `${count} ${manager.label} instances of ${prefix}* online`,
    async () => {
      const online = (await manager.list()).filter(
        (row) => row.name.startsWith(prefix) && row.status === 'online' && row.pid !== null,
      );
      return online.length >= count ? true : undefined;
    },
    { intervalMs: 100, timeoutMs },
  );
}

/** Restarts of every instance whose program name starts with `prefix`, summed, and their statuses. */
export async function readRestarts(
  manager: ProcessManager,
  prefix: string,
): Promise<{ restarts: number; statuses: string[] }> {
  const rows = (await manager.list()).filter((row) => row.name.startsWith(prefix));
  return {
    restarts: rows.reduce((sum, row) => sum + row.restarts, 0),
    statuses: rows.map((row) => row.status),
  };
}

/** Waits until GET / on 127.0.0.1:port answers 2xx (every answer that is not is retried). */
export async function awaitHttpOk(port: number, timeoutMs = 30_000): Promise<void> {
  await pollUntil(`http://127.0.0.1:${port}/ to answer 2xx`, () => fetchStatus(port), {
    intervalMs: 50,
    timeoutMs,
  });
}

function fetchStatus(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode && res.statusCode < 300 ? true : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(5000, () => req.destroy());
  });
}

/** The proxy counters of a tend pool (`tend status <name> --json`), summed over its instances. */
export interface TendProxyTotals {
  pid: number | null;
  /** Deliveries to instances, retries included. */
  requests: number;
  retries: number;
  /** Attempts that failed on an instance (and were retried when they could be). */
  failures: number;
}

/** Reads a tend pool's proxy counters through the CLI, with the manager's TEND_HOME. */
export async function readTendProxyTotals(
  manager: ProcessManager,
  name: string,
): Promise<TendProxyTotals> {
  const outcome = await runCommand(process.execPath, [TEND_BIN, 'status', name, '--json'], {
    env: { ...process.env, TEND_HOME: manager.home },
  });
  const parsed = JSON.parse(outcome.stdout) as unknown;
  const detail = (Array.isArray(parsed) ? parsed[0] : parsed) as {
    proxy?: {
      pid: number | null;
      instances: Array<{ requests: number; retries: number; failures: number }>;
    } | null;
  };
  const instances = detail.proxy?.instances ?? [];
  const sum = (key: 'requests' | 'retries' | 'failures'): number =>
    instances.reduce((total, counters) => total + counters[key], 0);
  return {
    pid: detail.proxy?.pid ?? null,
    requests: sum('requests'),
    retries: sum('retries'),
    failures: sum('failures'),
  };
}
