/**
 * `npm start`: starts the daemon (in the background, through the CLI) with the chaos demo: the
 * process-manager lab's web server that crashes on 5 % of requests, three instances on ports
 * 8080-8082 behind tend's proxy on 1337. Running it again leaves a running demo as it is.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveHome } from '../src/config/home.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tendBin = fileURLToPath(new URL('../../bin/tend.js', import.meta.url));
const DEMO_NAME = 'chaos-web';
const DEMO_PORT = 8080;
const DEMO_INSTANCES = 3;
const PROXY_PORT = 1337;

/** Runs the CLI; `quiet` hides its output but still shows its errors. */
function tend(args: string[], options: { quiet?: boolean } = {}): number {
  const result = spawnSync(process.execPath, [tendBin, ...args], {
    cwd: root,
    stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
  });
  return result.status ?? 1;
}

const isManaged =
  spawnSync(process.execPath, [tendBin, 'status', DEMO_NAME, '--json'], {
    cwd: root,
    stdio: 'ignore',
  }).status === 0;
const exitCode = isManaged
  ? tend(['start', DEMO_NAME], { quiet: true })
  : tend(
      [
        'start',
        '--name',
        DEMO_NAME,
        '--instances',
        String(DEMO_INSTANCES),
        '--port',
        String(DEMO_PORT),
        '--proxy-port',
        String(PROXY_PORT),
        '--',
        process.execPath,
        'examples/chaos-web/server.js',
      ],
      { quiet: true },
    );
if (exitCode !== 0) process.exit(exitCode);

tend(['ls']);
// Two columns, the second aligned whatever the name and ports are.
const WHERE_TO_LOOK: Array<[string, string]> = [
  [
    `http://127.0.0.1:${PROXY_PORT}/`,
    'through the proxy: refresh as often as you like, it never fails',
  ],
  [
    `http://127.0.0.1:${DEMO_PORT}/`,
    'one instance directly: refresh until the chaos monkey strikes',
  ],
  [`npx tend logs ${DEMO_NAME} -f`, 'watch the crashes ("Chaos Monkey strikes again!")'],
  [`npx tend status ${DEMO_NAME}`, "restarts, every exit, and the proxy's retries per instance"],
  [`npx tend events ${DEMO_NAME}`, 'every exit and restart, live, one line each'],
  ['npx tend dashboard', 'the live web dashboard (prints its URL, with a token)'],
  ['npx tend daemon stop', 'stop everything'],
];
const width = Math.max(...WHERE_TO_LOOK.map(([what]) => what.length)) + 2;
process.stdout.write(`
tend runs "${DEMO_NAME}": a web server that crashes on 5 % of requests, ${DEMO_INSTANCES} instances on
ports ${DEMO_PORT}-${DEMO_PORT + DEMO_INSTANCES - 1}, behind tend's failover proxy.

${WHERE_TO_LOOK.map(([what, why]) => `  ${what.padEnd(width)}${why}\n`).join('')}
Home: ${resolveHome()} (socket, state, logs/, daemon.log)
`);
