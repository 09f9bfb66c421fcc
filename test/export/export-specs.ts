import {
  type ProgramSpec,
  type ProgramSpecInput,
  ProgramSpecSchema,
} from '../../src/config/program-spec.js';

/** A program definition with defaults applied, as the daemon keeps it. */
export function programSpec(input: Partial<ProgramSpecInput> & { name: string }): ProgramSpec {
  return ProgramSpecSchema.parse({ command: process.execPath, cwd: '/tmp', ...input });
}

/** A single program, the way `tend start --name api node server.js` records it. */
export const SINGLE = programSpec({
  name: 'api',
  command: process.execPath,
  args: ['server.js'],
  env: { NODE_ENV: 'production', PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/home/ann' },
});

/** A pool of 3 (up to 4) on ports 3000+ behind a proxy on 8080, with an http liveness and an exec readiness probe. */
export const POOL = programSpec({
  name: 'web',
  args: ['server.js'],
  instances: 3,
  min: 2,
  max: 4,
  port: 3000,
  proxy: { port: 8080 },
  livenessProbe: { kind: 'http', path: '/healthz', periodMs: 5_000, failureThreshold: 2 },
  readinessProbe: { kind: 'exec', command: '/usr/bin/test', args: ['-f', '/tmp/ready'] },
  stopTimeoutMs: 10_000,
});

/** A shell line with a pipe, restarted only after failures, done on exit 3, stopped with SIGINT. */
export const SHELL_WORKER = programSpec({
  name: 'Queue_Worker',
  command: 'php artisan queue:work | tee -a /tmp/queue.log',
  shell: true,
  restart: 'on-failure',
  noRestartExitCodes: [3],
  stopSignal: 'SIGINT',
  stopTimeoutMs: 1_500,
});

/** Arguments and variables that need quoting in every format: spaces, quotes, `$`, `%`, a newline. */
export const AWKWARD = programSpec({
  name: 'awkward',
  args: [
    '-e',
    'console.log(process.argv.slice(1))',
    '--',
    'two words',
    'say "hi"',
    '$HOME',
    '100%',
    '',
  ],
  env: { GREETING: 'say "hi" to $USER at 100%\nthen go', BACKSLASH: 'C:\\temp' },
});
