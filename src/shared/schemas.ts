/**
 * Validation of everything that crosses a process boundary or comes from a form.
 * The renderer uses the same schemas to refuse bad values at the field.
 */
import { z } from 'zod';
import {
  ACTIVATIONS,
  INITIALIZERS,
  LAYER_TYPES,
  PADDINGS,
  type LayerSpec,
  type LayerType,
  type ModelSpec,
} from './model-spec';
import { DATASET_IDS, OPTIMIZERS, type TrainingConfig } from './training-config';

const positiveInt = (what: string, max: number) =>
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
const l1 = numberWhere('L1 regularization must be a number, 0 or more', (n) => n >= 0);
const l2 = numberWhere('L2 regularization must be a number, 0 or more', (n) => n >= 0);
const kernelRegularizer = z.strictObject({ l1, l2 }, { error: 'kernel regularizer must be {l1, l2}' }).nullable();

/** One schema per field of each layer type, so the inspector can check a field at a time. */
const layerFieldSchemas = {
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

/** How the inspector edits a field: whole number, number, choice, switch, (rows, cols) pair, or a list of sizes. */
export type LayerFieldKind = 'int' | 'number' | 'select' | 'bool' | 'pair' | 'shape';

export interface LayerField {
  /** Property of the layer spec; 'kernelRegularizer.l1' / '.l2' reach into the regularizer. */
  field: string;
  /** What the inspector calls it. */
  label: string;
  kind: LayerFieldKind;
  /** The choices of a 'select' field. */
  options?: readonly string[];
  /** The value when the spec leaves the field out (Keras's default); null strides mean "the pool size". */
  default: number | boolean | string | readonly number[] | null;
}

const unitsField: LayerField = { field: 'units', label: 'Units', kind: 'int', default: 64 };
const activationField: LayerField = { field: 'activation', label: 'Activation', kind: 'select', options: ACTIVATIONS, default: 'relu' };
const useBiasField: LayerField = { field: 'useBias', label: 'Use bias', kind: 'bool', default: true };
const initializerField: LayerField = {
  field: 'kernelInitializer',
  label: 'Kernel initializer',
  kind: 'select',
  options: INITIALIZERS,
  default: 'glorot_uniform',
};
const l1Field: LayerField = { field: 'kernelRegularizer.l1', label: 'L1 regularization', kind: 'number', default: 0 };
const l2Field: LayerField = { field: 'kernelRegularizer.l2', label: 'L2 regularization', kind: 'number', default: 0 };
const paddingField: LayerField = { field: 'padding', label: 'Padding', kind: 'select', options: PADDINGS, default: 'valid' };

/** The inspector's fields for each layer type, in the order they are shown. */
export const LAYER_FIELDS: Record<LayerType, readonly LayerField[]> = {
  Flatten: [],
  Dense: [unitsField, activationField, useBiasField, initializerField, l1Field, l2Field],
  Dropout: [{ field: 'rate', label: 'Dropout rate', kind: 'number', default: 0.25 }],
  BatchNormalization: [
    { field: 'momentum', label: 'Momentum', kind: 'number', default: 0.99 },
    { field: 'epsilon', label: 'Epsilon', kind: 'number', default: 0.001 },
  ],
  Activation: [activationField],
  Conv2D: [
    { field: 'filters', label: 'Filters', kind: 'int', default: 32 },
    { field: 'kernelSize', label: 'Kernel size', kind: 'pair', default: [3, 3] },
    { field: 'strides', label: 'Strides', kind: 'pair', default: [1, 1] },
    paddingField,
    activationField,
    useBiasField,
    initializerField,
    l1Field,
    l2Field,
  ],
  MaxPooling2D: [
    { field: 'poolSize', label: 'Pool size', kind: 'pair', default: [2, 2] },
    { field: 'strides', label: 'Strides', kind: 'pair', default: null },
    paddingField,
  ],
  Reshape: [{ field: 'targetShape', label: 'Target shape', kind: 'shape', default: [28, 28, 1] }],
};

/** A new layer of a type, as the palette adds it. */
export function defaultLayer(type: LayerType): LayerSpec {
  switch (type) {
    case 'Flatten':
      return { type };
    case 'Dense':
      return { type, units: 64, activation: 'relu' };
    case 'Dropout':
      return { type, rate: 0.25 };
    case 'BatchNormalization':
      return { type };
    case 'Activation':
      return { type, activation: 'relu' };
    case 'Conv2D':
      return { type, filters: 32, kernelSize: [3, 3], activation: 'relu' };
    case 'MaxPooling2D':
      return { type, poolSize: [2, 2] };
    case 'Reshape':
      return { type, targetShape: [28, 28, 1] };
  }
}

/**
 * Check one inspector field of one layer type; returns the message to show,
 * or null when the value is fine. Leaving out an optional field is fine.
 */
export function checkLayerField(type: LayerType, field: string, value: unknown): string | null {
  const fields = layerFieldSchemas[type] as Record<string, z.ZodType> | undefined;
  if (!fields) return `layer type must be one of ${LAYER_TYPES.join(', ')}`;
  const [name, part] = field.split('.');
  let schema = fields[name];
  if (schema && name === 'kernelRegularizer' && part) schema = part === 'l1' ? l1 : part === 'l2' ? l2 : (undefined as never);
  if (!schema) return `${type} has no field '${field}'`;
  const r = schema.safeParse(value);
  return r.success ? null : r.error.issues[0].message;
}

/** A field's value on a layer, or its default when the spec leaves it out. */
export function getLayerField(layer: LayerSpec, field: string): unknown {
  const spec = LAYER_FIELDS[layer.type].find((x) => x.field === field);
  const [name, part] = field.split('.');
  const raw = (layer as unknown as Record<string, unknown>)[name];
  const value = part ? (raw as Record<string, unknown> | null | undefined)?.[part] : raw;
  return value ?? spec?.default ?? null;
}

/**
 * The layer with one field set (a copy; the layer given is not changed).
 * Setting both regularization parts to 0 removes the regularizer.
 */
export function setLayerField(layer: LayerSpec, field: string, value: unknown): LayerSpec {
  const [name, part] = field.split('.');
  const next = { ...layer } as Record<string, unknown>;
  if (name === 'kernelRegularizer' && part) {
    const current = (next.kernelRegularizer as { l1: number; l2: number } | null | undefined) ?? { l1: 0, l2: 0 };
    const reg = { ...current, [part]: value };
    if (reg.l1 === 0 && reg.l2 === 0) delete next.kernelRegularizer;
    else next.kernelRegularizer = reg;
  } else {
    next[name] = value;
  }
  return next as unknown as LayerSpec;
}

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

export const runPatchSchema = z.strictObject({
  name: z.string().trim().min(1, { error: 'a run needs a name' }).max(200, { error: 'name must be at most 200 characters' }).optional(),
  notes: z.string().max(20_000, { error: 'notes must be at most 20,000 characters' }).optional(),
  tags: z
    .array(z.string().trim().min(1, { error: 'a tag must not be empty' }).max(50, { error: 'a tag must be at most 50 characters' }))
    .max(50, { error: 'at most 50 tags' })
    .optional(),
  starred: z.boolean().optional(),
});

export const runIdsSchema = z
  .array(runIdSchema)
  .min(1, { error: 'choose at least one run' })
  .max(10_000, { error: 'at most 10,000 runs at once' });

export const comparisonOptionsSchema = z.strictObject({
  xAxis: z.enum(['epoch', 'time']).optional(),
  logScale: z.boolean().optional(),
  smoothing: z.number().min(0).lt(1).optional(),
  onlyDifferences: z.boolean().optional(),
});

export const saveComparisonSchema = z.strictObject({
  id: z.number().int().positive().optional(),
  name: z.string().trim().min(1, { error: 'a comparison needs a name' }).max(120),
  runIds: z.array(runIdSchema).min(2, { error: 'a comparison needs at least 2 runs' }).max(16, { error: 'at most 16 runs side by side' }),
  options: comparisonOptionsSchema,
});
export type SaveComparisonRequest = z.infer<typeof saveComparisonSchema>;

export const saveFileSchema = z.strictObject({
  suggestedName: z.string().min(1).max(255),
  /** Text as is, or bytes as base64. */
  text: z.string().optional(),
  base64: z.string().optional(),
  filterName: z.string().max(100).optional(),
  extensions: z.array(z.string().max(10)).max(10).optional(),
});
export type SaveFileRequest = z.infer<typeof saveFileSchema>;

export const savePdfSchema = z.strictObject({
  suggestedName: z.string().min(1).max(255),
  /** The comparison report's self-contained HTML. */
  html: z.string().max(50_000_000),
});
export type SavePdfRequest = z.infer<typeof savePdfSchema>;
