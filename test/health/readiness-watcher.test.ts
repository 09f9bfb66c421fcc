import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgramSpecSchema } from '../../src/config/program-spec.js';
import { ReadinessWatcher } from '../../src/health/readiness-watcher.js';
import { probeInstancePort } from '../../src/health/tcp-probe.js';
import { emptyInstanceStats } from '../../src/supervisor/instance-stats.js';
import type { InstanceSnapshot } from '../../src/supervisor/types.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { startIdleProcess, startListeningFamily } from '../helpers/listeners.js';

function starting(pid: number): InstanceSnapshot {
  return {
    name: 'web',
    instance: 0,
    state: 'starting',
    pid,
    startedAt: Date.now(),
    stateSince: Date.now(),
    downSince: null,
    reason: null,
    statusText: null,
    nextRestartAt: null,
    notReady: null,
    lastProbeFailure: null,
    stats: emptyInstanceStats(),
  };
}

function specOnPort(port: number) {
  return ProgramSpecSchema.parse({ name: 'web', command: 'node', cwd: '/', port });
}

/** What the watcher reported for one check, as promises. */
function listen() {
  let ready: (pid: number) => void = () => {};
  let blocked: (report: { pid: number; problem: string }) => void = () => {};
  const calls: string[] = [];
  return {
    calls,
    ready: new Promise<number>((resolve) => {
      ready = resolve;
    }),
    blocked: new Promise<{ pid: number; problem: string }>((resolve) => {
      blocked = resolve;
    }),
    listener: {
      onReady: (pid: number) => {
        calls.push('ready');
        ready(pid);
      },
      onBlocked: (pid: number, problem: string) => {
        calls.push('blocked');
        blocked({ pid, problem });
      },
    },
  };
}

test('probing a port: nobody, the instance itself, or another process', async (t) => {
  const family = await startListeningFamily(t, { viaChild: true });
  const idle = await startIdleProcess(t);
  const freePort = await findFreePortRange(1);
  assert.equal(await probeInstancePort(idle, '127.0.0.1', freePort), 'closed');
  assert.equal(await probeInstancePort(family.pid, '127.0.0.1', family.port), 'own');
  assert.equal(await probeInstancePort(idle, '127.0.0.1', family.port), 'other');
});

test('an instance is ready when it listens on its port itself', async (t) => {
  const family = await startListeningFamily(t);
  const watcher = new ReadinessWatcher();
  t.after(() => watcher.cancel());
  const report = listen();
  watcher.update(specOnPort(family.port), starting(family.pid), report.listener);
  assert.equal(await report.ready, family.pid);
  assert.deepEqual(report.calls, ['ready']);
});

test('regression: another process answering on the port does not make the instance ready; it is named', async (t) => {
  const foreign = await startListeningFamily(t);
  const instance = await startIdleProcess(t);
  const watcher = new ReadinessWatcher();
  t.after(() => watcher.cancel());
  const report = listen();
  watcher.update(specOnPort(foreign.port), starting(instance), report.listener);
  const blocked = await report.blocked;
  assert.equal(blocked.pid, instance);
  assert.match(
    blocked.problem,
    new RegExp(`^port ${foreign.port} is already in use by pid ${foreign.pid} \\(node\\)`),
  );
  // The check goes on (the instance may still listen, with SO_REUSEPORT); a later probe is still 'other'.
  assert.equal(await probeInstancePort(instance, '127.0.0.1', foreign.port), 'other');
  assert.deepEqual(report.calls, ['blocked']);
});

test('an instance that listens, but on another port than its own, is reported with the ports it listens on', {
  timeout: 10_000,
}, async (t) => {
  // A server that ignores PORT, as `python3 -m http.server` does: here its worker child listens.
  const family = await startListeningFamily(t, { viaChild: true });
  const ownPort = await findFreePortRange(1);
  assert.notEqual(ownPort, family.port);
  const watcher = new ReadinessWatcher();
  t.after(() => watcher.cancel());
  const report = listen();
  watcher.update(specOnPort(ownPort), starting(family.pid), report.listener);
  const blocked = await report.blocked;
  assert.deepEqual(blocked, {
    pid: family.pid,
    problem: `it listens on port ${family.port} but not on its PORT ${ownPort} (does it read $PORT?)`,
  });
  assert.deepEqual(report.calls, ['blocked']);
});
