import { isInstanceReady } from '../supervisor/readiness.js';
import type { DependencyWait } from './events.js';
import type { ManagedProgram } from './managed-program.js';

/**
 * Whether a program counts as ready for the programs that depend on it: it does not wait itself,
 * and every current instance of its pool is ready (isInstanceReady: online, and its readiness
 * probe, if any, does not currently fail).
 */
export function isProgramReady(program: ManagedProgram): boolean {
  const instances = program.pool.snapshot().instances;
  return program.waiting === null && instances.length > 0 && instances.every(isInstanceReady);
}

/** What a program's dependencies lack, or null when every one is ready; `find` looks a program up by name. */
export function dependencyWaitOf(
  program: ManagedProgram,
  find: (name: string) => ManagedProgram | undefined,
): DependencyWait | null {
  const parts: string[] = [];
  const dependencies: string[] = [];
  let isStuck = false;
  for (const name of program.spec.dependsOn) {
    const dependency = find(name);
    if (dependency !== undefined && isProgramReady(dependency)) continue;
    const lack = describeLack(name, dependency);
    dependencies.push(name);
    parts.push(lack.words);
    isStuck ||= lack.isStuck;
  }
  if (dependencies.length === 0) return null;
  return { dependencies, reason: `waiting for ${parts.join('; ')}`, isStuck };
}

/** Why one dependency is not ready, in words, and whether it can get there without someone acting. */
function describeLack(
  name: string,
  dependency: ManagedProgram | undefined,
): { words: string; isStuck: boolean } {
  if (dependency === undefined) return { words: `${name} (not managed)`, isStuck: true };
  const { waiting } = dependency;
  if (waiting !== null) {
    return {
      words: `${name} (waiting for ${waiting.dependencies.join(', ')})`,
      isStuck: waiting.isStuck,
    };
  }
  if (dependency.desired === 'stopped') return { words: `${name} (stopped)`, isStuck: true };
  const snapshots = dependency.pool.snapshot().instances;
  const errored = snapshots.find((instance) => instance.state === 'errored');
  if (errored !== undefined) {
    const why = errored.reason === null ? '' : ` (${errored.reason})`;
    return { words: `${name}: ${name} is errored${why}`, isStuck: true };
  }
  const online = snapshots.filter((instance) => instance.state === 'online').length;
  const state = snapshots.find((instance) => instance.state !== 'online')?.state ?? 'stopped';
  const count = snapshots.length > 1 ? `, ${online} of ${snapshots.length} online` : '';
  // Meant to run with an instance stopped: being added, or a one-shot that ended (a dependency
  // should be a long-running program); not counted as stuck, since the first is about to start.
  return { words: `${name} (${state}${count})`, isStuck: false };
}
