/**
 * A stand-in for `tend daemon` in the autostart tests. FAKE_DAEMON_MODE says what it does:
 * `serve` answers a few API routes on $TEND_HOME/tend.sock and then writes `ready` on fd 3;
 * `error` writes `error <message>`; `exit` dies without a word; `silent` never answers.
 * Every start appends its pid to $TEND_HOME/fake.pids, so that tests can end it by pid.
 */
import { appendFileSync, closeSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const home = process.env.TEND_HOME as string;
const notifyFd = Number(process.env.TEND_NOTIFY_FD);
const socketPath = join(home, 'tend.sock');
appendFileSync(join(home, 'fake.pids'), `${process.pid}\n`);
console.log(`fake daemon ${process.pid} started`);

function notify(line: string): void {
  writeSync(notifyFd, `${line}\n`);
  closeSync(notifyFd);
}

const mode = process.env.FAKE_DAEMON_MODE ?? 'serve';
if (mode === 'error') {
  notify('error the state file is on fire');
  process.exit(1);
} else if (mode === 'exit') {
  console.error('boom: cannot start');
  process.exit(3);
} else if (mode === 'silent') {
  setTimeout(() => process.exit(0), 30_000);
} else {
  const server = createServer((request, response) => {
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    const url = request.url ?? '';
    if (request.method === 'GET' && url === '/v1/health') {
      reply(200, {
        ok: true,
        pid: process.pid,
        version: 'fake',
        home,
        startedAt: new Date(0).toISOString(),
        problems: process.env.FAKE_PROBLEM ? [process.env.FAKE_PROBLEM] : [],
      });
    } else if (request.method === 'GET' && url === '/v1/programs') {
      reply(200, []);
    } else if (request.method === 'GET' && url.startsWith('/v1/programs/')) {
      const name = decodeURIComponent(url.slice('/v1/programs/'.length));
      reply(404, {
        error: { code: 'TEND_ERR_PROGRAM_NOT_FOUND', message: `No program named \`${name}\`` },
      });
    } else if (request.method === 'POST' && url === '/v1/daemon/stop') {
      response.once('finish', () => {
        // Like the real daemon: once its work is done it closes the server and every connection, then exits.
        server.close(() => {
          rmSync(socketPath, { force: true });
          process.exit(0);
        });
        server.closeAllConnections();
      });
      reply(202, { stopping: true });
    } else {
      reply(404, {
        error: {
          code: 'TEND_ERR_API_ROUTE_NOT_FOUND',
          message: `No route ${request.method} ${url}`,
        },
      });
    }
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    notify(
      `error ${error.code === 'EADDRINUSE' ? 'another daemon already serves this home' : error.message}`,
    );
    process.exit(1);
  });
  server.listen(socketPath, () => {
    console.log(`fake daemon ${process.pid} serving`);
    notify('ready');
  });
}
