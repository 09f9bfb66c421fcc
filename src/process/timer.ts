import type { TimerHandle } from './runtime.js';

/** The longest delay setTimeout honours; a longer one would fire after 1 ms. */
const MAX_TIMEOUT_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `onFire` once after `delayMs`, unless cancelled. The timer keeps the event loop alive:
 * a scheduled restart is work the daemon has promised, and must not be dropped because
 * nothing else happens to be pending.
 */
export function startTimer(delayMs: number, onFire: () => void): TimerHandle {
  let timeout: NodeJS.Timeout;
  const arm = (remainingMs: number): void => {
    const stepMs = Math.min(Math.max(remainingMs, 0), MAX_TIMEOUT_DELAY_MS);
    timeout = setTimeout(() => {
      if (remainingMs > stepMs) arm(remainingMs - stepMs);
      else onFire();
    }, stepMs);
  };
  arm(delayMs);
  return { cancel: () => clearTimeout(timeout) };
}
