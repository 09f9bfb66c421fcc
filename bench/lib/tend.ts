import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CleanupHandle, onCleanup } from './cleanup.js';
import { type CommandOutcome, runCommand } from './exec.js';
import type { ManagedInstance, ProcessManager, StartSpec, TimedCommand } from './manager.js';
import { TEND_BIN } from './paths.js';
import { PidTracker } from './pid-tracker.js';
import { descendantsOf, isAlive, pidsWithEnv, pollUntil } from './probes.js';

/** The fields of `tend ls --json` rows (InstanceSummary in src/api/wire.ts) that benchmarks read. */
interface TendInstanceRow {
  name: string;
  instance: number;
  pid: number | null;
  status: string;
  restarts: number;
}

const DAEMON_EXIT_TIMEOUT_MS = 10_000;

/** tend under a temporary TEND_HOME, its daemon stopped at the end. */
export class TendManager implements ProcessManager {
  readonly label = 'tend' as const;
  readonly home: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #tracker = new PidTracker();
  readonly #cleanup: CleanupHandle;

  constructor() {
    this.home = mkdtempSync(join(tmpdir(), 'bench-tend-'));
    const { PM2_HOME: _ignored, ...inherited } = process.env;
    this.#env = { ...inherited, TEND_HOME: this.home };
    this.#cleanup = onCleanup(`tend daemon stop (${this.home})`, () => this.#stop());
  }

  async ensureDaemon(): Promise<void> {
    await this.#tend(['ls']);
    this.#tracker.track(await this.daemonPid());
  }

  async daemonPid(): Promise<number> {
    const health = JSON.parse(await this.#get('/v1/health')) as { pid?: unknown };
    if (typeof health.pid !== 'number') throw new Error(`no pid in tend's /v1/health reply`);
    return health.pid;
  }

  start(spec: StartSpec): Promise<CommandOutcome> {
    const flags = ['--name', spec.name, ...(spec.extraFlags?.tend ?? [])];
    if (spec.instances !== undefined && spec.instances > 1)
      flags.push('--instances', String(spec.instances));
    return this.#tend(['start', ...flags, '--', spec.command, ...spec.args]);
  }

  reload(name: string): Promise<CommandOutcome> {
    return this.#tend(['reload', name]);
  }

  /** `tend start <name>`: starts a program that is already defined and stopped or exited. */
  startAgain(name: string): Promise<CommandOutcome> {
    return this.#tend(['start', name]);
  }

  /**
   * The dashboard's URL with its token (`tend dashboard --no-open --json`, which turns the TCP
   * listener on), or undefined when this tend has no dashboard command.
   */
  async dashboardUrl(): Promise<string | undefined> {
    const outcome = await runCommand(
      process.execPath,
      [TEND_BIN, 'dashboard', '--no-open', '--json'],
      { env: this.#env, isFailureAllowed: true },
    );
    if (outcome.code !== 0) {
      if (/unknown command|not a command/i.test(outcome.stderr)) return undefined;
      throw new Error(`\`tend dashboard --no-open --json\` failed: ${outcome.stderr.trim()}`);
    }
    const printed = JSON.parse(outcome.stdout) as { dashboardUrl?: unknown };
    if (typeof printed.dashboardUrl !== 'string')
      throw new Error('no dashboardUrl in `tend dashboard --json`');
    return printed.dashboardUrl;
  }

  async list(): Promise<ManagedInstance[]> {
    const outcome = await this.#tend(['ls', '--json']);
    return flattenListing(JSON.parse(outcome.stdout)).map((row) => {
      this.#tracker.track(row.pid);
      return { ...row };
    });
  }

  /** When each recorded exit of instance 0 happened (epoch ms, oldest first), from `tend status <name> --json`. */
  async exitTimes(name: string): Promise<number[]> {
    const outcome = await this.#tend(['status', name, '--json']);
    const status = JSON.parse(outcome.stdout) as unknown;
    const program = (Array.isArray(status) ? status[0] : status) as {
      instances?: Array<{ exits?: Array<{ at: string }> }>;
    };
    return (program.instances?.[0]?.exits ?? []).map((exit) => Date.parse(exit.at));
  }

  delete(target: string): Promise<CommandOutcome> {
    return this.#tend(['delete', target]);
  }

  listCommands(): TimedCommand[] {
    return [
      { label: 'tend ls', command: process.execPath, args: [TEND_BIN, 'ls'], env: this.#env },
      {
        label: 'tend ls --json',
        command: process.execPath,
        args: [TEND_BIN, 'ls', '--json'],
        env: this.#env,
      },
    ];
  }

  startupCommand(): TimedCommand {
    return {
      label: 'tend --version',
      command: process.execPath,
      args: [TEND_BIN, '--version'],
      env: this.#env,
    };
  }

  outLogFiles(name: string): string[] {
    const dir = join(this.home, 'logs', name);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((file) => file.startsWith('0.out.log'))
      .map((file) => join(dir, file));
  }

  shutdown(): Promise<void> {
    return this.#cleanup.runNow();
  }

  async #stop(): Promise<void> {
    let daemonPid: number | undefined;
    try {
      daemonPid = await this.daemonPid();
      this.#tracker.track(daemonPid);
      for (const child of descendantsOf(daemonPid)) this.#tracker.track(child.pid);
    } catch {
      // no daemon answers
    }
    await runCommand(process.execPath, [TEND_BIN, 'daemon', 'stop'], {
      env: this.#env,
      isFailureAllowed: true,
      timeoutMs: 30_000,
    }).catch(() => undefined);
    if (daemonPid !== undefined) {
      const pid = daemonPid;
      await pollUntil('the tend daemon to exit', () => (isAlive(pid) ? undefined : true), {
        intervalMs: 20,
        timeoutMs: DAEMON_EXIT_TIMEOUT_MS,
      }).catch(() =>
        console.error(
          `tend: daemon ${pid} still runs ${DAEMON_EXIT_TIMEOUT_MS} ms after \`tend daemon stop\``,
        ),
      );
    }
    // A daemon that was still starting when this ran (an interrupted benchmark) answered nothing:
    // it and whatever it started carry this home in their environment.
    for (const pid of pidsWithEnv('TEND_HOME', this.home)) this.#tracker.track(pid);
    const survivors = this.#tracker.killSurvivors();
    if (survivors.length > 0)
      console.error(`tend: killed ${survivors.length} leftover process(es) by pid`);
    rmSync(this.home, { recursive: true, force: true });
  }

  #tend(args: readonly string[]): Promise<CommandOutcome> {
    return runCommand(process.execPath, [TEND_BIN, ...args], { env: this.#env });
  }

  #get(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        { socketPath: join(this.home, 'tend.sock'), path, method: 'GET' },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode === 200) resolve(body);
            else reject(new Error(`GET ${path}: ${res.statusCode} ${body}`));
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

/** Accepts `tend ls --json` as instance rows or as programs with their instances. */
function flattenListing(listing: unknown): TendInstanceRow[] {
  if (!Array.isArray(listing)) throw new Error('`tend ls --json` did not print an array');
  return listing.flatMap((item: Record<string, unknown>) =>
    Array.isArray(item.instances)
      ? (item.instances as TendInstanceRow[])
      : [item as unknown as TendInstanceRow],
  );
}
