import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendName } from '../../../src/core/engine/backend';
import { createAdam } from '../../../src/core/engine/adam';
import { buildModel } from '../../../src/core/engine/build-model';
import { evaluate, train, type BatchInfo } from '../../../src/core/engine/train';
import { installWasmMatMulFix } from '../../../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation } from '../../../src/core/data/fashion-mnist';
import type { FashionMnist } from '../../../src/core/data/types';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { findPreset } from '../../../src/shared/model/presets';
import type { EpochMetrics } from '../../../src/shared/contract/runs';
import type { TrainingConfig } from '../../../src/shared/model/training-config';

const FOLDER = '/usr/share/datasets/fashion-mnist';
const seedModel3 = findPreset('seed-model-3')!;

let fashion: FashionMnist;

beforeAll(async () => {
  fashion = await loadFashionMnist(FOLDER);
});

async function use(backend: BackendName): Promise<void> {
  await selectBackend(backend);
  if (backend === 'wasm') installWasmMatMulFix();
}

function setup(overrides: Partial<TrainingConfig>, spec: ModelSpec = seedModel3.model) {
  const config: TrainingConfig = { ...seedModel3.config, limit: 3000, epochs: 2, ...overrides };
  return { config, model: buildModel(spec, config.seed), data: splitTrainValidation(fashion.train, config) };
}

/** Everything but the wall-clock time, which is never the same twice. */
const withoutTime = (epochs: EpochMetrics[]) => epochs.map(({ seconds: _, cpuSeconds: _c, ...rest }) => rest);

describe('train on a Fashion-MNIST subset', () => {
  it('seed-model-3 learns in two epochs: loss falls, validation and test accuracy well above chance', async () => {
    await use('wasm');
    const { config, model, data } = setup({});
    const batches: BatchInfo[] = [];
    const reported: EpochMetrics[] = [];
    const result = await train({ model, config, data, test: fashion.test, onBatch: (b) => batches.push(b), onEpoch: (m) => reported.push(m) });

    expect(result.status).toBe('completed');
    expect(result.epochs).toEqual(reported);
    expect(result.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    const [first, second] = result.epochs;
    expect(second.loss).toBeLessThan(first.loss);
    expect(second.accuracy).toBeGreaterThan(first.accuracy);
    expect(second.valAccuracy).toBeGreaterThan(0.6);
    expect(first.seconds).toBeGreaterThan(0);
    // 2,400 training images in batches of 64: 38 batches, the last one partial.
    expect(batches.length).toBe(2 * 38);
    expect(batches.slice(0, 38).map((b) => b.batch)).toEqual(Array.from({ length: 38 }, (_, i) => i + 1));
    expect(batches[37].loss).toBeCloseTo(first.loss, 10);
    expect(result.test!.accuracy).toBeGreaterThan(0.6);
    expect(Number.isFinite(result.test!.loss)).toBe(true);
    model.dispose();
  });

  it.each(['wasm', 'cpu'] as const)(
    'gives identical metrics for the same seed on the %s backend, other metrics for another seed',
    async (backend) => {
      await use(backend);
      // The plain JS cpu backend is about twenty times slower: a smaller subset tells just as much.
      const cpu = backend === 'cpu';
      const runs = [];
      for (const seed of [42, 42, 43]) {
        const { config, model, data } = setup({ ...(cpu ? { limit: 640, epochs: 1 } : {}), seed });
        runs.push(await train({ model, config, data, test: cpu ? undefined : fashion.test }));
        model.dispose();
      }
      expect(withoutTime(runs[1].epochs)).toEqual(withoutTime(runs[0].epochs));
      expect(runs[1].test).toEqual(runs[0].test);
      expect(withoutTime(runs[2].epochs)).not.toEqual(withoutTime(runs[0].epochs));
    },
  );

  it('rejects with a divergence message when the learning rate is absurd (sgd, lr 1000)', async () => {
    await use('wasm');
    const { config, model, data } = setup({ optimizer: 'sgd', learningRate: 1000 });
    const before = tf.memory().numTensors;
    const run = train({ model, config, data, test: fashion.test });
    await expect(run).rejects.toThrow(/^Training diverged at epoch 1 .*the loss became (NaN|Infinity).*lower it/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('stops before the next batch when asked, without evaluating the test set', async () => {
    await use('wasm');
    const { config, model, data } = setup({});
    let batches = 0;
    const result = await train({ model, config, data, test: fashion.test, onBatch: () => batches++, shouldStop: () => batches >= 3 });
    expect(result).toMatchObject({ status: 'cancelled', epochs: [], stopReason: null, weights: 'final' });
    expect(result.test).toBeUndefined();
    expect(batches).toBe(3);
    model.dispose();
  });

  it('lets a cancel that arrives as an event (like an IPC message) through between batches', async () => {
    await use('wasm');
    const { config, model, data } = setup({});
    let cancelled = false;
    let batches = 0;
    setTimeout(() => (cancelled = true), 0);
    const result = await train({ model, config, data, onBatch: () => batches++, shouldStop: () => cancelled });
    expect(result.status).toBe('cancelled');
    expect(batches).toBeLessThan(5);
    model.dispose();
  });

  it('frees every tensor it makes: the count stays flat across epochs and returns to the start (BatchNormalization and Dropout too)', async () => {
    await use('wasm');
    const spec: ModelSpec = {
      inputShape: [28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'Dense', units: 64, activation: 'relu' },
        { type: 'BatchNormalization' },
        { type: 'Dropout', rate: 0.2 },
        { type: 'Dense', units: 32, activation: 'gelu', useBias: false },
        { type: 'Activation', activation: 'swish' },
        { type: 'Dense', units: 10, activation: 'linear' },
        { type: 'Activation', activation: 'softmax' },
      ],
    };
    const { config, model, data } = setup({ limit: 1000, epochs: 3 }, spec);
    const before = tf.memory().numTensors;
    const atEpochEnd: number[] = [];
    const result = await train({ model, config, data, test: fashion.test, onEpoch: () => atEpochEnd.push(tf.memory().numTensors) });
    expect(result.status).toBe('completed');
    expect(result.epochs.every((e) => Number.isFinite(e.loss) && e.valAccuracy! > 0.3)).toBe(true);
    expect(new Set(atEpochEnd).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it.each([
    ["tfjs's own Adam", () => tf.train.adam(0.001, 0.9, 0.999, 1e-7)],
    ["Layerlab's Adam", () => createAdam(0.001, 0.9, 0.999, 1e-7)],
  ])('leaves an optimizer handed to it to the caller (%s): its state carries on into the next train()', async (_, make) => {
    await use('wasm');
    // 512 training images: 8 batches an epoch.
    const { config, model, data } = setup({ limit: 640, epochs: 1 });
    const before = tf.memory().numTensors;
    const optimizer = make();
    const stepsAndMoments = async () => {
      const weights = await optimizer.getWeights();
      const steps = (await weights[0].tensor.data())[0];
      // tfjs's Adam hands out its own moment variables; Layerlab's hands out copies.
      tf.dispose(weights.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
      return { steps, moments: weights.length - 1 };
    };

    await train({ model, config, data, optimizer });
    // Adam keeps a first and a second moment for every trainable variable.
    expect(await stepsAndMoments()).toEqual({ steps: 8, moments: 2 * model.trainableWeights.length });
    const again = await train({ model, config, data, optimizer });
    expect(again.status).toBe('completed');
    expect(Number.isFinite(again.epochs[0].loss)).toBe(true);
    expect(await stepsAndMoments()).toEqual({ steps: 16, moments: 2 * model.trainableWeights.length });

    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('evaluates in inference mode: Dropout off, so the same model scores the same twice', async () => {
    await use('wasm');
    const spec: ModelSpec = {
      ...seedModel3.model,
      layers: [...seedModel3.model.layers.slice(0, -1), { type: 'Dropout', rate: 0.5 }, seedModel3.model.layers.at(-1)!],
    };
    const { model } = setup({}, spec);
    const subset = splitTrainValidation(fashion.test, { limit: 2000, validationSplit: 0.5 }).validation;
    const first = await evaluate(model, subset);
    expect(await evaluate(model, subset)).toEqual(first);
    // An untrained ten-class model is at chance: loss near ln 10.
    expect(first.loss).toBeGreaterThan(1.8);
    expect(first.loss).toBeLessThan(3);
    model.dispose();
  });
});
