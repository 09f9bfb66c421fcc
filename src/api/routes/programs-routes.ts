import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NewProgramSpecSchema } from '../../config/program-spec.js';
import { fieldsNeedingRespawn } from '../../config/spec-changes.js';
import type { ProgramCore } from '../../core/program-core.js';
import { UsageError } from '../../errors.js';
import { checkProbeCommands } from '../../health/probe-command.js';
import { parseSignal } from '../../process/signals.js';
import { parseInput } from '../parse-input.js';
import { type LiveFiguresSource, viewProgram, viewPrograms } from '../views.js';
import type { ProxyRestartReply, SignalReply, UpdateReply } from '../wire.js';
import { actOnTarget, deleteTarget } from './program-actions.js';
import { checkTargetsExist, parseNameParam, parseTargetParam } from './program-target.js';

const ScaleBody = z.union([
  z.strictObject({ to: z.number().int().min(0).max(100_000) }),
  z.strictObject({ by: z.number().int().min(-100_000).max(100_000) }),
]);
const DeleteQuery = z.strictObject({ force: z.enum(['true', 'false']).optional() });
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
    const spec = parseInput(NewProgramSpecSchema, request.body ?? {}, 'program definition');
    // A file-system check, so not in the schema: an exec probe must be runnable when added.
    checkProbeCommands(spec);
    const detail = await viewProgram(await core.add(spec), live);
    return reply.status(201).send(detail);
  });

  app.put('/v1/programs/:name', async (request): Promise<UpdateReply> => {
    const name = parseNameParam(request.params);
    const spec = parseInput(NewProgramSpecSchema, request.body ?? {}, 'program definition');
    if (spec.name !== name) {
      throw new UsageError(
        'TEND_ERR_API_INVALID_BODY',
        `Expected the definition's \`name\` to be ${JSON.stringify(name)} as in the path, got ${JSON.stringify(spec.name)}; a program is renamed by deleting it and adding it again`,
      );
    }
    const changed = await core.update(spec);
    return {
      program: await viewProgram(core.get(name), live),
      changed,
      needsRespawn: fieldsNeedingRespawn(changed),
    };
  });

  app.get('/v1/programs/:name', async (request) =>
    viewProgram(core.get(parseNameParam(request.params)), live),
  );

  app.post('/v1/programs/:target/start', async (request) =>
    actOnTarget(options, parseTargetParam(request.params), 'start'),
  );

  app.post('/v1/programs/:target/stop', async (request) =>
    actOnTarget(options, parseTargetParam(request.params), 'stop'),
  );

  app.post('/v1/programs/:target/restart', async (request) =>
    actOnTarget(options, parseTargetParam(request.params), 'restart'),
  );

  app.post('/v1/programs/:target/proxy/restart', async (request): Promise<ProxyRestartReply[]> => {
    const target = parseTargetParam(request.params);
    checkTargetsExist(target, (name) => core.has(name));
    return core.restartProxies(target);
  });

  app.delete('/v1/programs/:target', async (request) => {
    const target = parseTargetParam(request.params);
    const { force } = parseInput(DeleteQuery, request.query ?? {}, 'query');
    return deleteTarget(core, target, { force: force === 'true' });
  });

  app.post('/v1/programs/:name/scale', async (request) => {
    const name = parseNameParam(request.params);
    const body = parseInput(
      ScaleBody,
      request.body ?? {},
      'scale request (`{"to": N}` or `{"by": ±N}`)',
    );
    return viewProgram(await core.scale(name, body), live);
  });

  app.post('/v1/programs/:target/signal', async (request): Promise<SignalReply> => {
    const target = parseTargetParam(request.params);
    const body = parseInput(SignalBody, request.body ?? {}, 'signal request');
    if (target !== 'all' && target.length > 1) {
      throw new UsageError(
        'TEND_ERR_PROGRAM_INVALID_NAME',
        'Expected one program name or `all` for a signal, got several',
      );
    }
    const signal = parseSignal(body.signal);
    if (!signal) {
      throw new UsageError(
        'TEND_ERR_SIGNAL_UNKNOWN',
        `Expected a signal name such as SIGHUP or a number such as 1, got ${JSON.stringify(body.signal)}`,
      );
    }
    const name = target === 'all' ? 'all' : (target[0] as string);
    return { delivered: core.signal(name, { ...body, signal }) };
  });
}
