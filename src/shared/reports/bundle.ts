/**
 * A portable bundle of runs: everything recorded about each (network, settings,
 * dataset, environment, metrics, layer signals), to import into another database.
 * Version 2 added the epoch-0 baseline, the layer signals, which weights the test
 * figures are, why training stopped, and the run a fix was trained from. Version 3
 * added each run's complete record (provenance), whether the user named it, its place
 * in a repeat or sweep (its swept values and repeat index; not the group, whose id
 * belongs to the database it came from) and the CPU seconds of each epoch. Version 1
 * and 2 bundles still import, with what they did not record empty.
 */
import { z } from 'zod';
import type { BatchLoss, DatasetInfo, Environment, EpochMetrics, FixReference, LayerStat, RunProvenance, RunStatus } from '../contract/runs';
import type { ModelSpec } from '../model/model-spec';
import type { TrainingConfig } from '../model/training-config';
import { describeIssues, modelSpecSchema, trainingConfigSchema } from '../model/schemas';
import { importedJson } from '../imported-json';

export const BUNDLE_FORMAT = 'layerlab-runs';
export const BUNDLE_VERSION = 3;

/**
 * What an import accepts, checked before any other work: a bigger bundle is
 * refused with a message naming the limit. The file size counts characters of
 * text (a character is at least one byte).
 */
export const BUNDLE_LIMITS = {
  fileMegabytes: 200,
  runs: 10_000,
  epochsPerRun: 10_000,
  batchLossesPerRun: 1_000_000,
  layerStatsPerRun: 1_000_000,
  tagsPerRun: 100,
} as const;

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
  /** Epoch 0, before the first step; null when it was not recorded. */
  baseline: EpochMetrics | null;
  layerStats: LayerStat[];
  savedWeights: 'final' | 'best' | null;
  stopReason: string | null;
  /** The sourceId of the run this one was trained from with a fix (remapped on import when that run is in the bundle too). */
  parentSourceId: number | null;
  fixFor: FixReference | null;
  // Version 3. Optional in a bundle; validateBundle always fills them in (false / null when absent).
  /** The user gave the run its name (false: Layerlab made it up). */
  named?: boolean;
  /** In a sweep: the run's values of the swept settings, by sweep key ("learningRate", "layer3.units"). */
  sweepValues?: Record<string, string | number> | null;
  /** In a repeat: 0 for the first seed, 1 for seed+1, … */
  repeatIndex?: number | null;
  /** The run's complete record; null when it was not kept. */
  provenance?: RunProvenance | null;
}

export interface RunBundle {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  exportedAt: string;
  app: string;
  runs: BundledRun[];
}

const num = z.number().refine(Number.isFinite, { error: 'must be a finite number' });
const metricsSchema = {
  loss: num,
  accuracy: num,
  valLoss: num.nullable(),
  valAccuracy: num.nullable(),
  seconds: num,
};
const epochSchema = z.object({ epoch: z.number().int().positive(), ...metricsSchema });
/** Version 3: the CPU seconds of each epoch, where they were measured. */
const epochV3Schema = epochSchema.extend({ cpuSeconds: num.nonnegative().nullable().optional() });
// A figure that was not finite (an exploding gradient) is written as null by JSON.
const figure = num.nullable();
const layerStatSchema = z.object({
  epoch: z.number().int().nonnegative(),
  batch: z.number().int().positive().nullable(),
  layer: z.number().int().nonnegative(),
  name: z.string().max(200),
  gradNorm: figure,
  biasGradNorm: figure,
  weightNorm: figure,
  updateRatio: figure,
  actMean: figure,
  actStd: figure,
  deadFraction: figure,
  saturatedFraction: figure,
  nonfinite: z.number().int().nonnegative(),
});
const bundledRunV1Schema = z.object({
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
const bundledRunSchema = bundledRunV1Schema.extend({
  baseline: z.object({ epoch: z.literal(0), ...metricsSchema }).nullable(),
  layerStats: z.array(layerStatSchema),
  savedWeights: z.enum(['final', 'best']).nullable(),
  stopReason: z.string().max(500).nullable(),
  parentSourceId: z.number().int().nullable(),
  fixFor: z.object({ kind: z.string().min(1).max(60), summary: z.string().min(1).max(500) }).nullable(),
});
const text = (max: number) => z.string().max(max);
const provenanceSchema = z.object({
  appVersion: text(100),
  gitCommit: z
    .string()
    .regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, { error: 'must be a git commit hash' })
    .nullable(),
  datasetFiles: z
    .array(
      z.object({
        file: z.string().min(1).max(200),
        sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a SHA-256 in hex' }),
      }),
    )
    .max(100),
  optimizer: z.record(text(60), z.union([num, text(200), z.boolean()])),
  loss: text(100),
  layers: z
    .array(
      z.object({
        index: z.number().int().nonnegative(),
        name: text(200),
        kernelInitializer: text(100).nullable(),
        biasInitializer: text(100).nullable(),
        extra: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .max(10_000),
  machine: z.object({
    os: text(200),
    ramBytes: num.nonnegative(),
    cpus: text(500),
    threads: z.number().int().positive().nullable(),
    simd: z.boolean().nullable(),
  }),
  peakRssBytes: num.nonnegative().nullable(),
});
const sweepValuesSchema = z.record(text(100), z.union([num, text(100)])).nullable();
const bundledRunV3Schema = bundledRunSchema.extend({
  epochs: z.array(epochV3Schema),
  named: z.boolean().optional(),
  sweepValues: sweepValuesSchema.optional(),
  repeatIndex: z.number().int().nonnegative().nullable().optional(),
  provenance: provenanceSchema.nullable().optional(),
});
const bundleHead = {
  format: z.literal(BUNDLE_FORMAT),
  exportedAt: z.string(),
  app: z.string(),
};
const noRuns = { error: 'the bundle holds no runs' };
const bundleV1Schema = z.object({ ...bundleHead, version: z.literal(1), runs: z.array(bundledRunV1Schema).min(1, noRuns) });
const bundleV2Schema = z.object({ ...bundleHead, version: z.literal(2), runs: z.array(bundledRunSchema).min(1, noRuns) });
const bundleSchema = z.object({ ...bundleHead, version: z.literal(BUNDLE_VERSION), runs: z.array(bundledRunV3Schema).min(1, noRuns) });

/** What a version 1 bundle did not record, empty. */
const V1_DEFAULTS = {
  baseline: null,
  layerStats: [],
  savedWeights: null,
  stopReason: null,
  parentSourceId: null,
  fixFor: null,
} satisfies Partial<BundledRun>;

/**
 * What a version 1 or 2 bundle did not record. Those bundles did not say whether a
 * name was the user's, so it counts as made up: the run is labelled by what differs.
 */
const V2_DEFAULTS = {
  named: false,
  sweepValues: null,
  repeatIndex: null,
  provenance: null,
} satisfies Partial<BundledRun>;

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
  checkCounts(data as { runs?: unknown });
  let bundle: RunBundle;
  if (head.version === 1) {
    const v1 = bundleV1Schema.safeParse(data);
    if (!v1.success) throw damaged(v1.error);
    bundle = { ...v1.data, version: BUNDLE_VERSION, runs: v1.data.runs.map((r) => ({ ...r, ...V1_DEFAULTS, ...V2_DEFAULTS })) } as RunBundle;
  } else if (head.version === 2) {
    const v2 = bundleV2Schema.safeParse(data);
    if (!v2.success) throw damaged(v2.error);
    bundle = { ...v2.data, version: BUNDLE_VERSION, runs: v2.data.runs.map((r) => ({ ...r, ...V2_DEFAULTS })) } as RunBundle;
  } else {
    const parsed = bundleSchema.safeParse(data);
    if (!parsed.success) throw damaged(parsed.error);
    bundle = { ...parsed.data, runs: parsed.data.runs.map((r) => ({ ...V2_DEFAULTS, ...stripUndefined(r) })) } as RunBundle;
  }
  checkUnique(bundle);
  return bundle;
}

/** An optional field left out and one written as undefined mean the same: not recorded. */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** How messages name a run: `run 2 of the bundle ("adam", id 7)`. */
function runName(r: { name?: unknown; sourceId?: unknown }, i: number): string {
  const parts = [typeof r.name === 'string' ? JSON.stringify(r.name) : null, typeof r.sourceId === 'number' ? `id ${r.sourceId}` : null].filter(
    Boolean,
  );
  return `run ${i + 1} of the bundle${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** Counts before any other work, so an enormous bundle costs nothing to refuse. */
function checkCounts(data: { runs?: unknown }): void {
  const runs = data.runs;
  if (!Array.isArray(runs)) return; // the schema says what is wrong
  const L = BUNDLE_LIMITS;
  if (runs.length > L.runs)
    throw tooBig(`it holds ${runs.length.toLocaleString('en')} runs; at most ${L.runs.toLocaleString('en')} can be imported at once`);
  runs.forEach((r: unknown, i) => {
    if (typeof r !== 'object' || r === null) return;
    const run = r as Record<string, unknown>;
    const over = (key: string, what: string, max: number) => {
      const v = run[key];
      if (Array.isArray(v) && v.length > max) {
        throw tooBig(`${runName(run, i)} has ${v.length.toLocaleString('en')} ${what}; at most ${max.toLocaleString('en')} per run`);
      }
    };
    over('epochs', 'epochs', L.epochsPerRun);
    over('batchLosses', 'batch losses', L.batchLossesPerRun);
    over('layerStats', 'layer signal rows', L.layerStatsPerRun);
    over('tags', 'tags', L.tagsPerRun);
  });
}

/** What the database would refuse with a constraint, said in words. */
function checkUnique(bundle: RunBundle): void {
  bundle.runs.forEach((r, i) => {
    const seen = new Set<number>();
    for (const e of r.epochs) {
      if (seen.has(e.epoch))
        throw new BundleError(`This bundle is damaged: ${runName(r, i)} has epoch ${e.epoch} more than once; nothing was imported`);
      seen.add(e.epoch);
    }
  });
}

function tooBig(what: string): BundleError {
  return new BundleError(`This bundle is too large to import: ${what}; nothing was imported`);
}

function damaged(error: z.ZodError): BundleError {
  return new BundleError(`This bundle is damaged: ${describeIssues(error)}; nothing was imported`);
}

/** Parse a bundle file's text. */
export function parseBundle(text: string): RunBundle {
  const data = importedJson(text, BUNDLE_LIMITS.fileMegabytes, {
    tooLarge: (mb) => tooBig(`the file is ${mb} MB; the limit is ${BUNDLE_LIMITS.fileMegabytes} MB`),
    notJson: (reason) => new BundleError(`This file is not JSON (${reason}); nothing was imported`),
  });
  return validateBundle(data);
}
