import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { test } from 'node:test';
import { members, startProxy, startUpstream } from './harness.js';

test('an instance that drops every third request is invisible to keep-alive GET clients', async (t) => {
  let seen = 0;
  const flaky = await startUpstream(t, (req, res) => {
    seen++;
    if (seen % 3 === 0) req.socket.destroy();
    else res.end(`flaky ${req.url}`);
  });
  const steady = await startUpstream(t, (req, res) => res.end(`steady ${req.url}`));
  const { port, service } = await startProxy(
    t,
    {},
    members([flaky.port, true], [steady.port, true]),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  t.after(() => agent.destroy());

  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  const paths = Array.from({ length: 300 }, (_, i) => `/${i}`);
  const responses = await Promise.all(paths.map((path) => get(path)));

  responses.forEach((response, i) => {
    assert.equal(response.status, 200);
    assert.match(response.body, new RegExp(` /${i}$`));
  });
  const [flakyStats] = service.stats();
  assert.ok((flakyStats?.failures ?? 0) > 0, 'the flaky instance did fail');
});
