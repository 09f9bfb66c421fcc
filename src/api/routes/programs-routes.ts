import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ProgramRegistry } from '../../daemon/program-registry.js';
import { parseInput } from '../parse-input.js';

const NameParams = z.strictObject({ name: z.string().min(1).max(256) });
const TargetParams = z.strictObject({ target: z.string().min(1).max(256) });
const ScaleBody = z.union([
  z.strictObject({ to: z.number().int().min(0).max(100_000) }),
  z.strictObject({ by: z.number().int().min(-100_000).max(100_000) }),
]);
const SignalBody = z.strictObject({
  signal: z.union([z.string().min(1).max(32), z.number().int().min(1).max(64)]),
  instance: z.number().int().min(0).optional(),
  group: z.boolean().optional(),
});

/** Routes that create, inspect, start, stop, restart, signal and delete programs. */
export function registerProgramRoutes(app: FastifyInstance, registry: ProgramRegistry): void {
  app.get('/v1/programs', async () => registry.list());

  app.post('/v1/programs', async (request, reply) => {
    const detail = await registry.add(request.body ?? {});
    return reply.status(201).send(detail);
  });

  app.get('/v1/programs/:name', async (request) => {
    const { name } = parseInput(NameParams, request.params, 'path');
    return registry.detail(name);
  });

  app.post('/v1/programs/:target/start', async (request) => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    return registry.start(target);
  });

  app.post('/v1/programs/:target/stop', async (request) => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    return registry.stop(target);
  });

  app.post('/v1/programs/:target/restart', async (request) => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    return registry.restart(target);
  });

  app.delete('/v1/programs/:target', async (request) => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    return registry.remove(target);
  });

  app.post('/v1/programs/:name/scale', async (request) => {
    const { name } = parseInput(NameParams, request.params, 'path');
    const body = parseInput(
      ScaleBody,
      request.body ?? {},
      'scale request (`{"to": N}` or `{"by": ±N}`)',
    );
    return registry.scale(name, body);
  });

  app.post('/v1/programs/:target/signal', async (request) => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    const body = parseInput(SignalBody, request.body ?? {}, 'signal request');
    return registry.signal(target, body);
  });
}
