/**
 * Validation of everything that crosses a process boundary or comes from a form.
 * The renderer uses the same schemas to refuse bad values at the field.
 */
import { z } from 'zod';
import { ACTIVATIONS, type ModelSpec } from './model-spec';
import { DATASET_IDS, OPTIMIZERS, type TrainingConfig } from './training-config';

const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a number` })
    .refine((n) => Number.isFinite(n), { error: `${what} must be a number` })
    .refine((n) => Number.isInteger(n), { error: `${what} must be a whole number` })
    .refine((n) => n >= 1, { error: `${what} must be at least 1` })
    .refine((n) => n <= max, { error: `${what} must be at most ${max.toLocaleString('en-US')}` });

const activation = z.enum(ACTIVATIONS, { error: `activation must be one of ${ACTIVATIONS.join(', ')}` });

export const layerSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('Flatten') }),
    z.strictObject({
      type: z.literal('Dense'),
      units: positiveInt('units', 100_000),
      activation,
      useBias: z.boolean().optional(),
    }),
    z.strictObject({
      type: z.literal('Dropout'),
      rate: z
        .number({ error: 'dropout rate must be a number' })
        .refine((r) => Number.isFinite(r) && r >= 0 && r < 1, { error: 'dropout rate must be at least 0 and below 1' }),
    }),
    z.strictObject({
      type: z.literal('BatchNormalization'),
      momentum: z.number().gt(0).lt(1).optional(),
      epsilon: z.number().gt(0).optional(),
    }),
    z.strictObject({ type: z.literal('Activation'), activation }),
  ],
  { error: 'layer type must be one of Flatten, Dense, Dropout, BatchNormalization, Activation' },
);

export const modelSpecSchema: z.ZodType<ModelSpec> = z.strictObject({
  inputShape: z.array(positiveInt('input size', 100_000)).min(1).max(4),
  layers: z.array(layerSchema).max(200, { error: 'at most 200 layers' }),
});

const learningRate = z
  .number({ error: 'learning rate must be a number' })
  .refine((n) => Number.isFinite(n) && n > 0, { error: 'learning rate must be a number above 0' })
  .refine((n) => n <= 10_000, { error: 'learning rate must be at most 10,000' });

/** Per-field schemas, so a form can check one field at a time. */
export const configFields = {
  optimizer: z.enum(OPTIMIZERS, { error: `optimizer must be one of ${OPTIMIZERS.join(', ')}` }),
  learningRate,
  momentum: z
    .number({ error: 'momentum must be a number' })
    .refine((n) => Number.isFinite(n) && n >= 0 && n < 1, { error: 'momentum must be at least 0 and below 1' }),
  epochs: positiveInt('epochs', 10_000),
  batchSize: positiveInt('batch size', 65_536),
  validationSplit: z
    .number({ error: 'validation split must be a number' })
    .refine((n) => Number.isFinite(n) && n > 0 && n < 1, { error: 'validation split must be between 0 and 1 (exclusive)' }),
  limit: positiveInt('number of training images', 60_000).nullable(),
  seed: z
    .number({ error: 'seed must be a number' })
    .refine((n) => Number.isInteger(n) && n >= 0 && n <= 2 ** 31 - 1, { error: 'seed must be a whole number from 0 to 2147483647' }),
} as const;

export const trainingConfigSchema: z.ZodType<TrainingConfig> = z.strictObject(configFields);

export const startRunSchema = z.strictObject({
  name: z.string().trim().max(200, { error: 'name must be at most 200 characters' }).optional(),
  presetId: z.string().max(100).nullable().optional(),
  datasetId: z.enum(DATASET_IDS).optional(),
  model: modelSpecSchema,
  config: trainingConfigSchema,
});
export type StartRunRequest = z.infer<typeof startRunSchema>;

export const runIdSchema = z
  .number({ error: 'run id must be a number' })
  .refine((n) => Number.isInteger(n) && n > 0, { error: 'run id must be a positive whole number' });

/** One readable line from a failed parse: "epochs: must be at least 1; learning rate ...". */
export function describeIssues(error: z.ZodError, skipPathParts = 0): string {
  return error.issues
    .map((i) => {
      const path = i.path.slice(skipPathParts);
      const where = path.length ? `${path.join('.')}: ` : '';
      return `${where}${i.message}`;
    })
    .join('; ');
}

/** Check one form field; returns the message to show, or null when the value is fine. */
export function checkField<K extends keyof typeof configFields>(field: K, value: unknown): string | null {
  const r = configFields[field].safeParse(value);
  return r.success ? null : r.error.issues[0].message;
}

export const designNameSchema = z
  .string({ error: 'design name must be text' })
  .trim()
  .min(1, { error: 'design name must not be empty' })
  .max(120, { error: 'design name must be at most 120 characters' });

export const designIdSchema = z
  .number({ error: 'design id must be a number' })
  .refine((n) => Number.isInteger(n) && n > 0, { error: 'design id must be a positive whole number' });

export const saveDesignSchema = z.strictObject({
  id: designIdSchema.optional(),
  name: designNameSchema,
  model: modelSpecSchema,
  config: trainingConfigSchema,
});
export type SaveDesignRequest = z.infer<typeof saveDesignSchema>;
