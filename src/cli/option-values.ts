import { TARGET_SEPARATOR } from '../api/wire.js';
import { parseByteSize } from '../config/byte-size.js';
import { parseDurationMs } from '../config/human-units.js';
import type { ProbeSpecInput } from '../config/probe-spec.js';
import { programNameProblem } from '../config/program-name.js';
import { splitCommandLine } from '../config/split-command-line.js';
import { UsageError } from '../errors.js';
import { parseSignal, type SignalName } from '../process/signals.js';
import type { OptionCheck, OptionValue, ParsedArgs } from './command-types.js';

/** Parser of a whole number within bounds, for an option such as `--instances`. */
export function integerIn(min: number, max: number): (raw: string, flag: string) => number {
  return (raw, flag) => parseInteger(raw, flag, min, max);
}

/** Parses a whole number within bounds; the message names the option and the range. */
export function parseInteger(raw: string, what: string, min: number, max: number): number {
  const value = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(
      `Expected ${what} to be a whole number ${describeRange(min, max)}, got ${quote(raw)}`,
    );
  }
  return value;
}

/** Parser of a duration in milliseconds: `1500`, `1500ms`, `2s`, `1.5s`, `1m`, `1h`. */
export function durationIn(minMs: number, maxMs: number): (raw: string, flag: string) => number {
  return (raw, flag) => {
    const value = parseDurationMs(raw) ?? Number.NaN;
    if (!Number.isSafeInteger(value) || value < minMs || value > maxMs) {
      throw invalid(
        `Expected ${flag} to be a duration in milliseconds ${describeRange(minMs, maxMs)} (or with a unit: 2s, 1m), got ${quote(raw)}`,
      );
    }
    return value;
  };
}

/** Parser of a size with a unit (`300M`, `1.5G`, `512MiB`) in bytes, at least `minBytes`. */
export function byteSizeAtLeast(minBytes: number): (raw: string, flag: string) => number {
  return (raw, flag) => {
    const parsed = parseByteSize(raw);
    if ('problem' in parsed) {
      throw invalid(
        `${parsed.problem.replace('Expected', `Expected ${flag} to be`)}, got ${quote(raw)}`,
      );
    }
    if (parsed.bytes < minBytes) {
      throw invalid(
        `Expected ${flag} to be at least ${minBytes / (1024 * 1024)}M, got ${quote(raw)}`,
      );
    }
    return parsed.bytes;
  };
}

/** Parser of a value from a closed set. */
export function oneOf(values: readonly string[]): (raw: string, flag: string) => string {
  return (raw, flag) => {
    if (values.includes(raw)) return raw;
    throw invalid(`Expected ${flag} to be one of ${values.join(', ')}, got ${quote(raw)}`);
  };
}

/** Parses `0,3` into exit codes 0–255. */
export function parseExitCodes(raw: string, flag: string): number[] {
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part) || Number(part) > 255)) {
    throw invalid(
      `Expected ${flag} to be exit codes 0–255 separated by commas, such as 0,3; got ${quote(raw)}`,
    );
  }
  return [...new Set(parts.map(Number))];
}

/** Parses a signal name (`HUP`, `SIGHUP`) or number (`1`); an unknown one is a usage error. */
export function parseSignalArgument(raw: string, what = 'the signal'): SignalName {
  const signal = parseSignal(raw);
  if (!signal) {
    throw new UsageError(
      'TEND_ERR_SIGNAL_UNKNOWN',
      `Expected ${what} to be a signal name or number such as HUP, SIGTERM or 9, got ${quote(raw)}`,
    );
  }
  return signal;
}

/**
 * Parses one probe as the CLI writes it: `http`, `http:/healthz`, `http:8080/healthz`, `tcp`,
 * `tcp:8080`, or `exec:COMMAND ARGS…` (split into words like a shell would, but never run by one).
 */
export function parseProbeArgument(raw: string, flag: string): ProbeSpecInput {
  const match = /^(http|tcp|exec)(?::([\s\S]*))?$/.exec(raw);
  const expected = `Expected ${flag} to be http[:PORT][/PATH], tcp[:PORT] or exec:COMMAND${flag === '--readiness' ? ' (or none)' : ''}`;
  if (!match) throw invalid(`${expected}, got ${JSON.stringify(raw)}`);
  const kind = match[1] as 'http' | 'tcp' | 'exec';
  const rest = match[2];
  if (kind === 'exec') {
    const [command, ...args] = splitCommandLine(rest ?? '');
    if (command === undefined) throw invalid(`Expected a command after exec: in ${flag}`);
    return args.length > 0 ? { kind, command, args } : { kind, command };
  }
  if (rest === undefined || rest === '') return { kind };
  const parts = /^(\d*)(\/.*)?$/.exec(rest);
  if (!parts || (kind === 'tcp' && parts[2] !== undefined)) {
    const hint =
      kind === 'http' && /^[^\d/]/.test(rest) ? ` (a path starts with /: http:/${rest})` : '';
    throw invalid(`${expected}, got ${JSON.stringify(raw)}${hint}`);
  }
  const probe: ProbeSpecInput = { kind };
  if (parts[1]) probe.port = parseInteger(parts[1], `the port of ${flag}`, 1, 65_535);
  if (parts[2] !== undefined) probe.path = parts[2];
  return probe;
}

/** Validates a probe option's text (or `none`, where allowed); the plan parses it again to build the probe. */
function checkProbeArgument(raw: string, flag: string, allowsNone: boolean): string {
  if (!(allowsNone && raw === 'none')) parseProbeArgument(raw, flag);
  return raw;
}

/** Validates `KEY=VALUE` for `--env`. */
export function parseEnvPair(raw: string, flag: string): string {
  const equals = raw.indexOf('=');
  const key = raw.slice(0, equals);
  if (equals <= 0 || /[\0\s]/.test(key)) {
    throw invalid(`Expected ${flag} to be KEY=VALUE with a non-empty KEY, got ${quote(raw)}`);
  }
  return raw;
}

/** Validates a program name for a new program. */
export function parseProgramName(raw: string): string {
  const problem = programNameProblem(raw);
  if (problem) throw new UsageError('TEND_ERR_PROGRAM_INVALID_NAME', problem);
  return raw;
}

/** Validates a target: a program name or `all`. */
export function parseTarget(raw: string): string {
  return raw === 'all' ? raw : parseProgramName(raw);
}

/**
 * The targets of `stop`, `restart` and `delete`: `all` alone, or program names (repeats dropped),
 * joined into the API's `:target` (`a,b`). The daemon checks that each exists before acting on any.
 */
export function parseTargets(raw: readonly string[]): string {
  const names = [...new Set(raw.map(parseTarget))];
  if (names.length > 1 && names.includes('all')) {
    throw invalid(`Expected \`all\` alone or program names, got ${raw.join(' ')}`);
  }
  return names.join(TARGET_SEPARATOR);
}

/** A program and, optionally, one of its instances: `web` or `web:1`. */
export interface InstanceTarget {
  name: string;
  instance: number | undefined;
}

/** Parses `name`, `name:instance` or `all`. */
export function parseInstanceTarget(raw: string): InstanceTarget {
  const colon = raw.lastIndexOf(':');
  if (colon < 0) return { name: parseTarget(raw), instance: undefined };
  const name = parseTarget(raw.slice(0, colon));
  if (name === 'all') {
    throw invalid(
      `Expected \`all\` without an instance, or a program name with one (web:0), got ${quote(raw)}`,
    );
  }
  return {
    name,
    instance: parseInteger(raw.slice(colon + 1), 'the instance after `:`', 0, 1_000_000),
  };
}

function describeRange(min: number, max: number): string {
  return max >= Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
}

function quote(raw: string): string {
  return JSON.stringify(raw);
}

function invalid(message: string): UsageError {
  return new UsageError('TEND_ERR_USAGE_INVALID_ARGUMENT', message);
}

/** Turns the text of every checked option into its value, or throws the UsageError that says what was expected. */
export function checkOptionValues(args: ParsedArgs): ParsedArgs {
  const options = new Map<string, OptionValue>(args.options);
  for (const option of args.command.options) {
    const raw = options.get(option.long);
    if (!option.check || raw === undefined) continue;
    const check = checkerOf(option.check);
    const flag = `--${option.long}`;
    const value = Array.isArray(raw)
      ? (raw as string[]).map((text) => check(text, flag))
      : check(raw as string, flag);
    options.set(option.long, value as OptionValue);
  }
  return { ...args, options };
}

function checkerOf(check: OptionCheck): (raw: string, flag: string) => string | number | number[] {
  switch (check.kind) {
    case 'integer':
      return integerIn(check.min, check.max);
    case 'duration':
      return durationIn(check.minMs, check.maxMs);
    case 'byte-size':
      return byteSizeAtLeast(check.minBytes);
    case 'choice':
      return oneOf(check.choices);
    case 'exit-codes':
      return parseExitCodes;
    case 'signal':
      return parseSignalArgument;
    case 'env-pair':
      return parseEnvPair;
    case 'program-name':
      return parseProgramName;
    case 'probe':
      return (raw, flag) => checkProbeArgument(raw, flag, check.allowsNone);
  }
}
