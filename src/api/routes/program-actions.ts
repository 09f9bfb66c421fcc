import type { ProgramCore } from '../../core/program-core.js';
import { type LiveFiguresSource, viewProgram, viewPrograms } from '../views.js';
import type {
  ActionEffect,
  DeleteReply,
  InstanceState,
  ProgramActionResult,
  ProgramDetail,
} from '../wire.js';
import { checkTargetsExist, type ProgramTarget } from './program-target.js';

/** An action of the core on a target that replies with the programs after it. */
export type ProgramAction = 'start' | 'stop' | 'restart';

/** States in which a start leaves an instance alone: it has a process already. */
const RUNNING_STATES: ReadonlySet<InstanceState> = new Set(['starting', 'online']);

/**
 * Runs a start, stop or restart on a target and says, per program, which instances it changed.
 * "Already running" and "already stopped" are read from the state before and after the action, so
 * the core does not have to report them. Unknown names are refused before anything is done.
 */
export async function actOnTarget(
  { core, live }: { core: ProgramCore; live: LiveFiguresSource },
  target: ProgramTarget,
  action: ProgramAction,
): Promise<ProgramActionResult[]> {
  checkTargetsExist(target, (name) => core.has(name));
  // A start or restart also starts what the targets depend on, so every program's state before counts.
  const before = await (target === 'all' || action !== 'stop'
    ? viewPrograms(core.list(), live)
    : Promise.all(target.map((name) => viewProgram(core.get(name), live))));
  const acted = await core[action](target);
  const after = await viewPrograms(acted, live);
  const beforeByName = new Map(before.map((program) => [program.name, program]));
  // A dependency that a restart started (not one of its targets) was only started.
  const isTarget = (name: string) => target === 'all' || target.includes(name);
  return after.map((program) => ({
    ...program,
    effect: effectOf(
      isTarget(program.name) ? action : 'start',
      beforeByName.get(program.name),
      program,
    ),
  }));
}

/**
 * Deletes every program of a target, after checking that each one exists; a program that one
 * staying behind depends on is refused unless `force`.
 */
export async function deleteTarget(
  core: ProgramCore,
  target: ProgramTarget,
  options: { force: boolean },
): Promise<DeleteReply> {
  checkTargetsExist(target, (name) => core.has(name));
  return { deleted: await core.remove(target, options) };
}

function effectOf(
  action: ProgramAction,
  before: ProgramDetail | undefined,
  after: ProgramDetail,
): ActionEffect {
  const effect: ActionEffect = { changed: [], unchanged: [] };
  for (const instance of after.instances) {
    const was = before?.instances.find((candidate) => candidate.instance === instance.instance);
    const isAlready =
      was !== undefined &&
      ((action === 'start' && RUNNING_STATES.has(was.status) && was.pid !== null) ||
        (action === 'stop' && was.status === 'stopped'));
    (isAlready ? effect.unchanged : effect.changed).push(instance.instance);
  }
  return effect;
}
