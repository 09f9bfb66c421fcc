import type { ProgramSpec } from '../config/program-spec.js';
import { ConflictError, UsageError } from '../errors.js';
import { type DependenciesOf, findCycle } from './dependency-graph.js';

/** The programs a removal is checked against: a name and what it depends on. */
interface Named {
  name: string;
  spec: { dependsOn: readonly string[] };
}

/**
 * Refuses a new program whose dependencies make a cycle (naming it: `db → api → db`) or name a
 * program that is not managed; `dependenciesOf` reads the managed programs.
 */
export function refuseBadDependencies(spec: ProgramSpec, dependenciesOf: DependenciesOf): void {
  const cycle = findCycle(spec.name, (name) =>
    name === spec.name ? spec.dependsOn : dependenciesOf(name),
  );
  if (cycle) {
    throw new UsageError(
      'TEND_ERR_DEPENDENCY_CYCLE',
      `${quoted(spec.name)} cannot start after ${spec.dependsOn.map(quoted).join(', ')}: that makes a cycle, ${cycle.join(' → ')}`,
    );
  }
  const unknown = spec.dependsOn.filter((name) => dependenciesOf(name) === undefined);
  if (unknown.length > 0) {
    const [is, it] = unknown.length === 1 ? ['is', 'it'] : ['are', 'them'];
    throw new UsageError(
      'TEND_ERR_DEPENDENCY_UNKNOWN',
      `${quoted(spec.name)} depends on ${unknown.map(quoted).join(', ')}, which ${is} not managed; start ${it} first (\`tend ls\` lists the managed programs)`,
    );
  }
}

/** Refuses to remove a program that a program staying behind depends on, naming both. */
export function refuseNeededRemoval(removed: readonly Named[], managed: readonly Named[]): void {
  const names = new Set(removed.map((program) => program.name));
  for (const { name } of removed) {
    const dependents = managed
      .filter((other) => !names.has(other.name) && other.spec.dependsOn.includes(name))
      .map((other) => other.name)
      .sort();
    if (dependents.length === 0) continue;
    const them = dependents.length === 1 ? 'it' : 'them';
    throw new ConflictError(
      'TEND_ERR_DEPENDENCY_NEEDED',
      `${quoted(name)} is needed by ${dependents.map(quoted).join(', ')} (--after ${name}); delete ${them} too (\`tend delete ${[...dependents, name].join(' ')}\`), or use --force to leave ${them} waiting for a new ${quoted(name)}`,
    );
  }
}

function quoted(name: string): string {
  return `\`${name}\``;
}
