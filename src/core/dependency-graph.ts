/**
 * The order programs start and stop in, read from each program's `dependsOn`: pure functions of
 * names, so that the core, the checks at `tend start` and the tests share them.
 */

/** A program's dependencies by name, or undefined when no such program is managed. */
export type DependenciesOf = (name: string) => readonly string[] | undefined;

/** The first cycle reached from `start`, as a path that ends where it began (`db → api → db`), or null. */
export function findCycle(start: string, dependenciesOf: DependenciesOf): string[] | null {
  const path: string[] = [];
  const finished = new Set<string>();
  const visit = (name: string): string[] | null => {
    const onPath = path.indexOf(name);
    if (onPath !== -1) return [...path.slice(onPath), name];
    if (finished.has(name)) return null;
    path.push(name);
    for (const dependency of dependenciesOf(name) ?? []) {
      const cycle = visit(dependency);
      if (cycle) return cycle;
    }
    path.pop();
    finished.add(name);
    return null;
  };
  return visit(start);
}

/** `names` and every program they depend on, directly or not, that is managed. */
export function withDependencies(
  names: readonly string[],
  dependenciesOf: DependenciesOf,
): string[] {
  const found = new Set<string>();
  const visit = (name: string): void => {
    if (found.has(name)) return;
    const dependencies = dependenciesOf(name);
    if (dependencies === undefined) return;
    found.add(name);
    for (const dependency of dependencies) visit(dependency);
  };
  for (const name of names) visit(name);
  return [...found];
}

/**
 * `names` in waves: the first wave depends on nothing in `names`, each later one only on earlier
 * waves. Start wave by wave; stop in the reverse order (dependents first). A wave keeps the order
 * of `names`. A cycle (only a hand-edited state file can hold one) is cut where it is met.
 */
export function dependencyWaves(
  names: readonly string[],
  dependenciesOf: DependenciesOf,
): string[][] {
  const members = new Set(names);
  const levels = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (name: string): number => {
    const known = levels.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    let level = 0;
    for (const dependency of dependenciesOf(name) ?? []) {
      if (members.has(dependency)) level = Math.max(level, levelOf(dependency) + 1);
    }
    visiting.delete(name);
    levels.set(name, level);
    return level;
  };
  const waves: string[][] = [];
  for (const name of names) {
    const level = levelOf(name);
    while (waves.length <= level) waves.push([]);
    waves[level]?.push(name);
  }
  return waves.filter((wave) => wave.length > 0);
}
