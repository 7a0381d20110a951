import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel } from '../../../src/core/engine/build-model';
import { chooseProbe } from '../../../src/core/engine/probe';
import { evaluate, train } from '../../../src/core/engine/train';
import { installWasmMatMulFix } from '../../../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation } from '../../../src/core/data/fashion-mnist';
import type { FashionMnist } from '../../../src/core/data/types';
import type { EpochMetrics, LayerStat } from '../../../src/shared/contract/runs';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { findPreset } from '../../../src/shared/model/presets';
import type { EarlyStopping, TrainingConfig } from '../../../src/shared/model/training-config';

const FOLDER = '/usr/share/datasets/fashion-mnist';
const seedModel1 = findPreset('seed-model-1')!;
const seedModel3 = findPreset('seed-model-3')!;

let fashion: FashionMnist;

beforeAll(async () => {
  await selectBackend('wasm');
  installWasmMatMulFix();
  fashion = await loadFashionMnist(FOLDER);
});

function setup(preset: typeof seedModel1, overrides: Partial<TrainingConfig>, spec: ModelSpec = preset.model) {
  const config: TrainingConfig = { ...preset.config, ...overrides };
  return { config, model: buildModel(spec, config.seed), data: splitTrainValidation(fashion.train, config) };
}

/** Trains and records every callback in the order it came. */
async function record(preset: typeof seedModel1, overrides: Partial<TrainingConfig>) {
  const { config, model, data } = setup(preset, overrides);
  const events: string[] = [];
  const stats: LayerStat[][] = [];
  const result = await train({
    model,
    config,
    data,
    onBaseline: () => events.push('baseline'),
    onBatch: (b) => events.push(`batch ${b.epoch}.${b.batch}`),
    onEpoch: (m) => events.push(`epoch ${m.epoch}`),
    onLayerStats: (s) => {
      stats.push(s);
      events.push(`stats ${s[0].epoch}${s[0].batch === null ? '' : `.${s[0].batch}`}`);
    },
  });
  return { config, model, data, result, events, stats };
}

const dense = (rows: LayerStat[]) => rows.filter((r) => r.name.startsWith('Dense'));

describe('layer signals on real Fashion-MNIST', () => {
  it('seed-model-1 at initialisation: gradients vanish towards the input; sigmoids report saturation, ReLU dead units', async () => {
    const { model, stats } = await record(seedModel1, { limit: 5000, epochs: 0 });
    expect(stats).toHaveLength(1);
    const rows = stats[0];
    expect(rows.map((r) => r.name)).toEqual([
      'Dense 2 (relu)',
      'Dense 3 (sigmoid)',
      'Dense 4 (sigmoid)',
      'Dense 5 (sigmoid)',
      'Dense 6 (sigmoid)',
      'Dense 7 (softmax)',
    ]);
    expect(rows.map((r) => r.layer)).toEqual([1, 2, 3, 4, 5, 6]);
    const [first, , , , lastHidden] = rows;
    // SEED.md: ~1/75 of the output layer's at initialisation on the full data (here ~1/30 of the last hidden layer's).
    expect(first.gradNorm!).toBeLessThan(lastHidden.gradNorm! / 10);
    expect(first.gradNorm!).toBeGreaterThan(0);
    for (const row of rows.slice(1, 5)) {
      expect(row.saturatedFraction).toBeGreaterThanOrEqual(0);
      expect(row.saturatedFraction).toBeLessThanOrEqual(1);
      expect(row.deadFraction).toBeNull();
    }
    expect(first.deadFraction).toBeGreaterThanOrEqual(0);
    expect(first.deadFraction).toBeLessThan(1);
    expect(first.saturatedFraction).toBeNull();
    expect(rows.every((r) => r.nonfinite === 0 && r.updateRatio === null && r.weightNorm! > 0 && r.biasGradNorm! > 0)).toBe(true);
    model.dispose();
  });

  it('seed-model-3 at initialisation: every Dense layer gets a gradient within 10× of the others', async () => {
    const { model, stats } = await record(seedModel3, { limit: 5000, epochs: 0 });
    const norms = dense(stats[0]).map((r) => r.gradNorm!);
    expect(norms).toHaveLength(6);
    expect(Math.max(...norms) / Math.min(...norms)).toBeLessThan(10);
    model.dispose();
  });

  it('measures the same probe at epoch 0, after every epoch and every N batches; the update ratio is that of the last step', async () => {
    // 1,600 training images: 25 batches an epoch; a probe every 10 batches adds batches 10 and 20.
    const { stats, events, result, model } = await record(seedModel3, { limit: 2000, epochs: 2, probeEveryBatches: 10 });
    expect(stats.map((s) => [s[0].epoch, s[0].batch])).toEqual([
      [0, null],
      [1, 10],
      [1, 20],
      [1, null],
      [2, 10],
      [2, 20],
      [2, null],
    ]);
    expect(stats.every((s) => s.every((r) => r.epoch === s[0].epoch && r.batch === s[0].batch))).toBe(true);
    // The signals come before the first batch, right after the batch they follow, and before the epoch they end.
    expect(events.slice(0, 3)).toEqual(['baseline', 'stats 0', 'batch 1.1']);
    expect(events[events.indexOf('batch 1.10') + 1]).toBe('stats 1.10');
    expect(events[events.indexOf('epoch 1') - 1]).toBe('stats 1');
    expect(events.at(-2)).toBe('stats 2');
    expect(stats[0].every((r) => r.updateRatio === null)).toBe(true);
    for (const probe of stats.slice(1)) {
      for (const row of dense(probe)) {
        expect(row.updateRatio!).toBeGreaterThan(0);
        // One Adam step at lr 0.001 moves a kernel by a small fraction of its size.
        expect(row.updateRatio!).toBeLessThan(0.05);
        expect(row.nonfinite).toBe(0);
      }
    }
    // The kernels moved between probes, so the figures do too.
    expect(dense(stats[3])[0].weightNorm).not.toBe(dense(stats[0])[0].weightNorm);
    expect(result.epochs).toHaveLength(2);
    model.dispose();
  });

  it('probing leaves the run untouched: the same metrics with the probes as without', async () => {
    const withoutTime = (epochs: EpochMetrics[]) => epochs.map(({ seconds: _, cpuSeconds: _c, ...rest }) => rest);
    const spec: ModelSpec = {
      ...seedModel3.model,
      layers: [
        ...seedModel3.model.layers.slice(0, 3),
        { type: 'BatchNormalization' },
        { type: 'Dropout', rate: 0.3 },
        ...seedModel3.model.layers.slice(3),
      ],
    };
    const runs = [];
    for (const probes of [true, false]) {
      const { config, model, data } = setup(seedModel3, { limit: 2000, epochs: 2, probeEveryBatches: 5 }, spec);
      runs.push(await train({ model, config, data, probes, test: fashion.test }));
      model.dispose();
    }
    expect(withoutTime(runs[0].epochs)).toEqual(withoutTime(runs[1].epochs));
    expect(runs[0].test).toEqual(runs[1].test);
    expect(runs[0].baseline).not.toBeNull();
    expect(runs[1].baseline).toBeNull();
  });
});

describe('the epoch-0 baseline', () => {
  it('is the untrained network, scored on the probe batch and the validation split: chance level', async () => {
    const { config, model, data, result, events } = await record(seedModel3, { limit: 10_000, epochs: 1 });
    const baseline = result.baseline!;
    expect(baseline.epoch).toBe(0);
    expect(baseline.seconds).toBe(0);
    expect(events.indexOf('baseline')).toBeLessThan(events.indexOf('batch 1.1'));
    // Ten classes: the loss of a network that knows nothing is ln 10; its accuracy is about one in ten.
    expect(Math.abs(baseline.valLoss! - Math.log(10))).toBeLessThan(0.1);
    expect(Math.abs(baseline.valAccuracy! - 0.1)).toBeLessThan(0.05);
    expect(Math.abs(baseline.loss - Math.log(10))).toBeLessThan(0.2);
    expect(result.epochs[0].valAccuracy!).toBeGreaterThan(baseline.valAccuracy! + 0.4);

    // Exactly a fresh model's figures: nothing was trained before it.
    const fresh = buildModel(seedModel3.model, config.seed);
    expect(await evaluate(fresh, data.validation)).toEqual({ loss: baseline.valLoss, accuracy: baseline.valAccuracy });
    expect(await evaluate(fresh, chooseProbe(data.train, config.seed))).toEqual({ loss: baseline.loss, accuracy: baseline.accuracy });
    fresh.dispose();
    model.dispose();
  });
});

const patience2: EarlyStopping = { monitor: 'val_loss', patience: 2, minDelta: 0, restoreBest: true };

describe('early stopping', () => {
  const overfit = (earlyStopping: EarlyStopping) => setup(seedModel3, { limit: 2000, epochs: 20, earlyStopping });

  it('stops a run that overfits two epochs after its best and restores the best epoch’s weights for the test', async () => {
    const { model, config, data } = overfit(patience2);
    const result = await train({ model, config, data, test: fashion.test });
    expect(result.status).toBe('completed');
    const stopped = result.epochs.length;
    expect(stopped).toBeLessThan(20);
    const losses = result.epochs.map((e) => e.valLoss!);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(best).toBe(stopped - 2);
    expect(result.bestEpoch).toBe(best);
    expect(result.stopReason).toBe(`stopped early at epoch ${stopped} (best ${best})`);
    expect(result.weights).toBe('best');
    // The model holds the best epoch's weights: it scores what it scored then, and the test figures are its own.
    expect((await evaluate(model, data.validation)).loss).toBeCloseTo(losses[best - 1], 9);
    expect(await evaluate(model, fashion.test)).toEqual(result.test);
    model.dispose();
  });

  it('without restoreBest keeps the final weights', async () => {
    const { model, config, data } = overfit({ ...patience2, restoreBest: false });
    const result = await train({ model, config, data, test: fashion.test });
    const last = result.epochs.at(-1)!;
    expect(result.epochs.length).toBeLessThan(20);
    expect(result.stopReason).toBe(`stopped early at epoch ${last.epoch} (best ${last.epoch - 2})`);
    expect(result.weights).toBe('final');
    expect((await evaluate(model, data.validation)).loss).toBeCloseTo(last.valLoss!, 9);
    expect(await evaluate(model, fashion.test)).toEqual(result.test);
    model.dispose();
  });

  it('watching val_accuracy, stops when accuracy stops rising', async () => {
    const { model, config, data } = overfit({ monitor: 'val_accuracy', patience: 2, minDelta: 0, restoreBest: true });
    const result = await train({ model, config, data });
    const accuracies = result.epochs.map((e) => e.valAccuracy!);
    const best = accuracies.indexOf(Math.max(...accuracies)) + 1;
    expect(result.epochs.length).toBe(best + 2);
    expect(result.stopReason).toBe(`stopped early at epoch ${best + 2} (best ${best})`);
    expect((await evaluate(model, data.validation)).accuracy).toBe(accuracies[best - 1]);
    model.dispose();
  });

  it('a run that reaches its planned epochs has no stop reason, and keeps the final weights when the last epoch is the best', async () => {
    const { model, config, data } = setup(seedModel3, { limit: 2000, epochs: 3, earlyStopping: patience2 });
    const result = await train({ model, config, data });
    expect(result.epochs).toHaveLength(3);
    const losses = result.epochs.map((e) => e.valLoss!);
    expect(Math.min(...losses)).toBe(losses[2]);
    expect(result).toMatchObject({ stopReason: null, weights: 'final', bestEpoch: 3 });
    model.dispose();
  });

  it('needs validation images, and says so before training', async () => {
    const { model, config, data } = setup(seedModel3, { limit: 1000, epochs: 3, earlyStopping: patience2 });
    // The data loader itself refuses a split that leaves none; train() does not count on it.
    const none = { ...data.validation, count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) };
    const before = tf.memory().numTensors;
    await expect(train({ model, config, data: { train: data.train, validation: none } })).rejects.toThrow(
      /^Early stopping watches val_loss on the validation images, but this run holds none out; set a validation split above 0 or turn early stopping off$/,
    );
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('memory', () => {
  it('frees every tensor the probes, the batch probes and the best weights make: flat across epochs, back to the start', async () => {
    const spec: ModelSpec = {
      inputShape: [28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'Dense', units: 64, activation: 'relu' },
        { type: 'BatchNormalization' },
        { type: 'Dropout', rate: 0.2 },
        { type: 'Dense', units: 32, activation: 'tanh' },
        { type: 'Activation', activation: 'sigmoid' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    };
    const { config, model, data } = setup(
      seedModel3,
      { limit: 1000, epochs: 4, probeEveryBatches: 3, earlyStopping: { ...patience2, patience: 10 } },
      spec,
    );
    const before = tf.memory().numTensors;
    const atEpochEnd: number[] = [];
    let probes = 0;
    const result = await train({
      model,
      config,
      data,
      test: fashion.test,
      onLayerStats: () => probes++,
      onEpoch: () => atEpochEnd.push(tf.memory().numTensors),
    });
    expect(result.status).toBe('completed');
    // 800 images: 13 batches an epoch, probed after batches 3, 6, 9 and 12 and at the end.
    expect(probes).toBe(1 + 4 * 5);
    // From the second epoch on, one copy of the best weights is held; the count does not grow.
    expect(new Set(atEpochEnd.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
