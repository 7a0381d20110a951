/**
 * Experiments through the core services, against a real SQLite file, the real trainer
 * process and real Fashion-MNIST: pause and resume (across a restart, after a crash),
 * the queue's order, repeats and sweeps as groups.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LayerlabEvent } from '../../src/shared/contract/api';
import type { EpochMetrics, RunDetail } from '../../src/shared/contract/runs';
import { findPreset } from '../../src/shared/model/presets';
import type { TrainingConfig } from '../../src/shared/model/training-config';
import { openLayerlab, type Layerlab } from '../../src/core/app';
import { forkTrainer } from '../../src/core/runs/node-trainer';
import type { LaunchTrainer, TrainerHandle } from '../../src/core/runs/trainer-launcher';
import { SYSTEM_FASHION_MNIST, tempDir } from '../helpers';

const hasData = existsSync(join(SYSTEM_FASHION_MNIST, 'train-images-idx3-ubyte.gz'));

let t: ReturnType<typeof tempDir>;
let app: Layerlab;
let events: LayerlabEvent[];
let trainers: TrainerHandle[];

const launch: LaunchTrainer = () => {
  const handle = forkTrainer();
  trainers.push(handle);
  return handle;
};

function open(): Layerlab {
  const opened = openLayerlab({ shell: 'browser', launchTrainer: launch, dataDir: t.dir, databasePath: join(t.dir, 'runs.db') });
  opened.events.subscribe((e) => events.push(e));
  return opened;
}

beforeEach(() => {
  t = tempDir();
  trainers = [];
  events = [];
  app = open();
});
afterEach(async () => {
  await app.close();
  t.cleanup();
});

function startPreset(config: Partial<TrainingConfig>, name?: string) {
  const preset = findPreset('seed-model-3')!;
  return app.runs.start({ name, presetId: preset.id, model: preset.model, config: { ...preset.config, ...config } });
}

const until = async (check: () => boolean, what: string, ms = 120_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** What a resumed run must reproduce exactly: every figure but the timings. */
const figures = (epochs: EpochMetrics[]) =>
  epochs.map(({ epoch, loss, accuracy, valLoss, valAccuracy }) => ({ epoch, loss, accuracy, valLoss, valAccuracy }));
const outcome = (r: RunDetail) => ({ status: r.status, epochs: figures(r.epochs), testLoss: r.testLoss, testAccuracy: r.testAccuracy });

describe.skipIf(!hasData)('pause and resume', () => {
  // 6,000 images, 20 % held out: 4,800 to train on, 300 batches of 16 an epoch.
  const settings: Partial<TrainingConfig> = { epochs: 3, limit: 6000, batchSize: 16, seed: 7 };

  it('a run paused at epoch 1 batch ~300, the service restarted, resumed: ends with the metrics of an uninterrupted run', async () => {
    const straight = startPreset(settings, 'straight');
    await app.runs.whenDone(straight.id);
    const expected = outcome(app.runs.get(straight.id));
    expect(expected.status).toBe('completed');

    const paused = startPreset(settings, 'paused and resumed');
    await until(
      () => events.some((e) => e.type === 'run-progress' && e.progress.runId === paused.id && e.progress.epoch === 1 && e.progress.batch >= 270),
      'batch 270 of epoch 1',
    );
    const asked = app.runs.pause(paused.id);
    expect(asked.status).toBe('running'); // until the trainer has written its checkpoint
    await app.runs.whenDone(paused.id);
    const stopped = app.runs.get(paused.id);
    expect(stopped.status).toBe('paused');
    expect(stopped.checkpoint!.epoch).toBe(1);
    expect(stopped.checkpoint!.batch).toBeGreaterThanOrEqual(270);
    expect(stopped.checkpoint!.batch).toBeLessThan(300);
    expect(stopped.epochs).toHaveLength(0);

    // The app closes and opens again: the paused run waits, with its checkpoint.
    await app.close();
    app = open();
    expect(app.runs.get(paused.id).status).toBe('paused');
    const resumed = app.runs.resume(paused.id);
    expect(resumed.status).not.toBe('paused');
    await app.runs.whenDone(paused.id);
    const done = app.runs.get(paused.id);
    expect(outcome(done)).toEqual(expected);
    // Timings add up across the pause; CPU seconds are recorded for every epoch.
    for (const e of done.epochs) expect(e.cpuSeconds).toBeGreaterThan(0);
    expect(done.checkpoint).toBeNull();
    expect(existsSync(join(t.dir, 'runs-checkpoints', `run-${paused.id}.ckpt`))).toBe(false);
  });

  it('a trainer SIGKILLed in epoch 2 of 3: the crashed run resumes from epoch 2, records epoch 1 once, and completes', async () => {
    const run = startPreset({ ...settings, batchSize: 64 });
    await until(() => events.some((e) => e.type === 'run-progress' && e.progress.runId === run.id && e.progress.epoch === 2), 'epoch 2');
    process.kill(trainers[0].pid!, 'SIGKILL');
    await app.runs.whenDone(run.id);
    const crashed = app.runs.get(run.id);
    expect(crashed.status).toBe('crashed');
    expect(crashed.checkpoint).toEqual({ epoch: 2, batch: 0 });
    expect(crashed.epochs.map((e) => e.epoch)).toEqual([1]);
    const epochOne = crashed.epochs[0];

    app.runs.resume(run.id);
    await app.runs.whenDone(run.id);
    const done = app.runs.get(run.id);
    expect(done.status).toBe('completed');
    expect(done.error).toBeNull();
    expect(done.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(done.epochs[0]).toEqual(epochOne);
    expect(done.testAccuracy).toBeGreaterThan(0.5);
  });

  it('refuses what cannot be paused or resumed, in words', async () => {
    const run = startPreset({ epochs: 1, limit: 600 });
    expect(() => app.runs.resume(run.id)).toThrow(/only a paused run, or a crashed one with a checkpoint, can be resumed/);
    await app.runs.whenDone(run.id);
    expect(() => app.runs.pause(run.id)).toThrow(/is completed; only a training or queued run can be paused/);

    // A paused run whose checkpoint file went missing says so and stays paused.
    const paused = startPreset({ epochs: 3, limit: 6000, batchSize: 16 }, 'to lose its checkpoint');
    await until(() => events.some((e) => e.type === 'run-progress' && e.progress.runId === paused.id), 'the first batches');
    app.runs.pause(paused.id);
    await app.runs.whenDone(paused.id);
    const file = join(t.dir, 'runs-checkpoints', `run-${paused.id}.ckpt`);
    expect(existsSync(file)).toBe(true);
    writeFileSync(file, 'not a checkpoint');
    app.runs.resume(paused.id);
    await app.runs.whenDone(paused.id);
    const failed = app.runs.get(paused.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/checkpoint/i);
  });
});

describe.skipIf(!hasData)('the queue', () => {
  it('keeps its order, moves a run to the front, pauses and cancels queued runs, and refuses a double press', async () => {
    const first = startPreset({ epochs: 2, limit: 3000 }, 'first');
    const a = startPreset({ epochs: 1, limit: 600 }, 'a');
    expect(() => startPreset({ epochs: 1, limit: 600 }, 'a')).toThrow(/queued a moment ago as run \d+; it was not queued twice/);
    const b = startPreset({ epochs: 1, limit: 600 }, 'b');
    const c = startPreset({ epochs: 1, limit: 600 }, 'c');
    expect(app.runs.queued().map((r) => [r.name, r.queuePosition])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(app.runs.moveQueued(c.id, 1).map((r) => r.name)).toEqual(['c', 'a', 'b']);
    expect(app.runs.get(a.id).queuePosition).toBe(2);
    expect(app.runs.pause(a.id).status).toBe('paused');
    app.runs.cancel(b.id);
    expect(app.runs.queued().map((r) => [r.name, r.queuePosition])).toEqual([['c', 1]]);
    expect(() => app.runs.moveQueued(b.id, 1)).toThrow(/is cancelled, not waiting in this queue/);

    // A run paused before it started resumes from the beginning, after what is queued.
    app.runs.resume(a.id);
    expect(app.runs.queued().map((r) => r.name)).toEqual(['c', 'a']);
    await app.runs.whenDone(first.id);
    await app.runs.whenDone(c.id);
    await app.runs.whenDone(a.id);
    expect([first, c, a].map((r) => app.runs.get(r.id).status)).toEqual(['completed', 'completed', 'completed']);
    // In the order the queue said.
    const started = (id: number) => Date.parse(app.runs.get(id).startedAt!);
    expect(started(c.id)).toBeLessThan(started(a.id));
    expect(app.runs.get(b.id).epochs).toHaveLength(0);
  });
});

describe.skipIf(!hasData)('groups', () => {
  it('a repeat × 3 queues seeds s, s+1, s+2 as one group; a 2×2 sweep with repeat 2 queues 8 runs in one group', async () => {
    const preset = findPreset('seed-model-3')!;
    const base = { presetId: preset.id, model: preset.model, config: { ...preset.config, epochs: 1, limit: 600, seed: 11 } };
    const { group, runs } = app.runs.startGroup({ run: base, repeat: 3, axes: [] });
    expect(group.kind).toBe('repeat');
    expect(group.runIds).toEqual(runs.map((r) => r.id));
    expect(runs.map((r) => app.runs.get(r.id).config.seed)).toEqual([11, 12, 13]);
    expect(runs.map((r) => r.repeatIndex)).toEqual([0, 1, 2]);

    const sweep = app.runs.startGroup({
      run: { ...base, name: 'grid' },
      repeat: 2,
      axes: [
        { key: 'learningRate', values: [0.001, 0.01] },
        { key: 'optimizer', values: ['sgd', 'adam'] },
      ],
    });
    expect(sweep.group.kind).toBe('sweep');
    expect(sweep.runs).toHaveLength(8);
    const details = sweep.runs.map((r) => app.runs.get(r.id));
    expect(new Set(details.map((d) => `${d.config.learningRate}/${d.config.optimizer}/${d.config.seed}`)).size).toBe(8);
    expect(details.every((d) => d.groupId === sweep.group.id && d.named)).toBe(true);
    expect(events.filter((e) => e.type === 'group-updated').map((e) => (e.type === 'group-updated' ? e.group.id : 0))).toEqual([
      group.id,
      sweep.group.id,
    ]);
    // Training them all is the CLI's test (cli-groups); here the groups' runs are given up, and the groups stay.
    for (const r of [...runs, ...sweep.runs]) app.runs.cancel(r.id);
    for (const r of [...runs, ...sweep.runs]) await app.runs.whenDone(r.id);
    expect([...runs, ...sweep.runs].every((r) => app.runs.get(r.id).status === 'cancelled')).toBe(true);
    expect(app.runs.listGroups().map((g) => [g.id, g.runIds.length])).toEqual([
      [sweep.group.id, 8],
      [group.id, 3],
    ]);
    // A comparison keeps groups; one naming a group that does not exist is refused.
    const saved = app.service.saveComparison({ name: 'seeds vs grid', runIds: [], groupIds: [group.id, sweep.group.id], options: {} });
    expect(saved).toMatchObject({ groupIds: [group.id, sweep.group.id] });
    expect(() => app.service.saveComparison({ name: 'ghost', runIds: [], groupIds: [group.id, 999], options: {} })).toThrow(
      /No repeat or sweep with id 999/,
    );
    // Deleting a run takes it out of its group.
    app.runs.delete(runs[0].id);
    expect(app.runs.listGroups().find((g) => g.id === group.id)!.runIds).toEqual([runs[1].id, runs[2].id]);
  });

  it('refuses a sweep that would build an impossible network, recording nothing', () => {
    const preset = findPreset('seed-model-3')!;
    const base = { presetId: preset.id, model: preset.model, config: { ...preset.config, epochs: 1, limit: 600 } };
    expect(() => app.runs.startGroup({ run: base, repeat: 1, axes: [{ key: 'layer9.units', values: [8, 16] }] })).toThrow(/layer9/);
    expect(app.runs.list()).toHaveLength(0);
    expect(app.runs.listGroups()).toHaveLength(0);
  });
});
