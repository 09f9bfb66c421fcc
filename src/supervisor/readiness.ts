import type { ProgramSpec } from '../config/program-spec.js';
import type { InstanceSnapshot } from './types.js';

type ReadinessFields = Pick<ProgramSpec, 'readiness' | 'startupProbe' | 'readinessProbe'>;

/**
 * Whether an instance of `spec` stays `starting` until something calls `markReady()`: its
 * startup and readiness probes when it has either (see isProbeGated), else the daemon's one-shot
 * TCP check with `readiness: tcp` (the default for a program with a port), or the instance's
 * READY=1 with `readiness: notify`. A run that became ready through a check counts as stable
 * even if shorter than minUptimeMs.
 */
export function needsReadinessCheck(spec: ReadinessFields): boolean {
  return spec.readiness === 'tcp' || spec.readiness === 'notify' || isProbeGated(spec);
}

/**
 * Whether the probes (a startup or a readiness probe) decide when an instance is first ready.
 * They then replace the one-shot TCP check of `readiness: tcp`, which is not run.
 */
export function isProbeGated(spec: Pick<ProgramSpec, 'startupProbe' | 'readinessProbe'>): boolean {
  return spec.startupProbe !== undefined || spec.readinessProbe !== undefined;
}

/**
 * How long an instance may stay `starting` before it is stopped: `startTimeoutMs`, stretched to
 * the startup probe's own budget (initial delay + failureThreshold × period + timeout) when that
 * is longer, so that a slow starter the startup probe allows for is not killed by the default.
 */
export function startDeadlineMs(
  spec: Pick<ProgramSpec, 'startTimeoutMs' | 'startupProbe'>,
): number {
  const startup = spec.startupProbe;
  if (startup === undefined) return spec.startTimeoutMs;
  const budget =
    startup.initialDelayMs + startup.failureThreshold * startup.periodMs + startup.timeoutMs;
  return Math.max(spec.startTimeoutMs, budget);
}

/**
 * The one answer to "is this instance ready?" (for the proxy's rotation, reloads and
 * dependencies): it is `online` and its readiness probe, if any, does not currently fail.
 */
export function isInstanceReady(snapshot: Pick<InstanceSnapshot, 'state' | 'notReady'>): boolean {
  return snapshot.state === 'online' && snapshot.notReady === null;
}
