import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBundle, validateBundle, type BundledRun } from '../../../src/shared/reports/bundle';
import { findPreset } from '../../../src/shared/model/presets';
import { openDatabase, type Db } from '../../../src/core/store/database';
import * as m001 from '../../../src/core/store/migrations/001-initial';
import * as m002 from '../../../src/core/store/migrations/002-designs';
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
const newRun = (name = 'r') =>
  store.createRun({
    name,
    presetId: preset.id,
    datasetId: 'fashion-mnist',
    model: preset.model,
    config: preset.config,
    host: 'h',
    ownerPid: process.pid,
  });
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
  ...over,
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

  it('deletes a run with its epochs, batch losses and tags', () => {
    const { id } = newRun();
    store.addEpoch(id, epoch(1, 0.7));
    store.addBatchLoss(id, { epoch: 1, batch: 1, loss: 2 });
    store.updateRun(id, { tags: ['x'] });
    store.deleteRun(id);
    for (const table of ['epochs', 'batch_losses', 'run_tags']) {
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
    const upgraded = openDatabase(path);
    expect(new RunStore(upgraded).getSummary(1)).toMatchObject({
      epochsDone: 2,
      bestValAccuracy: 0.3,
      bestEpoch: 1,
      finalValAccuracy: 0.2,
      finalValLoss: 1.5,
      architecture: 'Dense 64-128-256-128-64 relu, sigmoid×4',
      tags: [],
      starred: false,
    });
    upgraded.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(3);
    raw.close();
  });
});

describe('bundles', () => {
  const file = (over: object = {}) => ({ format: 'layerlab-runs', version: 1, exportedAt: 'now', app: 'Layerlab', runs: [bundled()], ...over });

  it('accepts a bundle and refuses what is not one, with a message', () => {
    expect(validateBundle(file()).runs).toHaveLength(1);
    expect(() => parseBundle('{not json')).toThrow(/not JSON.*nothing was imported/);
    expect(() => validateBundle({ hello: 1 })).toThrow(/not a Layerlab run bundle/);
    expect(() => validateBundle(file({ version: 5 }))).toThrow(/newer version of Layerlab \(bundle format 5/);
    expect(() => validateBundle(file({ runs: [] }))).toThrow(/holds no runs/);
    expect(() => validateBundle(file({ runs: [bundled({ status: 'running' })] }))).toThrow(/only finished runs/);
    expect(() => validateBundle(file({ runs: [{ ...bundled(), epochs: [{ epoch: 1, loss: 'x' }] }] }))).toThrow(/damaged/);
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
