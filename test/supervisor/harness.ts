import {
  type ProgramSpec,
  type ProgramSpecInput,
  ProgramSpecSchema,
} from '../../src/config/program-spec.js';
import { InstanceSupervisor } from '../../src/supervisor/instance-supervisor.js';
import type { InstanceSnapshot, InstanceStats } from '../../src/supervisor/types.js';
import { FakeRuntime } from './fake-runtime.js';

/** A fully defaulted spec for a program `web`, with some options overridden. */
export function makeSpec(overrides: Partial<ProgramSpecInput> = {}): ProgramSpec {
  return ProgramSpecSchema.parse({
    name: 'web',
    command: './server',
    cwd: '/srv/web',
    ...overrides,
  });
}

/** An instance supervisor on a fake runtime, with every snapshot it reported. */
export function makeInstance(
  overrides: Partial<ProgramSpecInput> = {},
  stats?: InstanceStats,
): { runtime: FakeRuntime; instance: InstanceSupervisor; changes: InstanceSnapshot[] } {
  const runtime = new FakeRuntime();
  const changes: InstanceSnapshot[] = [];
  const instance = new InstanceSupervisor({
    spec: makeSpec(overrides),
    index: 0,
    runtime,
    onChange: (snapshot) => changes.push(snapshot),
    ...(stats ? { stats } : {}),
  });
  return { runtime, instance, changes };
}

/** The pid of a running instance, failing the test when there is none. */
export function pidOf(instance: InstanceSupervisor): number {
  const pid = instance.pid;
  if (pid === null) throw new Error(`Expected a running process, state is ${instance.state}`);
  return pid;
}
