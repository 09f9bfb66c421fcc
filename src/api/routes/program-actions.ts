import type { ProgramRegistry } from '../../daemon/program-registry.js';
import type {
  ActionEffect,
  DeleteReply,
  InstanceState,
  ProgramActionResult,
  ProgramDetail,
} from '../wire.js';
import { checkTargetsExist, type ProgramTarget } from './program-target.js';

/** An action of the registry on a target that replies with the programs after it. */
export type ProgramAction = 'start' | 'stop' | 'restart';

/** States in which a start leaves an instance alone: it has a process already. */
const RUNNING_STATES: ReadonlySet<InstanceState> = new Set(['starting', 'online']);

/**
 * Runs a start, stop or restart on a target and says, per program, which instances it changed.
 * "Already running" and "already stopped" are read from the state before and after the action, so
 * the registry does not have to report them. Unknown names are refused before anything is done.
 */
export async function actOnTarget(
  registry: ProgramRegistry,
  target: ProgramTarget,
  action: ProgramAction,
): Promise<ProgramActionResult[]> {
  checkTargetsExist(target, (name) => registry.has(name));
  const before = await (target === 'all'
    ? registry.list()
    : Promise.all(target.map((name) => registry.detail(name))));
  const after =
    target === 'all'
      ? await registry[action]('all')
      : (await settleAll(target.map((name) => registry[action](name)))).flat();
  const beforeByName = new Map(before.map((program) => [program.name, program]));
  return after.map((program) => ({
    ...program,
    effect: effectOf(action, beforeByName.get(program.name), program),
  }));
}

/** Deletes every program of a target, after checking that each one exists. */
export async function deleteTarget(
  registry: ProgramRegistry,
  target: ProgramTarget,
): Promise<DeleteReply> {
  checkTargetsExist(target, (name) => registry.has(name));
  if (target === 'all') return registry.remove('all');
  const replies = await settleAll(target.map((name) => registry.remove(name)));
  return { deleted: replies.flatMap((reply) => reply.deleted) };
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

/** Awaits every promise (so no action is left half-way), then throws the first failure if any. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}
