import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel } from '../../../src/core/engine/build-model';
import { installWasmConvFilterGrad } from '../../../src/core/engine/wasm-conv-grad';
import { installWasmMatMulFix } from '../../../src/core/engine/wasm-matmul';
import { EVERY_OPTION } from '../../fixtures/model-specs';

type Case = {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same';
};
const CASES: Case[] = [
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { x: [2, 7, 8, 3], filter: [3, 2, 3, 4], strides: 2, pad: 'same' },
  { x: [3, 9, 9, 2], filter: [4, 4, 2, 5], strides: [2, 3], pad: 'same' },
  { x: [1, 5, 5, 1], filter: [1, 1, 1, 2], strides: 1, pad: 'valid' },
  { x: [2, 6, 6, 2], filter: [5, 5, 2, 3], strides: 1, pad: 'same' },
];

/** d(sum of squared outputs)/d(filter) for each case, on the backend in use. */
function filterGradients(): number[][] {
  return CASES.map((c) =>
    tf.tidy(() => {
      const x = tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D;
      const f = tf.randomUniform(c.filter, -1, 1, 'float32', 2) as tf.Tensor4D;
      const g = tf.grad((w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, w as tf.Tensor4D, c.strides, c.pad))))(f);
      return Array.from(g.dataSync());
    }),
  );
}

afterAll(async () => {
  await selectBackend('cpu');
});

describe('Conv2D filter gradient on the wasm backend', () => {
  it('a Conv2D layer learns on wasm, with the gradients the cpu backend computes, and frees its scratch memory', async () => {
    await selectBackend('cpu');
    const expected = filterGradients();

    await selectBackend('wasm');
    installWasmMatMulFix();
    expect(installWasmConvFilterGrad()).toBe(true);
    expect(installWasmConvFilterGrad()).toBe(true);
    const before = tf.engine().backend.numDataIds();
    const actual = filterGradients();
    expect(tf.engine().backend.numDataIds()).toBe(before);

    actual.forEach((grad, i) => {
      expect(grad).toHaveLength(expected[i].length);
      grad.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 3));
    });

    // A whole CNN training step on wasm: the filters move.
    const model = buildModel(
      {
        inputShape: [28, 28, 1],
        layers: [
          { type: 'Conv2D', filters: 4, kernelSize: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu' },
          { type: 'MaxPooling2D', poolSize: [2, 2] },
          { type: 'Flatten' },
          { type: 'Dense', units: 10, activation: 'softmax' },
        ],
      },
      1,
    );
    const filtersBefore = Array.from(model.layers[0].getWeights()[0].dataSync());
    const optimizer = tf.train.sgd(0.5);
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), false);
    expect(Array.from(model.layers[0].getWeights()[0].dataSync())).not.toEqual(filtersBefore);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });

  it('every layer type and option takes a training step on wasm: finite loss, every weight moves', async () => {
    await selectBackend('wasm');
    installWasmMatMulFix();
    installWasmConvFilterGrad();
    // A 'zeros' kernel passes no gradient back to the layers before it; start that one layer randomly here.
    const layers = EVERY_OPTION.layers.map((l) =>
      l.type === 'Dense' && l.kernelInitializer === 'zeros' ? { ...l, kernelInitializer: 'random_normal' as const } : l,
    );
    const model = buildModel({ ...EVERY_OPTION, layers }, 3);
    const before = model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    const optimizer = tf.train.adam(0.01);
    const x = tf.randomUniform([16, 28, 28], 0, 1, 'float32', 4);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: 16 }, (_, i) => i % 10),
        'int32',
      ),
      10,
    );
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true)!;
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    const after = model.trainableWeights.map((w) => Array.from(w.read().dataSync()));
    after.forEach((w, i) => expect(w, model.trainableWeights[i].name).not.toEqual(before[i]));
    tf.dispose([x, y, loss]);
    optimizer.dispose();
    model.dispose();
  });
});
