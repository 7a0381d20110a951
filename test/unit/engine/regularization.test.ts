import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel, regularizationLoss } from '../../../src/core/engine/build-model';
import { evaluate, train } from '../../../src/core/engine/train';
import type { ImageSet } from '../../../src/core/data/types';
import type { ModelSpec, Regularizer } from '../../../src/shared/model/model-spec';
import { DEFAULT_CONFIG, type TrainingConfig } from '../../../src/shared/model/training-config';

/** Images the test makes up: what matters here is the loss, not what is learned. */
function images(count: number, seed: number): ImageSet {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(next() * 256));
  const labels = new Uint8Array(count).map((_, i) => i % 10);
  return { count, rows: 28, cols: 28, images: pixels, labels };
}

const spec = (kernelRegularizer: Regularizer | null): ModelSpec => ({
  inputShape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', filters: 4, kernelSize: [3, 3], activation: 'relu', kernelRegularizer },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Flatten' },
    { type: 'Dense', units: 10, activation: 'softmax', kernelRegularizer },
  ],
});

// A learning rate so small that the weights stay put: the loss is the starting loss.
const config: TrainingConfig = { ...DEFAULT_CONFIG, optimizer: 'sgd', learningRate: 1e-12, epochs: 1, batchSize: 32 };
const data = { train: images(64, 1), validation: images(32, 2) };

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('L1/L2 regularization in training', () => {
  it('the reported training and validation loss include the weight penalty, as in Keras', async () => {
    const plain = buildModel(spec(null), 5);
    const regularized = buildModel(spec({ l1: 0.01, l2: 0.5 }), 5);
    const penalty = tf.tidy(() => regularizationLoss(regularized)!.dataSync()[0]);
    expect(penalty).toBeGreaterThan(0.1);

    const a = await train({ model: plain, config, data });
    const b = await train({ model: regularized, config, data });
    expect(b.epochs[0].loss - a.epochs[0].loss).toBeCloseTo(penalty, 4);
    expect(b.epochs[0].valLoss! - a.epochs[0].valLoss!).toBeCloseTo(penalty, 4);
    // Accuracy is the network's alone: the penalty does not change what it predicts.
    expect(b.epochs[0].valAccuracy).toBe(a.epochs[0].valAccuracy);
    const evaluated = await evaluate(regularized, data.validation);
    expect(evaluated.loss).toBeCloseTo(b.epochs[0].valLoss!, 6);
    plain.dispose();
    regularized.dispose();
  });

  it('the penalty pulls the weights towards zero while training', async () => {
    const strong = { ...config, learningRate: 0.05, epochs: 3 };
    const sizeOfKernels = (m: tf.LayersModel) =>
      tf.tidy(() => tf.addN(m.trainableWeights.filter((w) => w.name.endsWith('kernel')).map((w) => tf.sum(tf.square(w.read())))).dataSync()[0]);
    const mlp = (kernelRegularizer: Regularizer | null): ModelSpec => ({
      inputShape: [784],
      layers: [
        { type: 'Dense', units: 16, activation: 'relu', kernelRegularizer },
        { type: 'Dense', units: 10, activation: 'softmax', kernelRegularizer },
      ],
    });
    const plain = buildModel(mlp(null), 5);
    const regularized = buildModel(mlp({ l1: 0, l2: 1 }), 5);
    await train({ model: plain, config: strong, data });
    await train({ model: regularized, config: strong, data });
    expect(sizeOfKernels(regularized)).toBeLessThan(sizeOfKernels(plain) * 0.9);
    plain.dispose();
    regularized.dispose();
  });
});
