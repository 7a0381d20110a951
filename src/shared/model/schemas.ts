/**
 * Validation of a network and its training settings: what the editor, the form,
 * design files, bundles and the contract all check a model against.
 */
import { z } from 'zod';
import { ACTIVATIONS, INITIALIZERS, LAYER_TYPES, PADDINGS, type LayerType, type ModelSpec } from './model-spec';
import { MONITORS, OPTIMIZERS, type TrainingConfig } from './training-config';

export const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a number` })
    .refine((n) => Number.isFinite(n), { error: `${what} must be a number` })
    .refine((n) => Number.isInteger(n), { error: `${what} must be a whole number` })
    .refine((n) => n >= 1, { error: `${what} must be at least 1` })
    .refine((n) => n <= max, { error: `${what} must be at most ${max.toLocaleString('en-US')}` });

/** A number checked by one rule, with one message for anything else (text, NaN, Infinity). */
const numberWhere = (message: string, ok: (n: number) => boolean) =>
  z.number({ error: message }).refine((n) => Number.isFinite(n) && ok(n), { error: message });

/** (rows, cols) of a window or stride: two whole numbers from 1 to 64. */
const pair = (what: string) => {
  const message = `${what} must be two whole numbers (rows, cols), each from 1 to 64`;
  const side = numberWhere(message, (n) => Number.isInteger(n) && n >= 1 && n <= 64);
  return z.tuple([side, side], { error: message });
};

const activation = z.enum(ACTIVATIONS, { error: `activation must be one of ${ACTIVATIONS.join(', ')}` });
const useBias = z.boolean({ error: 'use bias must be on or off (true or false)' });
const kernelInitializer = z.enum(INITIALIZERS, { error: `kernel initializer must be one of ${INITIALIZERS.join(', ')}` });
const padding = z.enum(PADDINGS, { error: `padding must be 'valid' or 'same'` });
export const l1 = numberWhere('L1 regularization must be a number, 0 or more', (n) => n >= 0);
export const l2 = numberWhere('L2 regularization must be a number, 0 or more', (n) => n >= 0);
const kernelRegularizer = z.strictObject({ l1, l2 }, { error: 'kernel regularizer must be {l1, l2}' }).nullable();

/** One schema per field of each layer type, so the inspector can check a field at a time. */
export const layerFieldSchemas = {
  Flatten: {},
  Dense: {
    units: positiveInt('units', 100_000),
    activation,
    useBias,
    kernelInitializer,
    kernelRegularizer,
  },
  Dropout: {
    rate: numberWhere('dropout rate must be a number from 0 up to (not including) 1', (r) => r >= 0 && r < 1),
  },
  BatchNormalization: {
    momentum: numberWhere('momentum must be a number between 0 and 1 (not 0 or 1)', (m) => m > 0 && m < 1),
    epsilon: numberWhere('epsilon must be a number above 0', (e) => e > 0),
  },
  Activation: { activation },
  Conv2D: {
    filters: positiveInt('filters', 4096),
    kernelSize: pair('kernel size'),
    strides: pair('strides'),
    padding,
    activation,
    useBias,
    kernelInitializer,
    kernelRegularizer,
  },
  MaxPooling2D: {
    poolSize: pair('pool size'),
    strides: pair('strides').nullable(),
    padding,
  },
  Reshape: {
    targetShape: z
      .array(positiveInt('each target shape size', 100_000), { error: 'target shape must be a list of sizes, e.g. (28, 28, 1)' })
      .min(1, { error: 'target shape needs 1 to 3 sizes' })
      .max(3, { error: 'target shape needs 1 to 3 sizes' }),
  },
} as const satisfies Record<LayerType, Record<string, z.ZodType>>;

const f = layerFieldSchemas;
export const layerSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('Flatten') }),
    z.strictObject({
      type: z.literal('Dense'),
      units: f.Dense.units,
      activation: f.Dense.activation,
      useBias: f.Dense.useBias.optional(),
      kernelInitializer: f.Dense.kernelInitializer.optional(),
      kernelRegularizer: f.Dense.kernelRegularizer.optional(),
    }),
    z.strictObject({ type: z.literal('Dropout'), rate: f.Dropout.rate }),
    z.strictObject({
      type: z.literal('BatchNormalization'),
      momentum: f.BatchNormalization.momentum.optional(),
      epsilon: f.BatchNormalization.epsilon.optional(),
    }),
    z.strictObject({ type: z.literal('Activation'), activation: f.Activation.activation }),
    z.strictObject({
      type: z.literal('Conv2D'),
      filters: f.Conv2D.filters,
      kernelSize: f.Conv2D.kernelSize,
      strides: f.Conv2D.strides.optional(),
      padding: f.Conv2D.padding.optional(),
      activation: f.Conv2D.activation,
      useBias: f.Conv2D.useBias.optional(),
      kernelInitializer: f.Conv2D.kernelInitializer.optional(),
      kernelRegularizer: f.Conv2D.kernelRegularizer.optional(),
    }),
    z.strictObject({
      type: z.literal('MaxPooling2D'),
      poolSize: f.MaxPooling2D.poolSize,
      strides: f.MaxPooling2D.strides.optional(),
      padding: f.MaxPooling2D.padding.optional(),
    }),
    z.strictObject({ type: z.literal('Reshape'), targetShape: f.Reshape.targetShape }),
  ],
  { error: `layer type must be one of ${LAYER_TYPES.join(', ')}` },
);

export const modelSpecSchema: z.ZodType<ModelSpec> = z.strictObject({
  inputShape: z
    .array(positiveInt('input size', 100_000), { error: 'input shape must be a list of sizes, e.g. (28, 28)' })
    .min(1, { error: 'input shape needs 1 to 3 sizes' })
    .max(3, { error: 'input shape needs 1 to 3 sizes' }),
  layers: z.array(layerSchema).max(200, { error: 'at most 200 layers' }),
});

const learningRate = z
  .number({ error: 'learning rate must be a number' })
  .refine((n) => Number.isFinite(n) && n > 0, { error: 'learning rate must be a number above 0' })
  .refine((n) => n <= 10_000, { error: 'learning rate must be at most 10,000' });

/** Keras's EarlyStopping settings, each field checked on its own too (the form does). */
export const earlyStoppingSchema = z.strictObject(
  {
    monitor: z.enum(MONITORS, { error: `early stopping watches one of ${MONITORS.join(', ')}` }),
    patience: z
      .number({ error: 'patience must be a number' })
      .refine((n) => Number.isInteger(n) && n >= 1 && n <= 1000, { error: 'patience must be a whole number from 1 to 1,000' }),
    minDelta: z
      .number({ error: 'min delta must be a number' })
      .refine((n) => Number.isFinite(n) && n >= 0, { error: 'min delta must be a number, 0 or more' }),
    restoreBest: z.boolean({ error: 'restore best weights must be on or off (true or false)' }),
  },
  { error: 'early stopping must be {monitor, patience, minDelta, restoreBest}' },
);

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
  earlyStopping: earlyStoppingSchema.nullable().optional(),
  probeEveryBatches: positiveInt('batches between layer probes', 100_000).nullable().optional(),
} as const;

export const trainingConfigSchema: z.ZodType<TrainingConfig> = z.strictObject(configFields);

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
