import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateStore } from '../../src/store/state-file.js';
import { makeTempHome } from '../helpers/temp-home.js';

const WRITER_TIMEOUT_MS = 20_000;

/** A writer that saves ever-growing states as fast as it can and prints each acknowledged one. */
function writeWriterScript(dir: string): string {
  const storeUrl = new URL('../../src/store/state-file.js', import.meta.url).href;
  const specUrl = new URL('../../src/config/program-spec.js', import.meta.url).href;
  const script = join(dir, 'writer.mjs');
  writeFileSync(
    script,
    `import { StateStore } from ${JSON.stringify(storeUrl)};
import { ProgramSpecSchema } from ${JSON.stringify(specUrl)};
const store = new StateStore(process.argv[2]);
store.load();
const exits = Array.from({ length: 50 }, (_, i) => ({ at: i, code: 1, signal: null, uptimeMs: i, isFailure: true }));
function stateOf(n) {
  return {
    programs: Array.from({ length: 40 }, (_, p) => ({
      spec: ProgramSpecSchema.parse({ name: 'p' + p, command: 'node', cwd: '/srv' }),
      desired: 'running',
      instances: [{ index: 0, stats: { restarts: n, failureRestarts: 0, runs: n, totalRunMs: 0, exits }, lastPid: null, lastPidStartTime: null }],
    })),
  };
}
for (let n = 1; ; n += 1) {
  const saved = store.save(stateOf(n));
  if (n % 3 === 0) {
    await saved;
    process.stdout.write(n + '\\n');
  }
}
`,
  );
  return script;
}

for (const killAfterAcks of [1, 7, 25]) {
  test(`a writer killed with SIGKILL after ${killAfterAcks} acknowledged saves leaves a whole state with every acknowledged save`, async (t) => {
    const home = makeTempHome(t);
    const script = writeWriterScript(home);
    const writer = spawn(process.execPath, [script, join(home, 'state')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(writer, 'exit');
    t.after(async () => {
      if (writer.exitCode === null && writer.signalCode === null && writer.pid) {
        process.kill(writer.pid, 'SIGKILL');
        await exited;
      }
    });

    let acknowledged = 0;
    let acks = 0;
    let buffered = '';
    const enoughAcks = new Promise<void>((resolve, reject) => {
      const guard = setTimeout(
        () => reject(new Error(`the writer acknowledged ${acks} saves in ${WRITER_TIMEOUT_MS} ms`)),
        WRITER_TIMEOUT_MS,
      );
      writer.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          acknowledged = Math.max(acknowledged, Number(line));
          acks += 1;
        }
        if (acks >= killAfterAcks) {
          clearTimeout(guard);
          resolve();
        }
      });
      writer.on('exit', (code) => reject(new Error(`the writer ended early with ${code}`)));
    });
    await enoughAcks;
    if (writer.pid) process.kill(writer.pid, 'SIGKILL');
    await Promise.all([exited, once(writer.stdout, 'close')]);

    const { state, problems } = new StateStore(join(home, 'state')).load();
    assert.deepEqual(problems, []);
    assert.equal(state.programs.length, 40);
    const restarts = state.programs.map((program) => program.instances[0]?.stats.restarts ?? 0);
    assert.equal(new Set(restarts).size, 1, 'every program comes from the same write');
    assert.ok(
      (restarts[0] ?? 0) >= acknowledged,
      `acknowledged save ${acknowledged} is missing: ${restarts[0]}`,
    );
  });
}
