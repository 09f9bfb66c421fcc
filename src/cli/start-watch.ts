import type { ApiClient } from '../api/client.js';
import type { DependencyWait, EventStreamMessage, ProgramSpec } from '../api/wire.js';
import { needsReadinessCheck, startDeadlineMs } from '../supervisor/readiness.js';
import { pacedStartDelayMs } from '../supervisor/start-pacer.js';

/** How long past a program's own start bound the CLI still waits for word from the daemon. */
const WAIT_SLACK_MS = 5_000;
/** How long a start may go unsaid: then the CLI names what it waits for (a port that never listens waits the whole start timeout). */
export const SLOW_START_NOTICE_MS = 3_000;

/** An instance whose new process exited before it was ready or had run `minUptime`. */
export interface StartFailure {
  name: string;
  instance: number;
  pid: number;
  code: number | null;
  signal: string | null;
  uptimeMs: number;
  reason: string | null;
}

/** One instance an action was expected to start, and the definition that says when it has settled. */
export interface ExpectedStart {
  name: string;
  instance: number;
  spec: ProgramSpec;
  /** Whether its program waited for its dependencies when the action answered. */
  waiting: DependencyWait | null;
}

/**
 * What the started processes did: those that exited, those not settled when the wait ended, and
 * the programs still waiting for a dependency (stuck: one that cannot become ready by itself).
 */
export interface StartVerdict {
  failures: StartFailure[];
  unsettled: Array<{ name: string; instance: number }>;
  waiting: Array<{ name: string; reason: string }>;
}

interface Observed {
  pid: number;
  spawnedAt: number;
  isReady: boolean;
  failure: StartFailure | null;
  hasEndedWell: boolean;
}

/**
 * Runs `act` (a create, start or restart) with the event stream already open, then waits until
 * each instance it started is ready (a program with a readiness check), or has run
 * `minUptimeMs` (the others), or has exited: a user learns at once that a program dies on start,
 * with its exit code, instead of reading "online" and, much later, `errored`. The stream is open
 * before the action, so no event of the new processes can be missed; the first process each
 * instance spawned after that is the one judged.
 */
export async function actAndWatchStarts<T>(
  client: ApiClient,
  programs: string[] | 'all',
  act: () => Promise<T>,
  expectedOf: (result: T) => ExpectedStart[],
  options: {
    isRestart?: boolean;
    /** Told which instances are not ready yet when a start is slow (the CLI says what it waits for). */
    onSlow?: (notReady: ExpectedStart[]) => void;
  } = {},
): Promise<{ result: T; verdict: StartVerdict }> {
  const abort = new AbortController();
  const observed = new Map<string, Observed>();
  /** What the event stream said last about a program's waiting for its dependencies (null: it stopped waiting). */
  const waits = new Map<string, DependencyWait | null>();
  let onChange = () => {};
  let onUnblocked = () => {};
  let markOpen = () => {};
  const isOpen = new Promise<void>((resolve) => {
    markOpen = resolve;
  });
  const onMessage = (message: EventStreamMessage) => {
    if (message.kind === 'stream.open') markOpen();
    if (message.kind === 'program.waiting') {
      const { dependencies, reason, isStuck } = message;
      waits.set(message.program, { dependencies, reason, isStuck });
      onChange();
      return;
    }
    if (message.kind === 'program.unblocked') {
      waits.set(message.program, null);
      onUnblocked();
      onChange();
      return;
    }
    if (!('role' in message) || message.role !== 'instance') return;
    const key = keyOf(message.program, message.instance);
    const seen = observed.get(key);
    if (message.kind === 'instance.spawned') {
      if (!seen)
        observed.set(key, {
          pid: message.pid,
          spawnedAt: Date.now(),
          isReady: false,
          failure: null,
          hasEndedWell: false,
        });
    } else if (message.kind === 'instance.ready') {
      if (seen?.pid === message.pid) seen.isReady = true;
    } else if (message.kind === 'instance.exited') {
      if (seen?.pid !== message.pid || seen.failure) return;
      // An exit that is no failure (a one-shot that finished, a "done" exit code) settles it well.
      if (!message.isFailure) {
        seen.hasEndedWell = true;
        onChange();
        return;
      }
      seen.failure = {
        name: message.program,
        instance: message.instance,
        pid: message.pid,
        code: message.code,
        signal: message.signal,
        uptimeMs: message.uptimeMs,
        reason: message.reason,
      };
    } else return;
    onChange();
  };
  const query = {
    ...(programs === 'all' ? {} : { program: programs }),
    kind: ['instance.*', 'program.waiting', 'program.unblocked'],
  };
  // A daemon that cannot stream (or a stream that fails) means no wait, never a hang.
  const streaming = client.events(query, onMessage, abort.signal).catch(() => {});
  void streaming.then(markOpen);
  await isOpen;
  let result: T;
  try {
    result = await act();
  } catch (error) {
    abort.abort();
    await streaming;
    throw error;
  }
  const expected = expectedOf(result);
  // A program that waits may wait as long as its dependencies take to start: their bounds count too.
  const others = expected.some((start) => start.waiting !== null)
    ? (await client.listPrograms().catch(() => [])).map((program) => program.spec)
    : [];
  const bound = boundMs(expected, others, options.isRestart === true);
  // The latest word on a program's waiting: the stream's, or else the action's answer.
  const waitOf = (start: ExpectedStart): DependencyWait | null =>
    waits.has(start.name) ? (waits.get(start.name) ?? null) : start.waiting;
  const verdict = await new Promise<StartVerdict>((resolve) => {
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    let isDone = false;
    const finish = (isAtBound: boolean) => {
      if (isDone) return;
      isDone = true;
      for (const timer of timers) clearTimeout(timer);
      onChange = () => {};
      onUnblocked = () => {};
      const failures: StartFailure[] = [];
      const unsettled: StartVerdict['unsettled'] = [];
      const waiting = new Map<string, string>();
      for (const start of expected) {
        const { name, instance, spec } = start;
        const seen = observed.get(keyOf(name, instance));
        const wait = waitOf(start);
        if (seen?.failure) failures.push(seen.failure);
        else if (wait !== null && (wait.isStuck || isAtBound)) waiting.set(name, wait.reason);
        else if (isAtBound && !isSettled(seen, spec)) unsettled.push({ name, instance });
      }
      resolve({
        failures,
        unsettled,
        waiting: [...waiting].map(([name, reason]) => ({ name, reason })),
      });
    };
    const check = () => {
      let isPending = false;
      for (const start of expected) {
        const { name, instance, spec } = start;
        const seen = observed.get(keyOf(name, instance));
        if (isSettled(seen, spec) || waitOf(start)?.isStuck) continue;
        isPending = true;
        if (seen?.isReady) {
          // Ready on spawn: settled once it has run minUptime, unless it exits first.
          const waitMs = spec.minUptimeMs - (Date.now() - seen.spawnedAt);
          timers.push(setTimeout(check, Math.max(0, waitMs) + 1));
        }
      }
      if (!isPending) finish(false);
    };
    let boundTimer = setTimeout(() => finish(true), bound);
    timers.push(boundTimer);
    // Once, if some spawned process still waits for its readiness check: say what the wait is for.
    const sayWhatItWaitsFor = () => {
      const notReady = expected.filter((start) => {
        const seen = observed.get(keyOf(start.name, start.instance));
        const isChecked = needsReadinessCheck(start.spec) && waitOf(start) === null;
        return isChecked && seen !== undefined && !seen.isReady && !isSettled(seen, start.spec);
      });
      if (notReady.length > 0) options.onSlow?.(notReady);
    };
    timers.push(setTimeout(sayWhatItWaitsFor, SLOW_START_NOTICE_MS));
    // A program that waited starts only now: its own bound counts from here.
    onUnblocked = () => {
      clearTimeout(boundTimer);
      boundTimer = setTimeout(() => finish(true), bound);
      timers.push(boundTimer);
    };
    onChange = check;
    check();
  });
  abort.abort();
  await streaming;
  return { result, verdict };
}

function keyOf(name: string, instance: number): string {
  return `${name}:${instance}`;
}

/** Whether an instance's first new process has exited, or passed its check, or run minUptime. */
function isSettled(seen: Observed | undefined, spec: ProgramSpec): boolean {
  if (!seen) return false;
  if (seen.failure || seen.hasEndedWell) return true;
  if (!seen.isReady) return false;
  return needsReadinessCheck(spec) || Date.now() - seen.spawnedAt >= spec.minUptimeMs;
}

/**
 * The longest the expected instances may take to settle: each program's start timeout and the
 * stop after it, or its minUptime, after the wait for its turn when its pool is paced
 * (start-pacer.ts; a restart's waves also wait for their stops), added along its chain of
 * dependencies (`others` are the
 * specs of programs not expected to start that a waiting one may depend on).
 */
function boundMs(expected: ExpectedStart[], others: ProgramSpec[], isRestart: boolean): number {
  const specs = new Map(others.map((spec) => [spec.name, spec]));
  for (const { spec } of expected) specs.set(spec.name, spec);
  const chains = new Map<string, number>();
  const chainOf = (spec: ProgramSpec, seen: Set<string>): number => {
    const known = chains.get(spec.name);
    if (known !== undefined) return known;
    // A large pool starts START_CONCURRENCY instances at a time, each wave up to its start
    // deadline; a restart's waves also wait for their processes to stop.
    const stopPerWaveMs = isRestart ? spec.stopTimeoutMs : 0;
    const own = needsReadinessCheck(spec)
      ? pacedStartDelayMs(spec.instances, startDeadlineMs(spec) + stopPerWaveMs) +
        spec.startTimeoutMs +
        spec.stopTimeoutMs
      : pacedStartDelayMs(spec.instances, stopPerWaveMs) + spec.minUptimeMs;
    let before = 0;
    for (const name of spec.dependsOn) {
      const dependency = specs.get(name);
      if (dependency === undefined || seen.has(name)) continue;
      before = Math.max(before, chainOf(dependency, new Set([...seen, name])));
    }
    chains.set(spec.name, own + before);
    return own + before;
  };
  let longest = 0;
  for (const { spec } of expected) longest = Math.max(longest, chainOf(spec, new Set([spec.name])));
  return longest + WAIT_SLACK_MS;
}
