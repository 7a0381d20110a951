/**
 * The run lifecycle against real parts: a real SQLite file, the real trainer
 * process, real Fashion-MNIST. These are the lessons and promises a user sees.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LayerlabEvent } from '../../src/shared/contract/api';
import { findPreset } from '../../src/shared/model/presets';
import type { TrainingConfig } from '../../src/shared/model/training-config';
import { openLayerlab, type Layerlab } from '../../src/core/app';
import { forkTrainer } from '../../src/core/runs/node-trainer';
import type { ToTrainer } from '../../src/core/engine/protocol';
import type { LaunchTrainer, TrainerHandle } from '../../src/core/runs/trainer-launcher';
import { tempDir } from '../helpers';
import { cliHarness } from './cli-harness';
import { openDatabase } from '../../src/core/store/database';
import { MIGRATIONS } from '../../src/core/store/migrations';
import { processStartTime, sameProcessAlive } from '../../src/core/runs/process-identity';

let t: ReturnType<typeof tempDir>;
let app: Layerlab;
let events: LayerlabEvent[];
let trainers: TrainerHandle[];
/** Each message sent to a trainer, with its run's status as recorded when it went out. */
let sent: { type: ToTrainer['type']; status: string }[];

// The real launcher, remembering each trainer so a test can kill one, and what it was told.
const launch: LaunchTrainer = () => {
  const handle = forkTrainer();
  trainers.push(handle);
  let runId = 0;
  return {
    ...handle,
    send(message) {
      if (message.type === 'start') runId = message.job.runId;
      sent.push({ type: message.type, status: app.store.getSummary(runId).status });
      handle.send(message);
    },
  };
};

beforeEach(() => {
  t = tempDir();
  trainers = [];
  sent = [];
  events = [];
  app = openLayerlab({ shell: 'browser', launchTrainer: launch, dataDir: t.dir, databasePath: join(t.dir, 'runs.db') });
  app.events.subscribe((e) => events.push(e));
});
afterEach(async () => {
  harness.killLeftovers();
  await app.close();
  t.cleanup();
});

const harness = cliHarness(() => t.dir);

function startPreset(id: string, config: Partial<TrainingConfig>, name?: string) {
  const preset = findPreset(id)!;
  return app.runs.start({ name, presetId: id, model: preset.model, config: { ...preset.config, ...config } });
}

const until = async (check: () => boolean, what: string, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('the seed lessons, on the full training set (fixed seed)', () => {
  it('seed-model-3 (relu, adam) reaches ≥ 0.85 validation and ≥ 0.84 test accuracy in 3 epochs; every setting reads back exactly', async () => {
    const config = { epochs: 3, seed: 1234 };
    const run = startPreset('seed-model-3', config, 'adam baseline');
    await app.runs.whenDone(run.id);
    const detail = app.runs.get(run.id);
    expect(detail.status, detail.error ?? '').toBe('completed');
    expect(detail.epochs).toHaveLength(3);
    expect(detail.epochs.at(-1)!.valAccuracy).toBeGreaterThanOrEqual(0.85);
    expect(detail.testAccuracy).toBeGreaterThanOrEqual(0.84);
    expect(detail.dataset).toMatchObject({ id: 'fashion-mnist', trainCount: 48_000, validationCount: 12_000, testCount: 10_000 });
    expect(detail.environment?.backend).toBe(detail.backend);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(detail.backend);
    expect(detail.batchLosses.length).toBeGreaterThanOrEqual(3 * 40);

    // Read back from the file by a separate connection, as another process would.
    const db = new Database(join(t.dir, 'runs.db'), { readonly: true });
    const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(run.id) as Record<string, unknown>;
    db.close();
    expect(JSON.parse(row.config_json as string)).toEqual({ ...findPreset('seed-model-3')!.config, ...config });
    expect(JSON.parse(row.model_json as string)).toEqual(findPreset('seed-model-3')!.model);
    expect(row).toMatchObject({
      name: 'adam baseline',
      preset_id: 'seed-model-3',
      optimizer: 'adam',
      learning_rate: 0.001,
      batch_size: 64,
      epochs_planned: 3,
      seed: 1234,
    });
  });

  it('seed-model-1 (deep sigmoid, sgd 0.01) barely learns: validation accuracy stays below 0.5 after 3 epochs', async () => {
    const run = startPreset('seed-model-1', { epochs: 3, seed: 1234 });
    await app.runs.whenDone(run.id);
    const detail = app.runs.get(run.id);
    expect(detail.status, detail.error ?? '').toBe('completed');
    expect(detail.epochs).toHaveLength(3);
    for (const e of detail.epochs) expect(e.valAccuracy).toBeLessThan(0.5);
  });
});

describe('what a run records to explain itself', () => {
  it('a baseline before the first step and layer signals for epochs 0..n, each committed and pushed as it comes', async () => {
    // 1,600 training images in batches of 64: 25 batches an epoch, a finer probe every 10.
    const run = startPreset('seed-model-3', { epochs: 2, limit: 2000, seed: 5, probeEveryBatches: 10 });
    await until(() => events.some((e) => e.type === 'run-baseline' && e.runId === run.id), 'the baseline');
    // Committed before training goes on: another connection sees it, and it is no epoch.
    const db = new Database(join(t.dir, 'runs.db'), { readonly: true });
    const row = db.prepare('SELECT baseline_loss, epochs_done FROM runs WHERE id = ?').get(run.id) as { baseline_loss: number; epochs_done: number };
    db.close();
    expect(row.baseline_loss).toBeGreaterThan(0);
    expect(row.epochs_done).toBe(0);
    await app.runs.whenDone(run.id);

    const detail = app.runs.get(run.id);
    expect(detail.status, detail.error ?? '').toBe('completed');
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(detail.epochsDone).toBe(2);
    // Before any step, ten classes: about chance (loss near ln 10, accuracy near 0.1).
    expect(detail.baseline).toMatchObject({ epoch: 0 });
    expect(Math.abs(detail.baseline!.valLoss! - Math.log(10))).toBeLessThan(0.5);
    expect(detail.baseline!.valAccuracy).toBeLessThan(0.3);
    expect(detail.savedWeights).toBe('final');
    expect(detail.stopReason).toBeNull();

    // Every Dense layer (model indices 1–6) at the end of every epoch, and before the first step.
    const ends = detail.layerStats.filter((s) => s.batch === null);
    for (const epoch of [0, 1, 2]) {
      const at = ends.filter((s) => s.epoch === epoch && s.gradNorm !== null);
      expect(
        at.map((s) => s.layer),
        `epoch ${epoch}`,
      ).toEqual([1, 2, 3, 4, 5, 6]);
      for (const s of at) {
        expect(s.gradNorm, `${s.name} at epoch ${epoch}`).toBeGreaterThan(0);
        expect(s.weightNorm).toBeGreaterThan(0);
        expect(s.nonfinite).toBe(0);
        if (epoch === 0) expect(s.updateRatio).toBeNull();
        else expect(s.updateRatio).toBeGreaterThan(0);
      }
    }
    expect(ends.find((s) => s.layer === 1 && s.epoch === 1)?.deadFraction).not.toBeNull();
    expect(ends.find((s) => s.layer === 6 && s.epoch === 1)?.saturatedFraction).not.toBeNull();
    // The finer probes, by batch, within the epochs.
    const finer = detail.layerStats.filter((s) => s.batch !== null);
    expect(new Set(finer.map((s) => `${s.epoch}:${s.batch}`))).toEqual(new Set(['1:10', '1:20', '2:10', '2:20']));

    // Pushed as they came: the baseline before the first epoch, one push per probe, the same rows as stored.
    const mine = events.filter((e) => 'runId' in e && e.runId === run.id);
    expect(mine.findIndex((e) => e.type === 'run-baseline')).toBeLessThan(mine.findIndex((e) => e.type === 'run-epoch'));
    const pushed = mine.flatMap((e) => (e.type === 'run-layer-stats' ? e.stats : []));
    expect(pushed).toHaveLength(detail.layerStats.length);
    expect(new Set(pushed.map((s) => JSON.stringify(s)))).toEqual(new Set(detail.layerStats.map((s) => JSON.stringify(s))));
  });

  it('early stopping ends the run completed, saying why, with the best epoch’s weights', async () => {
    // No epoch can improve validation loss by more than 100: it stops after the first epoch that does not.
    const run = startPreset('seed-model-3', {
      epochs: 6,
      limit: 1000,
      earlyStopping: { monitor: 'val_loss', patience: 1, minDelta: 100, restoreBest: true },
    });
    await app.runs.whenDone(run.id);
    const detail = app.runs.get(run.id);
    expect(detail.status, detail.error ?? '').toBe('completed');
    expect(detail.epochs).toHaveLength(2);
    expect(detail.stopReason).toMatch(/stopped early at epoch 2/);
    expect(detail.savedWeights).toBe('best');
    expect(detail.testAccuracy).not.toBeNull();
    expect(events.some((e) => e.type === 'run-updated' && e.run.id === run.id && e.run.status === 'completed' && e.run.stopReason)).toBe(true);
  });

  it('a run trained again with a fix names its parent and the fix; deleting the parent keeps the child, unlinked', async () => {
    const preset = findPreset('seed-model-1')!;
    const config = { ...preset.config, epochs: 1, limit: 1000 };
    const fixFor = { kind: 'vanishing-gradients', summary: 'use relu in layers 2–5' };
    expect(() => app.runs.start({ model: preset.model, config, parentRunId: 999, fixFor })).toThrow(
      /There is no run with id 999 to train again from/,
    );
    expect(app.runs.list()).toHaveLength(0);

    const parent = startPreset('seed-model-1', { epochs: 1, limit: 1000 });
    const child = app.runs.start({ presetId: 'seed-model-3', model: findPreset('seed-model-3')!.model, config, parentRunId: parent.id, fixFor });
    expect(child).toMatchObject({ parentRunId: parent.id, fixFor });
    await app.runs.whenDone(child.id);
    expect(app.runs.list().find((r) => r.id === child.id)).toMatchObject({ status: 'completed', parentRunId: parent.id, fixFor });

    events.length = 0;
    app.runs.delete(parent.id);
    const after = app.runs.get(child.id);
    expect(after).toMatchObject({ status: 'completed', parentRunId: null, fixFor, epochsDone: 1 });
    expect(after.layerStats.length).toBeGreaterThan(0);
    // Every window hears that the child lost its link.
    expect(events.some((e) => e.type === 'run-updated' && e.run.id === child.id && e.run.parentRunId === null)).toBe(true);
    const db = new Database(join(t.dir, 'runs.db'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) AS n FROM layer_stats WHERE run_id = ?').get(parent.id)).toEqual({ n: 0 });
    db.close();
  });
});

describe('the run lifecycle', () => {
  it('streams progress and epochs, and commits each epoch as it ends', async () => {
    const run = startPreset('seed-model-3', { epochs: 2, limit: 3000 });
    await until(() => events.some((e) => e.type === 'run-epoch'), 'the first epoch');
    // Committed while the run is still going: another connection sees it.
    const db = new Database(join(t.dir, 'runs.db'), { readonly: true });
    const rows = db.prepare('SELECT epoch FROM epochs WHERE run_id = ?').all(run.id);
    db.close();
    expect(rows.length).toBeGreaterThanOrEqual(1);
    await app.runs.whenDone(run.id);
    const progress = events.filter((e) => e.type === 'run-progress');
    expect(progress.length).toBeGreaterThan(10);
    const last = progress.at(-1)!;
    expect(last.type === 'run-progress' && last.progress).toMatchObject({ epoch: 2, epochs: 2 });
    const statuses = events.filter((e) => e.type === 'run-updated' && e.run.id === run.id).map((e) => e.type === 'run-updated' && e.run.status);
    expect(statuses[0]).toBe('queued');
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('completed');
  });

  it('lets the trainer exit only once the end of the run is recorded', async () => {
    const run = startPreset('seed-model-3', { epochs: 1, limit: 1000 });
    await app.runs.whenDone(run.id);
    expect(sent).toEqual([
      { type: 'start', status: 'running' },
      { type: 'ack', status: 'completed' },
    ]);
  });

  it('queues a second run until the first ends; cancelling the queued one never trains it', async () => {
    const first = startPreset('seed-model-3', { epochs: 1, limit: 2000 });
    const second = startPreset('seed-model-2', { epochs: 1, limit: 2000 });
    expect(app.runs.get(second.id).status).toBe('queued');
    app.runs.cancel(second.id);
    expect(app.runs.get(second.id).status).toBe('cancelled');
    await app.runs.whenDone(first.id);
    expect(app.runs.get(first.id).status).toBe('completed');
    expect(trainers).toHaveLength(1);
    expect(app.runs.get(second.id).epochs).toHaveLength(0);
  });

  it('Cancel stops a running run and keeps its finished epochs', async () => {
    const run = startPreset('seed-model-3', { epochs: 5, limit: 6000 });
    await until(() => events.some((e) => e.type === 'run-epoch'), 'the first epoch');
    app.runs.cancel(run.id);
    await app.runs.whenDone(run.id);
    const detail = app.runs.get(run.id);
    expect(detail.status).toBe('cancelled');
    expect(detail.epochs.length).toBeGreaterThanOrEqual(1);
    expect(detail.epochs.length).toBeLessThan(5);
    expect(detail.testAccuracy).toBeNull();
  });

  it('a loss that becomes NaN ends the run failed with "diverged at epoch k", keeping earlier epochs', async () => {
    const run = startPreset('seed-model-3', { optimizer: 'sgd', learningRate: 1000, epochs: 3, limit: 2000 });
    await app.runs.whenDone(run.id);
    const detail = app.runs.get(run.id);
    expect(detail.status).toBe('failed');
    const k = Number(/diverged at epoch (\d+)/.exec(detail.error ?? '')?.[1]);
    expect(k, detail.error ?? '').toBeGreaterThanOrEqual(1);
    expect(detail.epochs).toHaveLength(k - 1);
  });

  it('a trainer killed with SIGKILL leaves the run crashed with its epochs, and the app keeps working', async () => {
    const run = startPreset('seed-model-3', { epochs: 10, limit: 3000 });
    await until(() => events.some((e) => e.type === 'run-epoch'), 'the first epoch');
    process.kill(trainers[0].pid!, 'SIGKILL');
    await app.runs.whenDone(run.id);
    const detail = app.runs.get(run.id);
    expect(detail.status).toBe('crashed');
    expect(detail.error).toMatch(/killed \(SIGKILL\)/);
    expect(detail.epochs.length).toBeGreaterThanOrEqual(1);

    const next = startPreset('seed-model-3', { epochs: 1, limit: 1000 });
    await app.runs.whenDone(next.id);
    expect(app.runs.get(next.id).status).toBe('completed');
    expect(app.runs.get(run.id).status).toBe('crashed');
  });

  it('on start-up, a running run whose trainer is gone becomes crashed, keeping its epochs', async () => {
    const run = startPreset('seed-model-3', { epochs: 10, limit: 3000 });
    await until(() => events.some((e) => e.type === 'run-epoch'), 'the first epoch');
    // Simulate the whole app dying: the owner pid becomes one that does not exist.
    app.db.prepare('UPDATE runs SET owner_pid = 999999 WHERE id = ?').run(run.id);
    process.kill(trainers[0].pid!, 'SIGKILL');
    await until(() => app.store.getSummary(run.id).status !== 'running', 'the crash to be noticed');
    await app.close();
    // Re-mark as running, as a dead app would have left it, and reopen.
    const raw = new Database(join(t.dir, 'runs.db'));
    raw.prepare(`UPDATE runs SET status = 'running', error = NULL, finished_at = NULL WHERE id = ?`).run(run.id);
    raw.close();
    app = openLayerlab({ shell: 'browser', launchTrainer: launch, dataDir: t.dir, databasePath: join(t.dir, 'runs.db') });
    const after = app.runs.get(run.id);
    expect(after.status).toBe('crashed');
    expect(after.epochs.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses to delete a run while it is queued or training; deletes it once it has ended', async () => {
    const run = startPreset('seed-model-3', { epochs: 1, limit: 1000 });
    const queued = startPreset('seed-model-3', { epochs: 1, limit: 1000 }, 'the second one');
    expect(() => app.runs.delete(run.id)).toThrow(/is (queued|running); cancel it before deleting it/);
    expect(() => app.runs.delete(queued.id)).toThrow(/is queued; cancel it before deleting it/);
    expect(() => app.runs.exportBundle([run.id], 'test')).toThrow(/only finished runs can be exported/);
    app.runs.cancel(queued.id);
    await app.runs.whenDone(run.id);
    const modelDir = app.store.modelPath(run.id)!;
    expect(existsSync(join(modelDir, 'model.json'))).toBe(true);
    expect(app.runs.delete(run.id)).toEqual({ deleted: run.id });
    expect(existsSync(modelDir)).toBe(false);
    expect(events.some((e) => e.type === 'run-deleted' && e.runId === run.id)).toBe(true);
    expect(app.runs.list().map((r) => r.id)).toEqual([queued.id]);
  });

  it('refuses a network that cannot be trained, recording nothing', () => {
    const preset = findPreset('seed-model-3')!;
    const broken = { ...preset.model, layers: preset.model.layers.slice(0, -1) };
    expect(() => app.runs.start({ model: broken, config: preset.config })).toThrow(/must end in 10 units with softmax/);
    expect(app.runs.list()).toHaveLength(0);
  });

  it('refuses an unknown preset', () => {
    const preset = findPreset('seed-model-3')!;
    expect(() => app.runs.start({ presetId: 'seed-model-9', model: preset.model, config: preset.config })).toThrow(/Unknown preset "seed-model-9"/);
  });
});

describe('a trainer whose app is gone', () => {
  it('dies with its parent CLI; an app started at once on the same database marks the run crashed within 5 s', async () => {
    const db = join(t.dir, 'cli.db');
    const cli = harness.startCli(['train', '--preset', 'seed-model-3', '--epochs', '20', '--limit', '3000', '--db', db]);
    await cli.waitFor('stderr', /epoch 1:/);
    const raw = new Database(db, { readonly: true });
    const row = raw.prepare(`SELECT id, status, trainer_pid, trainer_started, owner_started FROM runs`).get() as {
      id: number;
      status: string;
      trainer_pid: number;
      trainer_started: string | null;
      owner_started: string | null;
    };
    raw.close();
    expect(row.status).toBe('running');
    expect(row.trainer_started).toBe(processStartTime(row.trainer_pid));
    expect(row.owner_started).toBe(processStartTime(cli.child.pid!));

    cli.child.kill('SIGKILL');
    await cli.done;
    // At once, while the trainer may still be on its way out.
    const other = openLayerlab({ shell: 'browser', launchTrainer: launch, dataDir: t.dir, databasePath: db });
    try {
      await until(() => other.store.getSummary(row.id).status === 'crashed', 'the run to be marked crashed', 5_000);
      expect(sameProcessAlive(row.trainer_pid, row.trainer_started)).toBe(false);
      const detail = other.runs.get(row.id);
      expect(detail.error).toMatch(/stopped while this run was training; the finished epochs are kept/);
      expect(detail.epochs.length).toBeGreaterThanOrEqual(1);
    } finally {
      await other.close();
    }
  });

  it('a recorded PID now used by another process does not keep a run alive: start-up marks it crashed', async () => {
    const run = startPreset('seed-model-3', { epochs: 1, limit: 1000 });
    await app.runs.whenDone(run.id);
    await app.close();
    // This test process's PID, with another start time: the PID was reused since that app died.
    const raw = new Database(join(t.dir, 'runs.db'));
    raw
      .prepare(
        `UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, owner_pid = ?, owner_started = 'linux:1',
           trainer_pid = ?, trainer_started = 'linux:1' WHERE id = ?`,
      )
      .run(process.pid, process.pid, run.id);
    raw.close();
    app = openLayerlab({ shell: 'browser', launchTrainer: launch, dataDir: t.dir, databasePath: join(t.dir, 'runs.db') });
    expect(app.runs.get(run.id).status).toBe('crashed');
  });

  it('cancel and delete work on a running run whose app and trainer are gone', () => {
    const preset = findPreset('seed-model-3')!;
    const orphan = (status: string) => {
      const r = app.store.createRun({
        name: 'left behind',
        presetId: null,
        datasetId: 'fashion-mnist',
        model: preset.model,
        config: preset.config,
        host: hostname(),
        ownerPid: 999_999,
      });
      app.db.prepare(`UPDATE runs SET status = ?, trainer_pid = 999_998 WHERE id = ?`).run(status, r.id);
      return r.id;
    };
    const a = orphan('running');
    expect(app.runs.cancel(a).status).toBe('crashed');
    const b = orphan('running');
    expect(app.runs.delete(b)).toEqual({ deleted: b });
    expect(app.store.existing([b])).toEqual([]);
  });
});

describe('migration 006', () => {
  it('adds the owner’s and trainer’s start times to a version-5 database, keeping its runs (null: PID alone)', () => {
    const path = join(t.dir, 'v5.db');
    const v5 = openDatabase(path, { migrations: MIGRATIONS.slice(0, 5) });
    v5.prepare(
      `INSERT INTO runs (name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size, epochs_planned,
         seed, host, owner_pid, created_at) VALUES ('old', 'completed', 'fashion-mnist', '{}', '{}', 'adam', 0.001, 32, 1, 1, 'h', 1, 'now')`,
    ).run();
    v5.close();
    const v6 = openDatabase(path, { migrations: MIGRATIONS.slice(0, 6) });
    expect(v6.pragma('user_version', { simple: true })).toBe(6);
    expect(v6.prepare(`SELECT name, owner_started, trainer_started FROM runs`).all()).toEqual([
      { name: 'old', owner_started: null, trainer_started: null },
    ]);
    v6.close();
  });
});
