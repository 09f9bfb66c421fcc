/** How many restarts are allowed within how long, as in an Erlang/OTP supervisor (MaxR, MaxT). */
export interface IntensityLimits {
  maxRestarts: number;
  restartWindowMs: number;
}

/** The timestamps left inside the window after a restart, and whether there are now too many. */
export interface IntensityResult {
  history: number[];
  isExceeded: boolean;
}

/**
 * Adds a restart at `at` to `history` (OTP supervisor `add_restart`): timestamps older than the window
 * are dropped, and more than `maxRestarts` left inside it means give up. Only what is inside the window
 * counts, so a program that was healthy for hours and then crash-loops is caught just as fast.
 */
export function addRestart(
  history: readonly number[],
  at: number,
  limits: IntensityLimits,
): IntensityResult {
  const windowStart = at - limits.restartWindowMs;
  const kept = history.filter((time) => time > windowStart && time <= at);
  kept.push(at);
  return { history: kept, isExceeded: kept.length > limits.maxRestarts };
}
