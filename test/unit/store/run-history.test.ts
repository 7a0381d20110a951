import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUNDLE_VERSION, parseBundle, validateBundle, type BundledRun } from '../../../src/shared/reports/bundle';
import type { LayerStat } from '../../../src/shared/contract/runs';
import { findPreset } from '../../../src/shared/model/presets';
import { openDatabase, type Db } from '../../../src/core/store/database';
import * as m001 from '../../../src/core/store/migrations/001-initial';
import * as m002 from '../../../src/core/store/migrations/002-designs';
import * as m003 from '../../../src/core/store/migrations/003-history';
import { LATEST_SCHEMA_VERSION } from '../../../src/core/store/migrations';
import { ComparisonStore } from '../../../src/core/store/comparison-store';
import { RunStore } from '../../../src/core/store/run-store';
import { tempDir } from '../../helpers';

let t: ReturnType<typeof tempDir>;
let db: Db;
let store: RunStore;
beforeEach(() => {
  t = tempDir();
  db = openDatabase(join(t.dir, 'h.db'));
  store = new RunStore(db);
});
afterEach(() => {
  db.close();
  t.cleanup();
});

const preset = findPreset('seed-model-1')!;
const newRunInput = (name = 'r') => ({
  name,
  presetId: preset.id,
  datasetId: 'fashion-mnist',
  model: preset.model,
  config: preset.config,
  host: 'h',
  ownerPid: process.pid,
});
const newRun = (name = 'r') => store.createRun(newRunInput(name));
const epoch = (n: number, valAccuracy: number) => ({ epoch: n, loss: 1 / n, accuracy: 0.5, valLoss: 1 - valAccuracy, valAccuracy, seconds: 2 });

const bundled = (over: Partial<BundledRun> = {}): BundledRun => ({
  sourceId: 7,
  name: 'from elsewhere',
  status: 'completed',
  presetId: 'seed-model-1',
  model: preset.model,
  config: preset.config,
  dataset: { id: 'fashion-mnist', source: '/data', trainCount: 48000, validationCount: 12000, testCount: 10000 },
  environment: { backend: 'wasm', versions: { 'tfjs-core': '4.22.0' }, host: 'laptop', platform: 'linux', cpus: '2 × x' },
  createdAt: '2026-01-02T03:04:05.000Z',
  startedAt: '2026-01-02T03:04:06.000Z',
  finishedAt: '2026-01-02T03:05:06.000Z',
  testLoss: 0.4,
  testAccuracy: 0.86,
  error: null,
  notes: 'first try\nsecond line',
  tags: ['baseline', 'adam'],
  starred: true,
  epochs: [epoch(1, 0.8), epoch(2, 0.85)],
  batchLosses: [{ epoch: 1, batch: 10, loss: 1.2 }],
  baseline: null,
  layerStats: [],
  savedWeights: 'final',
  stopReason: null,
  parentSourceId: null,
  fixFor: null,
  ...over,
});

const stat = (epoch: number, layer: number, over: Partial<LayerStat> = {}): LayerStat => ({
  epoch,
  batch: null,
  layer,
  name: `Dense ${layer} (sigmoid)`,
  gradNorm: 10 ** -layer,
  biasGradNorm: 0.01,
  weightNorm: 5,
  updateRatio: epoch === 0 ? null : 0.002,
  actMean: 0.5,
  actStd: 0.1,
  deadFraction: null,
  saturatedFraction: 0.7,
  nonfinite: 0,
  ...over,
});
const baseline = { epoch: 0, loss: 2.31, accuracy: 0.1, valLoss: 2.305, valAccuracy: 0.098, seconds: 0.4 };

describe('training signals', () => {
  it('keeps the baseline apart from the epochs: it never counts as one', () => {
    const { id } = newRun();
    store.recordBaseline(id, baseline);
    store.addEpoch(id, epoch(1, 0.7));
    const r = store.findRun(id)!;
    expect(r.baseline).toEqual(baseline);
    expect(r.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(r).toMatchObject({ epochsDone: 1, bestEpoch: 1 });
    expect(store.findRun(newRun().id)!.baseline).toBeNull();
  });

  it('keeps every layer signal exactly, in the order they were taken, nulls and non-finite figures included', () => {
    const { id } = newRun();
    store.addLayerStats(id, [stat(1, 1), stat(1, 2, { gradNorm: Infinity, nonfinite: 3, actMean: null })]);
    store.addLayerStats(id, [stat(0, 1), stat(0, 2)]);
    store.addLayerStats(id, [stat(1, 1, { batch: 20 }), stat(1, 2, { batch: 20 })]);
    const stats = store.findRun(id)!.layerStats;
    expect(stats.map((s) => [s.epoch, s.batch, s.layer])).toEqual([
      [0, null, 1],
      [0, null, 2],
      [1, 20, 1],
      [1, 20, 2],
      [1, null, 1],
      [1, null, 2],
    ]);
    expect(stats[0]).toEqual(stat(0, 1));
    expect(stats[5]).toEqual(stat(1, 2, { gradNorm: Infinity, nonfinite: 3, actMean: null }));
    // The same probe sent again replaces its rows rather than doubling them.
    store.addLayerStats(id, [stat(0, 1, { gradNorm: 0.5 })]);
    expect(
      store
        .findRun(id)!
        .layerStats.filter((s) => s.epoch === 0)
        .map((s) => s.gradNorm),
    ).toEqual([0.5, 0.01]);
  });

  it('the best epoch is the one of lowest validation loss; the accuracy one stays beside it', () => {
    const { id } = newRun();
    const e = (n: number, valLoss: number, valAccuracy: number) => ({ epoch: n, loss: 1 / n, accuracy: 0.5, valLoss, valAccuracy, seconds: 1 });
    store.addEpoch(id, e(1, 0.6, 0.8));
    store.addEpoch(id, e(2, 0.4, 0.84));
    expect(store.getSummary(id)).toMatchObject({ bestEpoch: 2, bestValLoss: 0.4, bestAccuracyEpoch: 2, bestValAccuracy: 0.84 });
    store.addEpoch(id, e(3, 0.45, 0.86));
    expect(store.getSummary(id)).toMatchObject({ bestEpoch: 2, bestValLoss: 0.4, bestAccuracyEpoch: 3, bestValAccuracy: 0.86, finalValLoss: 0.45 });
  });

  it('records which weights the test figures and the saved model are, and why training stopped', () => {
    const { id } = newRun();
    expect(store.getSummary(id)).toMatchObject({ savedWeights: null, stopReason: null, hasModel: false });
    store.recordTest(id, 0.3, 0.89, 'best');
    store.setModelPath(id, '/models/run-1', 'best');
    store.recordStopReason(id, 'stopped early at epoch 9 (best 6)');
    expect(store.getSummary(id)).toMatchObject({
      testAccuracy: 0.89,
      savedWeights: 'best',
      stopReason: 'stopped early at epoch 9 (best 6)',
      hasModel: true,
    });
  });

  it('links a run to the run it was trained from and the fix it applies; deleting the parent keeps the child, unlinked', () => {
    const parent = newRun('sigmoid stack');
    store.addLayerStats(parent.id, [stat(0, 1)]);
    const fixFor = { kind: 'vanishing-gradients', summary: 'use relu in layers 2–5' };
    const child = store.createRun({ ...newRunInput('relu stack'), parentRunId: parent.id, fixFor });
    expect(child).toMatchObject({ parentRunId: parent.id, fixFor });
    expect(store.childRunIds(parent.id)).toEqual([child.id]);
    store.addLayerStats(child.id, [stat(0, 1)]);
    store.deleteRun(parent.id);
    expect(store.findRun(parent.id)).toBeNull();
    expect(store.findRun(child.id)).toMatchObject({ name: 'relu stack', parentRunId: null, fixFor });
    expect(store.findRun(child.id)!.layerStats).toHaveLength(1);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM layer_stats`).get()).toEqual({ n: 1 });
  });
});

describe('run history on the run row', () => {
  it('keeps best, best epoch and final validation figures as epochs arrive', () => {
    const { id } = newRun();
    store.addEpoch(id, epoch(1, 0.7));
    store.addEpoch(id, epoch(2, 0.9));
    store.addEpoch(id, epoch(3, 0.85));
    expect(store.getSummary(id)).toMatchObject({
      epochsDone: 3,
      bestValAccuracy: 0.9,
      bestEpoch: 2,
      finalValAccuracy: 0.85,
      architecture: 'Dense 64-128-256-128-64 relu, sigmoid×4',
    });
  });

  it('renames, annotates, tags and stars a run', () => {
    const { id } = newRun();
    const r = store.updateRun(id, { name: 'better name', notes: 'line 1\nline 2', tags: ['b', 'a', 'a'], starred: true });
    expect(r).toMatchObject({ name: 'better name', notes: 'line 1\nline 2', tags: ['a', 'b'], starred: true });
    expect(store.updateRun(id, { tags: [] }).tags).toEqual([]);
  });

  it('deletes a run with its epochs, batch losses, layer signals and tags', () => {
    const { id } = newRun();
    store.addEpoch(id, epoch(1, 0.7));
    store.addBatchLoss(id, { epoch: 1, batch: 1, loss: 2 });
    store.addLayerStats(id, [stat(0, 1), stat(1, 1)]);
    store.updateRun(id, { tags: ['x'] });
    store.deleteRun(id);
    for (const table of ['epochs', 'batch_losses', 'run_tags', 'layer_stats']) {
      expect(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    }
  });

  it('imports bundled runs under new ids, all fields kept, nothing existing touched', () => {
    const mine = newRun('mine');
    const [id] = store.importRuns([bundled()], 'this-host');
    expect(id).not.toBe(7);
    expect(store.getSummary(mine.id).name).toBe('mine');
    const r = store.findRun(id)!;
    const b = bundled();
    expect(r).toMatchObject({
      name: b.name,
      status: 'completed',
      notes: b.notes,
      tags: ['adam', 'baseline'],
      starred: true,
      testAccuracy: 0.86,
      bestValAccuracy: 0.85,
      bestEpoch: 2,
      backend: 'wasm',
      dataset: b.dataset,
      environment: b.environment,
      model: b.model,
      config: b.config,
      createdAt: b.createdAt,
    });
    expect(r.epochs).toEqual(b.epochs);
    expect(r.batchLosses).toEqual(b.batchLosses);
  });

  it('imports the baseline, the layer signals, the saved weights, the stop reason and the fix', () => {
    const fixFor = { kind: 'overfitting', summary: 'add early stopping at the best epoch' };
    const b = bundled({
      baseline,
      layerStats: [stat(0, 1), stat(1, 1), stat(1, 2, { batch: 40, gradNorm: null, nonfinite: 2 })],
      savedWeights: 'best',
      stopReason: 'stopped early at epoch 2 (best 1)',
      fixFor,
    });
    const [id] = store.importRuns([b], 'this-host');
    const r = store.findRun(id)!;
    expect(r).toMatchObject({ savedWeights: 'best', stopReason: 'stopped early at epoch 2 (best 1)', fixFor, parentRunId: null, epochsDone: 2 });
    expect(r.baseline).toEqual(baseline);
    expect(r.layerStats).toEqual([stat(0, 1), stat(1, 2, { batch: 40, gradNorm: null, nonfinite: 2 }), stat(1, 1)]);
  });

  it('links imported runs to their parents by the ids they had, whatever the order; a parent left out of the bundle is dropped', () => {
    const mine = newRun('mine, id 1 here');
    const fixFor = { kind: 'learning-slowly', summary: 'raise lr to 0.01' };
    const ids = store.importRuns(
      [
        bundled({ sourceId: 12, name: 'grandchild', parentSourceId: 11, fixFor }),
        bundled({ sourceId: 10, name: 'parent' }),
        bundled({ sourceId: 11, name: 'child', parentSourceId: 10, fixFor }),
        // Its parent (id 1 where it came from) is not in the bundle: it must not become "mine".
        bundled({ sourceId: 13, name: 'stray', parentSourceId: mine.id, fixFor }),
        bundled({ sourceId: 14, name: 'own parent', parentSourceId: 14 }),
      ],
      'this-host',
    );
    const parentOf = (i: number) => store.getSummary(ids[i]).parentRunId;
    expect([parentOf(0), parentOf(1), parentOf(2), parentOf(3), parentOf(4)]).toEqual([ids[2], null, ids[1], null, null]);
    // The fix a run applied stays even when its parent did not come along.
    expect(store.getSummary(ids[3]).fixFor).toEqual(fixFor);
  });

  it('migration 003 fills the figures of runs recorded before it', () => {
    const path = join(t.dir, 'old.db');
    const old = openDatabase(path, { migrations: [m001, m002] });
    old
      .prepare(
        `INSERT INTO runs (id, name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size, epochs_planned, seed, host, owner_pid, created_at)
       VALUES (1, 'old', 'completed', 'fashion-mnist', ?, ?, 'sgd', 0.01, 64, 2, 1, 'h', 1, 'now')`,
      )
      .run(JSON.stringify(preset.model), JSON.stringify(preset.config));
    old.prepare(`INSERT INTO epochs VALUES (1, 1, 2.0, 0.1, 2.0, 0.3, 1, 'now'), (1, 2, 1.0, 0.2, 1.5, 0.2, 1, 'now')`).run();
    old.close();
    // Up to 003 only: the raw columns it wrote (004 then re-reads the best epoch by validation loss).
    const upgraded = openDatabase(path, { migrations: [m001, m002, m003] });
    expect(upgraded.prepare(`SELECT best_epoch FROM runs WHERE id = 1`).get()).toEqual({ best_epoch: 1 });
    upgraded.close();
    const latest = openDatabase(path);
    expect(new RunStore(latest).getSummary(1)).toMatchObject({
      epochsDone: 2,
      bestValAccuracy: 0.3,
      bestEpoch: 2,
      bestValLoss: 1.5,
      bestAccuracyEpoch: 1,
      finalValAccuracy: 0.2,
      finalValLoss: 1.5,
      architecture: 'Dense 64-128-256-128-64 relu, sigmoid×4',
      tags: [],
      starred: false,
    });
    latest.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    raw.close();
  });
});

describe('bundles', () => {
  const file = (over: object = {}) => ({
    format: 'layerlab-runs',
    version: BUNDLE_VERSION,
    exportedAt: 'now',
    app: 'Layerlab',
    runs: [bundled()],
    ...over,
  });
  /** A run as version 1 wrote it: nothing of the layer signals, baseline, stop reason or fix. */
  const v1Run = () => {
    const { baseline: _b, layerStats: _l, savedWeights: _w, stopReason: _s, parentSourceId: _p, fixFor: _f, ...run } = bundled();
    return run;
  };

  it('is at version 3', () => {
    expect(BUNDLE_VERSION).toBe(3);
  });

  it('a version 3 run keeps its complete record, its name’s owner, its place in a sweep and its CPU seconds through an import', () => {
    const provenance = {
      appVersion: '0.1.0',
      gitCommit: 'a'.repeat(40),
      datasetFiles: [{ file: 'train-images-idx3-ubyte.gz', sha256: 'b'.repeat(64) }],
      optimizer: { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
      loss: 'categorical_crossentropy',
      layers: [{ index: 1, name: 'Dense 1 (relu)', kernelInitializer: 'glorot_uniform', biasInitializer: 'zeros' }],
      machine: { os: 'Linux 6.1', ramBytes: 24e9, cpus: 'x × 2', threads: 1, simd: true },
      peakRssBytes: 300e6,
    };
    const epochs = [
      { ...epoch(1, 0.8), cpuSeconds: 3.5 },
      { ...epoch(2, 0.85), cpuSeconds: 3.25 },
    ];
    const run = validateBundle(file({ runs: [bundled({ named: false, sweepValues: { learningRate: 0.01 }, repeatIndex: 1, provenance, epochs })] }))
      .runs[0];
    const [id] = store.importRuns([run], 'h');
    const r = store.findRun(id)!;
    expect(r).toMatchObject({ named: false, sweepValues: { learningRate: 0.01 }, repeatIndex: 1, groupId: null, provenance });
    expect(r.epochs).toEqual(epochs);
  });

  it('accepts a bundle and refuses what is not one, with a message', () => {
    expect(validateBundle(file()).runs).toHaveLength(1);
    expect(() => parseBundle('{not json')).toThrow(/not JSON.*nothing was imported/);
    expect(() => validateBundle({ hello: 1 })).toThrow(/not a Layerlab run bundle/);
    expect(() => validateBundle(file({ version: 4 }))).toThrow(/newer version of Layerlab \(bundle format 4; this version reads 3\)/);
    expect(() => validateBundle(file({ version: 5 }))).toThrow(/newer version of Layerlab \(bundle format 5/);
    expect(() => validateBundle(file({ runs: [] }))).toThrow(/holds no runs/);
    expect(() => validateBundle(file({ runs: [bundled({ status: 'running' })] }))).toThrow(/only finished runs/);
    expect(() => validateBundle(file({ runs: [{ ...bundled(), epochs: [{ epoch: 1, loss: 'x' }] }] }))).toThrow(/damaged/);
    expect(() => validateBundle(file({ runs: [bundled({ layerStats: [{ ...stat(0, 1), epoch: -1 }] })] }))).toThrow(/damaged.*layerStats/);
    expect(() => validateBundle(file({ runs: [bundled({ savedWeights: 'some' as 'best' })] }))).toThrow(/damaged.*savedWeights/);
    // A version 2 bundle without the layer signals is damaged, not old.
    expect(() => validateBundle(file({ runs: [v1Run()] }))).toThrow(/damaged/);
  });

  it('still imports a version 1 bundle, with no baseline, layer signals, stop reason or parent', () => {
    const old = validateBundle(file({ version: 1, runs: [v1Run()] }));
    expect(old.version).toBe(BUNDLE_VERSION);
    expect(old.runs[0]).toMatchObject({ baseline: null, layerStats: [], savedWeights: null, stopReason: null, parentSourceId: null, fixFor: null });
    const [id] = store.importRuns(old.runs, 'h');
    const r = store.findRun(id)!;
    expect(r).toMatchObject({ name: 'from elsewhere', epochsDone: 2, baseline: null, layerStats: [], savedWeights: null, parentRunId: null });
    expect(r.epochs).toEqual(bundled().epochs);
  });
});

describe('saved comparisons', () => {
  it('saves, lists and deletes; names are unique', () => {
    const comparisons = new ComparisonStore(db);
    const c = comparisons.save({ name: 'adam vs sgd', runIds: [1, 2], options: { smoothing: 0.6 } });
    expect(comparisons.list()).toEqual([expect.objectContaining({ id: c.id, runIds: [1, 2], options: { smoothing: 0.6 } })]);
    expect(() => comparisons.save({ name: 'ADAM vs SGD', runIds: [1, 3], options: {} })).toThrow(/already exists/);
    comparisons.delete(c.id);
    expect(comparisons.list()).toEqual([]);
  });
});
