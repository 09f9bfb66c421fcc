/**
 * Benchmark: 20,000 concurrent WebSocket connections through one pool's proxy (several proxy
 * workers sharing the listening socket) to a pool of WebSocket echo instances, the clients spread
 * over several processes. Reports how many were opened and still answer after all are open (none
 * may drop), handshake latency, and what the proxy holds: RSS of all its processes ÷ connections.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { findFreePortRange } from '../test/helpers/free-ports.js';
import { awaitHttpOk, awaitOnline } from './lib/chaos-pools.js';
import { onCleanup } from './lib/cleanup.js';
import { killQuietly } from './lib/exec.js';
import { formatCount, formatMs, formatTable } from './lib/format.js';
import { progress, runIfMain } from './lib/main.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath, WS_ECHO } from './lib/paths.js';
import { descendantsOf, findFreePort } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median } from './lib/stats.js';
import { TendManager } from './lib/tend.js';

const CONNECTIONS = 20_000;
const QUICK_CONNECTIONS = 2_000;
/** 20,000 connections hold 40,000 files: with 20,000 per process, three workers keep each near 13,400. */
const PROXY_WORKERS = 3;
const INSTANCES = 4;
const CLIENT_PROCESSES = 4;
/** Handshakes in flight per client process. */
const CONCURRENCY = 100;
const CLOCK_TICKS_PER_S = 100;

interface ClientReport {
  type: string;
  opened?: number;
  errors?: Record<string, number>;
  handshakeP50Ms?: number;
  handshakeP99Ms?: number;
  answered?: number;
  dropped?: number;
}

/** One client process and the lines it reports. */
class ClientProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<string, (report: ClientReport) => void>();

  constructor(port: number, count: number) {
    this.#child = spawn(process.execPath, [fixturePath('ws-clients')], {
      env: {
        ...process.env,
        PORT: String(port),
        COUNT: String(count),
        CONCURRENCY: String(CONCURRENCY),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error('a client process did not spawn');
    const cleanup = onCleanup(`kill client ${pid}`, () => {
      killQuietly(pid, 'SIGKILL');
    });
    this.#child.once('exit', () => cleanup.dismiss());
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const report = JSON.parse(line) as ClientReport;
      this.#waiting.get(report.type)?.(report);
    });
  }

  next(type: string): Promise<ClientReport> {
    return new Promise((resolve, reject) => {
      this.#waiting.set(type, resolve);
      this.#child.once('exit', (code) => reject(new Error(`a client process exited (${code})`)));
    });
  }

  tell(line: string): void {
    this.#child.stdin?.write(`${line}\n`);
  }
}

function rssKib(pid: number): number {
  const match = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? Number.NaN);
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Opens the connections, checks each still answers, and measures the proxy. */
export async function runProxyConnections(options: BenchOptions): Promise<BenchResult> {
  const total = options.isQuick ? QUICK_CONNECTIONS : CONNECTIONS;
  const tend = new TendManager();
  try {
    await tend.ensureDaemon();
    const basePort = await findFreePortRange(INSTANCES);
    const proxyPort = await findFreePort();
    progress(
      `a pool of ${INSTANCES} WebSocket echo instances behind a proxy with ${PROXY_WORKERS} workers`,
    );
    await tend.start({
      name: 'wsc',
      command: process.execPath,
      args: [WS_ECHO],
      instances: INSTANCES,
      extraFlags: {
        tend: [
          '--port',
          String(basePort),
          '--proxy-port',
          String(proxyPort),
          '--proxy-workers',
          String(PROXY_WORKERS),
        ],
      },
    });
    await awaitOnline(tend, 'wsc', INSTANCES);
    await awaitHttpOk(proxyPort);
    const daemonPid = await tend.daemonPid();
    const primary = descendantsOf(daemonPid).find((info) => info.cmdline.includes('proxy-main'));
    if (primary === undefined) throw new Error("the pool's proxy process was not found");
    const proxyPids = [primary.pid, ...descendantsOf(primary.pid).map((info) => info.pid)];
    const sumRss = (): number => proxyPids.reduce((sum, pid) => sum + rssKib(pid), 0);
    const sumCpu = (): number => proxyPids.reduce((sum, pid) => sum + cpuMs(pid), 0);
    const idleRssKib = sumRss();
    const idleWorkerRss = proxyPids.slice(1).map(rssKib);

    progress(
      `${formatCount(total)} WebSocket connections from ${CLIENT_PROCESSES} client processes`,
    );
    const cpuBefore = sumCpu();
    const startedAt = performance.now();
    const clients = Array.from(
      { length: CLIENT_PROCESSES },
      (_, index) =>
        new ClientProcess(
          proxyPort,
          Math.floor(total / CLIENT_PROCESSES) + (index < total % CLIENT_PROCESSES ? 1 : 0),
        ),
    );
    const opened = await Promise.all(clients.map((client) => client.next('opened')));
    const openSeconds = (performance.now() - startedAt) / 1000;
    const proxyCpuS = (sumCpu() - cpuBefore) / 1000;
    const loadedRssKib = sumRss();
    const filesPerProcess = proxyPids.map(openFiles);
    progress('every connection sends once more');
    const pinged = await Promise.all(
      clients.map((client) => {
        const answer = client.next('pinged');
        client.tell('ping');
        return answer;
      }),
    );
    for (const client of clients) client.tell('close');

    const openedCount = opened.reduce((sum, report) => sum + (report.opened ?? 0), 0);
    const answered = pinged.reduce((sum, report) => sum + (report.answered ?? 0), 0);
    const dropped = pinged.reduce((sum, report) => sum + (report.dropped ?? 0), 0);
    const errors = new Map<string, number>();
    for (const report of opened) {
      for (const [reason, count] of Object.entries(report.errors ?? {}))
        errors.set(reason, (errors.get(reason) ?? 0) + count);
    }
    const errorText =
      errors.size === 0
        ? 'none'
        : [...errors].map(([reason, count]) => `${reason} ×${count}`).join(', ');
    const perConnectionKib = loadedRssKib / openedCount;
    const addedPerConnectionKib = (loadedRssKib - idleRssKib) / openedCount;
    const report = [
      `## Proxy connections: ${formatCount(total)} WebSocket connections through one pool's proxy (${PROXY_WORKERS} workers, ${INSTANCES} echo instances, ${CLIENT_PROCESSES} client processes)`,
      '',
      formatTable(
        [
          'asked',
          'opened',
          'answer after all open',
          'dropped',
          'errors',
          'open in',
          'handshake p50',
          'handshake p99',
        ],
        [
          [
            formatCount(total),
            formatCount(openedCount),
            formatCount(answered),
            formatCount(dropped),
            errorText,
            `${openSeconds.toFixed(1)} s`,
            formatMs(median(opened.map((r) => r.handshakeP50Ms ?? Number.NaN))),
            formatMs(Math.max(...opened.map((r) => r.handshakeP99Ms ?? Number.NaN))),
          ],
        ],
      ),
      '',
      formatTable(
        [
          'proxy RSS idle',
          'proxy RSS loaded',
          'RSS ÷ connections',
          'added RSS ÷ connections',
          'proxy CPU opening them',
          'open files (primary, workers…)',
        ],
        [
          [
            `${(idleRssKib / 1024).toFixed(0)} MiB (workers ${idleWorkerRss.map((kib) => (kib / 1024).toFixed(0)).join(', ')} MiB)`,
            `${(loadedRssKib / 1024).toFixed(0)} MiB`,
            `${perConnectionKib.toFixed(1)} KiB`,
            `${addedPerConnectionKib.toFixed(1)} KiB`,
            `${proxyCpuS.toFixed(1)} s`,
            filesPerProcess.map(formatCount).join(', '),
          ],
        ],
      ),
      '',
      'RSS is the sum over the proxy primary and its workers; a proxied connection holds two files (client and instance side).',
    ].join('\n');
    console.log(`${report}\n`);
    return {
      name: 'proxy-connections',
      report,
      targets: [
        checkTarget(
          `${formatCount(total)} WebSocket connections held through one proxy, none dropped`,
          answered,
          (value) => value === total && dropped === 0,
          `${formatCount(openedCount)} opened, ${formatCount(answered)} answer after all are open`,
        ),
      ],
    };
  } finally {
    await tend.shutdown();
  }
}

runIfMain(import.meta.url, runProxyConnections);
