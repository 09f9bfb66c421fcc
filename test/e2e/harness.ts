import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/api/client.js';
import type { EventStreamMessage, InstanceSummary, ProgramDetail } from '../../src/api/wire.js';

/** The real CLI entry point. */
export const TEND_BIN = fileURLToPath(new URL('../../../bin/tend.js', import.meta.url));
/** Compiled fixture programs. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** What a CLI run printed and how it ended. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A temporary home with a CLI bound to it; the daemon it starts is stopped (and, failing that, killed) after the test. */
export interface TendUnderTest {
  home: string;
  socket: string;
  run(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult>;
  /** Runs and fails the test unless the exit code is 0. */
  ok(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<string>;
  list(): Promise<InstanceSummary[]>;
  program(name: string): Promise<ProgramDetail>;
  api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /**
   * Awaits a condition on the daemon's state: subscribes to its event stream first, then checks,
   * then checks again after each event, so that no change falls between a check and the wait.
   */
  until<T>(
    what: string,
    check: () => Promise<T | undefined | false>,
    timeoutMs?: number,
  ): Promise<T>;
  daemonPid(): number | undefined;
}

type AfterHook = { after(fn: () => unknown): void };

/** Sets up a temp TEND_HOME and a CLI runner for it. */
export function useTend(t: AfterHook): TendUnderTest {
  // One hook, in this order: stop the daemon (kill it by pid if it will not stop), then remove the home.
  const home = mkdtempSync(join(tmpdir(), 'tend-e2e-'));
  const socket = join(home, 'tend.sock');
  const env = { ...process.env, TEND_HOME: home, NO_COLOR: '1' };

  const run = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
    new Promise<CliResult>((resolve) => {
      execFile(
        process.execPath,
        [TEND_BIN, ...args],
        {
          env: { ...env, ...options.env },
          cwd: options.cwd ?? home,
          timeout: 30_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  const daemonPid = () => {
    const pidFile = join(home, 'daemon.pid');
    if (!existsSync(pidFile)) return undefined;
    const pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  };

  const tend: TendUnderTest = {
    home,
    socket,
    run,
    async ok(args, options) {
      const result = await run(args, options);
      if (result.code !== 0) {
        throw new Error(
          `tend ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
        );
      }
      return result.stdout;
    },
    async list() {
      return JSON.parse(await tend.ok(['ls', '--json'])) as InstanceSummary[];
    },
    async program(name) {
      const reply = await tend.api<ProgramDetail>('GET', `/v1/programs/${name}`);
      if (reply.status !== 200)
        throw new Error(`GET ${name}: ${reply.status} ${JSON.stringify(reply.body)}`);
      return reply.body;
    },
    api: (method, path, body) => apiCall(socket, method, path, body),
    until: (what, check, timeoutMs) => untilEvent(socket, what, check, timeoutMs),
    daemonPid,
  };

  t.after(async () => {
    const pid = daemonPid();
    if (pid !== undefined) {
      // Its watcher first, so that a daemon killed below is not started again.
      const watcher = watcherOf(pid);
      await run(['daemon', 'stop']);
      if (watcher !== undefined) killQuietly(watcher);
      // A watcher that was restarting a killed daemon when the test ended is found by its environment.
      for (const leftover of watchersOf(home)) killQuietly(leftover);
      // Safety net: a daemon that did not stop is killed by pid, and so are its instances' groups.
      killQuietly(pid);
      for (const leftover of recordedInstancePids(home)) killQuietly(-leftover);
    }
    // A daemon that started after its CLI gave up waiting (a loaded machine) wrote no pid file in
    // time: it, its watcher and what it started carry this TEND_HOME, and are ended by pid.
    for (const leftover of tendProcessesOf(home)) killQuietly(leftover);
    // TEND_TEST_KEEP_HOME=1 keeps the home (daemon.log, state, logs) to look at after a failure.
    if (process.env.TEND_TEST_KEEP_HOME === '1') process.stderr.write(`kept TEND_HOME ${home}\n`);
    else rmSync(home, { recursive: true, force: true });
  });
  return tend;
}

/** One HTTP request to the daemon's socket, JSON in and out. */
export function apiCall<T>(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers:
          payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            body: (text ? JSON.parse(text) : undefined) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Awaits a condition on the daemon's state, driven by its event stream (`GET /v1/events`): the
 * stream is open before the first check, and each event (or burst of events) wakes a check.
 */
async function untilEvent<T>(
  socketPath: string,
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const abort = new AbortController();
  let isChanged = false;
  let wake = () => {};
  let opened = () => {};
  const isOpen = new Promise<void>((resolve) => {
    opened = resolve;
  });
  let streamError: unknown;
  let isStreamDone = false;
  const onMessage = (message: EventStreamMessage) => {
    if (message.kind === 'stream.open') opened();
    isChanged = true;
    wake();
  };
  const stream = new ApiClient({ socketPath })
    .events({}, onMessage, abort.signal)
    .catch((error: unknown) => {
      streamError = error;
    })
    .finally(() => {
      isStreamDone = true;
      opened();
      wake();
    });
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    await isOpen;
    for (;;) {
      if (streamError !== undefined) throw streamError;
      isChanged = false;
      const value = await check();
      if (value !== undefined && value !== false) return value;
      if (abort.signal.aborted)
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      if (isStreamDone)
        throw new Error(`The daemon ended its event stream while waiting for ${what}`);
      if (!isChanged) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
    await stream;
  }
}

/**
 * Awaits a condition that no daemon event reports (a process that is not our child going away,
 * a line reaching a log file), checking it every 20 ms. State changes use `tend.until`.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** `node <fixture>.js` as a command line for `tend start`. */
export function fixture(name: string, ...args: string[]): string[] {
  return [process.execPath, join(FIXTURES, `${name}.js`), ...args];
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone, as it should be
  }
}

/** The pid of the watcher (`sh …/tend-watcher.sh …`) whose child `pid` is, if it has one. */
export function watcherOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const cmdline = readFileSync(`/proc/${ppid}/cmdline`, 'utf8');
    return cmdline.includes('tend-watcher') ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Pids of the live watchers (`sh …/tend-watcher.sh`) whose environment names this home. */
function watchersOf(home: string): number[] {
  return processesOfHome(home, (cmdline) => cmdline.includes('tend-watcher'));
}

/** Every process of this home still running (watchers, daemons, their programs), oldest first. */
function tendProcessesOf(home: string): number[] {
  return processesOfHome(home, () => true).sort((a, b) => a - b);
}

function processesOfHome(home: string, isWanted: (cmdline: string) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!isWanted(readFileSync(`/proc/${entry}/cmdline`, 'utf8'))) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`TEND_HOME=${home}`)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Pids of instances the state file says were running (each leads its own process group). */
function recordedInstancePids(home: string): number[] {
  try {
    const state = JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')) as {
      programs: Array<{ instances: Array<{ lastPid: number | null }> }>;
    };
    return state.programs.flatMap((program) =>
      program.instances.flatMap((instance) =>
        instance.lastPid === null ? [] : [instance.lastPid],
      ),
    );
  } catch {
    return [];
  }
}
