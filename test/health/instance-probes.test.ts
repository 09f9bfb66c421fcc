import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { test } from 'node:test';
import { ProgramSpecSchema } from '../../src/config/program-spec.js';
import { createProbeScheduler } from '../../src/health/instance-probes.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';

function specWith(probes: Record<string, unknown>) {
  return ProgramSpecSchema.parse({ name: 'web', command: 'node', cwd: '/', ...probes });
}

test('a program without probes gets no scheduler', () => {
  const instance = { port: 8080, cwd: '/', env: {} };
  assert.equal(createProbeScheduler(specWith({}), instance, new FakeRuntime(), {}), undefined);
});

test("an instance's probes run for real: a listening port makes it ready, a failing command hung", async (t) => {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const spec = specWith({
    port,
    readinessProbe: { kind: 'tcp' },
    livenessProbe: {
      kind: 'exec',
      command: 'sh',
      args: ['-c', 'echo "stuck on lock" >&2; exit 4'],
      failureThreshold: 1,
    },
  });
  const env = { PATH: process.env.PATH ?? '' };
  const runtime = new FakeRuntime();
  const reports: string[] = [];
  let onReport = () => {};
  const scheduler = createProbeScheduler(spec, { port, cwd: '/', env }, runtime, {
    onReady: () => {
      reports.push('ready');
      onReport();
    },
    onHung: (reason) => {
      reports.push(reason);
      onReport();
    },
  });
  assert.ok(scheduler);
  t.after(() => scheduler.stop());
  const nextReport = () => new Promise<void>((resolve) => (onReport = resolve));
  const ready = nextReport();
  scheduler.start();
  await ready;
  assert.deepEqual(reports, ['ready']);
  const hung = nextReport();
  runtime.advance(1000); // liveness waits for its initial delay
  await hung;
  assert.deepEqual(reports, [
    'ready',
    'hung: liveness failed once (exec sh exited 4: stuck on lock)',
  ]);
});
