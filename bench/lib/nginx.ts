import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';
import { awaitExit, killQuietly } from './exec.js';
import { PidTracker } from './pid-tracker.js';
import { awaitPortOpen, descendantsOf } from './probes.js';
import { findCommand, INSTALL_HINT } from './system-tools.js';

/** nginx as a load balancer in front of upstreams on 127.0.0.1. */
export interface NginxOptions {
  /** Port nginx listens on (127.0.0.1 only). */
  port: number;
  upstreamPorts: readonly number[];
  /**
   * `max_fails` of each upstream server. nginx's default, 1 (with `fail_timeout=10s`), takes a
   * server out for 10 s after one failed request; 0 never takes one out.
   */
  maxFails?: number;
  /** Idle keep-alive connections to the upstreams that each worker keeps. */
  keepaliveConnections?: number;
  /** `worker_processes` (1 unless given). */
  workers?: number;
}

/** A running nginx: its port, and how to stop it. */
export interface RunningNginx {
  port: number;
  masterPid: number;
  /** The worker processes' pids. */
  workerPids(): number[];
  /** The last lines of its error log, for a report on something odd. */
  errorLogTail(lines?: number): string;
  /** Stops it (SIGQUIT, then SIGKILL by pid), and removes its directory. */
  stop(): Promise<void>;
}

const NGINX_CANDIDATES = [
  '/usr/sbin/nginx',
  '/usr/local/sbin/nginx',
  '/usr/local/nginx/sbin/nginx',
];
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** nginx's path, or undefined when it is not installed. */
export function findNginx(): string | undefined {
  return findCommand('nginx', NGINX_CANDIDATES);
}

/** nginx's version, such as `nginx/1.22.1` (`nginx -v` writes it to stderr). */
export function nginxVersion(): string {
  const nginx = findNginx();
  if (!nginx) return 'nginx not installed';
  const result = spawnSync(nginx, ['-v'], { encoding: 'utf8' });
  return /nginx\/\S+/.exec(`${result.stdout}${result.stderr}`)?.[0] ?? 'nginx (unknown version)';
}

/** The nginx.conf for `workers` workers (one by default) in front of the upstreams: keep-alive both sides, retries on another upstream. */
export function renderNginxConfig(dir: string, options: NginxOptions): string {
  const maxFails = options.maxFails === undefined ? '' : ` max_fails=${options.maxFails}`;
  const servers = options.upstreamPorts
    .map((port) => `    server 127.0.0.1:${port}${maxFails};`)
    .join('\n');
  // Workers of a root master would switch to nobody; keep the benchmark's own user instead.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : '';
  return `${user}worker_processes ${options.workers ?? 1};
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream pool {
${servers}
    keepalive ${options.keepaliveConnections ?? 32};
  }
  server {
    listen 127.0.0.1:${options.port};
    location / {
      proxy_pass http://pool;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout;
    }
  }
}
`;
}

/** Starts nginx in the foreground under a temporary prefix and waits until its port accepts connections. */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const nginx = findNginx();
  if (!nginx) throw new Error(`nginx not found: ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  const removeDir = onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, renderNginxConfig(dir, options));
  const errorLog = join(dir, 'error.log');
  const child = spawn(nginx, ['-p', dir, '-c', configPath, '-e', errorLog, '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  const masterPid = child.pid;
  if (masterPid === undefined) throw new Error(`could not spawn ${nginx}`);
  const tracker = new PidTracker();
  tracker.track(masterPid);
  const workerPids = (): number[] => descendantsOf(masterPid).map((info) => info.pid);
  const errorLogTail = (lines = 5): string => {
    try {
      return readFileSync(errorLog, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    for (const pid of workerPids()) tracker.track(pid);
    // SIGQUIT: graceful shutdown; the master ends its workers, then exits.
    killQuietly(masterPid, 'SIGQUIT');
    const timer = setTimeout(() => killQuietly(masterPid, 'SIGKILL'), STOP_TIMEOUT_MS);
    await awaitExit(child);
    clearTimeout(timer);
    tracker.killSurvivors();
    await removeDir.runNow();
  };
  const stopStep = onCleanup(`stop nginx ${masterPid}`, stop);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`nginx exited (${signal ?? code}) before it listened: ${errorLogTail()}`)),
    ),
  );
  try {
    await Promise.race([awaitPortOpen(options.port, READY_TIMEOUT_MS), exited]);
  } catch (error) {
    await stopStep.runNow();
    throw error;
  }
  exited.catch(() => undefined);
  for (const pid of workerPids()) tracker.track(pid);
  return { port: options.port, masterPid, workerPids, errorLogTail, stop: () => stopStep.runNow() };
}
