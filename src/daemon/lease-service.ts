import type { LeaseService } from '../api/routes/lease-routes.js';
import type { AllocationReply } from '../api/wire.js';
import { instancePort } from '../config/instance-port.js';
import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';
import { UsageError } from '../errors.js';
import { type Allocation, Allocator } from '../tasks/allocator.js';
import { type Lease, LeaseBook, type LeaseClock } from '../tasks/lease-book.js';
import { taskIdProblem } from '../tasks/task-id.js';

/** Where an allocated instance listens: tend's instances listen on 127.0.0.1. */
const INSTANCE_HOST = '127.0.0.1';

interface ProgramLeases {
  book: LeaseBook;
  allocator: Allocator;
  /** Time-to-live of each lease, for renewals that do not name one. */
  ttls: Map<string, number | null>;
  /** Instances asked for (scale +1) that the pool does not show yet. */
  pendingGrowth: number;
  /** The process each lease was granted on, for the state file. */
  pids: Map<string, number>;
}

/**
 * Wires leases to the core and the bus: one LeaseBook and Allocator per program, created at its
 * first allocation; an instance's exit or removal ends its lease; any change of a pool member
 * serves the waiting requests; growing the pool is a scale by one.
 */
export function createLeaseService(
  bus: EventBus,
  core: ProgramCore,
  clock: LeaseClock,
  onProblem: (message: string, detail?: unknown) => void,
  /** Instances reserved otherwise (a task program's tasks): not handed out as leases. */
  isReserved: (name: string, instance: number) => boolean = () => false,
): LeaseService {
  const programs = new Map<string, ProgramLeases>();

  const leasesOf = (name: string): ProgramLeases => {
    const existing = programs.get(name);
    if (existing) return existing;
    core.get(name); // a NotFound for an unknown program, before anything is created
    const book = new LeaseBook(
      clock,
      (lease, end) => {
        entry.ttls.delete(lease.id);
        entry.pids.delete(lease.id);
        bus.emit({
          kind: 'lease.ended',
          program: name,
          instance: lease.instance,
          lease: lease.id,
          end,
        });
      },
      name,
    );
    const pool = {
      name,
      get max() {
        return core.get(name).spec.max;
      },
      members: () => {
        const program = core.get(name);
        const members = program.pool.snapshot().instances.map((instance) => ({
          instance: instance.instance,
          port: instancePort(program.spec, instance.instance),
          isReady: instance.state === 'online' && !isReserved(name, instance.instance),
        }));
        for (let i = 0; i < entry.pendingGrowth; i++) {
          members.push({ instance: members.length, port: null, isReady: false });
        }
        return members;
      },
      grow: () => {
        entry.pendingGrowth += 1;
        core
          .scale(name, { by: 1 })
          .catch((error: unknown) => onProblem(`could not grow ${name} for an allocation`, error))
          .finally(() => {
            entry.pendingGrowth -= 1;
            entry.allocator.poolChanged();
          });
      },
    };
    const entry: ProgramLeases = {
      book,
      allocator: new Allocator(pool, book, clock),
      ttls: new Map(),
      pendingGrowth: 0,
      pids: new Map(),
    };
    programs.set(name, entry);
    return entry;
  };

  const reply = (name: string, lease: Lease, port: number | null): AllocationReply => ({
    program: name,
    instance: lease.instance,
    host: INSTANCE_HOST,
    port,
    lease: {
      id: lease.id,
      holder: lease.holder,
      grantedAt: new Date(lease.grantedAt).toISOString(),
      expiresAt: lease.expiresAt === null ? null : new Date(lease.expiresAt).toISOString(),
    },
  });
  const portOf = (name: string, instance: number) => instancePort(core.get(name).spec, instance);

  const unsubscribe = bus.subscribe((event) => {
    if (event.kind === 'program.removed') {
      const entry = programs.get(event.program);
      programs.delete(event.program);
      entry?.allocator.cancelAll(`\`${event.program}\` was deleted while the request waited`);
      for (const lease of entry?.book.list() ?? [])
        entry?.book.endForInstance(lease.instance, 'removed');
      return;
    }
    if (event.kind === 'task.ended') {
      programs.get(event.program)?.allocator.poolChanged();
      return;
    }
    if (!('role' in event) || event.role !== 'instance' || !event.kind.startsWith('instance.'))
      return;
    const entry = programs.get(event.program);
    if (!entry) return;
    if (event.kind === 'instance.exited') entry.book.endForInstance(event.instance, 'exited');
    entry.allocator.poolChanged();
  });

  return {
    async allocate(name, request) {
      const entry = leasesOf(name);
      const allocation: Allocation = await entry.allocator.allocate(request);
      entry.ttls.set(allocation.lease.id, request.ttlMs);
      const pid = core.find(name)?.pool.instance(allocation.lease.instance)?.pid;
      if (pid != null) entry.pids.set(allocation.lease.id, pid);
      bus.emit({
        kind: 'lease.granted',
        program: name,
        instance: allocation.lease.instance,
        lease: allocation.lease.id,
        holder: allocation.lease.holder,
      });
      return reply(name, allocation.lease, allocation.port);
    },
    renew(name, leaseId, ttlMs, holder) {
      checkLeaseId(leaseId);
      const entry = leasesOf(name);
      const ttl = ttlMs ?? entry.ttls.get(leaseId) ?? null;
      if (ttl === null) {
        throw new UsageError(
          'TEND_ERR_API_INVALID_BODY',
          `Lease \`${leaseId}\` has no time-to-live to renew; give one as \`ttlMs\``,
        );
      }
      const lease = entry.book.renew(leaseId, ttl, holder);
      entry.ttls.set(leaseId, ttl);
      return reply(name, lease, portOf(name, lease.instance));
    },
    release(name, leaseId, holder) {
      checkLeaseId(leaseId);
      const entry = leasesOf(name);
      const lease = entry.book.release(leaseId, holder);
      entry.allocator.poolChanged();
      return reply(name, lease, portOf(name, lease.instance));
    },
    list(name) {
      const entry = leasesOf(name);
      return entry.book.list().map((lease) => reply(name, lease, portOf(name, lease.instance)));
    },
    saved(name) {
      const entry = programs.get(name);
      if (!entry) return [];
      return entry.book.list().flatMap((lease) => {
        const pid = entry.pids.get(lease.id);
        return pid === undefined
          ? []
          : [{ ...lease, pid, ttlMs: entry.ttls.get(lease.id) ?? null }];
      });
    },
    restore(saved) {
      for (const [name, leases] of saved) {
        if (leases.length === 0 || !core.has(name)) continue;
        const entry = leasesOf(name);
        for (const { pid, ttlMs, ...lease } of leases) {
          const current = core.get(name).pool.instance(lease.instance)?.pid;
          if (current !== pid) {
            onProblem(
              `${name}: lease ${lease.id} ended while no daemon ran (its process ${pid} is gone)`,
            );
            continue;
          }
          if (!entry.book.restore(lease)) continue;
          entry.ttls.set(lease.id, ttlMs);
          entry.pids.set(lease.id, pid);
        }
      }
    },
    isLeased(name, instance) {
      return programs.get(name)?.book.isLeased(instance) ?? false;
    },
    releaseInstance(name, instance) {
      const entry = programs.get(name);
      if (entry?.book.endForInstance(instance, 'released')) entry.allocator.poolChanged();
    },
    close() {
      unsubscribe();
      for (const entry of programs.values()) entry.allocator.cancelAll('the daemon is stopping');
    },
  };
}

function checkLeaseId(id: string): void {
  const problem = taskIdProblem(id, 'lease id');
  if (problem) throw new UsageError('TEND_ERR_TASK_ID_INVALID', problem);
}
