import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSlowStart } from '../../src/cli/output/slow-start.js';
import type { ExpectedStart } from '../../src/cli/start-watch.js';
import { type ProgramSpecInput, ProgramSpecSchema } from '../../src/config/program-spec.js';

function starts(input: Partial<ProgramSpecInput>, instances: number[]): ExpectedStart[] {
  const spec = ProgramSpecSchema.parse({ name: 'web', command: 'node', cwd: '/srv', ...input });
  return instances.map((instance) => ({ name: 'web', instance, spec, waiting: null }));
}

const TAIL = 'Ctrl-C stops the wait, not the program; --no-wait does not wait\n';

test('the slow-start note names the instances, their ports and the bound', () => {
  assert.equal(
    formatSlowStart(starts({ port: 3000, instances: 2 }, [0, 1])),
    `tend: waiting for web[0], web[1] to listen on ports 3000, 3001, up to 30s (--start-timeout); ${TAIL}`,
  );
  assert.equal(
    formatSlowStart(starts({ port: 3000, instances: 5, startTimeoutMs: 5000 }, [0, 1, 2, 3, 4])),
    `tend: waiting for web[0], web[1], web[2] and 2 more to listen on ports 3000, 3001, 3002, …, up to 5s (--start-timeout); ${TAIL}`,
  );
});

test('the slow-start note says what a notify or probe readiness waits for', () => {
  assert.equal(
    formatSlowStart(starts({ readiness: 'notify' }, [0])),
    `tend: waiting for web[0] to send READY=1 (\`tend notify --ready\`), up to 30s (--start-timeout); ${TAIL}`,
  );
  assert.match(
    formatSlowStart(starts({ port: 3000, readinessProbe: { kind: 'http', path: '/ready' } }, [0])),
    /^tend: waiting for web\[0\] to pass its startup or readiness probe, up to 30s/,
  );
  assert.equal(formatSlowStart([]), '');
});
