import assert from 'node:assert/strict';
import type { HealthReply } from '../../src/api/wire.js';
import { apiCall, pollUntil, type TendUnderTest } from './harness.js';

/** The daemon's health, or undefined while none answers. */
export async function health(tend: TendUnderTest): Promise<HealthReply | undefined> {
  try {
    const reply = await apiCall<HealthReply>(tend.socket, 'GET', '/v1/health');
    return reply.status === 200 ? reply.body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Kills the daemon with SIGKILL and waits until its watcher has brought a new one back (no CLI
 * call in between: only the socket is asked). Nothing on the bus spans two daemons, so this polls.
 */
export async function killDaemon(tend: TendUnderTest): Promise<HealthReply> {
  const before = await health(tend);
  assert.ok(before, 'a daemon answers before the kill');
  process.kill(before.pid, 'SIGKILL');
  return pollUntil(
    'the watcher to bring the daemon back',
    async () => {
      const now = await health(tend);
      return now !== undefined && now.pid !== before.pid ? now : undefined;
    },
    15_000,
  );
}

/** Pids of the instances of `name`, by index. */
export async function pidsOf(tend: TendUnderTest, name: string): Promise<Array<number | null>> {
  const program = await tend.program(name);
  return program.instances.map((instance) => instance.pid);
}
