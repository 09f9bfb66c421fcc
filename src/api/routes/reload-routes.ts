import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NewProgramSpecSchema, withEnvSet } from '../../config/program-spec.js';
import { RELOAD_LIMITS } from '../../config/reload-defaults.js';
import type { ProgramCore } from '../../core/program-core.js';
import { TendError } from '../../errors.js';
import { parseInput } from '../parse-input.js';
import { type LiveFiguresSource, viewProgram } from '../views.js';
import type { ReloadReply } from '../wire.js';
import { parseNameParam } from './program-target.js';

const step = z.number().int().min(0).max(RELOAD_LIMITS.maxStep);

/** The body of a reload: definition changes (checked again as a whole definition) and the pacing. */
const ReloadBody = z.strictObject({
  env: z.record(z.string(), z.string()).optional(),
  command: z.string().optional(),
  args: z.array(z.string()).optional(),
  maxSurge: step.optional(),
  maxUnavailable: step.optional(),
  drainTimeoutMs: z.number().int().min(0).max(RELOAD_LIMITS.drainTimeoutMsMax).optional(),
});

/**
 * `POST /v1/programs/:name/reload`: applies the changes to the definition and replaces every
 * instance, rolling; answers when the reload has ended (its steps are events meanwhile), with
 * TEND_ERR_RELOAD_FAILED and the reason when a replacement failed.
 */
export function registerReloadRoutes(
  app: FastifyInstance,
  options: { core: ProgramCore; live: LiveFiguresSource },
): void {
  const { core, live } = options;
  app.post('/v1/programs/:name/reload', async (request): Promise<ReloadReply> => {
    const name = parseNameParam(request.params);
    const body = parseInput(ReloadBody, request.body ?? {}, 'reload request');
    const current = core.get(name).spec;
    const hasChanges =
      body.env !== undefined || body.command !== undefined || body.args !== undefined;
    const spec = hasChanges
      ? parseInput(
          NewProgramSpecSchema,
          {
            ...withEnvSet(current, body.env ?? {}),
            command: body.command ?? current.command,
            args: body.args ?? current.args,
          },
          'reloaded definition',
        )
      : undefined;
    const pacing = {
      maxSurge: body.maxSurge,
      maxUnavailable: body.maxUnavailable,
      drainTimeoutMs: body.drainTimeoutMs,
    };
    const { plan, changed, done } = await core.reload(name, { spec, pacing });
    const outcome = await done;
    if (!outcome.ok) {
      const restored = outcome.restored
        ? '; that instance serves again with the previous definition'
        : '';
      throw new TendError(
        'TEND_ERR_RELOAD_FAILED',
        `Reload of ${name} stopped: ${outcome.reason}${restored}. The instances not yet replaced kept serving.`,
      );
    }
    return {
      program: await viewProgram(core.get(name), live),
      changed,
      replaced: outcome.replaced,
      durationMs: outcome.durationMs,
      maxSurge: plan.surge,
      maxUnavailable: plan.unavailable,
      drainTimeoutMs: plan.drainTimeoutMs,
    };
  });
}
