/**
 * A portable bundle of runs: everything recorded about each (network, settings,
 * dataset, environment, metrics), to import into another database.
 */
import { z } from 'zod';
import type { BatchLoss, DatasetInfo, Environment, EpochMetrics, RunStatus } from '../contract/runs';
import type { ModelSpec } from '../model/model-spec';
import type { TrainingConfig } from '../model/training-config';
import { describeIssues, modelSpecSchema, trainingConfigSchema } from '../model/schemas';

export const BUNDLE_FORMAT = 'layerlab-runs';
export const BUNDLE_VERSION = 1;

export interface BundledRun {
  /** The id in the database it came from (ids are remapped on import). */
  sourceId: number;
  name: string;
  status: RunStatus;
  presetId: string | null;
  model: ModelSpec;
  config: TrainingConfig;
  dataset: DatasetInfo | null;
  environment: Environment | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  testLoss: number | null;
  testAccuracy: number | null;
  error: string | null;
  notes: string;
  tags: string[];
  starred: boolean;
  epochs: EpochMetrics[];
  batchLosses: BatchLoss[];
}

export interface RunBundle {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  exportedAt: string;
  app: string;
  runs: BundledRun[];
}

const num = z.number().refine(Number.isFinite, { error: 'must be a finite number' });
const epochSchema = z.object({
  epoch: z.number().int().positive(),
  loss: num,
  accuracy: num,
  valLoss: num.nullable(),
  valAccuracy: num.nullable(),
  seconds: num,
});
const bundledRunSchema = z.object({
  sourceId: z.number().int(),
  name: z.string().max(200),
  status: z.enum(['completed', 'failed', 'cancelled', 'crashed'], { error: 'only finished runs can be bundled' }),
  presetId: z.string().nullable(),
  model: modelSpecSchema,
  config: trainingConfigSchema,
  dataset: z.looseObject({ id: z.string(), trainCount: z.number(), validationCount: z.number(), testCount: z.number() }).nullable(),
  environment: z.looseObject({ backend: z.string() }).nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  testLoss: num.nullable(),
  testAccuracy: num.nullable(),
  error: z.string().nullable(),
  notes: z.string(),
  tags: z.array(z.string().min(1).max(50)),
  starred: z.boolean(),
  epochs: z.array(epochSchema),
  batchLosses: z.array(z.object({ epoch: z.number().int().positive(), batch: z.number().int().positive(), loss: num })),
});
const bundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  exportedAt: z.string(),
  app: z.string(),
  runs: z.array(bundledRunSchema).min(1, { error: 'the bundle holds no runs' }),
});

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

/** Check a parsed bundle; every way it can be wrong gets a message for the user. */
export function validateBundle(data: unknown): RunBundle {
  const head = data as { format?: unknown; version?: unknown } | null;
  if (typeof data !== 'object' || data === null || head?.format !== BUNDLE_FORMAT) {
    throw new BundleError('This file is not a Layerlab run bundle (it has no "format": "layerlab-runs")');
  }
  if (typeof head.version === 'number' && head.version > BUNDLE_VERSION) {
    throw new BundleError(
      `This bundle was written by a newer version of Layerlab (bundle format ${head.version}; this version reads ${BUNDLE_VERSION}); nothing was imported`,
    );
  }
  const parsed = bundleSchema.safeParse(data);
  if (!parsed.success) throw new BundleError(`This bundle is damaged: ${describeIssues(parsed.error)}; nothing was imported`);
  return parsed.data as RunBundle;
}

/** Parse a bundle file's text. */
export function parseBundle(text: string): RunBundle {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new BundleError(`This file is not JSON (${(e as Error).message}); nothing was imported`);
  }
  return validateBundle(data);
}
