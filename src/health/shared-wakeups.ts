import type { SupervisorRuntime, TimerHandle } from '../process/runtime.js';

/** How close two due times must be to share one wake-up, in milliseconds. */
export const WAKEUP_SLOT_MS = 10;

/**
 * Timers whose due times fall in the same WAKEUP_SLOT_MS slot fire from one underlying timer.
 * The probes of many instances, aligned on their period's grid (probe-scheduler.ts), then cost
 * one wake-up of the daemon instead of one each: on this machine a wake-up costs more than the
 * check it runs (bench/RESULTS.md, probe cost). A timer may fire up to one slot late.
 */
export function sharedWakeups(
  runtime: Pick<SupervisorRuntime, 'now' | 'setTimer'>,
  slotMs = WAKEUP_SLOT_MS,
): Pick<SupervisorRuntime, 'now' | 'setTimer'> {
  const slots = new Map<number, { timer: TimerHandle; callbacks: Set<() => void> }>();
  return {
    now: () => runtime.now(),
    setTimer(delayMs, onFire) {
      const now = runtime.now();
      const slotAt = Math.ceil((now + Math.max(0, delayMs)) / slotMs) * slotMs;
      let slot = slots.get(slotAt);
      if (slot === undefined) {
        const callbacks = new Set<() => void>();
        const timer = runtime.setTimer(slotAt - now, () => {
          slots.delete(slotAt);
          for (const callback of callbacks) callback();
        });
        slot = { timer, callbacks };
        slots.set(slotAt, slot);
      }
      // Each timer gets its own wrapper, so one callback registered twice still fires twice.
      const callback = () => onFire();
      const owner = slot;
      owner.callbacks.add(callback);
      return {
        cancel() {
          owner.callbacks.delete(callback);
          if (owner.callbacks.size === 0 && slots.get(slotAt) === owner) {
            owner.timer.cancel();
            slots.delete(slotAt);
          }
        },
      };
    },
  };
}
