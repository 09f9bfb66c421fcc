import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { PROXY_MAIN_PATH, PROXY_READY_LINE } from '../../src/proxy/proxy-paths.js';

type After = { after(fn: () => unknown): void };

/** The real proxy process, with its stderr kept and awaitable line by line. */
export interface SpawnedProxy {
  child: ChildProcess;
  pid: number;
  stderr(): string;
  /** Resolves with the first stderr line (past or future) that matches. */
  stderrLine(pattern: RegExp): Promise<string>;
}

/** Spawns proxy-main (behind `prefix`, such as a prlimit command) and waits for its ready line; killed by pid after the test. */
export async function spawnProxyProcess(
  t: After,
  socketPath: string,
  prefix: string[] = [],
): Promise<SpawnedProxy> {
  const argv = [...prefix, process.execPath, PROXY_MAIN_PATH, socketPath];
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('The proxy did not spawn');
  t.after(async () => {
    const workers = childPids(pid);
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(pid, 'SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    for (const worker of workers) killQuietly(worker);
  });
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    stderr += text;
    for (const watcher of [...watchers]) watcher();
  });
  let stdout = '';
  child.stdout?.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (text: string) => {
      stdout += text;
      if (stdout.includes(PROXY_READY_LINE)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`The proxy exited with ${code}: ${stderr}`)));
  });
  const stderrLine = (pattern: RegExp): Promise<string> =>
    new Promise((resolve) => {
      const check = (): void => {
        const line = stderr.split('\n').find((candidate) => pattern.test(candidate));
        if (line === undefined) return;
        watchers.delete(check);
        resolve(line);
      };
      watchers.add(check);
      check();
    });
  return { child, pid, stderr: () => stderr, stderrLine };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The live (not zombie) children of `pid`, from /proc. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === pid && state !== 'Z') children.push(Number(entry));
  }
  return children.sort((a, b) => a - b);
}

/** The soft and hard open-file limit of `pid`. */
export function openFileLimitOf(pid: number): { soft: number; hard: number } {
  const text = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\d+)\s+(\d+)/m.exec(text);
  return { soft: Number(match?.[1]), hard: Number(match?.[2]) };
}

/**
 * Which of `pids` holds the proxy's end of the connection from client port `clientPort` to
 * `proxyPort` (matched by socket inode through /proc/net/tcp), or undefined.
 */
export function ownerOfConnection(
  pids: readonly number[],
  proxyPort: number,
  clientPort: number,
): number | undefined {
  const hex = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
  const line = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .find((candidate) => {
      const fields = candidate.trim().split(/\s+/);
      return (
        fields[1]?.endsWith(`:${hex(proxyPort)}`) && fields[2]?.endsWith(`:${hex(clientPort)}`)
      );
    });
  const inode = line?.trim().split(/\s+/)[9];
  if (inode === undefined) return undefined;
  return pids.find((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

/** One persistent HTTP/1.1 client connection: GETs one at a time and returns each body. */
export class KeepAliveClient {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  #buffer = '';
  #onData: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setEncoding('latin1');
    socket.on('error', () => {});
    socket.on('data', (text: string) => {
      this.#buffer += text;
      this.#onData?.();
    });
  }

  static async open(t: After, port: number): Promise<KeepAliveClient> {
    const socket = connect(port, '127.0.0.1');
    t.after(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new KeepAliveClient(socket);
  }

  /** This side's port, which names the connection in /proc/net/tcp. */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  /** Sends a GET and resolves with the response body (Content-Length framed); rejects when the connection closes first. */
  get(path = '/'): Promise<string> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: proxy\r\n\r\n`);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const end = this.#buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/content-length: *(\d+)/i.exec(this.#buffer.slice(0, end))?.[1]);
        if (this.#buffer.length < end + 4 + length) return;
        const body = this.#buffer.slice(end + 4, end + 4 + length);
        this.#buffer = this.#buffer.slice(end + 4 + length);
        this.#onData = undefined;
        resolve(body);
      };
      this.#onData = check;
      void this.closed.then(() => reject(new Error('The connection closed before the response')));
      check();
    });
  }
}
