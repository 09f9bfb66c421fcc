import type { ApiClient } from '../api/client.js';
import type { EventStreamMessage, ProgramSpec } from '../api/wire.js';
import { needsReadinessCheck } from '../supervisor/readiness.js';

/** How long past a program's own start bound the CLI still waits for word from the daemon. */
const WAIT_SLACK_MS = 5_000;

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
}

/** What the started processes did: those that exited, and those not settled when the wait ended. */
export interface StartVerdict {
  failures: StartFailure[];
  unsettled: Array<{ name: string; instance: number }>;
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
): Promise<{ result: T; verdict: StartVerdict }> {
  const abort = new AbortController();
  const observed = new Map<string, Observed>();
  let onChange = () => {};
  let markOpen = () => {};
  const isOpen = new Promise<void>((resolve) => {
    markOpen = resolve;
  });
  const onMessage = (message: EventStreamMessage) => {
    if (message.kind === 'stream.open') markOpen();
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
  const query = { ...(programs === 'all' ? {} : { program: programs }), kind: 'instance.*' };
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
  const verdict = await new Promise<StartVerdict>((resolve) => {
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    let isDone = false;
    const finish = (isAtBound: boolean) => {
      if (isDone) return;
      isDone = true;
      for (const timer of timers) clearTimeout(timer);
      onChange = () => {};
      const failures: StartFailure[] = [];
      const unsettled: StartVerdict['unsettled'] = [];
      for (const { name, instance, spec } of expected) {
        const seen = observed.get(keyOf(name, instance));
        if (seen?.failure) failures.push(seen.failure);
        else if (isAtBound && !isSettled(seen, spec)) unsettled.push({ name, instance });
      }
      resolve({ failures, unsettled });
    };
    const check = () => {
      let isPending = false;
      for (const { name, instance, spec } of expected) {
        const seen = observed.get(keyOf(name, instance));
        if (isSettled(seen, spec)) continue;
        isPending = true;
        if (seen?.isReady) {
          // Ready on spawn: settled once it has run minUptime, unless it exits first.
          const waitMs = spec.minUptimeMs - (Date.now() - seen.spawnedAt);
          timers.push(setTimeout(check, Math.max(0, waitMs) + 1));
        }
      }
      if (!isPending) finish(false);
    };
    timers.push(setTimeout(() => finish(true), boundMs(expected)));
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

/** The longest any expected instance may take to settle: its start timeout and the stop after it, or its minUptime. */
function boundMs(expected: ExpectedStart[]): number {
  let longest = 0;
  for (const { spec } of expected) {
    const own = needsReadinessCheck(spec)
      ? spec.startTimeoutMs + spec.stopTimeoutMs
      : spec.minUptimeMs;
    longest = Math.max(longest, own);
  }
  return longest + WAIT_SLACK_MS;
}
