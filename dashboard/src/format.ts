import { formatElapsed } from '../../src/config/human-units.js';

/** Durations as the CLI and the daemon write them: a set one exact (`1.5m`), a measured one rounded (`5h 2m`). */
export { formatDuration, formatElapsed } from '../../src/config/human-units.js';

/** Bytes in binary units: `512 B`, `9.8 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? Math.floor(value * 10) / 10 : Math.round(value)} ${units[unit]}`;
}

/** CPU in percent of one core. */
export function formatCpu(percent: number): string {
  return percent < 10 ? `${Math.round(percent * 10) / 10}%` : `${Math.round(percent)}%`;
}

/** How a run ended: `code 1`, or the signal's name. */
export function formatExit(code: number | null, signal: string | null): string {
  if (signal) return signal;
  return code === null ? 'unknown' : `code ${code}`;
}

/** A clock time, `12:00:01`. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString([], { hour12: false });
}

/** A value, or a dash when there is none. */
export function orDash<T>(value: T | null | undefined, format: (value: T) => string): string {
  return value === null || value === undefined ? '–' : format(value);
}

/** `1 instance`, `2 instances`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** A latency: `4.2ms`, `35ms`, `1.2s`. */
export function formatLatency(ms: number): string {
  if (ms < 10) return `${Math.round(ms * 10) / 10}ms`;
  return ms < 1000 ? `${Math.round(ms)}ms` : formatElapsed(ms);
}
