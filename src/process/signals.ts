import { constants } from 'node:os';

/** A POSIX signal name as Node knows it, such as SIGTERM. */
export type SignalName = NodeJS.Signals;

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = constants.signals;

/** Every signal name this platform knows. */
export const SIGNAL_NAMES: readonly SignalName[] = Object.keys(SIGNAL_NUMBERS) as SignalName[];

/**
 * Parses a signal given by name (`TERM`, `SIGTERM`, `sigterm`) or number (`15`).
 * Returns undefined when it names no signal of this platform.
 */
export function parseSignal(input: string | number): SignalName | undefined {
  if (typeof input === 'number' || /^\d+$/.test(String(input))) {
    const wanted = Number(input);
    return SIGNAL_NAMES.find((name) => SIGNAL_NUMBERS[name] === wanted);
  }
  const upper = String(input).trim().toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return Object.hasOwn(SIGNAL_NUMBERS, name) ? (name as SignalName) : undefined;
}

/** The number of a signal name, for exit codes of the form 128 + n. */
export function signalNumber(name: SignalName): number {
  return SIGNAL_NUMBERS[name] ?? 0;
}
