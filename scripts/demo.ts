/**
 * `npm start`: starts the daemon (in the background, through the CLI) with the example
 * program, and prints where to look. Running it again leaves a running demo as it is.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveHome } from '../src/config/home.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tendBin = fileURLToPath(new URL('../../bin/tend.js', import.meta.url));
const DEMO_NAME = 'hello';
const DEMO_PORT = 8080;
const DEMO_INSTANCES = 2;

function tend(args: string[], options: { quiet?: boolean } = {}): number {
  const result = spawnSync(process.execPath, [tendBin, ...args], {
    cwd: root,
    stdio: options.quiet ? 'ignore' : 'inherit',
  });
  return result.status ?? 1;
}

const isManaged = tend(['status', DEMO_NAME, '--json'], { quiet: true }) === 0;
const exitCode = isManaged
  ? tend(['start', DEMO_NAME])
  : tend([
      'start',
      '--name',
      DEMO_NAME,
      '--instances',
      String(DEMO_INSTANCES),
      '--port',
      String(DEMO_PORT),
      '--',
      'node',
      'examples/hello/server.js',
    ]);
if (exitCode !== 0) process.exit(exitCode);

execFileSync(process.execPath, [tendBin, 'ls'], { cwd: root, stdio: 'inherit' });
const home = resolveHome();
process.stdout.write(`
tend is running the example "${DEMO_NAME}" (${DEMO_INSTANCES} instances on ports ${DEMO_PORT}-${DEMO_PORT + DEMO_INSTANCES - 1}).

  curl http://127.0.0.1:${DEMO_PORT}/        talk to instance 0
  npx tend logs ${DEMO_NAME} -f             watch its output
  npx tend signal KILL ${DEMO_NAME}:0       crash it, then \`npx tend status ${DEMO_NAME}\`
  npx tend daemon stop                   stop everything

Home: ${home} (socket, state, logs/, daemon.log)
`);
