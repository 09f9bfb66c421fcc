import { describeIssues } from '../config/program-spec.js';
import {
  type PersistedProgram,
  PersistedProgramSchema,
  type PersistedState,
  STATE_VERSION,
  StateEnvelopeSchema,
} from './persisted-state.js';

/**
 * What the text of a state file holds: a valid state; a state of which some programs had to be
 * left out (each with a reason); or nothing usable, with the reason.
 */
export type ParsedState =
  | { kind: 'valid'; state: PersistedState }
  | { kind: 'partial'; state: PersistedState; leftOut: string[] }
  | { kind: 'corrupt'; reason: string };

/** Checks the text of a state file. One bad program does not cost the others. */
export function parseStateText(text: string): ParsedState {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { kind: 'corrupt', reason: `is not valid JSON (${(error as Error).message})` };
  }
  const version = (document as { version?: unknown } | null)?.version;
  if (version !== undefined && version !== STATE_VERSION) {
    return {
      kind: 'corrupt',
      reason: `has format version ${JSON.stringify(version)}, but this tend reads version ${STATE_VERSION} only`,
    };
  }
  const envelope = StateEnvelopeSchema.safeParse(document);
  if (!envelope.success) {
    return { kind: 'corrupt', reason: `is not a tend state (${describeIssues(envelope.error)})` };
  }

  const programs: PersistedProgram[] = [];
  const leftOut: string[] = [];
  const names = new Set<string>();
  for (const [position, candidate] of envelope.data.programs.entries()) {
    const label = describeProgram(position, candidate);
    const program = PersistedProgramSchema.safeParse(candidate);
    if (!program.success) {
      leftOut.push(`${label} is not valid (${describeIssues(program.error)})`);
      continue;
    }
    if (names.has(program.data.spec.name)) {
      leftOut.push(`${label} repeats a name already used by an earlier program`);
      continue;
    }
    names.add(program.data.spec.name);
    programs.push(program.data);
  }

  const state: PersistedState = {
    version: STATE_VERSION,
    savedAt: envelope.data.savedAt,
    bootId: envelope.data.bootId,
    nextEventSeq: envelope.data.nextEventSeq,
    programs,
  };
  return leftOut.length === 0 ? { kind: 'valid', state } : { kind: 'partial', state, leftOut };
}

function describeProgram(position: number, candidate: unknown): string {
  const name = (candidate as { spec?: { name?: unknown } } | null)?.spec?.name;
  return typeof name === 'string'
    ? `program #${position + 1} (${JSON.stringify(name)})`
    : `program #${position + 1}`;
}
