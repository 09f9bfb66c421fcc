import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ProgramSpecSchema } from '../../config/program-spec.js';
import type { ProgramCore } from '../../core/program-core.js';
import { UsageError } from '../../errors.js';
import { parseSignal } from '../../process/signals.js';
import { parseInput } from '../parse-input.js';
import { type LiveFiguresSource, viewProgram, viewPrograms } from '../views.js';
import type { DeleteReply, SignalReply } from '../wire.js';

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

/** Routes that create, inspect, start, stop, restart, signal and delete programs: they check the input, call the core, and answer with wire views. */
export function registerProgramRoutes(
  app: FastifyInstance,
  options: { core: ProgramCore; live: LiveFiguresSource },
): void {
  const { core, live } = options;

  app.get('/v1/programs', async () => viewPrograms(core.list(), live));

  app.post('/v1/programs', async (request, reply) => {
    const spec = parseInput(ProgramSpecSchema, request.body ?? {}, 'program definition');
    const detail = await viewProgram(await core.add(spec), live);
    return reply.status(201).send(detail);
  });

  app.get('/v1/programs/:name', async (request) => {
    const { name } = parseInput(NameParams, request.params, 'path');
    return viewProgram(core.get(name), live);
  });

  app.post('/v1/programs/:target/start', async (request) => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    return viewPrograms(await core.start(target), live);
  });

  app.post('/v1/programs/:target/stop', async (request) => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    return viewPrograms(await core.stop(target), live);
  });

  app.post('/v1/programs/:target/restart', async (request) => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    return viewPrograms(await core.restart(target), live);
  });

  app.delete('/v1/programs/:target', async (request): Promise<DeleteReply> => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    return { deleted: await core.remove(target) };
  });

  app.post('/v1/programs/:name/scale', async (request) => {
    const { name } = parseInput(NameParams, request.params, 'path');
    const body = parseInput(
      ScaleBody,
      request.body ?? {},
      'scale request (`{"to": N}` or `{"by": ±N}`)',
    );
    return viewProgram(await core.scale(name, body), live);
  });

  app.post('/v1/programs/:target/signal', async (request): Promise<SignalReply> => {
    const { target } = parseInput(TargetParams, request.params, 'path');
    const body = parseInput(SignalBody, request.body ?? {}, 'signal request');
    const signal = parseSignal(body.signal);
    if (!signal) {
      throw new UsageError(
        'TEND_ERR_SIGNAL_UNKNOWN',
        `Expected a signal name such as SIGHUP or a number such as 1, got ${JSON.stringify(body.signal)}`,
      );
    }
    return { delivered: core.signal(target, { ...body, signal }) };
  });
}
