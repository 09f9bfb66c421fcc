import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ProgramSpecInput, ProgramSpecSchema } from '../../src/config/program-spec.js';
import { TendError } from '../../src/errors.js';
import { type PortClaimant, refuseTakenPorts } from '../../src/health/port-check.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { startIdleProcess, startListeningFamily } from '../helpers/listeners.js';

function spec(input: Partial<ProgramSpecInput>) {
  return ProgramSpecSchema.parse({ name: 'web', command: 'node', cwd: '/', ...input });
}

/** A program whose instance 0 runs as `pid` (and no proxy process). */
function running(input: Partial<ProgramSpecInput>, pid: number): PortClaimant {
  return {
    spec: spec(input),
    pool: { snapshot: () => ({ instances: [{ pid }] }) },
    proxySnapshot: () => null,
  };
}

function portInUse(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof TendError);
    assert.equal(error.code, 'TEND_ERR_PORT_IN_USE');
    assert.match(error.message, pattern);
    return true;
  };
}

test('free ports pass', async () => {
  const base = await findFreePortRange(4);
  await refuseTakenPorts(spec({ port: base, instances: 3, proxy: { port: base + 3 } }));
});

test('a port in the range held by another process is refused, naming the port, the pid and the instance', async (t) => {
  const base = await findFreePortRange(3);
  const foreign = await startListeningFamily(t, { port: base + 2 });
  await assert.rejects(
    refuseTakenPorts(spec({ port: base, instances: 3 })),
    portInUse(
      new RegExp(
        `^port ${base + 2} is already in use by pid ${foreign.pid} \\(node\\); instance 2 of \`web\` needs it`,
      ),
    ),
  );
});

test("the proxy's port held by another process is refused", async (t) => {
  const base = await findFreePortRange(2);
  const foreign = await startListeningFamily(t, { port: base + 1 });
  await assert.rejects(
    refuseTakenPorts(spec({ port: base, proxy: { port: base + 1 } })),
    portInUse(
      new RegExp(`^port ${base + 1} is already in use by pid ${foreign.pid} \\(node\\); the proxy`),
    ),
  );
});

test("the program's own running instance (or its worker) on its port passes: a restart is not refused", async (t) => {
  const family = await startListeningFamily(t, { viaChild: true });
  const unrelated = await startIdleProcess(t);
  await refuseTakenPorts(running({ port: family.port }, family.pid));
  await assert.rejects(
    refuseTakenPorts(running({ port: family.port }, unrelated)),
    portInUse(new RegExp(`pid ${family.listenerPid}`)),
  );
});

test('a scale checks only the ports of the new instances', async (t) => {
  const base = await findFreePortRange(3);
  await startListeningFamily(t, { port: base });
  const program = running({ port: base, min: 1, max: 3 }, await startIdleProcess(t));
  await refuseTakenPorts(program, { from: 1, size: 3 });
  await assert.rejects(refuseTakenPorts(program), portInUse(new RegExp(`^port ${base} `)));
});
