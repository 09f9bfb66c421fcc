import { formatElapsed } from '../../config/human-units.js';

/** A latency: `0.4ms`, `12ms`, then as a duration. */
export function formatLatency(ms: number): string {
  if (ms < 10) return `${Math.round(ms * 10) / 10}ms`;
  return ms < 1000 ? `${Math.round(ms)}ms` : formatElapsed(ms);
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A byte count in binary units: `512 B`, `9.8 MiB`, `120 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.max(0, Math.round(bytes))} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 ? Math.floor(value * 10) / 10 : Math.round(value);
  return `${digits} ${BYTE_UNITS[unit]}`;
}

/** CPU use in percent of one core: `0.3%`, `12%`. */
export function formatCpu(percent: number): string {
  return percent < 10 ? `${Math.round(percent * 10) / 10}%` : `${Math.round(percent)}%`;
}

/** An instant in local time, `2024-05-01 12:00:01`. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** How a run ended: `code 1`, or the signal's name. */
export function formatExit(code: number | null, signal: string | null): string {
  if (signal) return signal;
  return code === null ? 'unknown' : `code ${code}`;
}

/** A value or `-` when there is none. */
export function orDash<T>(value: T | null | undefined, format: (value: T) => string): string {
  return value === null || value === undefined ? '-' : format(value);
}

/** `1 instance`, `2 instances`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
