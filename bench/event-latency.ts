/**
 * Benchmark 9 (issue 7): how soon a client of `GET /v1/events` hears that an instance died.
 * From `kill -9` of the instance's process to the `instance.exited` event for that pid arriving
 * on the stream. The floor is a plain Node parent seeing its own child's SIGKILL through 'exit'.
 * Rounds are interleaved; PM2 has no comparable stream, so it is not in this one.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { EventStreamClient } from './lib/event-stream.js';
import { killQuietly, spawnTracked } from './lib/exec.js';
import { formatMs, formatSignedMs, formatTable } from './lib/format.js';
import { IDLE_COMMAND } from './lib/idle.js';
import { progress, runIfMain } from './lib/main.js';
import { isTendAvailable } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { pollUntil } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median, percentile } from './lib/stats.js';
import { formatTargetTable } from './lib/target-table.js';
import { TendManager } from './lib/tend.js';

const TARGET_MEDIAN_MS = 20;
/** tend restarts at once (no backoff, not counted as a young death) only a process that ran at least minUptime (1 s). */
const STABLE_UPTIME_MS = 1500;
const EVENT_TIMEOUT_MS = 10_000;

/** A program whose instance is killed each round, with the figures of its rounds. */
interface Victim {
  name: string;
  label: string;
  /** Whether tend restarts it by itself; otherwise the bench starts it again with `tend start`. */
  isRestarted: boolean;
  pid: number;
  seenAt: number;
  /** kill → the event read from the socket. */
  samples: number[];
  /** kill → the event's own `time` (stamped by the daemon's bus), whole ms on the wall clock. */
  stamped: number[];
  signals: Map<string, number>;
}

/** Times kill -9 → `instance.exited` on the event stream, against a Node parent's own 'exit'. */
export async function runEventLatency(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.isQuick ? 5 : 30;
  if (!isTendAvailable()) throw new Error('tend is not built: nothing to measure');
  const tend = new TendManager();
  let stream: EventStreamClient | undefined;
  try {
    await tend.ensureDaemon();
    const victims: Victim[] = [
      victim('victim', 'tend, restarted at once (default)', true),
      victim('victim-once', 'tend, --restart never', false),
    ];
    for (const one of victims) {
      await tend.start({
        name: one.name,
        ...IDLE_COMMAND,
        extraFlags: { tend: one.isRestarted ? [] : ['--restart', 'never'] },
      });
      one.pid = await awaitNewPid(tend, one.name, null);
      one.seenAt = performance.now();
    }
    stream = await EventStreamClient.open(join(tend.home, 'tend.sock'));
    const events = stream;

    const floor: number[] = [];
    progress(`${rounds} interleaved rounds: kill -9 a child of node, and instances under tend`);
    for (let round = 0; round < rounds; round++) {
      const steps = [
        async () => floor.push(await timeChildKill()),
        ...victims.map((one) => () => timeVictim(tend, events, one)),
      ];
      const offset = round % steps.length;
      for (const step of [...steps.slice(offset), ...steps.slice(0, offset)]) await step();
    }

    const floorMedian = median(floor);
    const main = victims[0] as Victim;
    const tendMedian = median(main.samples);
    const row = (label: string, values: number[], stamped: number[] | null) => [
      label,
      formatMs(median(values)),
      formatMs(percentile(values, 90)),
      formatMs(Math.max(...values)),
      stamped ? formatMs(median(stamped)) : '—',
      stamped ? formatSignedMs(median(values) - floorMedian) : '—',
      String(values.length),
    ];
    const target = checkTarget(
      `kill -9 → instance.exited on /v1/events ≤ ${TARGET_MEDIAN_MS} ms median`,
      tendMedian,
      (value) => value <= TARGET_MEDIAN_MS,
      `${formatMs(tendMedian)} (floor ${formatMs(floorMedian)}; without the restart ${formatMs(median(victims[1]?.samples ?? []))})`,
    );
    const report = [
      `## 9. Event latency: kill -9 → \`instance.exited\` on GET /v1/events (${rounds} rounds, interleaved)`,
      '',
      formatTable(
        ['what', 'median', 'p90', 'max', 'kill → stamped', '− floor', 'runs'],
        [
          row("node parent's 'exit' (floor)", floor, null),
          ...victims.map((one) => row(one.label, one.samples, one.stamped)),
        ],
      ),
      '',
      `The program is \`${IDLE_COMMAND.command} ${IDLE_COMMAND.args.join(' ')}\`, killed after ≥ ${STABLE_UPTIME_MS} ms up (so that tend restarts it at once),`,
      "timed from just before kill(2) to this process reading the event's bytes from the socket. The",
      'floor is the same kill of a `sleep` child of this process, to its \'exit\' event. "kill → stamped"',
      "is kill to the `time` the daemon's bus put on the event (wall clock, whole ms); the rest is the",
      'write to the socket and the wake-up of the reader. The `--restart never` program is started again',
      'with `tend start` after each round: its exit is not followed by a respawn inside the daemon.',
      ...victims.map(
        (one) =>
          `${one.label}: exit reported as ${[...one.signals].map(([signal, count]) => `${signal} × ${count}`).join(', ')}`,
      ),
      '',
      formatTargetTable([target]),
    ].join('\n');
    console.log(`${report}\n`);
    return { name: 'event-latency', report, targets: [target] };
  } finally {
    stream?.close();
    await tend.shutdown();
  }
}

function victim(name: string, label: string, isRestarted: boolean): Victim {
  return {
    name,
    label,
    isRestarted,
    pid: 0,
    seenAt: 0,
    samples: [],
    stamped: [],
    signals: new Map(),
  };
}

/** One round for one program: kill -9 its instance, time the event, then wait for its next process. */
async function timeVictim(
  tend: TendManager,
  events: EventStreamClient,
  one: Victim,
): Promise<void> {
  await delay(Math.max(0, one.seenAt + STABLE_UPTIME_MS - performance.now()));
  const pid = one.pid;
  const exited = events.next(
    (event) => event.name === 'instance.exited' && event.data.pid === pid,
    EVENT_TIMEOUT_MS,
  );
  const killedAtEpoch = Date.now();
  const killedAt = performance.now();
  killQuietly(pid, 'SIGKILL');
  const event = await exited;
  one.samples.push(event.receivedAt - killedAt);
  one.stamped.push(Date.parse(String(event.data.time)) - killedAtEpoch);
  const signal = String(event.data.signal ?? event.data.code ?? 'none');
  one.signals.set(signal, (one.signals.get(signal) ?? 0) + 1);
  if (!one.isRestarted) await tend.startAgain(one.name);
  one.pid = await awaitNewPid(tend, one.name, pid);
  one.seenAt = performance.now();
}

/** Kills (SIGKILL) a `sleep` child of this process and returns how long until its 'exit' fired. */
async function timeChildKill(): Promise<number> {
  const child = spawnTracked(IDLE_COMMAND.command, IDLE_COMMAND.args);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', () => resolve(performance.now())),
  );
  const killedAt = performance.now();
  child.kill('SIGKILL');
  return (await exited) - killedAt;
}

/** Waits until the program's instance 0 is online with a pid other than `oldPid`; returns the pid. */
async function awaitNewPid(
  tend: TendManager,
  name: string,
  oldPid: number | null,
): Promise<number> {
  return pollUntil(
    `${name} online with a new pid`,
    async () => {
      const instance = (await tend.list()).find((row) => row.name === name);
      return instance?.status === 'online' && instance.pid && instance.pid !== oldPid
        ? instance.pid
        : undefined;
    },
    { intervalMs: 50, timeoutMs: EVENT_TIMEOUT_MS },
  );
}

runIfMain(import.meta.url, runEventLatency);
