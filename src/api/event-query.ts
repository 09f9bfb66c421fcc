import { programNameProblem } from '../config/program-name.js';
import { EVENT_KINDS, type TendEvent, type TendEventKind } from '../core/events.js';
import { UsageError } from '../errors.js';

/** What a client of `GET /v1/events` asked for, checked. */
export interface EventQuery {
  /** Only events about these programs (daemon events always pass); all when empty. */
  programs: ReadonlySet<string>;
  /** Only these kinds; all when empty. */
  kinds: ReadonlySet<TendEventKind>;
  /** Replay the events after this sequence number first; live only when undefined. */
  since: number | undefined;
}

const QUERY_KEYS = new Set(['program', 'kind', 'since']);

/**
 * Checks the query (and the `Last-Event-ID` header) of `GET /v1/events`: `program` and `kind`
 * repeated or comma-separated, a kind given exactly or as a prefix such as `instance.*`, and
 * `since` a sequence number no later than the newest event.
 */
export function parseEventQuery(
  query: Record<string, unknown>,
  lastEventId: string | undefined,
  newestSeq: number,
): EventQuery {
  for (const key of Object.keys(query)) {
    if (!QUERY_KEYS.has(key)) {
      throw invalid(`Expected only the query parameters program, kind and since, got \`${key}\``);
    }
  }
  const programs = new Set(listOf(query.program, 'program'));
  for (const program of programs) {
    const problem = programNameProblem(program);
    if (problem) throw invalid(`Invalid \`program\` filter: ${problem}`);
  }
  const kinds = new Set(listOf(query.kind, 'kind').flatMap(expandKind));
  const sinceText = query.since ?? lastEventId;
  const since = sinceText === undefined ? undefined : parseSeq(sinceText);
  if (since !== undefined && since > newestSeq) {
    throw new UsageError(
      'TEND_ERR_EVENTS_SINCE_AHEAD',
      `Expected \`since\` to be at most the newest event's sequence number (${newestSeq}), got ${since}; resume from a seq this daemon sent, or connect without since`,
    );
  }
  return { programs, kinds, since };
}

/** Whether an event passes the program and kind filters. */
export function matchesEventQuery(query: EventQuery, event: TendEvent): boolean {
  if (query.kinds.size > 0 && !query.kinds.has(event.kind)) return false;
  if (query.programs.size === 0 || !('program' in event)) return true;
  return query.programs.has(event.program);
}

function listOf(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  return values.flatMap((item) => {
    if (typeof item !== 'string') throw invalid(`Expected \`${name}\` to be text`);
    const parts = item.split(',').map((part) => part.trim());
    if (parts.some((part) => part === '')) {
      throw invalid(`Expected a comma-separated list of ${name}s, got ${JSON.stringify(item)}`);
    }
    return parts;
  });
}

/** An exact kind, or every kind under a prefix such as `instance.*`. */
function expandKind(pattern: string): TendEventKind[] {
  const exact = EVENT_KINDS.find((kind) => kind === pattern);
  if (exact) return [exact];
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1);
    const matching = EVENT_KINDS.filter((kind) => kind.startsWith(prefix));
    if (matching.length > 0) return matching;
  }
  throw invalid(
    `Expected a \`kind\` among ${EVENT_KINDS.join(', ')} (or a prefix such as \`instance.*\`), got ${JSON.stringify(pattern)}`,
  );
}

function parseSeq(text: unknown): number {
  const value = typeof text === 'string' && /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw invalid(
      `Expected \`since\` (or Last-Event-ID) to be an event sequence number (a whole number ≥ 0), got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function invalid(message: string): UsageError {
  return new UsageError('TEND_ERR_EVENTS_INVALID_FILTER', message);
}
