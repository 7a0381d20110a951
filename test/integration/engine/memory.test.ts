/**
 * The trainer keeps its memory flat: the images stay bytes (a quarter of floats), every
 * tensor a step, an evaluation, a probe or a checkpoint makes is freed, so a 20-epoch run
 * holds what a 1-epoch run holds.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel, disposeOptimizer, makeOptimizer } from '../../../src/core/engine/build-model';
import type { CheckpointState } from '../../../src/core/engine/checkpoint';
import { predictProbabilities } from '../../../src/core/engine/evaluate';
import { evaluate, train } from '../../../src/core/engine/train';
import { installWasmConvFilterGrad } from '../../../src/core/engine/wasm-conv-grad';
import { installWasmMatMulFix } from '../../../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation } from '../../../src/core/data/fashion-mnist';
import type { FashionMnist } from '../../../src/core/data/types';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { findPreset } from '../../../src/shared/model/presets';
import type { TrainingConfig } from '../../../src/shared/model/training-config';
import { SYSTEM_FASHION_MNIST } from '../../helpers';

const seedModel3 = findPreset('seed-model-3')!;
let fashion: FashionMnist;

beforeAll(async () => {
  fashion = await loadFashionMnist(SYSTEM_FASHION_MNIST);
  await selectBackend('wasm');
  installWasmMatMulFix();
  installWasmConvFilterGrad();
});

function setup(overrides: Partial<TrainingConfig>, spec: ModelSpec = seedModel3.model) {
  const config: TrainingConfig = { ...seedModel3.config, ...overrides };
  return { config, model: buildModel(spec, config.seed), data: splitTrainValidation(fashion.train, config) };
}

const live = () => ({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes });

describe('the trainer’s memory', () => {
  it('keeps the 70,000 images as bytes, one per pixel', () => {
    expect(fashion.train.images).toBeInstanceOf(Uint8Array);
    expect(fashion.train.images.byteLength).toBe(60_000 * 784);
    expect(fashion.test.images.byteLength).toBe(10_000 * 784);
  });

  it('seed-model-3 as the trainer runs it (Adam, checkpoints, test pass): the same tensors after every epoch, and none left after', async () => {
    const { config, model, data } = setup({ limit: 1200, epochs: 4 });
    const optimizer = makeOptimizer(config);
    const before = live();
    const atEpochEnd: { tensors: number; bytes: number }[] = [];
    let checkpoints = 0;
    const result = await train({
      model,
      config,
      data,
      test: fashion.test,
      optimizer,
      onEpoch: () => atEpochEnd.push(live()),
      // What a checkpoint reads out of the model and the optimizer is freed before training goes on.
      checkpoint: async (state: CheckpointState) => {
        expect(state.weights.length).toBe(model.weights.length);
        checkpoints++;
      },
    });
    expect(result.status).toBe('completed');
    expect(checkpoints).toBe(4);
    expect(result.test!.accuracy).toBeGreaterThan(0.5);
    // After the first step Adam holds its moments; from then on nothing grows.
    expect(atEpochEnd).toHaveLength(4);
    for (const end of atEpochEnd.slice(1)) expect(end).toEqual(atEpochEnd[0]);
    disposeOptimizer(optimizer);
    expect(live()).toEqual(before);
    model.dispose();
  });

  it('a CNN on wasm (its own filter-gradient kernel) frees every step’s tensors too', async () => {
    const cnn: ModelSpec = {
      inputShape: [28, 28, 1],
      layers: [
        { type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' },
        { type: 'MaxPooling2D', poolSize: [2, 2] },
        { type: 'Flatten' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    };
    const { config, model, data } = setup({ limit: 400, epochs: 2 }, cnn);
    const before = live();
    const atEpochEnd: number[] = [];
    const result = await train({ model, config, data, onEpoch: () => atEpochEnd.push(tf.memory().numTensors) });
    expect(result.status).toBe('completed');
    expect(new Set(atEpochEnd).size).toBe(1);
    expect(live()).toEqual(before);
    model.dispose();
  });

  it('a cancelled run frees what it made, wherever it stops', async () => {
    const { config, model, data } = setup({ limit: 1200, epochs: 3 });
    const before = live();
    let batches = 0;
    const result = await train({ model, config, data, onBatch: () => batches++, shouldStop: () => batches >= 20 });
    expect(result.status).toBe('cancelled');
    expect(result.epochs).toHaveLength(1);
    expect(live()).toEqual(before);
    model.dispose();
  });

  it('evaluating and predicting a whole split in chunks leaves no tensor behind', async () => {
    const { model } = setup({});
    const before = live();
    const whole = await evaluate(model, fashion.test);
    const probabilities = await predictProbabilities(model, fashion.test);
    expect(probabilities.length).toBe(10_000 * 10);
    expect(whole.accuracy).toBeGreaterThanOrEqual(0);
    expect(live()).toEqual(before);
    model.dispose();
  });
});
