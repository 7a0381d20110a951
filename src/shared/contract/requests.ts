/** Schemas of the contract's request arguments, checked before a service sees a call from another process. */
import { z } from 'zod';
import { DATASET_ID_PATTERN } from '../model/training-config';
import { modelSpecSchema, trainingConfigSchema } from '../model/schemas';

export const datasetIdSchema = z
  .string({ error: 'a dataset id is text' })
  .regex(DATASET_ID_PATTERN, { error: "a dataset id is fashion-mnist, mnist, kmnist, cifar-10 or folder-<12 hex digits> (see 'datasets')" });

export const importDatasetSchema = z.strictObject({
  folder: z.string({ error: 'folder must be a path' }).min(1, { error: 'folder must not be empty' }).max(4096),
  name: z
    .string({ error: 'name must be text' })
    .trim()
    .min(1, { error: 'the dataset needs a name' })
    .max(100, { error: 'name must be at most 100 characters' }),
  size: z.tuple(
    [
      z.number().int().min(8, { error: 'images must be at least 8×8' }).max(256, { error: 'images must be at most 256×256' }),
      z.number().int().min(8, { error: 'images must be at least 8×8' }).max(256, { error: 'images must be at most 256×256' }),
    ],
    { error: 'size is [height, width]' },
  ),
  channels: z.union([z.literal(1), z.literal(3)], { error: 'channels is 1 (grayscale) or 3 (RGB)' }),
  testSplit: z
    .number({ error: 'test split must be a number' })
    .min(0.05, { error: 'test split must be at least 0.05' })
    .max(0.5, { error: 'test split must be at most 0.5' })
    .optional(),
});

export const startRunSchema = z.strictObject({
  name: z.string().trim().max(200, { error: 'name must be at most 200 characters' }).optional(),
  presetId: z.string().max(100).nullable().optional(),
  datasetId: datasetIdSchema.optional(),
  model: modelSpecSchema,
  config: trainingConfigSchema,
  /** "Train again with this fix": the run it comes from and the finding it addresses. */
  parentRunId: z.number().int().positive().nullable().optional(),
  fixFor: z
    .strictObject({ kind: z.string().min(1).max(60), summary: z.string().min(1).max(500) })
    .nullable()
    .optional(),
});
export type StartRunRequest = z.infer<typeof startRunSchema>;

/** Most runs one repeat or sweep may queue. */
export const MAX_GROUP_RUNS = 200;

const sweepValueSchema = z.union([z.number().finite(), z.string().trim().min(1).max(60)], { error: 'a swept value is a number or a word' });

export const sweepAxisSchema = z.strictObject({
  key: z.string({ error: 'a swept setting needs a key' }).regex(/^(learningRate|optimizer|batchSize|epochs|momentum|layer[1-9][0-9]?\.[a-zA-Z]+)$/, {
    error: 'a swept setting is learningRate, optimizer, batchSize, epochs, momentum or layer<N>.<field>',
  }),
  values: z
    .array(sweepValueSchema)
    .min(1, { error: 'a swept setting needs at least one value' })
    .max(20, { error: 'at most 20 values per swept setting' }),
});

/** Train one network and its settings over `repeat` seeds (seed, seed+1, …) and over every combination of the axes' values. */
export const startGroupSchema = z.strictObject({
  /** The settings every run starts from (its seed is the first seed). */
  run: startRunSchema,
  repeat: z
    .number({ error: 'repeat must be a number' })
    .int({ error: 'repeat must be a whole number' })
    .min(1, { error: 'repeat must be at least 1' })
    .max(50, { error: 'at most 50 repeats' }),
  axes: z.array(sweepAxisSchema).max(4, { error: 'at most 4 swept settings' }),
  /** The group's name; made up from what it varies when absent. */
  name: z.string().trim().max(200, { error: 'name must be at most 200 characters' }).optional(),
});
export type StartGroupRequest = z.infer<typeof startGroupSchema>;

export const runIdSchema = z
  .number({ error: 'run id must be a number' })
  .refine((n) => Number.isInteger(n) && n > 0, { error: 'run id must be a positive whole number' });

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

export const runIdsSchema = z.array(runIdSchema).min(1, { error: 'choose at least one run' }).max(10_000, { error: 'at most 10,000 runs at once' });

export const comparisonOptionsSchema = z.strictObject({
  xAxis: z.enum(['epoch', 'time']).optional(),
  logScale: z.boolean().optional(),
  smoothing: z.number().min(0).lt(1).optional(),
  onlyDifferences: z.boolean().optional(),
});

const groupIdSchema = z
  .number({ error: 'group id must be a number' })
  .refine((n) => Number.isInteger(n) && n > 0, { error: 'group id must be a positive whole number' });

/** Runs and groups (repeats and sweeps, each drawn as its mean ± std): at least 2 items in all. Saved before groups: runIds only. */
export const saveComparisonSchema = z
  .strictObject({
    id: z.number().int().positive().optional(),
    name: z.string().trim().min(1, { error: 'a comparison needs a name' }).max(120),
    runIds: z.array(runIdSchema).max(16, { error: 'at most 16 runs side by side' }),
    groupIds: z.array(groupIdSchema).max(16, { error: 'at most 16 groups side by side' }).optional(),
    options: comparisonOptionsSchema,
  })
  .refine((c) => c.runIds.length + (c.groupIds?.length ?? 0) >= 2, {
    error: 'a comparison needs at least 2 runs or groups',
    path: ['runIds'],
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

const CLASS_MESSAGE = { error: 'a class is a whole number from 0 to 999' };
const classSchema = z.number(CLASS_MESSAGE).int(CLASS_MESSAGE).min(0, CLASS_MESSAGE).max(999, CLASS_MESSAGE);
const offsetSchema = z
  .number({ error: 'offset must be a number' })
  .int({ error: 'offset must be a whole number' })
  .min(0, { error: 'offset must be 0 or more' });
const pageLimitSchema = z
  .number({ error: 'limit must be a number' })
  .int({ error: 'limit must be a whole number' })
  .min(1, { error: 'limit must be at least 1' })
  .max(500, { error: 'at most 500 images a page' });

export const evalSplitSchema = z.enum(['test', 'validation'], { error: "split must be 'test' or 'validation'" });
export const imageSplitSchema = z.enum(['train', 'validation', 'test'], { error: "split must be 'train', 'validation' or 'test'" });

export const imageIndexSchema = z
  .number({ error: 'image index must be a number' })
  .int({ error: 'image index must be a whole number' })
  .min(0, { error: 'image index must be 0 or more' });

export const predictionFilterSchema = z.strictObject({
  split: evalSplitSchema,
  trueClass: classSchema.nullable().optional(),
  predictedClass: classSchema.nullable().optional(),
  which: z.enum(['wrong', 'all'], { error: "which must be 'wrong' or 'all'" }).optional(),
  sort: z.enum(['confidence-desc', 'confidence-asc', 'index'], { error: "sort must be 'confidence-desc', 'confidence-asc' or 'index'" }).optional(),
  offset: offsetSchema.optional(),
  limit: pageLimitSchema.optional(),
});

export const diffPageSchema = z.strictObject({
  runA: runIdSchema,
  runB: runIdSchema,
  split: evalSplitSchema,
  group: z.enum(['both_right', 'only_a', 'only_b', 'neither'], { error: "group must be 'both_right', 'only_a', 'only_b' or 'neither'" }),
  offset: offsetSchema.optional(),
  limit: pageLimitSchema.optional(),
});

export const splitSpecSchema = z.strictObject({
  limit: z
    .number({ error: 'limit must be a number' })
    .int({ error: 'limit must be a whole number' })
    .min(1, { error: 'limit must be at least 1' })
    .max(1_000_000, { error: 'limit must be at most 1,000,000' })
    .nullable(),
  validationSplit: z
    .number({ error: 'validation split must be a number' })
    .gt(0, { error: 'validation split must be above 0' })
    .lt(1, { error: 'validation split must be below 1' }),
});

export const imageRequestSchema = z
  .strictObject({
    split: imageSplitSchema,
    indexes: z.array(imageIndexSchema).max(500, { error: 'at most 500 images at once' }),
    splitSpec: splitSpecSchema.optional(),
    /** The dataset the images are from (Fashion-MNIST when absent). */
    datasetId: datasetIdSchema.optional(),
  })
  .refine((r) => r.split === 'test' || r.splitSpec, { error: 'the train and validation images need a splitSpec (limit and validation split)' });

export const sampleRequestSchema = z
  .strictObject({
    split: imageSplitSchema,
    classIndex: classSchema.nullable().optional(),
    offset: offsetSchema.optional(),
    limit: pageLimitSchema.optional(),
    splitSpec: splitSpecSchema.optional(),
    datasetId: datasetIdSchema.optional(),
  })
  .refine((r) => r.split === 'test' || r.splitSpec, { error: 'the train and validation images need a splitSpec (limit and validation split)' });
