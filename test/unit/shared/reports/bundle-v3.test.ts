/** Version 3 bundles: the complete record, names, place in a repeat or sweep, CPU seconds; older bundles still import. */
import { describe, expect, it } from 'vitest';
import type { RunProvenance } from '../../../../src/shared/contract/runs';
import { BUNDLE_VERSION, parseBundle, validateBundle, type BundledRun } from '../../../../src/shared/reports/bundle';
import { PROVENANCE } from '../../../fixtures/provenance';
import { bundleOf, bundledRun as v2Run, epoch } from './bundle-fixtures';

const v3Run = (over: Partial<BundledRun> = {}): BundledRun =>
  v2Run({
    named: true,
    sweepValues: { learningRate: 0.01, 'layer3.units': 64 },
    repeatIndex: 2,
    provenance: PROVENANCE,
    epochs: [epoch(1, 3.5), epoch(2, null)],
    ...over,
  });
const bundle = (version: number, runs: unknown[]) => bundleOf(runs, version);

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
