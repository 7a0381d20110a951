/**
 * The database stops taking writes in the middle of a real (small) training run: a
 * full disk, simulated with SQLite's max_page_count (the database may not grow past
 * its size when the first epoch ends), and a database that turns read-only. The run
 * ends `failed` saying what happened and what to do, the finished epochs stay, the
 * trainer is stopped and the app goes on.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LayerlabEvent } from '../../src/shared/contract/api';
import { findPreset } from '../../src/shared/model/presets';
import type { TrainingConfig } from '../../src/shared/model/training-config';
import { openLayerlab, type Layerlab } from '../../src/core/app';
import { forkTrainer } from '../../src/core/runs/node-trainer';
import { pidAlive } from '../../src/core/runs/process-identity';
import type { LaunchTrainer, TrainerHandle } from '../../src/core/runs/trainer-launcher';
import { tempDir } from '../helpers';

let t: ReturnType<typeof tempDir>;
let app: Layerlab;
let trainers: TrainerHandle[];

const launch: LaunchTrainer = () => {
  const handle = forkTrainer();
  trainers.push(handle);
  return handle;
};

beforeEach(() => {
  t = tempDir();
  trainers = [];
  app = openLayerlab({ shell: 'browser', launchTrainer: launch, dataDir: t.dir, databasePath: join(t.dir, 'runs.db') });
});
afterEach(async () => {
  vi.restoreAllMocks();
  app.db.pragma('query_only = OFF');
  app.db.pragma('max_page_count = 1073741823');
  await app.close();
  t.cleanup();
});

function startPreset(config: Partial<TrainingConfig>) {
  const preset = findPreset('seed-model-3')!;
  return app.runs.start({ presetId: 'seed-model-3', model: preset.model, config: { ...preset.config, ...config } });
}

/** Once the first epoch is committed, do this to the database (the rest of the run writes into it). */
function afterFirstEpoch(act: () => void): void {
  const unsubscribe = app.events.subscribe((e: LayerlabEvent) => {
    if (e.type === 'run-epoch' && e.epoch.epoch === 1) {
      unsubscribe();
      act();
    }
  });
}

const until = async (check: () => boolean, what: string, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('a database that stops taking writes during training', () => {
  it('full: the run ends failed saying the disk is full and what to do, keeping its epochs; the next run trains', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    // Layer signals every 2 batches, so epoch 2 writes pages' worth of rows.
    const run = startPreset({ epochs: 3, limit: 1500, probeEveryBatches: 2 });
    afterFirstEpoch(() => {
      const pages = app.db.pragma('page_count', { simple: true }) as number;
      app.db.pragma(`max_page_count = ${pages}`);
    });
    await app.runs.whenDone(run.id);

    const detail = app.runs.get(run.id);
    expect(detail.status).toBe('failed');
    expect(detail.error).toMatch(
      /^The disk is full \(or the database reached its size limit\): the run stopped after epoch (\d+); free some space and train again\. The finished epochs are kept\.$/,
    );
    const stoppedAfter = Number(/after epoch (\d+)/.exec(detail.error!)![1]);
    expect(stoppedAfter).toBeGreaterThanOrEqual(1);
    expect(stoppedAfter).toBeLessThan(3);
    expect(detail.epochs.map((e) => e.epoch)).toEqual(Array.from({ length: stoppedAfter }, (_, i) => i + 1));
    expect(detail.error).not.toMatch(/SqliteError|\n\s+at /);
    await until(() => !pidAlive(trainers[0].pid!), 'the trainer to be stopped');
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).not.toMatch(/SqliteError|\n\s+at /);

    // Space again: the app is still up and trains.
    app.db.pragma('max_page_count = 1073741823');
    const next = startPreset({ epochs: 1, limit: 1000 });
    await app.runs.whenDone(next.id);
    expect(app.runs.get(next.id).status).toBe('completed');
    expect(app.runs.get(run.id).status).toBe('failed');
  });

  it('full before a run starts: starting one is refused in words, nothing recorded, and the app goes on', () => {
    app.db.pragma(`max_page_count = ${app.db.pragma('page_count', { simple: true }) as number}`);
    // Fill the last free bytes with runs (recorded straight into the store, never trained).
    const preset = findPreset('seed-model-3')!;
    const filler = {
      name: 'filler',
      presetId: null,
      datasetId: 'fashion-mnist',
      model: preset.model,
      config: preset.config,
      host: 'elsewhere',
      ownerPid: 1,
    };
    expect(() => {
      for (let i = 0; i < 10_000; i++) app.store.createRun(filler);
    }).toThrow(/database or disk is full/);
    const before = app.runs.list().length;

    expect(() => startPreset({ epochs: 1, limit: 1000 })).toThrow(
      'The disk is full (or the database reached its size limit): the run could not be recorded; free some space and train again.',
    );
    expect(app.runs.list()).toHaveLength(before);
    expect(app.runs.activeRunId()).toBeNull();
  });

  it('read-only, so even the run’s end cannot be written: the app stays up and says so once', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const run = startPreset({ epochs: 3, limit: 1500 });
    afterFirstEpoch(() => app.db.pragma('query_only = ON'));
    await app.runs.whenDone(run.id);
    await until(() => !pidAlive(trainers[0].pid!), 'the trainer to be stopped');

    const said = stderr.mock.calls.map((c) => String(c[0])).filter((s) => s.includes(`run ${run.id}`));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^layerlab: run \d+ ended failed \(The database became read-only: the run stopped after epoch 1; make the database file and its folder writable, then train again\. The finished epochs are kept\.\), but the database could not record it: /,
    );
    expect(app.runs.activeRunId()).toBeNull();
    app.db.pragma('query_only = OFF');
    expect(app.runs.get(run.id).epochs).toHaveLength(1);
  });
});
