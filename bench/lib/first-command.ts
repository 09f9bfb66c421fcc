/**
 * The first command on a fresh home (issue 6, item 1): `tend ls` that has to start the daemon,
 * then a second `tend ls`, and the daemon's own start-up, against `pm2 ls` on a fresh PM2_HOME.
 * Each round uses new homes; tend and PM2 rounds alternate, and so does which goes first.
 */
import { pm2ReadyEpochMs, processStartEpochMs, tendReadyEpochMs } from './daemon-startup.js';
import { runCommand } from './exec.js';
import { formatMs, formatRatio, formatTable } from './format.js';
import { attempt, oneLine, progress } from './main.js';
import type { ProcessManager } from './manager.js';
import { isTendAvailable } from './managers.js';
import type { BenchOptions } from './options.js';
import { Pm2Manager } from './pm2.js';
import { checkTarget, type TargetCheck } from './result.js';
import { median, percentile } from './stats.js';
import { TendManager } from './tend.js';

/** Issue 6: a first command answers within this × a second command, plus the daemon's own start-up. */
const TARGET_SECOND_COMMAND_FACTOR = 1.5;

interface Contender {
  label: 'tend' | 'pm2';
  create(): ProcessManager;
  readyEpochMs(home: string): number;
  first: number[];
  second: number[];
  startup: number[];
  beforeDaemon: number[];
  afterReady: number[];
  failures: string[];
}

interface RoundSample {
  first: number;
  second: number;
  startup: number;
  /** From the first command's spawn to the daemon process's creation. */
  beforeDaemon: number;
  /** From the daemon's ready moment to the first command's exit. */
  afterReady: number;
}

/** Times first and second listing commands on fresh homes; returns the report section and the target check. */
export async function measureFirstCommand(
  options: BenchOptions,
): Promise<{ report: string; targets: TargetCheck[] }> {
  const rounds = options.isQuick ? 3 : 12;
  const contenders: Contender[] = [
    ...(isTendAvailable() ? [contender('tend', () => new TendManager(), tendReadyEpochMs)] : []),
    contender('pm2', () => new Pm2Manager(), pm2ReadyEpochMs),
  ];
  progress(`first command on a fresh home: ${rounds} interleaved rounds`);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const side of order) {
      const sample = await attempt(side.label, () => timeRound(side));
      if (sample instanceof Error) {
        side.failures.push(oneLine(sample));
        continue;
      }
      side.first.push(sample.first);
      side.second.push(sample.second);
      side.startup.push(sample.startup);
      side.beforeDaemon.push(sample.beforeDaemon);
      side.afterReady.push(sample.afterReady);
    }
  }

  const rows = contenders.map((side) => {
    const first = median(side.first);
    const second = median(side.second);
    const startup = median(side.startup);
    const bound = TARGET_SECOND_COMMAND_FACTOR * second + startup;
    return [
      `${side.label} ls`,
      formatMs(first),
      formatMs(percentile(side.first, 90)),
      formatMs(second),
      formatMs(startup),
      formatMs(bound),
      formatRatio(first / bound),
      formatMs(median(side.beforeDaemon)),
      formatMs(median(side.afterReady)),
      `${side.first.length}`,
    ];
  });
  const tend = contenders.find((side) => side.label === 'tend');
  const tendFirst = median(tend?.first ?? []);
  const tendBound =
    TARGET_SECOND_COMMAND_FACTOR * median(tend?.second ?? []) + median(tend?.startup ?? []);
  const report = [
    `### First command on a fresh home (${rounds} rounds, interleaved, medians)`,
    '',
    formatTable(
      [
        'command',
        'first',
        'first p90',
        'second',
        'daemon start-up',
        `${TARGET_SECOND_COMMAND_FACTOR} × second + start-up`,
        'first ÷ that',
        'spawn → daemon',
        'ready → answer',
        'rounds',
      ],
      rows,
    ),
    '',
    'Each round: a new home, the first listing (it starts the daemon), a second listing, then the',
    'daemon is stopped (`tend daemon stop` / `pm2 kill`) and the home removed. Daemon start-up is',
    "the daemon process's creation (/proc/<pid>/stat start time, ±10 ms) to its ready moment:",
    "tend's `daemon ready` line in daemon.log; for PM2 the later bind of rpc.sock/pub.sock (file",
    'mtimes; PM2 logs whole seconds only). The first command splits into spawn → daemon (the CLI',
    'starts and launches the daemon), the start-up, and ready → answer (the CLI hears `ready`, asks,',
    'prints, exits).',
    ...contenders.flatMap((side) =>
      side.failures.map((failure) => `${side.label}: a round failed: ${failure}`),
    ),
  ].join('\n');
  return {
    report,
    targets: [
      checkTarget(
        `first tend ls on a fresh home ≤ ${TARGET_SECOND_COMMAND_FACTOR}× second + daemon start-up`,
        tendFirst / tendBound,
        (value) => value <= 1,
        `${formatMs(tendFirst)} vs ${formatMs(tendBound)} (${formatRatio(tendFirst / tendBound)})`,
      ),
    ],
  };
}

function contender(
  label: 'tend' | 'pm2',
  create: () => ProcessManager,
  readyEpochMs: (home: string) => number,
): Contender {
  return {
    label,
    create,
    readyEpochMs,
    first: [],
    second: [],
    startup: [],
    beforeDaemon: [],
    afterReady: [],
    failures: [],
  };
}

async function timeRound(side: Contender): Promise<RoundSample> {
  const manager = side.create();
  try {
    const list = manager.listCommands()[0];
    if (!list) throw new Error(`${side.label} has no listing command`);
    const firstSpawnedAt = Date.now();
    const first = await runCommand(list.command, list.args, { env: list.env });
    const second = await runCommand(list.command, list.args, { env: list.env });
    const daemonCreatedAt = processStartEpochMs(await manager.daemonPid());
    const readyAt = side.readyEpochMs(manager.home);
    return {
      first: first.elapsedMs,
      second: second.elapsedMs,
      startup: readyAt - daemonCreatedAt,
      beforeDaemon: daemonCreatedAt - firstSpawnedAt,
      afterReady: firstSpawnedAt + first.elapsedMs - readyAt,
    };
  } finally {
    await manager.shutdown();
  }
}
