import { z } from 'zod';
import { DURATION_FORMS, DURATION_PATTERN, SIZE_FORMS, SIZE_PATTERN } from '../human-units.js';
import { ProgramSpecSchema } from '../program-spec.js';

/** The keys of a program entry that select a named environment: `env_production` for `--env production`. */
export const ENV_SECTION_PATTERN = /^env_([A-Za-z0-9][A-Za-z0-9_-]*)$/;

/** One program's variables, as `env` and each `env_<name>` take them. */
export const EnvMapSchema = ProgramSpecSchema.in.shape.env;

/**
 * One program of tend.yaml: every field of the program definition (ProgramSpecSchema, read from
 * its shape, so a field added there is taken here too) except `name`, which is the entry's key, and
 * `shellEnvNames` (in a file, every variable of `env` is one the file sets);
 * `cwd` may be relative to the file; `envFile` is read when the file is applied.
 */
export const ProgramEntrySchema = ProgramSpecSchema.in
  .omit({
    name: true,
    shellEnvNames: true,
  })
  .extend({
    cwd: z.string().min(1).max(4096).optional(),
    envFile: z.string().min(1).max(4096).optional(),
  });

/** tend.yaml (or .yml, .json): the programs, by name. */
export const TendFileSchema = z.strictObject({
  /** A JSON file's pointer to this schema, for editors; ignored. */
  $schema: z.string().optional(),
  programs: z.record(z.string(), ProgramEntrySchema),
});

/** What the file holds once parsed (before a program's own checks). */
export type TendFileInput = z.input<typeof TendFileSchema>;
/** One program entry as written. */
export type ProgramEntryInput = z.input<typeof ProgramEntrySchema>;

/** Whether a field holds a duration (`…Ms`, also `2s`) or a size (`…Bytes`, also `300M`) by its name. */
export function unitOfField(field: string): 'duration' | 'size' | undefined {
  if (field.endsWith('Ms')) return 'duration';
  if (field.endsWith('Bytes')) return 'size';
  return undefined;
}

/**
 * The JSON Schema of tend.yaml (input side), for editors: generated from TendFileSchema, then
 * told what zod cannot say: durations and sizes also take their text forms, and `env_<name>`
 * sections sit next to the fields.
 */
export function tendFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TendFileSchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  acceptTextUnits(schema);
  const programs = (schema.properties as Record<string, Record<string, unknown>>).programs;
  const entry = programs?.additionalProperties as Record<string, unknown> | undefined;
  if (entry) {
    entry.patternProperties = {
      [ENV_SECTION_PATTERN.source]: {
        ...z.toJSONSchema(EnvMapSchema, { io: 'input' }),
        $schema: undefined,
        description: 'Variables added on top of `env` when applied with `--env <name>`',
      },
    };
  }
  return {
    ...schema,
    title: 'tend.yaml',
    description: 'Programs for `tend apply` (docs/configuration.md)',
  };
}

/** Lets every `…Ms` and `…Bytes` integer property of a JSON Schema also take its text form. */
function acceptTextUnits(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const properties = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
  for (const [field, property] of Object.entries(properties ?? {})) {
    const unit = unitOfField(field);
    if (unit && property.type === 'integer') {
      const { default: fallback, description, ...number } = property;
      for (const key of Object.keys(property)) delete property[key];
      Object.assign(property, {
        anyOf: [
          number,
          {
            type: 'string',
            pattern: unit === 'duration' ? DURATION_PATTERN : SIZE_PATTERN,
          },
        ],
        description: description ?? (unit === 'duration' ? DURATION_FORMS : SIZE_FORMS),
        ...(fallback === undefined ? {} : { default: fallback }),
      });
    }
  }
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const item of value) acceptTextUnits(item);
    else acceptTextUnits(value);
  }
}
