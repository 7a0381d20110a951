import { describe, expect, it } from 'vitest';
import { BUNDLE_LIMITS, BUNDLE_VERSION, parseBundle, validateBundle, type BundledRun } from '../../../../src/shared/reports/bundle';
import { findPreset } from '../../../../src/shared/model/presets';

const preset = findPreset('seed-model-3')!;
const epoch = (n: number) => ({ epoch: n, loss: 0.5, accuracy: 0.8, valLoss: 0.6, valAccuracy: 0.78, seconds: 1 });
const run = (over: Partial<BundledRun> = {}): BundledRun => ({
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
const bundle = (runs: unknown[]) => ({ format: 'layerlab-runs', version: BUNDLE_VERSION, exportedAt: 'now', app: 'Layerlab', runs });

describe('bundle limits', () => {
  it('accepts an ordinary bundle', () => {
    expect(validateBundle(bundle([run()])).runs).toHaveLength(1);
  });

  it('refuses a repeated epoch, naming the run and the epoch, never a constraint', () => {
    const data = bundle([run(), run({ sourceId: 9, name: 'twice', epochs: [epoch(1), epoch(2), epoch(2)] })]);
    expect(() => validateBundle(data)).toThrow('run 2 of the bundle ("twice", id 9) has epoch 2 more than once; nothing was imported');
    expect(() => validateBundle(data)).not.toThrow(/constraint|SqliteError/i);
  });

  it('refuses too many runs before reading them', () => {
    const many = new Array(BUNDLE_LIMITS.runs + 1).fill({ not: 'even a run' });
    expect(() => validateBundle(bundle(many))).toThrow(/too large to import: it holds 10,001 runs; at most 10,000/);
  });

  it('refuses too many epochs in one run, naming the run and the limit', () => {
    const epochs = Array.from({ length: BUNDLE_LIMITS.epochsPerRun + 1 }, (_, i) => epoch(i + 1));
    expect(() => validateBundle(bundle([run({ name: 'long', epochs })]))).toThrow(
      /run 1 of the bundle \("long", id 7\) has 10,001 epochs; at most 10,000 per run/,
    );
  });

  it('refuses a file over the size limit before parsing it', () => {
    const text = ' '.repeat(BUNDLE_LIMITS.fileMegabytes * 1024 * 1024 + 1);
    expect(() => parseBundle(text)).toThrow(new RegExp(`too large to import: the file is .* MB; the limit is ${BUNDLE_LIMITS.fileMegabytes} MB`));
  });
});
