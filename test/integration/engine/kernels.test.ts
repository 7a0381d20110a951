import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdam } from '../../../src/core/engine/adam';
import { buildModel } from '../../../src/core/engine/build-model';
import type { CheckpointState } from '../../../src/core/engine/checkpoint';
import { evaluate, forwardPass, trainingLoss } from '../../../src/core/engine/forward';
import { kernelBytes } from '../../../src/core/engine/kernels/assemble';
import { DenseKernels, denseIneligibility, kernelChoice } from '../../../src/core/engine/kernels/dense-step';
import { kernelWat } from '../../../src/core/engine/kernels/wat';
import type { train } from '../../../src/core/engine/train';
import { pixelFloats } from '../../../src/core/data/pixels';
import type { TrainValidationSplit } from '../../../src/core/data/types';
import { expectLearnsAlike, seedModel3, subsetConfig, trainSubset, wasmSubset, withoutTime, type SubsetRun } from './subset';
import type { ModelSpec } from '../../../src/shared/model/model-spec';

const config = subsetConfig;
let data: TrainValidationSplit;

beforeAll(async () => {
  data = await wasmSubset();
});

function run(kernels: 'auto' | 'tfjs', extra: Partial<Parameters<typeof train>[0]> = {}): Promise<SubsetRun> {
  return trainSubset(data, { kernels, ...extra });
}

let fastRun: Promise<SubsetRun> | null = null;
/** One uninterrupted run on Layerlab's kernels, shared by the tests that compare against it. */
const reference = () => (fastRun ??= run('auto'));

/** The largest difference between two arrays, relative to the largest magnitude in the first. */
function relativeError(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
  }
  return diff / scale;
}

describe("Layerlab's Dense kernels (layerlab-simd)", () => {
  it('run the module assembled from the current WebAssembly text (after a change to wat.ts: npx tsx bench/kernels.ts --write-module)', async () => {
    const wabt = await (await import('wabt')).default();
    const module = wabt.parseWat('layerlab-kernels.wat', kernelWat(), { simd: true, threads: true });
    try {
      expect(Buffer.from(kernelBytes()).equals(Buffer.from(module.toBinary({}).buffer))).toBe(true);
    } finally {
      module.destroy();
    }
  });

  it("compute one batch's loss and every gradient as tfjs does, within float32 rounding, on one thread or two alike", async () => {
    const model = buildModel(seedModel3.model, config.seed);
    const n = 50; // not a multiple of the tiles: the row edges are covered too
    const x = pixelFloats(data.train, 0, n);
    const y = new Float32Array(n * 10);
    for (let i = 0; i < n; i++) y[i * 10 + data.train.labels[i]] = 1;
    const two = (await DenseKernels.start(model, 64, 2))!;
    const one = (await DenseKernels.start(model, 64, 1))!;
    try {
      expect(two.threads).toBe(2);
      expect(one.threads).toBe(1);
      const fast = two.gradients(x, y, n);
      const alone = one.gradients(x, y, n);
      const expected = tf.tidy(() => {
        const xs = tf.tensor(x, [n, 28, 28]);
        const ys = tf.tensor2d(y, [n, 10]);
        const forward = forwardPass(model);
        const { value, grads } = tf.variableGrads(() => trainingLoss(model, ys, forward(xs, true)), two.variables);
        return { loss: value.dataSync()[0], gradients: two.variables.map((v) => grads[v.name].dataSync() as Float32Array) };
      });
      expect(Math.abs(fast.loss - expected.loss) / expected.loss).toBeLessThan(1e-5);
      expect(fast.gradients.map((g) => g.length)).toEqual(expected.gradients.map((g) => g.length));
      expected.gradients.forEach((g, i) => expect(relativeError(g, fast.gradients[i])).toBeLessThan(1e-5));
      // The same sums in the same order on either thread: bit for bit.
      expect(alone.loss).toBe(fast.loss);
      expect(alone.gradients).toEqual(fast.gradients);
    } finally {
      await two.close();
      await one.close();
      model.dispose();
    }
  });

  it('follow tfjs through sigmoid, tanh, linear and Activation layers, odd widths and no bias, within float32 rounding', async () => {
    const spec: ModelSpec = {
      ...seedModel3.model,
      layers: [
        { type: 'Flatten' },
        { type: 'Dense', units: 37, activation: 'sigmoid' },
        { type: 'Dense', units: 21, activation: 'tanh', useBias: false },
        { type: 'Dense', units: 13, activation: 'linear' },
        { type: 'Dense', units: 19, activation: 'linear' },
        { type: 'Activation', activation: 'relu' },
        { type: 'Dense', units: 10, activation: 'linear' },
        { type: 'Activation', activation: 'softmax' },
      ],
    };
    const model = buildModel(spec, 3);
    const n = 7;
    const x = pixelFloats(data.train, 100, 100 + n);
    const y = new Float32Array(n * 10);
    for (let i = 0; i < n; i++) y[i * 10 + data.train.labels[100 + i]] = 1;
    const kernels = (await DenseKernels.start(model, 16))!;
    try {
      expect(kernels).not.toBeNull();
      const fast = kernels.gradients(x, y, n);
      const expected = tf.tidy(() => {
        const forward = forwardPass(model);
        const ys = tf.tensor2d(y, [n, 10]);
        const { value, grads } = tf.variableGrads(() => trainingLoss(model, ys, forward(tf.tensor(x, [n, 28, 28]), true)), kernels.variables);
        return { loss: value.dataSync()[0], gradients: kernels.variables.map((v) => grads[v.name].dataSync() as Float32Array) };
      });
      expect(fast.gradients.length).toBe(9);
      expect(Math.abs(fast.loss - expected.loss) / expected.loss).toBeLessThan(1e-5);
      expected.gradients.forEach((g, i) => expect(relativeError(g, fast.gradients[i])).toBeLessThan(1e-5));
      // Evaluation (forward only) through the same layers, 1,000 images in batches of 16 and a short last one.
      const images = { ...data.validation, count: 1000 };
      const [mine, theirs] = [await kernels.evaluate(images), await evaluate(model, images)];
      expect(Math.abs(mine.loss - theirs.loss) / theirs.loss).toBeLessThan(1e-5);
      expect(mine.accuracy).toBeCloseTo(theirs.accuracy, 2);
    } finally {
      await kernels.close();
      model.dispose();
    }
  });

  it("evaluate a set as tfjs's evaluate does, on one thread or two, with the model's current weights", async () => {
    const model = buildModel(seedModel3.model, config.seed);
    const two = (await DenseKernels.start(model, 64, 2))!;
    const one = (await DenseKernels.start(model, 64, 1))!;
    const close = (a: { loss: number; accuracy: number }, b: { loss: number; accuracy: number }) => {
      expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(1e-5);
      expect(Math.abs(a.accuracy - b.accuracy)).toBeLessThanOrEqual(2 / data.validation.count);
    };
    try {
      const before = await evaluate(model, data.validation);
      const onTwo = await two.evaluate(data.validation);
      close(onTwo, before);
      expect(await one.evaluate(data.validation)).toEqual(onTwo);
      // Weights changed behind the kernels' back (another optimizer's step, a restore): read anew.
      model.setWeights(model.getWeights().map((w) => tf.tidy(() => w.mul(0.5))));
      const after = await evaluate(model, data.validation);
      expect(after.loss).not.toBeCloseTo(before.loss, 3);
      close(await two.evaluate(data.validation), after);
    } finally {
      await two.close();
      await one.close();
      model.dispose();
    }
  });

  it("keep Adam beside the weights between batches and hand back FastAdam's weights, moments and step count bit for bit", async () => {
    const [residentModel, plainModel] = [buildModel(seedModel3.model, config.seed), buildModel(seedModel3.model, config.seed)];
    const [residentAdam, plainAdam] = [createAdam(0.001), createAdam(0.001)];
    const resident = (await DenseKernels.start(residentModel, 64, 2, residentAdam))!;
    const plain = (await DenseKernels.start(plainModel, 64, 2))!;
    const weights = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));
    try {
      const y = new Float32Array(64 * 10);
      for (let s = 0; s < 25; s++) {
        const n = s === 24 ? 50 : 64; // the last batch short, as an epoch's last batch is
        const x = pixelFloats(data.train, s * 64, s * 64 + n);
        y.fill(0);
        for (let i = 0; i < n; i++) y[i * 10 + data.train.labels[s * 64 + i]] = 1;
        expect(resident.step(residentAdam, x, y, n)).toEqual(plain.step(plainAdam, x, y, n));
        // Mid-way the model is read (a probe, a pause): the steps so far are handed back, and training goes on from there.
        if (s === 10) resident.settle();
      }
      // Before settle the model still has the weights of step 11; afterwards every weight and moment is FastAdam's own.
      expect(weights(residentModel)).not.toEqual(weights(plainModel));
      resident.settle();
      expect(weights(residentModel)).toEqual(weights(plainModel));
      const state = async (adam: typeof residentAdam) => (await adam.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
      expect(residentAdam.iterations).toBe(25);
      expect(await state(residentAdam)).toEqual(await state(plainAdam));
      expect(residentAdam.accumulators).toEqual(plainAdam.accumulators);

      // A step whose loss is not finite changes nothing.
      const before = weights(residentModel);
      const poisoned = pixelFloats(data.train, 0, 64).fill(Number.NaN, 0, 10);
      expect(Number.isNaN(resident.step(residentAdam, poisoned, y, 64).loss)).toBe(true);
      resident.settle();
      expect(weights(residentModel)).toEqual(before);
      expect(residentAdam.iterations).toBe(25);
    } finally {
      await resident.close();
      await plain.close();
      residentModel.dispose();
      plainModel.dispose();
      residentAdam.dispose();
      plainAdam.dispose();
    }
  });

  it('train seed-model-3 to the accuracy of the tfjs path within a point after two epochs on 6,000 images', async () => {
    const slow = await run('tfjs');
    const fast = await reference();
    expect(slow.result.kernels).toBe('tfjs');
    expect(fast.result.kernels).toBe('layerlab-simd');
    expect(fast.result.threads).toBe(2);
    expectLearnsAlike(slow, fast, 0.01);
  });

  it('give the same run, figure for figure, every time (and on one thread), leaving no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const first = await reference();
    const second = await run('auto');
    const alone = await run('auto', { threads: 1 });
    expect(alone.result.threads).toBe(1);
    expect(alone.result.kernels).toBe('layerlab-simd');
    expect(withoutTime(second.result.epochs)).toEqual(withoutTime(first.result.epochs));
    expect(second.batches.map((b) => b.batchLoss)).toEqual(first.batches.map((b) => b.batchLoss));
    expect(withoutTime(alone.result.epochs)).toEqual(withoutTime(first.result.epochs));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('paused mid-epoch and resumed, end with the figures of the run that never stopped', async () => {
    const whole = await reference();
    let state: CheckpointState | null = null;
    let seen = 0;
    const paused = await run('auto', {
      onBatch: () => seen++,
      shouldStop: () => (seen === 50 ? 'pause' : false),
      checkpoint: async (s, reason) => {
        if (reason === 'pause') state = s;
      },
    });
    expect(paused.result.status).toBe('paused');
    expect(state!.position).toEqual({ epoch: 1, batch: 50 });
    const resumed = await run('auto', { resumeFrom: state! });
    expect(resumed.result.status).toBe('completed');
    expect(resumed.result.kernels).toBe('layerlab-simd');
    expect(withoutTime(resumed.result.epochs)).toEqual(withoutTime(whole.result.epochs));
  });

  it('leave models they cannot train (Dropout, a regularizer, no softmax) and LAYERLAB_KERNELS=tfjs to tfjs', async () => {
    const layers = seedModel3.model.layers;
    const specs: ModelSpec[] = [
      { ...seedModel3.model, layers: [...layers.slice(0, 2), { type: 'Dropout', rate: 0.2 }, ...layers.slice(2)] },
      {
        ...seedModel3.model,
        layers: layers.map((l, i) => (i === 1 && l.type === 'Dense' ? { ...l, kernelRegularizer: { l1: 0, l2: 0.01 } } : l)) as ModelSpec['layers'],
      },
      {
        ...seedModel3.model,
        layers: layers.map((l, i) => (i === layers.length - 1 && l.type === 'Dense' ? { ...l, activation: 'linear' } : l)) as ModelSpec['layers'],
      },
    ];
    for (const spec of specs) {
      const model = buildModel(spec, 1);
      try {
        expect(denseIneligibility(model)).not.toBeNull();
        expect(await DenseKernels.start(model, 64)).toBeNull();
      } finally {
        model.dispose();
      }
    }
    const saved = process.env.LAYERLAB_KERNELS;
    try {
      process.env.LAYERLAB_KERNELS = 'tfjs';
      expect(kernelChoice('auto')).toBe('tfjs');
      const forced = await run('auto', { config: { ...config, epochs: 1, limit: 640 } });
      expect(forced.result.kernels).toBe('tfjs');
      process.env.LAYERLAB_KERNELS = 'fast';
      expect(() => kernelChoice()).toThrow(/LAYERLAB_KERNELS must be 'auto' or 'tfjs' \(it is 'fast'\)/);
      delete process.env.LAYERLAB_KERNELS;
      expect(kernelChoice()).toBe('auto');
    } finally {
      if (saved === undefined) delete process.env.LAYERLAB_KERNELS;
      else process.env.LAYERLAB_KERNELS = saved;
    }
  });
});
