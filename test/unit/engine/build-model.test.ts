import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, makeOptimizer } from '../../../src/core/engine/build-model';
import { selectBackend } from '../../../src/core/engine/backend';
import { summarizeModel } from '../../../src/shared/model/model-math';
import { ACTIVATIONS, type Initializer, type ModelSpec } from '../../../src/shared/model/model-spec';
import { PRESETS } from '../../../src/shared/model/presets';
import { DEFAULT_CONFIG } from '../../../src/shared/model/training-config';
import { regularizationLoss } from '../../../src/core/engine/build-model';
import { CNN, EVERY_OPTION } from '../../fixtures/model-specs';

const EVERY_LAYER: ModelSpec = {
  inputShape: [28, 28],
  layers: [
    { type: 'Flatten' },
    { type: 'Dense', units: 32, activation: 'relu', useBias: false },
    { type: 'BatchNormalization' },
    { type: 'Activation', activation: 'tanh' },
    { type: 'Dropout', rate: 0.5 },
    { type: 'Dense', units: 16, activation: 'elu' },
    { type: 'BatchNormalization', momentum: 0.9, epsilon: 0.01 },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};

const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('buildModel', () => {
  it.each(PRESETS.map((p) => [p.id, p] as const))('%s has the parameter count the editor shows (133,386)', (_, preset) => {
    const model = buildModel(preset.model, 42);
    expect(model.countParams()).toBe(summarizeModel(preset.model).totalParams);
    expect(model.countParams()).toBe(133_386);
    model.dispose();
  });

  it('counts every layer type as Keras does, BatchNormalization moving statistics included', () => {
    const model = buildModel(EVERY_LAYER, 1);
    const summary = summarizeModel(EVERY_LAYER);
    expect(model.countParams()).toBe(summary.totalParams);
    const nonTrainable = model.nonTrainableWeights.reduce((n, w) => n + w.read().size, 0);
    expect(nonTrainable).toBe(summary.nonTrainableParams);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    model.dispose();
  });

  it('honours BatchNormalization settings and Keras defaults', () => {
    const model = buildModel(EVERY_LAYER, 1);
    const bns = model.layers.filter((l) => l.getClassName() === 'BatchNormalization').map((l) => l.getConfig());
    expect(bns[0]).toMatchObject({ momentum: 0.99, epsilon: 0.001 });
    expect(bns[1]).toMatchObject({ momentum: 0.9, epsilon: 0.01 });
    model.dispose();
  });

  it('starts from the same weights for the same seed and from different ones for another seed', () => {
    const spec = PRESETS[2].model;
    const a = buildModel(spec, 42);
    const b = buildModel(spec, 42);
    const c = buildModel(spec, 43);
    expect(weightsOf(a)).toEqual(weightsOf(b));
    expect(weightsOf(a)[0]).not.toEqual(weightsOf(c)[0]);
    // Two layers of the same shape must not start equal either.
    const twin = buildModel(
      {
        inputShape: [4],
        layers: [
          { type: 'Dense', units: 4, activation: 'relu' },
          { type: 'Dense', units: 4, activation: 'relu' },
        ],
      },
      5,
    );
    const [k1, , k2] = weightsOf(twin);
    expect(k1).not.toEqual(k2);
    for (const m of [a, b, c, twin]) m.dispose();
  });

  it('gives Glorot-uniform kernels and zero biases', () => {
    const model = buildModel(PRESETS[2].model, 42);
    const [kernel, bias] = model.layers[1].getWeights();
    const limit = Math.sqrt(6 / (784 + 64));
    const k = kernel.dataSync();
    expect(Math.max(...k)).toBeLessThanOrEqual(limit);
    expect(Math.min(...k)).toBeGreaterThanOrEqual(-limit);
    expect(Math.max(...k)).toBeGreaterThan(limit * 0.9);
    expect(Array.from(bias.dataSync()).every((v) => v === 0)).toBe(true);
    model.dispose();
  });

  it.each(ACTIVATIONS.filter((a) => a !== 'softmax'))('trains with %s hidden units (finite loss, weights move)', (activation) => {
    const spec: ModelSpec = {
      inputShape: [6],
      layers: [
        { type: 'Dense', units: 8, activation },
        { type: 'Activation', activation },
        { type: 'Dense', units: 3, activation: 'softmax' },
      ],
    };
    const model = buildModel(spec, 3);
    const before = weightsOf(model)[0];
    const x = tf.randomUniform([5, 6], -1, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3);
    const optimizer = makeOptimizer({ optimizer: 'sgd', learningRate: 0.5, momentum: 0 });
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor), true)!;
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    expect(weightsOf(model)[0]).not.toEqual(before);
    tf.dispose([x, y, loss]);
    optimizer.dispose();
    model.dispose();
  });

  it('drops units only while training, reproducibly for a seed, differently on every batch', () => {
    const spec: ModelSpec = { inputShape: [200], layers: [{ type: 'Dropout', rate: 0.5 }] };
    const x = tf.ones([1, 200]);
    const run = (seed: number) => {
      const model = buildModel(spec, seed);
      const out = [0, 1].map(() => Array.from((model.apply(x, { training: true }) as tf.Tensor).dataSync()));
      const inference = Array.from((model.apply(x, { training: false }) as tf.Tensor).dataSync());
      model.dispose();
      return { out, inference };
    };
    const first = run(9);
    const again = run(9);
    const zeros = first.out[0].filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(60);
    expect(zeros).toBeLessThan(140);
    // Kept units are scaled by 1 / (1 − rate), as in Keras.
    expect(first.out[0].filter((v) => v !== 0).every((v) => Math.abs(v - 2) < 1e-6)).toBe(true);
    expect(first.out[0]).not.toEqual(first.out[1]);
    expect(again.out).toEqual(first.out);
    expect(first.inference.every((v) => v === 1)).toBe(true);
    x.dispose();
  });

  it('serialises Dropout as a plain Keras Dropout layer', () => {
    const model = buildModel(EVERY_LAYER, 1);
    const json = model.toJSON(null, false) as { config: { layers: { class_name: string; config: { rate?: number } }[] } };
    const dropout = json.config.layers.find((l) => l.class_name === 'Dropout');
    expect(dropout?.config.rate).toBe(0.5);
    model.dispose();
  });
});

const sizeOf = (weights: tf.LayerVariable[]) => weights.reduce((n, w) => n + w.read().size, 0);

describe('buildModel: convolutions, reshapes, initializers and regularizers', () => {
  it('the CNN has the 225,034 parameters the editor shows, layer by layer', () => {
    const model = buildModel(CNN, 42);
    const summary = summarizeModel(CNN);
    expect(model.countParams()).toBe(225_034);
    expect(model.layers.map((l) => l.countParams())).toEqual(summary.layers.map((l) => l.params));
    expect(model.layers.map((l) => (l.outputShape as number[]).slice(1))).toEqual(summary.layers.map((l) => l.outputShape));
    model.dispose();
  });

  it('every layer type and option: countParams, per-layer shapes and the trainable split equal the summary', () => {
    const model = buildModel(EVERY_OPTION, 7);
    const summary = summarizeModel(EVERY_OPTION);
    expect(summary.problems).toEqual([]);
    expect(model.countParams()).toBe(summary.totalParams);
    expect(model.layers.map((l) => (l.outputShape as number[]).slice(1))).toEqual(summary.layers.map((l) => l.outputShape));
    expect(model.layers.map((l) => l.countParams())).toEqual(summary.layers.map((l) => l.params));
    expect(sizeOf(model.trainableWeights)).toBe(summary.trainableParams);
    expect(sizeOf(model.nonTrainableWeights)).toBe(summary.nonTrainableParams);
    model.dispose();
  });

  it('BatchNormalization after Dense(64): 128 trainable weights (gamma, beta) and 128 moving statistics, as tfjs holds them', () => {
    const spec: ModelSpec = {
      inputShape: [28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'Dense', units: 64, activation: 'relu' },
        { type: 'BatchNormalization' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    };
    const model = buildModel(spec, 1);
    const bn = model.layers[2];
    const s = summarizeModel(spec).layers[2];
    expect(sizeOf(bn.trainableWeights)).toBe(s.trainableParams);
    expect(sizeOf(bn.nonTrainableWeights)).toBe(s.nonTrainableParams);
    expect(s.trainableParams).toBe(128);
    model.dispose();
  });

  it('passes convolution and pooling settings through (strides, padding, no bias)', () => {
    const model = buildModel(EVERY_OPTION, 7);
    expect(model.layers[1].getConfig()).toMatchObject({ filters: 8, kernelSize: [5, 3], strides: [2, 1], padding: 'same', useBias: false });
    expect(model.layers[4].getConfig()).toMatchObject({ poolSize: [3, 3], strides: [2, 2], padding: 'same' });
    expect(model.layers[6].getConfig()).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
    model.dispose();
  });

  it('draws each Keras initializer with the spread Keras gives it, reproducibly for a seed', () => {
    const init = (kernelInitializer: Initializer, seed = 3) => {
      const model = buildModel({ inputShape: [400], layers: [{ type: 'Dense', units: 200, activation: 'linear', kernelInitializer }] }, seed);
      const k = Array.from(model.layers[0].getWeights()[0].dataSync());
      model.dispose();
      const mean = k.reduce((a, b) => a + b, 0) / k.length;
      const std = Math.sqrt(k.reduce((a, b) => a + (b - mean) ** 2, 0) / k.length);
      return { k, std, max: Math.max(...k.map(Math.abs)) };
    };
    // Keras: he_normal has stddev sqrt(2 / fan_in) (truncated normal, variance corrected); glorot_normal sqrt(2 / (in + out)).
    expect(init('he_normal').std).toBeCloseTo(Math.sqrt(2 / 400), 3);
    expect(init('glorot_normal').std).toBeCloseTo(Math.sqrt(2 / 600), 3);
    expect(init('lecun_normal').std).toBeCloseTo(Math.sqrt(1 / 400), 3);
    expect(init('he_uniform').max).toBeLessThanOrEqual(Math.sqrt(6 / 400));
    expect(init('he_uniform').max).toBeGreaterThan(Math.sqrt(6 / 400) * 0.99);
    expect(init('lecun_uniform').max).toBeGreaterThan(Math.sqrt(3 / 400) * 0.99);
    expect(init('lecun_uniform').max).toBeLessThanOrEqual(Math.sqrt(3 / 400));
    expect(init('random_uniform').max).toBeLessThanOrEqual(0.05);
    expect(init('random_normal').std).toBeCloseTo(0.05, 3);
    expect(init('zeros').max).toBe(0);
    expect(init('ones').k.every((v) => v === 1)).toBe(true);
    expect(init('he_normal', 5).k).toEqual(init('he_normal', 5).k);
    expect(init('he_normal', 5).k).not.toEqual(init('he_normal', 6).k);
  });

  it('adds the L1/L2 penalty of the kernels, as Keras does', () => {
    const spec: ModelSpec = {
      inputShape: [4],
      layers: [
        { type: 'Dense', units: 3, activation: 'relu', kernelRegularizer: { l1: 0.1, l2: 0.2 } },
        { type: 'Dense', units: 2, activation: 'softmax', kernelRegularizer: null },
      ],
    };
    const model = buildModel(spec, 1);
    const kernel = Array.from(model.layers[0].getWeights()[0].dataSync());
    const expected = 0.1 * kernel.reduce((a, b) => a + Math.abs(b), 0) + 0.2 * kernel.reduce((a, b) => a + b * b, 0);
    const penalty = tf.tidy(() => regularizationLoss(model)!.dataSync()[0]);
    expect(penalty).toBeCloseTo(expected, 5);
    const plain = buildModel(PRESETS[0].model, 1);
    expect(regularizationLoss(plain)).toBeNull();
    plain.dispose();
    model.dispose();
  });
});

describe('makeOptimizer', () => {
  it.each([
    [{ optimizer: 'sgd', momentum: 0 }, 'SGD'],
    [{ optimizer: 'sgd', momentum: 0.9 }, 'Momentum'],
    [{ optimizer: 'adam', momentum: 0 }, 'Adam'],
    [{ optimizer: 'rmsprop', momentum: 0 }, 'RMSProp'],
    [{ optimizer: 'adagrad', momentum: 0 }, 'Adagrad'],
  ] as const)('%o trains with %s at the chosen learning rate', (choice, name) => {
    const optimizer = makeOptimizer({ ...DEFAULT_CONFIG, ...choice, learningRate: 0.0123 });
    expect(optimizer.getClassName()).toBe(name);
    expect(optimizer.getConfig().learningRate).toBe(0.0123);
    if (choice.momentum > 0) expect(optimizer.getConfig().momentum).toBe(0.9);
    optimizer.dispose();
  });
});
