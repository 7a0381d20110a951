import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel, regularizationLoss } from '../../../src/core/engine/build-model';
import { chooseProbe, LayerProbe, PROBE_SIZE } from '../../../src/core/engine/probe';
import { pixelFloats } from '../../../src/core/data/pixels';
import type { ImageSet } from '../../../src/core/data/types';
import type { ModelSpec } from '../../../src/shared/model/model-spec';

/** Images the test makes up: the figures are checked against an independent computation, not against learning. */
function images(count: number, seed: number): ImageSet {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const pixels = new Uint8Array(count * 784).map(() => Math.floor(next() * 256));
  const labels = new Uint8Array(count).map(() => Math.floor(next() * 10));
  return { count, rows: 28, cols: 28, images: pixels, labels };
}

const oneHot = (labels: Uint8Array) => tf.oneHot(tf.tensor1d(labels, 'int32'), 10).toFloat();

/** Every kind of layer the probe reports or skips, a weight penalty, and Dropout that would add noise in training mode. */
const cnn: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', filters: 4, kernelSize: [3, 3], activation: 'relu' },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Flatten' },
    { type: 'Dense', units: 16, activation: 'sigmoid', kernelRegularizer: { l1: 0, l2: 0.01 } },
    { type: 'BatchNormalization' },
    { type: 'Dropout', rate: 0.5 },
    { type: 'Activation', activation: 'tanh' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};

const mlp: ModelSpec = {
  inputShape: [28, 28],
  layers: [{ type: 'Flatten' }, { type: 'Dense', units: 8, activation: 'relu' }, { type: 'Dense', units: 10, activation: 'softmax' }],
};

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('the probe batch', () => {
  it('is 256 distinct training images with their labels, the same for the same seed and others for another', () => {
    const set = images(300, 1);
    const probe = chooseProbe(set, 42);
    expect(probe.count).toBe(PROBE_SIZE);
    expect(probe.images.length).toBe(PROBE_SIZE * 784);
    expect(chooseProbe(set, 42)).toEqual(probe);
    expect(chooseProbe(set, 43).images).not.toEqual(probe.images);
    // Each probe image is a training image (the first pixel identifies it in made-up data), with its own label.
    const key = (s: ImageSet, i: number) => s.images.subarray(i * 784, i * 784 + 8).join(',');
    const byFirstPixels = new Map(Array.from({ length: set.count }, (_, i) => [key(set, i), i]));
    const sources = Array.from({ length: probe.count }, (_, i) => byFirstPixels.get(key(probe, i))!);
    expect(new Set(sources).size).toBe(PROBE_SIZE);
    sources.forEach((source, i) => {
      expect(probe.images.subarray(i * 784, (i + 1) * 784)).toEqual(set.images.subarray(source * 784, (source + 1) * 784));
      expect(probe.labels[i]).toBe(set.labels[source]);
    });
  });

  it('is the whole training split when it has fewer than 256 images', () => {
    const set = images(100, 2);
    expect(chooseProbe(set, 42).count).toBe(100);
  });
});

describe('layer signals', () => {
  it('has a row for each layer with weights and each Activation layer, numbered and named as the model spec', async () => {
    const model = buildModel(cnn, 3);
    const probe = new LayerProbe(model, chooseProbe(images(300, 3), 42));
    const rows = await probe.measure(0, null);
    expect(rows.map((r) => [r.layer, r.name])).toEqual([
      [0, 'Conv2D 1 (relu)'],
      [3, 'Dense 4 (sigmoid)'],
      [4, 'BatchNormalization 5'],
      [6, 'Activation 7 (tanh)'],
      [7, 'Dense 8 (softmax)'],
    ]);
    expect(rows.every((r) => r.epoch === 0 && r.batch === null && r.updateRatio === null && r.nonfinite === 0)).toBe(true);
    const [conv, dense, norm, activation, output] = rows;
    expect(activation).toMatchObject({ gradNorm: null, biasGradNorm: null, weightNorm: null, deadFraction: null });
    expect(norm).toMatchObject({ deadFraction: null, saturatedFraction: null });
    expect(conv.saturatedFraction).toBeNull();
    expect(conv.deadFraction).not.toBeNull();
    expect([dense, activation, output].every((r) => r.saturatedFraction !== null && r.deadFraction === null)).toBe(true);
    probe.dispose();
    model.dispose();
  });

  it('reports the gradient of the training loss (penalty included) in inference mode, and the outputs the layers give', async () => {
    const model = buildModel(cnn, 4);
    const batch = chooseProbe(images(300, 4), 42);
    const probe = new LayerProbe(model, batch);
    const rows = await probe.measure(1, null);

    // The reference: the whole model as tfjs runs it, probabilities (not logits), Dropout off.
    const xs = tf.tensor(pixelFloats(batch), [batch.count, 28, 28, 1]);
    const ys = oneHot(batch.labels);
    const { grads } = tf.variableGrads(() => {
      const p = model.apply(xs, { training: false }) as tf.Tensor;
      const crossEntropy = tf.neg(tf.mean(tf.sum(tf.mul(ys, tf.log(p)), -1)));
      return tf.add(crossEntropy, regularizationLoss(model)!) as tf.Scalar;
    });
    const norm = (t: tf.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0]);
    for (const row of rows.filter((r) => r.gradNorm !== null)) {
      const [kernel, bias] = model.layers[row.layer].trainableWeights.map((w) => w.read() as tf.Variable);
      expect(relative(row.gradNorm!, norm(grads[kernel.name]))).toBeLessThan(1e-4);
      expect(relative(row.biasGradNorm!, norm(grads[bias.name]))).toBeLessThan(1e-4);
      expect(relative(row.weightNorm!, norm(kernel))).toBeLessThan(1e-5);
    }

    // Outputs layer by layer, and the figures worked out in plain JavaScript.
    let h: tf.Tensor = xs;
    for (const [index, layer] of model.layers.entries()) {
      const next = layer.apply(h, { training: false }) as tf.Tensor;
      if (h !== xs) h.dispose();
      h = next;
      const row = rows.find((r) => r.layer === index);
      if (!row) continue;
      const values = Array.from(h.dataSync());
      const n = values.length;
      const mean = values.reduce((a, b) => a + b, 0) / n;
      const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
      expect(row.actMean!).toBeCloseTo(mean, 5);
      expect(row.actStd!).toBeCloseTo(std, 5);
      if (row.deadFraction !== null) {
        const features = n / batch.count;
        let dead = 0;
        for (let f = 0; f < features; f++) {
          let alive = false;
          for (let i = 0; i < batch.count && !alive; i++) alive = values[i * features + f] > 0;
          if (!alive) dead++;
        }
        expect(row.deadFraction).toBeCloseTo(dead / features, 6);
      }
      if (row.saturatedFraction !== null) {
        const tanh = row.name.includes('tanh');
        const saturated = values.filter((v) => (tanh ? Math.abs(v) > 0.99 : v < 0.01 || v > 0.99)).length;
        expect(row.saturatedFraction).toBeCloseTo(saturated / n, 6);
      }
    }
    tf.dispose([h, xs, ys, ...Object.values(grads)]);
    probe.dispose();
    model.dispose();
  });

  it('counts ReLU units that no probe image turns on as dead, and outputs at the bounds as saturated', async () => {
    const model = buildModel(mlp, 5);
    const probe = new LayerProbe(model, chooseProbe(images(300, 5), 42));
    const healthy = await probe.measure(0, null);
    expect(healthy[0].deadFraction).toBe(0);
    expect(healthy[1].saturatedFraction).toBe(0);
    // Three of eight units switched off for good, and an output layer sure of itself.
    tf.tidy(() => {
      const [hiddenKernel] = model.layers[1].getWeights();
      model.layers[1].setWeights([hiddenKernel, tf.tensor1d([-1000, -1000, -1000, 0, 0, 0, 0, 0])]);
      const [outputKernel, outputBias] = model.layers[2].getWeights();
      model.layers[2].setWeights([tf.mul(outputKernel, 1000), outputBias]);
    });
    const sick = await probe.measure(1, null);
    expect(sick[0].deadFraction).toBe(3 / 8);
    expect(sick[1].saturatedFraction).toBeGreaterThan(0.95);
    probe.dispose();
    model.dispose();
  });

  it('reports the update ratio of the step after the kernel snapshot, once, and counts NaN and Infinity', async () => {
    const model = buildModel(mlp, 6);
    const probe = new LayerProbe(model, chooseProbe(images(300, 6), 42));
    const kernel = model.layers[1].trainableWeights[0].read() as tf.Variable;
    probe.snapshotKernels();
    tf.tidy(() => kernel.assign(tf.add(kernel, 0.01)));
    const [first, second] = await probe.measure(1, 5);
    expect(first.batch).toBe(5);
    const expected = (0.01 * Math.sqrt(784 * 8)) / tf.tidy(() => tf.norm(kernel).dataSync()[0]);
    expect(relative(first.updateRatio!, expected)).toBeLessThan(1e-4);
    expect(second.updateRatio).toBe(0);
    // The snapshot is used up: without a new one there is no step to report.
    expect((await probe.measure(1, null)).map((r) => r.updateRatio)).toEqual([null, null]);

    tf.tidy(() => kernel.assign(tf.where(tf.equal(tf.range(0, 784 * 8).reshape([784, 8]), 0), tf.fill([784, 8], NaN), kernel)));
    const [broken] = await probe.measure(1, null);
    expect(broken.nonfinite).toBeGreaterThan(1);
    probe.dispose();
    model.dispose();
  });

  it('frees every tensor it makes: measuring leaves the count as it was, dispose() returns it to the start', async () => {
    const model = buildModel(
      { ...mlp, layers: [...mlp.layers.slice(0, 2), { type: 'BatchNormalization' }, { type: 'Dropout', rate: 0.5 }, mlp.layers[2]] },
      7,
    );
    const before = tf.memory().numTensors;
    const probe = new LayerProbe(model, chooseProbe(images(300, 7), 42));
    const held = tf.memory().numTensors;
    probe.snapshotKernels();
    await probe.measure(1, null);
    await probe.measure(2, null);
    probe.snapshotKernels();
    expect(tf.memory().numTensors).toBeGreaterThan(held);
    await probe.measure(3, 1);
    expect(tf.memory().numTensors).toBe(held);
    probe.snapshotKernels();
    probe.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
