import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, makeOptimizer } from '../../../src/core/engine/build-model';
import { selectBackend } from '../../../src/core/engine/backend';
import { summarizeModel } from '../../../src/shared/model-math';
import { ACTIVATIONS, type ModelSpec } from '../../../src/shared/model-spec';
import { PRESETS } from '../../../src/shared/presets';
import { DEFAULT_CONFIG } from '../../../src/shared/training-config';

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
    const twin = buildModel({ inputShape: [4], layers: [{ type: 'Dense', units: 4, activation: 'relu' }, { type: 'Dense', units: 4, activation: 'relu' }] }, 5);
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
