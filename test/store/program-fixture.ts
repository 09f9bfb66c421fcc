import { ProgramSpecSchema } from '../../src/config/program-spec.js';
import type { PersistedProgram } from '../../src/store/persisted-state.js';

/** A valid persisted program named `name`, whose first instance counts `restarts` restarts. */
export function makeProgram(name: string, restarts = 0): PersistedProgram {
  return {
    spec: ProgramSpecSchema.parse({ name, command: 'node', args: ['server.js'], cwd: '/srv' }),
    desired: 'running',
    proxyProcess: null,
    tasks: [],
    leases: [],
    instances: [
      {
        index: 0,
        stats: {
          restarts,
          failureRestarts: 1,
          runs: 2,
          totalRunMs: 1500,
          exits: [
            {
              at: 1_700_000_000_000,
              code: null,
              signal: 'SIGKILL',
              uptimeMs: 500,
              isFailure: true,
            },
          ],
        },
        lastPid: 4242,
        lastPidStartTime: 123_456,
        lastPidStartedAt: 1_700_000_001_000,
      },
    ],
  };
}
