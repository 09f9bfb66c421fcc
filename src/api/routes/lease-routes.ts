import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { AllocationRequestSchema, LeaseActionSchema } from '../../config/allocation-request.js';
import { parseInput } from '../parse-input.js';
import type { AllocationReply } from '../wire.js';
import { parseNameParam } from './program-target.js';

/** A lease as the state file keeps it: bound to the process it was granted on. */
export interface SavedLease {
  id: string;
  instance: number;
  pid: number;
  holder: string | null;
  grantedAt: number;
  expiresAt: number | null;
  ttlMs: number | null;
}

/** What the lease routes need: the daemon's leases (src/daemon/lease-service.ts). */
export interface LeaseService {
  allocate(
    name: string,
    request: z.output<typeof AllocationRequestSchema>,
  ): Promise<AllocationReply>;
  renew(
    name: string,
    leaseId: string,
    ttlMs: number | undefined,
    holder: string | null,
  ): AllocationReply;
  release(name: string, leaseId: string, holder: string | null): AllocationReply;
  list(name: string): AllocationReply[];
  /** Whether `instance` of `name` is leased now. */
  isLeased(name: string, instance: number): boolean;
  /** Ends the lease on `instance` of `name`, if any, as released (its process said it is free). */
  releaseInstance(name: string, instance: number): void;
  /** The leases to save in the state file, with each one's pid and time-to-live. */
  saved(name: string): SavedLease[];
  /** Takes back the leases a previous daemon saved, on instances that still run the same process. */
  restore(saved: ReadonlyMap<string, readonly SavedLease[]>): void;
  close(): void;
}

/** Routes of the dispatcher: allocate a free instance of a pool, list, renew and release leases. */
export function registerLeaseRoutes(app: FastifyInstance, leases: LeaseService): void {
  app.post('/v1/programs/:name/allocate', async (request) => {
    const name = parseNameParam(request.params);
    const body = parseInput(AllocationRequestSchema, request.body ?? {}, 'allocation request');
    return leases.allocate(name, body);
  });

  app.get('/v1/programs/:name/leases', async (request) =>
    leases.list(parseNameParam(request.params)),
  );

  app.post('/v1/programs/:name/leases/:lease/renew', async (request) => {
    const { name, lease } = leaseParams(request.params);
    const body = parseInput(LeaseActionSchema, request.body ?? {}, 'lease renewal');
    return leases.renew(name, lease, body.ttlMs, body.holder);
  });

  app.post('/v1/programs/:name/leases/:lease/release', async (request) => {
    const { name, lease } = leaseParams(request.params);
    const body = parseInput(LeaseActionSchema, request.body ?? {}, 'lease release');
    return leases.release(name, lease, body.holder);
  });
}

/** The `:name` and `:lease` of a lease route. */
function leaseParams(params: unknown): { name: string; lease: string } {
  const { name, lease } = params as { name?: unknown; lease?: unknown };
  return { name: parseNameParam({ name }), lease: String(lease ?? '') };
}
