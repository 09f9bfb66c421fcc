// A client of the watchdog lab: asks tend's dispatcher for a free worker of a pool, then talks to
// that worker directly; the worker frees itself once it has answered.
//   node client.js <pool> [--job NAME] [--work MS]   one job on a worker of its own
//   node client.js <pool> --hang                    freezes the worker it gets (tend restarts it)
// It reaches the dispatcher through the daemon's socket ($TEND_HOME/tend.sock, ~/.tend by default),
// as `tend allocate <pool> --json` does.
import { request } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    job: { type: 'string', default: String(process.pid) },
    work: { type: 'string', default: '200' },
    hang: { type: 'boolean', default: false },
  },
});
const [pool] = positionals;
if (pool === undefined) {
  console.error('Usage: node client.js <pool> [--job NAME] [--work MS] [--hang]');
  process.exit(2);
}
const socketPath = join(process.env.TEND_HOME ?? join(homedir(), '.tend'), 'tend.sock');

/** POST /v1/programs/<pool>/allocate on tend's API: a free ready worker, leased to this client. */
function allocate() {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ holder: `client-${process.pid}`, timeoutMs: 10_000 });
    const call = request(
      {
        socketPath,
        method: 'POST',
        path: `/v1/programs/${encodeURIComponent(pool)}/allocate`,
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => {
          const reply = JSON.parse(text);
          if (response.statusCode === 200) resolve(reply);
          else reject(new Error(reply.error?.message ?? text));
        });
      },
    );
    call.on('error', (error) =>
      reject(new Error(`cannot reach tend at ${socketPath}: ${error.message}`)),
    );
    call.end(body);
  });
}

try {
  const { host, port, instance, lease } = await allocate();
  console.log(`${pool}:${instance} at ${host}:${port} is mine (lease ${lease.id})`);
  const path = values.hang
    ? '/hang'
    : `/job?job=${encodeURIComponent(values.job)}&work=${values.work}`;
  const answer = await (await fetch(`http://${host}:${port}${path}`)).text();
  console.log(answer.trim());
} catch (error) {
  console.error(`refused: ${error.message}`);
  process.exit(1);
}
