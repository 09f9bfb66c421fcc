/**
 * Delay before restarting a process, given how many runs in a row died young (before minUptime):
 * 0 after a stable run (the counter is 0), else initialMs doubling per young death, capped at maxMs.
 */
export function nextRestartDelay(
  consecutiveYoungDeaths: number,
  initialMs: number,
  maxMs: number,
): number {
  if (consecutiveYoungDeaths <= 0) return 0;
  // 2 ** 1024 is Infinity, so a long crash loop cannot overflow into NaN; Math.min caps it.
  const delay = initialMs * 2 ** (consecutiveYoungDeaths - 1);
  return Math.min(delay, maxMs);
}
