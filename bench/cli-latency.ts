/**
 * Benchmark 1: how long a listing command takes with 10 idle programs managed, `tend ls` against
 * `pm2 ls` / `pm2 jlist`, with `node -e 0` (starting node at all) as the floor. Runs are interleaved.
 * Then the first command on a fresh home, which has to start the daemon (lib/first-command.ts).
 */
import { runCommand } from './lib/exec.js';
import { measureFirstCommand } from './lib/first-command.js';
import { formatMs, formatRatio, formatTable } from './lib/format.js';
import { startIdlePrograms } from './lib/idle.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ProcessManager, TimedCommand } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median, percentile, ratio } from './lib/stats.js';

const PROGRAM_COUNT = 10;
const TARGET_RATIO_TO_FLOOR = 1.25;

/** Times the listing commands of each manager against the node start-up floor. */
export async function runCliLatency(options: BenchOptions): Promise<BenchResult> {
  const listing = await timeListings(options);
  const firstCommand = await measureFirstCommand(options);
  console.log(`${firstCommand.report}\n`);
  return {
    name: 'cli-latency',
    report: `${listing.report}\n\n${firstCommand.report}`,
    targets: [...listing.targets, ...firstCommand.targets],
  };
}

async function timeListings(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.isQuick ? 8 : 30;
  const warmups = options.isQuick ? 1 : 3;
  return withManagers(async (managers) => {
    const floor: TimedCommand = {
      label: 'node -e 0 (floor)',
      command: process.execPath,
      args: ['-e', '0'],
      env: process.env,
    };
    const commands: TimedCommand[] = [floor];
    const failures: string[] = [];
    for (const manager of managers) {
      const ready = await attempt(manager.label, () => prepare(manager));
      if (ready instanceof Error) failures.push(`${manager.label}: ${oneLine(ready)}`);
      else
        commands.push(
          ...manager.listCommands(),
          ...(manager.startupCommand ? [manager.startupCommand()] : []),
        );
    }

    const samples = new Map<string, number[]>(commands.map((command) => [command.label, []]));
    progress(`timing ${commands.length} commands, ${rounds} interleaved rounds`);
    for (let round = -warmups; round < rounds; round++) {
      // Rotate the order each round so that no command always runs right after the same neighbour.
      const offset = ((round % commands.length) + commands.length) % commands.length;
      const order = [...commands.slice(offset), ...commands.slice(0, offset)];
      for (const command of order) {
        const outcome = await runCommand(command.command, command.args, { env: command.env });
        if (round >= 0) samples.get(command.label)?.push(outcome.elapsedMs);
      }
    }

    const floorMedian = median(samples.get(floor.label) ?? []);
    const rows = commands.map((command) => {
      const values = samples.get(command.label) ?? [];
      const value = median(values);
      return [
        command.label,
        formatMs(value),
        formatMs(percentile(values, 10)),
        formatMs(percentile(values, 90)),
        formatRatio(ratio(value, floorMedian)),
      ];
    });
    const tendRatio = ratio(median(samples.get('tend ls') ?? []), floorMedian);
    const pm2Ratio = ratio(median(samples.get('pm2 ls') ?? []), floorMedian);
    const report = [
      `## 1. CLI latency: listing ${PROGRAM_COUNT} idle programs (${rounds} runs each, interleaved)`,
      '',
      formatTable(['command', 'median', 'p10', 'p90', '÷ floor'], rows),
      '',
      `tend ls / pm2 ls: ${formatRatio(ratio(tendRatio, pm2Ratio))}`,
      '`tend --version` asks the daemon nothing: it is the cost of loading the CLI alone',
      ...failures.map((failure) => `not measured: ${failure}`),
    ].join('\n');
    console.log(`${report}\n`);
    return {
      name: 'cli-latency',
      report,
      targets: [
        checkTarget(
          `tend ls ≤ ${TARGET_RATIO_TO_FLOOR}× node -e 0`,
          tendRatio,
          (value) => value <= TARGET_RATIO_TO_FLOOR,
          `${formatRatio(tendRatio)} (pm2 ls ${formatRatio(pm2Ratio)})`,
        ),
      ],
    };
  });
}

async function prepare(manager: ProcessManager): Promise<void> {
  progress(`${manager.label}: starting ${PROGRAM_COUNT} idle programs`);
  await manager.ensureDaemon();
  await startIdlePrograms(manager, PROGRAM_COUNT);
}

runIfMain(import.meta.url, runCliLatency);
