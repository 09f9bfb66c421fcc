import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CleanupHandle, onCleanup } from './cleanup.js';
import { type CommandOutcome, runCommand } from './exec.js';
import type { ManagedInstance, ProcessManager, StartSpec, TimedCommand } from './manager.js';
import { PM2_BIN } from './paths.js';
import { PidTracker } from './pid-tracker.js';
import { descendantsOf, isAlive, pidsWithEnv, pollUntil } from './probes.js';

interface Pm2JlistEntry {
  name: string;
  pid: number;
  pm_id: number;
  pm2_env: { status: string; restart_time: number; NODE_APP_INSTANCE?: number };
}

const DAEMON_EXIT_TIMEOUT_MS = 10_000;

/** PM2 under a temporary PM2_HOME that never calls its version server, killed at the end. */
export class Pm2Manager implements ProcessManager {
  readonly label = 'pm2' as const;
  readonly home: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #tracker = new PidTracker();
  readonly #cleanup: CleanupHandle;

  constructor() {
    this.home = mkdtempSync(join(tmpdir(), 'bench-pm2-'));
    // Without this file PM2's first call does its first-run routine; with it PM2 stays quiet.
    writeFileSync(join(this.home, 'touch'), '');
    const { TEND_HOME: _ignored, ...inherited } = process.env;
    this.#env = { ...inherited, PM2_HOME: this.home, PM2_DISABLE_VERSION_CHECK: '1' };
    this.#cleanup = onCleanup(`pm2 kill (${this.home})`, () => this.#kill());
  }

  async ensureDaemon(): Promise<void> {
    await this.#pm2(['ping']);
    this.#tracker.track(await this.daemonPid());
  }

  async daemonPid(): Promise<number> {
    const pid = Number(readFileSync(join(this.home, 'pm2.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no PM2 daemon pid in ${this.home}`);
    return pid;
  }

  start(spec: StartSpec): Promise<CommandOutcome> {
    // A node script is started as PM2 users do (`pm2 start app.js`): PM2 then runs it in its own fork container.
    const isNodeScript = spec.command === process.execPath && spec.args[0]?.endsWith('.js');
    const [script, ...args] = isNodeScript ? spec.args : [spec.command, ...spec.args];
    const flags = ['--name', spec.name, ...(spec.extraFlags?.pm2 ?? [])];
    if (spec.instances !== undefined && spec.instances > 1)
      flags.push('-i', String(spec.instances));
    return this.#pm2([
      'start',
      script as string,
      ...flags,
      ...(args.length > 0 ? ['--', ...args] : []),
    ]);
  }

  async list(): Promise<ManagedInstance[]> {
    const outcome = await this.#pm2(['jlist']);
    const entries = JSON.parse(outcome.stdout) as Pm2JlistEntry[];
    return entries.map((entry) => {
      this.#tracker.track(entry.pid);
      return {
        name: entry.name,
        instance: entry.pm2_env.NODE_APP_INSTANCE ?? 0,
        pid: entry.pid || null,
        status: entry.pm2_env.status,
        restarts: entry.pm2_env.restart_time,
      };
    });
  }

  reload(name: string): Promise<CommandOutcome> {
    return this.#pm2(['reload', name]);
  }

  delete(target: string): Promise<CommandOutcome> {
    return this.#pm2(['delete', target]);
  }

  listCommands(): TimedCommand[] {
    return [
      { label: 'pm2 ls', command: PM2_BIN, args: ['ls'], env: this.#env },
      { label: 'pm2 jlist', command: PM2_BIN, args: ['jlist'], env: this.#env },
    ];
  }

  outLogFiles(name: string): string[] {
    return [join(this.home, 'logs', `${name}-out.log`)];
  }

  shutdown(): Promise<void> {
    return this.#cleanup.runNow();
  }

  async #kill(): Promise<void> {
    let daemonPid: number | undefined;
    try {
      daemonPid = await this.daemonPid();
      this.#tracker.track(daemonPid);
      for (const child of descendantsOf(daemonPid)) this.#tracker.track(child.pid);
    } catch {
      // no daemon was started
    }
    await runCommand(PM2_BIN, ['kill'], {
      env: this.#env,
      isFailureAllowed: true,
      timeoutMs: 30_000,
    });
    if (daemonPid !== undefined) {
      const pid = daemonPid;
      await pollUntil('the PM2 daemon to exit', () => (isAlive(pid) ? undefined : true), {
        intervalMs: 20,
        timeoutMs: DAEMON_EXIT_TIMEOUT_MS,
      }).catch(() => undefined);
    }
    // A daemon that was still starting when this ran (an interrupted benchmark) wrote no pid file yet.
    for (const pid of pidsWithEnv('PM2_HOME', this.home)) this.#tracker.track(pid);
    const survivors = this.#tracker.killSurvivors();
    if (survivors.length > 0)
      console.error(`pm2: killed ${survivors.length} leftover process(es) by pid`);
    rmSync(this.home, { recursive: true, force: true });
  }

  #pm2(args: readonly string[]): Promise<CommandOutcome> {
    return runCommand(PM2_BIN, args, { env: this.#env });
  }
}
