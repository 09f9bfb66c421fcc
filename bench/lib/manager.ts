import type { CommandOutcome } from './exec.js';

/** One managed instance as a benchmark sees it, whichever manager runs it. */
export interface ManagedInstance {
  name: string;
  instance: number;
  pid: number | null;
  /** The manager's own word: `online`, `errored`, `waiting`, `stopped`, … */
  status: string;
  restarts: number;
}

/** A program to start under a manager. */
export interface StartSpec {
  name: string;
  command: string;
  args: readonly string[];
  instances?: number;
  /** Extra CLI flags for one manager only, such as tend's restart pacing. */
  extraFlags?: { tend?: readonly string[]; pm2?: readonly string[] };
}

/** A CLI command line to time, with a label for tables. */
export interface TimedCommand {
  label: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** What every benchmark needs from a process manager under test (tend or PM2), through its CLI. */
export interface ProcessManager {
  readonly label: 'tend' | 'pm2';
  /** The temporary home (TEND_HOME or PM2_HOME). */
  readonly home: string;
  /** Starts the daemon if none runs, and waits until it answers. */
  ensureDaemon(): Promise<void>;
  /** The daemon's pid. */
  daemonPid(): Promise<number>;
  start(spec: StartSpec): Promise<CommandOutcome>;
  list(): Promise<ManagedInstance[]>;
  delete(target: string): Promise<CommandOutcome>;
  /** The manager's zero-downtime reload of a program (`tend reload`, `pm2 reload`); resolves once it ended. */
  reload(name: string): Promise<CommandOutcome>;
  /** The listing commands a user would type, for the latency benchmark. */
  listCommands(): TimedCommand[];
  /** A command that starts the CLI without asking the daemon anything, to split CLI start-up from the request. */
  startupCommand?(): TimedCommand;
  /** The files (current and rotated) that hold instance 0's stdout. */
  outLogFiles(name: string): string[];
  /** Stops the daemon and everything it manages, kills leftovers by pid, removes the home. */
  shutdown(): Promise<void>;
}
