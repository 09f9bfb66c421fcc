import { Agent, request } from 'node:http';

/** What a steady load saw: every request either answered 2xx (its body kept) or failed (how). */
export interface SteadyLoadTally {
  ok: number;
  failures: string[];
  bodies: string[];
}

/** A running load: wait for a number of answers, or stop it and read the tally. */
export interface SteadyLoad {
  /** Resolves once `count` more requests were answered 2xx than when called. */
  answered(count: number): Promise<void>;
  stop(): Promise<SteadyLoadTally>;
}

/**
 * A steady stream of requests to 127.0.0.1:`port`: `connections` loops, each with its own
 * keep-alive agent of one socket, sending the next request as soon as the previous one ended,
 * until stopped. `POST` (with a small body) is what tend's proxy never retries once an instance
 * received it, so a POST load shows every request that an instance dropped.
 */
export function startSteadyLoad(
  port: number,
  connections: number,
  method: 'GET' | 'POST' = 'GET',
): SteadyLoad {
  const tally: SteadyLoadTally = { ok: 0, failures: [], bodies: [] };
  let isStopping = false;
  const waiters: Array<{ target: number; resolve: () => void }> = [];
  const onOk = (body: string) => {
    tally.ok++;
    tally.bodies.push(body);
    for (const waiter of [...waiters]) {
      if (tally.ok < waiter.target) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const loops = Array.from({ length: connections }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (!isStopping) {
      const outcome = await sendOnce(port, agent, method);
      if (outcome.ok) onOk(outcome.body);
      else tally.failures.push(outcome.why);
    }
    agent.destroy();
  });
  return {
    answered: (count) =>
      new Promise((resolve) => {
        waiters.push({ target: tally.ok + count, resolve });
      }),
    stop: async () => {
      isStopping = true;
      await Promise.all(loops);
      return tally;
    },
  };
}

function sendOnce(
  port: number,
  agent: Agent,
  method: 'GET' | 'POST',
): Promise<{ ok: true; body: string } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        resolve(
          status >= 200 && status < 300
            ? { ok: true, body }
            : { ok: false, why: `${status} ${body.slice(0, 200)}` },
        );
      });
      res.on('error', (error) => resolve({ ok: false, why: `response: ${error.message}` }));
    });
    req.on('error', (error) => resolve({ ok: false, why: `request: ${error.message}` }));
    req.end(method === 'POST' ? '{"order":1}' : undefined);
  });
}
