/** Runs as a bundle holds them, for the bundle tests: a finished seed-model-3 run with every version 2 field and none of version 3's. */
import { BUNDLE_VERSION, type BundledRun } from '../../../../src/shared/reports/bundle';
import { findPreset } from '../../../../src/shared/model/presets';

const preset = findPreset('seed-model-3')!;

/** One epoch's figures; `cpuSeconds` only when given (version 3 records it, older bundles do not). */
export const epoch = (n: number, cpuSeconds?: number | null) => ({
  epoch: n,
  loss: 0.5,
  accuracy: 0.8,
  valLoss: 0.6,
  valAccuracy: 0.78,
  seconds: 1,
  ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
});

/** A run as version 2 wrote it (source id 7, "from elsewhere", two epochs), with `over` on top. */
export const bundledRun = (over: Partial<BundledRun> = {}): BundledRun => ({
  sourceId: 7,
  name: 'from elsewhere',
  status: 'completed',
  presetId: 'seed-model-3',
  model: preset.model,
  config: preset.config,
  dataset: null,
  environment: null,
  createdAt: '2026-01-02T03:04:05.000Z',
  startedAt: null,
  finishedAt: null,
  testLoss: null,
  testAccuracy: null,
  error: null,
  notes: '',
  tags: [],
  starred: false,
  epochs: [epoch(1), epoch(2)],
  batchLosses: [],
  baseline: null,
  layerStats: [],
  savedWeights: null,
  stopReason: null,
  parentSourceId: null,
  fixFor: null,
  ...over,
});

/** A bundle around `runs`, of the version written now unless another is given. */
export const bundleOf = (runs: unknown[], version: number = BUNDLE_VERSION) => ({
  format: 'layerlab-runs',
  version,
  exportedAt: 'now',
  app: 'Layerlab',
  runs,
});
