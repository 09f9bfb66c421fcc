import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NewProgramSpecSchema } from '../../config/program-spec.js';
import type { ProgramRegistry } from '../../daemon/program-registry.js';
import { UsageError } from '../../errors.js';
import { parseInput } from '../parse-input.js';
import { actOnTarget, deleteTarget } from './program-actions.js';
import { parseNameParam, parseTargetParam } from './program-target.js';

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
    // Checked here for what only a new program must obey; the registry parses the definition itself.
    parseInput(NewProgramSpecSchema, request.body ?? {}, 'program definition');
    const detail = await registry.add(request.body ?? {});
    return reply.status(201).send(detail);
  });

  app.get('/v1/programs/:name', async (request) => registry.detail(parseNameParam(request.params)));

  app.post('/v1/programs/:target/start', async (request) =>
    actOnTarget(registry, parseTargetParam(request.params), 'start'),
  );

  app.post('/v1/programs/:target/stop', async (request) =>
    actOnTarget(registry, parseTargetParam(request.params), 'stop'),
  );

  app.post('/v1/programs/:target/restart', async (request) =>
    actOnTarget(registry, parseTargetParam(request.params), 'restart'),
  );

  app.delete('/v1/programs/:target', async (request) =>
    deleteTarget(registry, parseTargetParam(request.params)),
  );

  app.post('/v1/programs/:name/scale', async (request) => {
    const name = parseNameParam(request.params);
    const body = parseInput(
      ScaleBody,
      request.body ?? {},
      'scale request (`{"to": N}` or `{"by": ±N}`)',
    );
    return registry.scale(name, body);
  });

  app.post('/v1/programs/:target/signal', async (request) => {
    const target = parseTargetParam(request.params);
    const body = parseInput(SignalBody, request.body ?? {}, 'signal request');
    if (target !== 'all' && target.length > 1) {
      throw new UsageError(
        'TEND_ERR_PROGRAM_INVALID_NAME',
        'Expected one program name or `all` for a signal, got several',
      );
    }
    return registry.signal(target === 'all' ? 'all' : (target[0] as string), body);
  });
}
