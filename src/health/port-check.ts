import type { ProgramSpec } from '../config/program-spec.js';
import { ConflictError } from '../errors.js';
import {
  describePortInUse,
  familiesHoldAny,
  findSocketHolder,
  listeningInodesByPort,
} from './listening-owner.js';

/** A program as the port check sees it: its definition and its live processes (a ManagedProgram). */
export interface PortClaimant {
  readonly spec: ProgramSpec;
  readonly pool: { snapshot(): { instances: ReadonlyArray<{ pid: number | null }> } };
  proxySnapshot(): { pid: number | null } | null;
}

/**
 * Which ports to check: every instance's (`size` of them, the program's size by default) and the
 * proxy's; or, with `from` above 0 (the new instances of a scale), only those from `from` on.
 */
export interface PortCheckRange {
  from?: number;
  size?: number;
}

/**
 * Refuses, with TEND_ERR_PORT_IN_USE, to start a program whose ports another process listens on:
 * each instance's port (base + i) and the proxy's. Sockets held by the program's own processes
 * (and their descendants) do not count, so that a restart or a start of a running program passes.
 * A check, not a reservation: a port taken after it is caught by the readiness check.
 */
export async function refuseTakenPorts(
  program: ProgramSpec | PortClaimant,
  range: PortCheckRange = {},
): Promise<void> {
  const spec = 'spec' in program ? program.spec : program;
  const own = 'spec' in program ? ownPids(program) : [];
  const needed = neededPorts(spec, range);
  if (needed.length === 0) return;
  const byPort = await listeningInodesByPort();
  for (const { port, user, option } of needed) {
    const listening = byPort.get(port) ?? new Set<number>();
    if (listening.size === 0 || (await familiesHoldAny(own, listening)) === true) continue;
    const holder = await findSocketHolder(listening);
    throw new ConflictError(
      'TEND_ERR_PORT_IN_USE',
      `${describePortInUse(port, holder)}; ${user} of \`${spec.name}\` needs it. Stop that process or choose another ${option}`,
    );
  }
}

/** The ports a program listens on, with whose port each is and the option that sets it. */
function neededPorts(
  spec: ProgramSpec,
  range: PortCheckRange,
): Array<{ port: number; user: string; option: string }> {
  const ports: Array<{ port: number; user: string; option: string }> = [];
  if (spec.port !== undefined) {
    for (let index = range.from ?? 0; index < (range.size ?? spec.instances); index++) {
      ports.push({ port: spec.port + index, user: `instance ${index}`, option: '--port' });
    }
  }
  if (spec.proxy && (range.from ?? 0) === 0)
    ports.push({ port: spec.proxy.port, user: 'the proxy', option: '--proxy-port' });
  return ports;
}

function ownPids(program: PortClaimant): number[] {
  const pids = program.pool.snapshot().instances.map((instance) => instance.pid);
  pids.push(program.proxySnapshot()?.pid ?? null);
  return pids.filter((pid): pid is number => pid !== null);
}
