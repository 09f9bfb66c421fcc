import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The folder that holds everything of one tend: $TEND_HOME, or ~/.tend. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.TEND_HOME;
  return fromEnv && fromEnv.length > 0 ? resolve(fromEnv) : join(homedir(), '.tend');
}

/** Where each file of a tend home lives. */
export interface HomePaths {
  home: string;
  socket: string;
  pidFile: string;
  stateFile: string;
  logsDir: string;
  runDir: string;
  /** The daemon's own structured log. */
  daemonLog: string;
  /** stdout/stderr of a daemon started in the background (start-up crashes land here). */
  daemonOut: string;
  /** The bearer token every TCP request must carry (mode 0600). */
  tokenFile: string;
  /** The daemon's own settings that outlive it, such as the TCP listener's address. */
  settingsFile: string;
  /** V8's compiled code of the daemon's bundle, for a faster next start (src/cli/code-cache.ts). */
  codeCacheDir: string;
}

/** The paths of a home. */
export function homePaths(home: string): HomePaths {
  return {
    home,
    socket: join(home, 'tend.sock'),
    pidFile: join(home, 'daemon.pid'),
    stateFile: join(home, 'state.json'),
    logsDir: join(home, 'logs'),
    runDir: join(home, 'run'),
    daemonLog: join(home, 'daemon.log'),
    daemonOut: join(home, 'daemon.out'),
    tokenFile: join(home, 'token'),
    settingsFile: join(home, 'settings.json'),
    codeCacheDir: join(home, 'cache'),
  };
}
