import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdam, FastAdam, fastAdamUsesWasmKernel } from '../../../src/core/engine/adam';
import { selectBackend, type BackendName } from '../../../src/core/engine/backend';
import { loadFashionMnist, SYSTEM_DATASET_FOLDER } from '../../../src/core/data/fashion-mnist';
import { pixelFloats } from '../../../src/core/data/pixels';
import type { ImageSet } from '../../../src/core/data/types';

const IMAGES = 2000;
const BATCH = 64;
const PIXELS = 784;
const LR = 0.001;

let images: Float32Array;
let labels: Uint8Array;

beforeAll(async () => {
  const train: ImageSet = (await loadFashionMnist(SYSTEM_DATASET_FOLDER)).train;
  images = pixelFloats(train, 0, IMAGES);
  labels = train.labels.slice(0, IMAGES);
});

/** Dense 784→32 relu → 10 softmax, the same initial weights every time for a seed. */
function smallModel(seed = 7): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [PIXELS], units: 32, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** Batch b of the 2,000 images (wrapping round), as tensors the caller disposes. */
function batch(b: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const start = (b * BATCH) % (IMAGES - BATCH);
  const x = tf.tensor2d(images.subarray(start * PIXELS, (start + BATCH) * PIXELS), [BATCH, PIXELS]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(labels.subarray(start, start + BATCH)), 'int32'), 10) as tf.Tensor2D);
  return { x, y };
}

function crossEntropy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const p = tf.clipByValue(model.apply(x) as tf.Tensor, 1e-7, 1 - 1e-7);
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(p)), -1))) as tf.Scalar;
}

/** One training step the way train.ts takes it: minimize with the model's variables as varList. */
function step(model: tf.LayersModel, optimizer: tf.Optimizer, b: number): number {
  const { x, y } = batch(b);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = optimizer.minimize(() => crossEntropy(model, x, y), true, variables)!;
  const value = loss.dataSync()[0];
  tf.dispose([x, y, loss]);
  return value;
}

const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Float32Array.from(w.dataSync()));

/** Largest |a − b| / max(|a|, 1e-3) over all values (a plain relative error, floored near zero). */
function worstRelative(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((xs, i) => xs.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i][j]) / Math.max(Math.abs(x), 1e-3)))));
  return worst;
}

const BACKENDS: BackendName[] = ['cpu', 'wasm'];

describe.each(BACKENDS)('FastAdam on the %s backend', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  it(backend === 'wasm' ? 'runs its WebAssembly SIMD pass' : 'runs its JavaScript loop', () => {
    expect(fastAdamUsesWasmKernel()).toBe(backend === 'wasm');
  });

  it('gives the weights and moments tf.train.adam gives, from the same start over the same 30 batches', async () => {
    const stockModel = smallModel();
    const fastModel = smallModel();
    const stock = tf.train.adam(LR, 0.9, 0.999, 1e-7);
    const fast = createAdam(LR);
    const start = weightsOf(stockModel);
    expect(worstRelative(start, weightsOf(fastModel))).toBe(0);

    for (let b = 0; b < 30; b++) {
      const a = step(stockModel, stock, b);
      const c = step(fastModel, fast, b);
      expect(Math.abs(a - c)).toBeLessThanOrEqual(1e-5 * Math.abs(a));
    }
    const stockWeights = weightsOf(stockModel);
    const fastWeights = weightsOf(fastModel);
    expect(worstRelative(stockWeights, fastWeights)).toBeLessThan(1e-5);
    // Stronger, and true by construction (same float32 operations in the same order): bit for bit.
    const differing = stockWeights.reduce((n, xs, i) => n + xs.filter((x, j) => !Object.is(x, fastWeights[i][j])).length, 0);
    expect(differing).toBe(0);
    // The training moved the weights, so the agreement is not the trivial one.
    expect(worstRelative(start, fastWeights)).toBeGreaterThan(1e-3);

    // Moments, in tfjs's order and naming: [iter, m…, v…].
    const ours = await fast.getWeights();
    const theirs = await stock.getWeights();
    const names = (model: tf.LayersModel, key: string) => model.trainableWeights.map((w) => `${(w.read() as tf.Variable).name}/${key}`);
    expect(ours.map((w) => w.name)).toEqual(['iter', ...names(fastModel, 'm'), ...names(fastModel, 'v')]);
    expect(theirs.map((w) => w.name)).toEqual(['iter', ...names(stockModel, 'm'), ...names(stockModel, 'v')]);
    expect(ours[0].tensor.dataSync()[0]).toBe(30);
    const values = (ws: typeof ours) => ws.slice(1).map((w) => Float32Array.from(w.tensor.dataSync()));
    expect(worstRelative(values(theirs), values(ours))).toBeLessThan(1e-5);
    tf.dispose(ours.map((w) => w.tensor));
    theirs[0].tensor.dispose(); // the rest are the stock optimizer's own variables

    stock.dispose();
    fast.dispose();
    stockModel.dispose();
    fastModel.dispose();
  });

  it('leaks no tensor and no backend buffer over 20 steps', () => {
    const model = smallModel();
    const optimizer = createAdam(LR);
    step(model, optimizer, 0); // the first step makes the moments
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    for (let b = 1; b <= 20; b++) step(model, optimizer, b);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
    optimizer.dispose();
    model.dispose();
  });

  it('accepts a NamedTensorMap (minimize without a varList) as well as the array train.ts causes', () => {
    const stockModel = smallModel();
    const fastModel = smallModel();
    const stock = tf.train.adam(LR, 0.9, 0.999, 1e-7);
    const fast = createAdam(LR);
    for (let b = 0; b < 5; b++) {
      for (const [model, optimizer] of [
        [stockModel, stock],
        [fastModel, fast],
      ] as const) {
        const { x, y } = batch(b);
        // Both models' variables are trainable: restrict the map to this model's.
        const names = new Set(model.trainableWeights.map((w) => (w.read() as tf.Variable).name));
        const { value, grads } = optimizer.computeGradients(
          () => crossEntropy(model, x, y),
          model.trainableWeights.map((w) => w.read() as tf.Variable),
        );
        // tfjs types this map as one of Variables; minimize passes it the gradient tensors.
        optimizer.applyGradients(Object.fromEntries(Object.entries(grads).filter(([n]) => names.has(n))) as Record<string, tf.Variable>);
        tf.dispose([x, y, value, grads]);
      }
    }
    expect(worstRelative(weightsOf(stockModel), weightsOf(fastModel))).toBeLessThan(1e-5);
    stockModel.dispose();
    fastModel.dispose();
    stock.dispose();
    fast.dispose();
  });

  it('carries on from a saved state as tf.train.adam does (setWeights from tf.train.adam or from itself)', async () => {
    const first = smallModel();
    const original = tf.train.adam(LR, 0.9, 0.999, 1e-7);
    for (let b = 0; b < 5; b++) step(first, original, b);
    const saved = await original.getWeights();

    // Four copies of the trained model, each with a restored optimizer.
    const models = [smallModel(), smallModel(), smallModel()];
    for (const m of models) m.setWeights(first.getWeights());
    const stock = tf.train.adam(LR, 0.9, 0.999, 1e-7);
    const fromStock = createAdam(LR);
    const fromFast = createAdam(LR);
    await fromStock.setWeights(saved);
    const fastState = await fromStock.getWeights();
    await fromFast.setWeights(fastState);
    tf.dispose(fastState.map((w) => w.tensor));
    await stock.setWeights(saved); // takes the tensors over as its own variables

    for (let b = 5; b < 10; b++) {
      step(models[0], stock, b);
      step(models[1], fromStock, b);
      step(models[2], fromFast, b);
    }
    expect(worstRelative(weightsOf(models[0]), weightsOf(models[1]))).toBeLessThan(1e-5);
    expect(worstRelative(weightsOf(models[1]), weightsOf(models[2]))).toBe(0);
    for (const o of [original, stock, fromStock, fromFast]) o.dispose();
    tf.dispose([first, ...models] as unknown as tf.Tensor[]);
  });
});

describe('FastAdam as a tfjs optimizer', () => {
  it("has tfjs Adam's config and class name, and rebuilds from its config", () => {
    const optimizer = createAdam(0.002, 0.8, 0.99, 1e-6);
    expect(optimizer.getConfig()).toEqual({ learningRate: 0.002, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 });
    expect(optimizer.getClassName()).toBe('Adam');
    expect(tf.train.adam(0.002, 0.8, 0.99, 1e-6).getConfig()).toEqual(optimizer.getConfig());
    const copy = FastAdam.fromConfig(FastAdam, optimizer.getConfig());
    expect(copy.constructor).toBe(FastAdam);
    expect(copy.getConfig()).toEqual(optimizer.getConfig());
    expect(createAdam(0.001).getConfig()).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  });

  it('moves its moments between backends and stays equal to tf.train.adam doing the same', async () => {
    await selectBackend('wasm');
    const stockModel = smallModel();
    const fastModel = smallModel();
    const stock = tf.train.adam(LR, 0.9, 0.999, 1e-7);
    const fast = createAdam(LR);
    for (let b = 0; b < 12; b++) {
      if (b === 4) await selectBackend('cpu');
      if (b === 8) await selectBackend('wasm');
      step(stockModel, stock, b);
      step(fastModel, fast, b);
    }
    expect(worstRelative(weightsOf(stockModel), weightsOf(fastModel))).toBeLessThan(1e-5);
    stock.dispose();
    fast.dispose();
    stockModel.dispose();
    fastModel.dispose();
  });

  // On wasm only: the cpu backend proves nothing more here and takes seconds.
  it('lowers the loss on 2,000 real Fashion-MNIST images (wasm)', async () => {
    await selectBackend('wasm');
    const model = smallModel(11);
    const optimizer = createAdam(LR);
    const x = tf.tensor2d(images, [IMAGES, PIXELS]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), 10));
    const fullLoss = () => tf.tidy(() => crossEntropy(model, x, y).dataSync()[0]);
    const before = fullLoss();
    for (let b = 0; b < 2 * Math.floor(IMAGES / BATCH); b++) step(model, optimizer, b); // two passes
    const after = fullLoss();
    expect(before).toBeGreaterThan(1.5); // about ln 10 ≈ 2.3 untrained
    expect(after).toBeLessThan(0.5 * before);
    expect(after).toBeLessThan(1);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
});
