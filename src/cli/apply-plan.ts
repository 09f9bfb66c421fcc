import { isDeepStrictEqual } from 'node:util';
import type { DesiredState, ProgramSpec } from '../api/wire.js';
import { declaredOver } from '../config/program-spec.js';
import { changedSpecFields, fieldsNeedingRespawn } from '../config/spec-changes.js';

/** A managed program as the plan sees it. */
export interface CurrentProgram {
  spec: ProgramSpec;
  desired: DesiredState;
}

/** One program whose definition changes. */
export interface ProgramChange {
  name: string;
  before: ProgramSpec;
  after: ProgramSpec;
  /** The changed top-level fields. */
  fields: string[];
  /** Of those, the ones that reach the processes only through new ones: the program is restarted when it runs. */
  needsRespawn: string[];
  /** Whether it runs now (a stopped program takes the new definition at its next start). */
  isRunning: boolean;
  /** The proxy is added or removed, or the program becomes or stops being a task program: it is deleted and added again. */
  isReplaced: boolean;
}

/** What `tend apply` will do to make the daemon match a file. */
export interface ApplyPlan {
  /** New programs, each after those of them it depends on. */
  add: ProgramSpec[];
  change: ProgramChange[];
  /** Managed programs not in the file, deleted (only with --prune). */
  remove: string[];
  unchanged: string[];
  /**
   * Of the unchanged, the definitions of those whose file sets, to the value it had, a variable
   * that came from `tend start`'s shell: stored so that it becomes the file's, no process touched.
   */
  takenOver: ProgramSpec[];
  /** Managed programs not in the file and left alone (without --prune). */
  kept: string[];
}

/** Compares the daemon's programs with the file's; pure, so it is tested without a daemon. */
export function planApply(
  current: readonly CurrentProgram[],
  desired: readonly ProgramSpec[],
  options: { isPruning: boolean },
): ApplyPlan {
  const byName = new Map(current.map((program) => [program.spec.name, program]));
  const wanted = new Set(desired.map((spec) => spec.name));
  const plan: ApplyPlan = {
    add: [],
    change: [],
    remove: [],
    unchanged: [],
    takenOver: [],
    kept: [],
  };
  for (const declared of desired) {
    const existing = byName.get(declared.name);
    if (!existing) {
      plan.add.push(declared);
      continue;
    }
    // The variables `tend start` copied from its shell stay unless the file sets them.
    const after = declaredOver(existing.spec, declared);
    const fields = changedSpecFields(existing.spec, after);
    if (fields.length === 0) {
      plan.unchanged.push(after.name);
      if (!isDeepStrictEqual(existing.spec.shellEnvNames, after.shellEnvNames))
        plan.takenOver.push(after);
      continue;
    }
    plan.change.push({
      name: after.name,
      before: existing.spec,
      after,
      fields,
      needsRespawn: fieldsNeedingRespawn(fields),
      isRunning: existing.desired === 'running',
      isReplaced:
        (existing.spec.proxy === undefined) !== (after.proxy === undefined) ||
        (existing.spec.tasks === undefined) !== (after.tasks === undefined),
    });
  }
  for (const program of current) {
    if (wanted.has(program.spec.name)) continue;
    (options.isPruning ? plan.remove : plan.kept).push(program.spec.name);
  }
  plan.add = inDependencyOrder(plan.add);
  return plan;
}

/** Programs in file order, except that each comes after those of them it depends on. */
function inDependencyOrder(specs: readonly ProgramSpec[]): ProgramSpec[] {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const ordered: ProgramSpec[] = [];
  const seen = new Set<string>();
  const visit = (spec: ProgramSpec) => {
    if (seen.has(spec.name)) return;
    seen.add(spec.name);
    for (const name of dependenciesOf(spec)) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency);
    }
    ordered.push(spec);
  };
  for (const spec of specs) visit(spec);
  return ordered;
}

/** What a program must start after (`dependsOn`, issue 8's start order), where the definition has it. */
function dependenciesOf(spec: ProgramSpec): string[] {
  const value = (spec as { dependsOn?: unknown }).dependsOn;
  return Array.isArray(value)
    ? value.filter((name): name is string => typeof name === 'string')
    : [];
}

/** Whether applying the plan changes nothing. */
export function isEmptyPlan(plan: ApplyPlan): boolean {
  return plan.add.length === 0 && plan.change.length === 0 && plan.remove.length === 0;
}

/**
 * One line per changed setting, `web.instances: 2 → 3`, descending into maps (`web.proxy.balance`).
 * Environment values are never printed, only that a variable was added, changed or removed: an
 * env holds secrets, and the plan ends up in terminals, CI logs and pull requests.
 */
export function describeSpecChanges(before: ProgramSpec, after: ProgramSpec): string[] {
  const lines: string[] = [];
  for (const field of changedSpecFields(before, after)) {
    const from = (before as Record<string, unknown>)[field];
    const to = (after as Record<string, unknown>)[field];
    if (field === 'env') describeEnv(`${after.name}.env`, from, to, lines);
    else describeValue(`${after.name}.${field}`, from, to, lines);
  }
  return lines;
}

function describeEnv(path: string, from: unknown, to: unknown, lines: string[]): void {
  const before = (from ?? {}) as Record<string, string>;
  const after = (to ?? {}) as Record<string, string>;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const key of keys) {
    if (!(key in before)) lines.push(`${path}.${key}: added`);
    else if (!(key in after)) lines.push(`${path}.${key}: removed`);
    else if (before[key] !== after[key]) lines.push(`${path}.${key}: changed`);
  }
}

function describeValue(path: string, from: unknown, to: unknown, lines: string[]): void {
  if (isMap(from) && isMap(to)) {
    for (const key of new Set([...Object.keys(from), ...Object.keys(to)])) {
      if (!isDeepStrictEqual(from[key], to[key]))
        describeValue(`${path}.${key}`, from[key], to[key], lines);
    }
    return;
  }
  lines.push(`${path}: ${showValue(from)} → ${showValue(to)}`);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function showValue(value: unknown): string {
  if (value === undefined) return 'none';
  if (typeof value === 'string')
    return value === '' || /[\s,]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** The plan as `tend apply` prints it before doing it. */
export function formatPlan(plan: ApplyPlan, file: string): string {
  if (isEmptyPlan(plan)) {
    const count = plan.unchanged.length;
    let text = `Nothing to change: the daemon's programs match ${file} (${count} program${count === 1 ? '' : 's'})\n`;
    if (plan.kept.length > 0) text += keptLine(plan, file);
    return text;
  }
  const counts = [
    `${plan.add.length} to add`,
    `${plan.change.length} to change`,
    `${plan.remove.length} to remove`,
    `${plan.unchanged.length} unchanged`,
  ];
  let text = `Plan for ${file}: ${counts.join(', ')}\n`;
  for (const spec of plan.add) text += `  + ${spec.name} (${describeSize(spec)})\n`;
  for (const change of plan.change) {
    text += `  ~ ${change.name} (${consequence(change)})\n`;
    for (const line of describeSpecChanges(change.before, change.after)) text += `      ${line}\n`;
  }
  for (const name of plan.remove) text += `  - ${name}\n`;
  if (plan.kept.length > 0) text += keptLine(plan, file);
  return text;
}

/** What applying a change does to the program's processes, in words. */
export function consequence(change: ProgramChange): string {
  if (change.isReplaced) {
    if ((change.before.tasks === undefined) !== (change.after.tasks === undefined)) {
      return `${change.after.tasks ? 'becomes' : 'stops being'} a task program: delete and add again`;
    }
    return `the proxy is ${change.after.proxy ? 'added' : 'removed'}: delete and add again`;
  }
  if (change.needsRespawn.length === 0) {
    return change.fields.some((field) => field === 'instances')
      ? `scale ${change.before.instances} → ${change.after.instances}, no restart`
      : 'in place, no restart';
  }
  return change.isRunning
    ? `reload: ${change.needsRespawn.join(', ')} changed`
    : `stopped, no restart: ${change.needsRespawn.join(', ')} used at its next start`;
}

function describeSize(spec: ProgramSpec): string {
  const size = `${spec.instances} instance${spec.instances === 1 ? '' : 's'}`;
  const port = spec.port === undefined ? '' : `, port ${spec.port}`;
  const proxy = spec.proxy === undefined ? '' : `, proxy on ${spec.proxy.port}`;
  return `${size}${port}${proxy}`;
}

function keptLine(plan: ApplyPlan, file: string): string {
  return `Not in ${file}, left alone (--prune deletes them): ${plan.kept.join(', ')}\n`;
}
