// A worker of the watchdog lab (../shared/seeds/004): one client at a time, reached directly at
// $PORT once tend's dispatcher (`tend allocate`) has leased it to that client. It proves it is alive
// with a heartbeat and tells tend when it is free again; tend restarts it when it hangs.
import { writeSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 9100);
const worker = `worker:${process.env.TEND_INSTANCE ?? '?'}`;
const notifyFd = Number(process.env.TEND_NOTIFY_FD);

/** One line to tend on the notify channel (health.md): WATCHDOG=1, TASK_STATE=free. */
function tellTend(line) {
  if (Number.isInteger(notifyFd)) writeSync(notifyFd, `${line}\n`);
}

// Every second; with `--watchdog 3s`, three missed beats and tend stops and restarts this process.
setInterval(() => tellTend('WATCHDOG=1'), 1000);

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://worker');
  if (url.pathname === '/hang') {
    response.end(`${worker} (pid ${process.pid}) hangs now\n`, () => {
      console.log(`${worker} hangs: no more heartbeats`);
      // Frozen: the event loop never turns again, so no heartbeat goes out (a SIGTERM still ends it).
      for (;;);
    });
    return;
  }
  const workMs = Math.min(Number(url.searchParams.get('work') ?? 200), 60_000);
  setTimeout(() => {
    const answer = { worker, pid: process.pid, job: url.searchParams.get('job'), workMs };
    response.setHeader('content-type', 'application/json');
    response.end(`${JSON.stringify(answer)}\n`, () => {
      console.log(`${worker} did job ${answer.job} in ${workMs} ms; free again`);
      // The job is done: the lease ends and the dispatcher may hand this worker to the next client.
      tellTend('TASK_STATE=free');
    });
  }, workMs);
});
server.listen(port, '127.0.0.1', () => console.log(`${worker} listening on ${port}`));
