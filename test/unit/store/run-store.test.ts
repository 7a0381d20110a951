import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPreset } from '../../../src/shared/model/presets';
import { openDatabase, type Db } from '../../../src/core/store/database';
import { RunStore, type NewRun } from '../../../src/core/store/run-store';
import { tempDir } from '../../helpers';

let t: ReturnType<typeof tempDir>;
let db: Db;
let store: RunStore;
beforeEach(() => {
  t = tempDir();
  db = openDatabase(join(t.dir, 'runs.db'));
  store = new RunStore(db);
});
afterEach(() => {
  db.close();
  t.cleanup();
});

const preset = findPreset('seed-model-2')!;
const newRun = (over: Partial<NewRun> = {}): NewRun => ({
  name: 'r',
  presetId: preset.id,
  datasetId: 'fashion-mnist',
  model: preset.model,
  config: { ...preset.config, epochs: 3, limit: 1234, seed: 9, momentum: 0.5, learningRate: 0.0123 },
  host: 'this-host',
  ownerPid: process.pid,
  ...over,
});

describe('RunStore', () => {
  it('reads back every setting exactly as it was recorded', () => {
    const input = newRun();
    const { id } = store.createRun(input);
    const run = store.findRun(id)!;
    expect(run.model).toEqual(input.model);
    expect(run.config).toEqual(input.config);
    expect(run).toMatchObject({
      status: 'queued',
      presetId: 'seed-model-2',
      optimizer: 'sgd',
      learningRate: 0.0123,
      epochsPlanned: 3,
      epochsDone: 0,
    });
  });

  it('lists runs newest first with best validation accuracy and the epoch it happened at', () => {
    const a = store.createRun(newRun({ name: 'first' }));
    const b = store.createRun(newRun({ name: 'second' }));
    store.markRunning(a.id, 123);
    store.addEpoch(a.id, { epoch: 1, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.6, seconds: 1 });
    store.addEpoch(a.id, { epoch: 2, loss: 0.8, accuracy: 0.6, valLoss: 0.9, valAccuracy: 0.8, seconds: 1 });
    store.addEpoch(a.id, { epoch: 3, loss: 0.7, accuracy: 0.7, valLoss: 0.95, valAccuracy: 0.8, seconds: 1 });
    const list = store.listRuns();
    expect(list.map((r) => r.name)).toEqual(['second', 'first']);
    expect(list[1]).toMatchObject({ epochsDone: 3, bestValAccuracy: 0.8, bestEpoch: 2, status: 'running' });
    expect(list[0]).toMatchObject({ id: b.id, bestValAccuracy: null, bestEpoch: null });
  });

  it('never overwrites a terminal status', () => {
    const { id } = store.createRun(newRun());
    store.markRunning(id, 1);
    expect(store.finish(id, 'cancelled')).toBe(true);
    expect(store.finish(id, 'crashed', 'late exit')).toBe(false);
    expect(store.finish(id, 'completed')).toBe(false);
    expect(store.getSummary(id)).toMatchObject({ status: 'cancelled', error: null });
  });

  it('marks a running run whose processes are gone as crashed, keeping its epochs', () => {
    const gone = store.createRun(newRun({ ownerPid: 999_999 }));
    store.markRunning(gone.id, 999_998);
    store.addEpoch(gone.id, { epoch: 1, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.6, seconds: 1 });
    const queuedGone = store.createRun(newRun({ ownerPid: 999_999 }));
    const mine = store.createRun(newRun({ ownerPid: process.pid }));
    store.markRunning(mine.id, process.pid);
    const otherHost = store.createRun(newRun({ ownerPid: 999_999, host: 'elsewhere' }));
    store.markRunning(otherHost.id, 999_998);

    const alive = (pid: number) => pid === process.pid;
    expect(store.recoverOrphans('this-host', alive).sort()).toEqual([gone.id, queuedGone.id].sort());
    expect(store.findRun(gone.id)).toMatchObject({ status: 'crashed', epochsDone: 1 });
    expect(store.findRun(gone.id)!.epochs).toHaveLength(1);
    expect(store.getSummary(queuedGone.id).status).toBe('cancelled');
    expect(store.getSummary(mine.id).status).toBe('running');
    expect(store.getSummary(otherHost.id).status).toBe('running');
  });

  it('keeps sampled batch losses in order', () => {
    const { id } = store.createRun(newRun());
    store.addBatchLoss(id, { epoch: 1, batch: 20, loss: 1.5 });
    store.addBatchLoss(id, { epoch: 1, batch: 10, loss: 2 });
    store.addBatchLoss(id, { epoch: 2, batch: 10, loss: 1 });
    expect(store.findRun(id)!.batchLosses.map((b) => [b.epoch, b.batch])).toEqual([
      [1, 10],
      [1, 20],
      [2, 10],
    ]);
  });

  it('remembers settings', () => {
    store.setSetting('dataset.folder', '/data');
    expect(store.getSetting('dataset.folder')).toBe('/data');
    store.setSetting('dataset.folder', null);
    expect(store.getSetting('dataset.folder')).toBeNull();
  });
});
