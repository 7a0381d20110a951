/** Version 3 bundles: the complete record, names, place in a repeat or sweep, CPU seconds; older bundles still import. */
import { describe, expect, it } from 'vitest';
import type { RunProvenance } from '../../../../src/shared/contract/runs';
import { BUNDLE_VERSION, parseBundle, validateBundle, type BundledRun } from '../../../../src/shared/reports/bundle';
import { findPreset } from '../../../../src/shared/model/presets';

const preset = findPreset('seed-model-3')!;
const epoch = (n: number, cpuSeconds?: number | null) => ({
  epoch: n,
  loss: 0.5,
  accuracy: 0.8,
  valLoss: 0.6,
  valAccuracy: 0.78,
  seconds: 1,
  ...(cpuSeconds === undefined ? {} : { cpuSeconds }),
});

const PROVENANCE: RunProvenance = {
  appVersion: '0.1.0',
  gitCommit: '0123456789abcdef0123456789abcdef01234567',
  datasetFiles: [{ file: 'train-images-idx3-ubyte.gz', sha256: 'a'.repeat(64) }],
  optimizer: { name: 'adam', className: 'Adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false },
  loss: 'categorical_crossentropy',
  layers: [{ index: 1, name: 'Dense 2 (relu)', kernelInitializer: 'glorot_uniform', biasInitializer: 'zeros', extra: { seed: 43 } }],
  machine: { os: 'Linux 6.1', ramBytes: 8e9, cpus: 'x × 2', threads: 1, simd: true },
  peakRssBytes: 512e6,
};

/** A run as version 2 wrote it. */
const v2Run = (over: Record<string, unknown> = {}) => ({
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
const v3Run = (over: Partial<BundledRun> = {}): BundledRun =>
  v2Run({
    named: true,
    sweepValues: { learningRate: 0.01, 'layer3.units': 64 },
    repeatIndex: 2,
    provenance: PROVENANCE,
    epochs: [epoch(1, 3.5), epoch(2, null)],
    ...over,
  }) as BundledRun;
const bundle = (version: number, runs: unknown[]) => ({ format: 'layerlab-runs', version, exportedAt: 'now', app: 'Layerlab', runs });

describe('bundle version 3', () => {
  it('is the version written, and keeps the record, the name flag, the sweep values, the repeat and the CPU seconds', () => {
    expect(BUNDLE_VERSION).toBe(3);
    const text = JSON.stringify(bundle(3, [v3Run()]));
    const [r] = parseBundle(text).runs;
    expect(r.provenance).toEqual(PROVENANCE);
    expect(r).toMatchObject({ named: true, sweepValues: { learningRate: 0.01, 'layer3.units': 64 }, repeatIndex: 2 });
    expect(r.epochs.map((e) => e.cpuSeconds)).toEqual([3.5, null]);
  });

  it('takes a version 3 run without the new fields as not recorded', () => {
    const [r] = validateBundle(bundle(3, [v2Run()])).runs;
    expect(r).toMatchObject({ named: false, sweepValues: null, repeatIndex: null, provenance: null });
    expect(r.epochs[0].cpuSeconds).toBeUndefined();
  });

  it('still imports version 2 and version 1 bundles, with what they did not record empty', () => {
    const v2 = validateBundle(bundle(2, [v2Run()]));
    expect(v2.version).toBe(3);
    expect(v2.runs[0]).toMatchObject({ name: 'from elsewhere', named: false, sweepValues: null, repeatIndex: null, provenance: null });
    const { baseline: _b, layerStats: _l, savedWeights: _s, stopReason: _r, parentSourceId: _p, fixFor: _f, ...v1Run } = v2Run();
    const v1 = validateBundle(bundle(1, [v1Run]));
    expect(v1.runs[0]).toMatchObject({ baseline: null, layerStats: [], named: false, provenance: null });
  });

  it('refuses a damaged record in words', () => {
    const bad = (p: unknown) => () => validateBundle(bundle(3, [v3Run({ provenance: p as RunProvenance })]));
    expect(bad({ ...PROVENANCE, gitCommit: 'not a commit' })).toThrow(/damaged: .*gitCommit.*must be a git commit hash.*nothing was imported/);
    expect(bad({ ...PROVENANCE, datasetFiles: [{ file: 'x', sha256: 'zz' }] })).toThrow(/damaged: .*sha256.*SHA-256/);
    expect(bad({ ...PROVENANCE, machine: { ...PROVENANCE.machine, threads: 0 } })).toThrow(/damaged: .*threads/);
    expect(() => validateBundle(bundle(3, [v3Run({ repeatIndex: -1 })]))).toThrow(/damaged: .*repeatIndex/);
    expect(() => validateBundle(bundle(3, [v3Run({ named: 'yes' as unknown as boolean })]))).toThrow(/damaged: .*named/);
    expect(() => validateBundle(bundle(3, [v3Run({ epochs: [{ ...epoch(1), cpuSeconds: -1 }] })]))).toThrow(/damaged: .*cpuSeconds/);
  });

  it('refuses a bundle from a newer version', () => {
    expect(() => validateBundle(bundle(4, [v3Run()]))).toThrow(/newer version of Layerlab \(bundle format 4; this version reads 3\)/);
  });
});
