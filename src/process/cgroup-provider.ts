import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Containment, ContainmentProvider } from './containment.js';
import { InstanceCgroup } from './instance-cgroup.js';
import type { SpawnRequest } from './runtime.js';

/** The kinds of cgroup hierarchy tend can hold an instance in, in order of preference. */
export type CgroupKind = 'v2' | 'v1-freezer' | 'v1-pids';

/** One mounted hierarchy and where this process sits in it. */
export interface CgroupHierarchy {
  kind: CgroupKind;
  /** The directory of this process's own cgroup (the mount point joined with its path in the hierarchy). */
  ownDir: string;
}

const PREFERENCE: readonly CgroupKind[] = ['v2', 'v1-freezer', 'v1-pids'];

/** The cgroup hierarchies mounted here that tend could use, most preferred first. */
export function findCgroupHierarchies(): CgroupHierarchy[] {
  let mountinfo: string;
  let membership: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return [];
  }
  const ownPaths = new Map<string, string>();
  for (const line of membership.split('\n')) {
    const [id, controllers, path] = line.split(/:(.*?):/);
    if (id === undefined || path === undefined) continue;
    if (id === '0' && controllers === '') ownPaths.set('v2', path);
    for (const controller of (controllers ?? '').split(',')) {
      if (controller === 'freezer' || controller === 'pids') ownPaths.set(`v1-${controller}`, path);
    }
  }
  const found: CgroupHierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    // <id> <parent> <dev> <root> <mount point> <options> [optional…] - <type> <source> <super options>
    const [before, after] = line.split(' - ');
    const fields = before?.split(' ') ?? [];
    const [type, , superOptions] = after?.split(' ') ?? [];
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) continue;
    const kind = hierarchyKind(type, superOptions);
    const ownPath = kind && ownPaths.get(kind);
    if (!kind || ownPath === undefined || found.some((each) => each.kind === kind)) continue;
    // Inside a cgroup namespace or a bind mount, the mount shows the hierarchy from `root` down.
    const relative =
      root !== '/' && ownPath.startsWith(root) ? ownPath.slice(root.length) : ownPath;
    found.push({ kind, ownDir: join(mountPoint, relative) });
  }
  return found.sort((a, b) => PREFERENCE.indexOf(a.kind) - PREFERENCE.indexOf(b.kind));
}

function hierarchyKind(
  type: string | undefined,
  superOptions: string | undefined,
): CgroupKind | undefined {
  if (type === 'cgroup2') return 'v2';
  if (type !== 'cgroup') return undefined;
  const options = (superOptions ?? '').split(',');
  if (options.includes('freezer')) return 'v1-freezer';
  if (options.includes('pids')) return 'v1-pids';
  return undefined;
}

/** The directory under which one home's instances get their cgroups: the same home always gets the same one. */
export function homeCgroupName(home: string): string {
  return `tend-${createHash('sha256').update(resolve(home)).digest('hex').slice(0, 16)}`;
}

/**
 * Opens the first hierarchy in which this process may create cgroups and move processes, or says
 * why none can be used (not root, mounted read-only, no cgroup mounted).
 */
export function openCgroupProvider(
  home: string,
  hierarchies: readonly CgroupHierarchy[] = findCgroupHierarchies(),
): { provider: CgroupProvider } | { problem: string } {
  if (hierarchies.length === 0) return { problem: 'no usable cgroup hierarchy is mounted' };
  const problems: string[] = [];
  for (const hierarchy of hierarchies) {
    const rootDir = join(hierarchy.ownDir, homeCgroupName(home));
    try {
      // Moving a process needs write access to cgroup.procs; moving ourselves to where we are proves
      // it ('r+': a file that is not there already is no cgroup).
      writeFileSync(join(hierarchy.ownDir, 'cgroup.procs'), String(process.pid), { flag: 'r+' });
      mkdirSync(rootDir, { recursive: true });
      removeIfEmpty(rootDir);
      return { provider: new CgroupProvider(hierarchy, rootDir) };
    } catch (error) {
      problems.push(`${hierarchy.kind} at ${rootDir}: ${(error as Error).message}`);
    }
  }
  return { problem: `no cgroup could be used (${problems.join('; ')})` };
}

/** Holds each run of an instance in its own cgroup, `<own cgroup>/tend-<hash of home>/<program>.<index>`. */
export class CgroupProvider implements ContainmentProvider {
  readonly description: string;
  readonly #hierarchy: CgroupHierarchy;
  readonly #rootDir: string;

  constructor(hierarchy: CgroupHierarchy, rootDir: string) {
    this.#hierarchy = hierarchy;
    this.#rootDir = rootDir;
    this.description = `a cgroup (${hierarchy.kind}) for each instance under ${rootDir}`;
  }

  /** The directory under which this home's instance cgroups are made. */
  get rootDir(): string {
    return this.#rootDir;
  }

  create(request: SpawnRequest): Containment {
    return this.#open(request, false);
  }

  adopt(request: SpawnRequest): Containment {
    return this.#open(request, true);
  }

  #open(request: SpawnRequest, isAdopting: boolean): Containment {
    return new InstanceCgroup({
      dir: join(this.#rootDir, `${request.spec.name}.${request.instance}`),
      kind: this.#hierarchy.kind,
      daemonDir: this.#hierarchy.ownDir,
      onRemoved: () => this.#removeRootIfEmpty(),
      isAdopting,
    });
  }

  #removeRootIfEmpty(): void {
    removeIfEmpty(this.#rootDir);
  }
}

/** Removes a cgroup directory unless a process or a child cgroup is still in it. */
function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Another instance of this home still has its cgroup there, or it is already gone.
  }
}
