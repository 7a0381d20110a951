import { describe, expect, it } from 'vitest';
import { MAX_PARAMS, summarizeModel, suggestOutputFix } from '../../../../src/shared/model/model-math';
import type { LayerSpec, ModelSpec } from '../../../../src/shared/model/model-spec';
import { PRESETS } from '../../../../src/shared/model/presets';
import { CNN, EVERY_OPTION } from '../../../fixtures/model-specs';

const softmax10: LayerSpec = { type: 'Dense', units: 10, activation: 'softmax' };
const problemsOf = (spec: ModelSpec) => summarizeModel(spec).problems;

describe('summarizeModel: shapes and parameter counts as Keras prints them', () => {
  it.each(PRESETS.map((p) => [p.id, p.model] as const))('%s has 133,386 trainable parameters and no problems', (_, model) => {
    const s = summarizeModel(model);
    expect(s.totalParams).toBe(133_386);
    expect(s.trainableParams).toBe(133_386);
    expect(s.nonTrainableParams).toBe(0);
    expect(s.layers.map((l) => l.outputShape)).toEqual([[784], [64], [128], [256], [128], [64], [10]]);
    expect(s.problems).toEqual([]);
  });

  it('the CNN: 225,034 parameters with the per-layer shapes and counts of model.summary()', () => {
    const s = summarizeModel(CNN);
    expect(s.layers.map((l) => l.outputShape)).toEqual([[26, 26, 32], [13, 13, 32], [11, 11, 64], [5, 5, 64], [1600], [128], [128], [10]]);
    expect(s.layers.map((l) => l.params)).toEqual([320, 0, 18_496, 0, 0, 204_928, 0, 1290]);
    expect(s.totalParams).toBe(225_034);
    expect(s.trainableParams).toBe(225_034);
    expect(s.problems).toEqual([]);
  });

  it('BatchNormalization after Dense(64): 256 parameters, 128 trainable (gamma, beta) and 128 not (moving mean, variance)', () => {
    const s = summarizeModel({
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Dense', units: 64, activation: 'relu' }, { type: 'BatchNormalization' }, softmax10],
    });
    expect(s.layers[2]).toMatchObject({ outputShape: [64], params: 256, trainableParams: 128, nonTrainableParams: 128 });
    expect(s.totalParams).toBe(50_240 + 256 + 650);
    expect(s.trainableParams).toBe(50_240 + 128 + 650);
    expect(s.nonTrainableParams).toBe(128);
  });

  it('BatchNormalization after a convolution normalizes the channels', () => {
    const s = summarizeModel({
      inputShape: [28, 28, 1],
      layers: [{ type: 'Conv2D', filters: 16, kernelSize: [3, 3], activation: 'relu' }, { type: 'BatchNormalization' }],
    });
    expect(s.layers[1]).toMatchObject({ outputShape: [26, 26, 16], trainableParams: 32, nonTrainableParams: 32 });
  });

  it("'same' padding keeps ceil(size / stride); 'valid' keeps whole windows only", () => {
    const conv = (padding: 'same' | 'valid', strides: [number, number]): LayerSpec => ({
      type: 'Conv2D',
      filters: 8,
      kernelSize: [3, 3],
      strides,
      padding,
      activation: 'relu',
    });
    const shapes = (layer: LayerSpec) => summarizeModel({ inputShape: [28, 28, 1], layers: [layer] }).layers[0].outputShape;
    expect(shapes(conv('same', [1, 1]))).toEqual([28, 28, 8]);
    expect(shapes(conv('same', [2, 2]))).toEqual([14, 14, 8]);
    expect(shapes(conv('valid', [2, 2]))).toEqual([13, 13, 8]);
    expect(shapes({ type: 'Conv2D', filters: 4, kernelSize: [5, 3], strides: [3, 2], padding: 'same', activation: 'relu' })).toEqual([10, 14, 4]);
    expect(shapes({ type: 'MaxPooling2D', poolSize: [3, 3] })).toEqual([9, 9, 1]);
    expect(shapes({ type: 'MaxPooling2D', poolSize: [3, 3], padding: 'same' })).toEqual([10, 10, 1]);
    expect(shapes({ type: 'MaxPooling2D', poolSize: [2, 2], strides: [1, 1] })).toEqual([27, 27, 1]);
    expect(shapes({ type: 'MaxPooling2D', poolSize: [2, 2], strides: null })).toEqual([14, 14, 1]);
  });

  it('counts a Conv2D without bias and on several input channels', () => {
    const s = summarizeModel({
      inputShape: [28, 28, 1],
      layers: [
        { type: 'Conv2D', filters: 6, kernelSize: [5, 5], activation: 'relu', useBias: false },
        { type: 'Conv2D', filters: 4, kernelSize: [1, 3], activation: 'relu' },
      ],
    });
    expect(s.layers.map((l) => l.params)).toEqual([150, 3 * 6 * 4 + 4]);
    expect(s.layers[1].outputShape).toEqual([24, 22, 4]);
  });

  it('every layer type and option in one stack: shapes follow Keras, no problems', () => {
    const s = summarizeModel(EVERY_OPTION);
    expect(s.layers.map((l) => l.outputShape)).toEqual([
      [28, 28, 1],
      [14, 28, 8],
      [14, 28, 8],
      [14, 28, 8],
      [7, 14, 8],
      [5, 12, 4],
      [2, 6, 4],
      [48],
      [48],
      [24],
      [24],
      [16],
      [12],
      [12],
      [12],
      [12],
      [3, 4],
      [3, 5],
      [15],
      [10],
    ]);
    expect(s.layers[1].params).toBe(5 * 3 * 1 * 8);
    expect(s.layers[5].params).toBe(3 * 3 * 8 * 4 + 4);
    expect(s.layers[17].params).toBe(4 * 5 + 5);
    expect(s.nonTrainableParams).toBe(2 * 8 + 2 * 24);
    expect(s.problems).toEqual([]);
  });

  it('Reshape changes the shape and Dense on a longer shape works on its last axis, as in Keras', () => {
    const s = summarizeModel({
      inputShape: [784],
      layers: [{ type: 'Reshape', targetShape: [28, 28] }, { type: 'Dense', units: 16, activation: 'relu' }, { type: 'Flatten' }, softmax10],
    });
    expect(s.layers.map((l) => l.outputShape)).toEqual([[28, 28], [28, 16], [448], [10]]);
    expect(s.layers[1].params).toBe(28 * 16 + 16);
    expect(s.problems).toEqual([]);
  });
});

describe('summarizeModel: problems, each on the layer that causes it', () => {
  it('Conv2D after Flatten', () => {
    const problems = problemsOf({
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' }, { type: 'Flatten' }, softmax10],
    });
    expect(problems).toEqual([
      { layer: 1, message: 'Conv2D needs a (rows, cols, channels) input but gets (784); put it before Flatten, or add a Reshape to (28, 28, 1)' },
    ]);
  });

  it('Conv2D and MaxPooling2D straight on a 28×28 input suggest the Reshape', () => {
    expect(
      problemsOf({
        inputShape: [28, 28],
        layers: [{ type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' }, { type: 'Flatten' }, softmax10],
      }),
    ).toEqual([{ layer: 0, message: 'Conv2D needs a (rows, cols, channels) input but gets (28, 28); add a Reshape to (28, 28, 1)' }]);
    expect(problemsOf({ inputShape: [28, 28], layers: [{ type: 'MaxPooling2D', poolSize: [2, 2] }, { type: 'Flatten' }, softmax10] })[0]).toEqual({
      layer: 0,
      message: 'MaxPooling2D needs a (rows, cols, channels) input but gets (28, 28); add a Reshape to (28, 28, 1)',
    });
  });

  it('a kernel or pool larger than its input', () => {
    const problems = problemsOf({
      inputShape: [28, 28, 1],
      layers: [
        { type: 'MaxPooling2D', poolSize: [8, 8] },
        { type: 'Conv2D', filters: 8, kernelSize: [5, 5], activation: 'relu' },
        { type: 'Flatten' },
        softmax10,
      ],
    });
    expect(problems).toEqual([
      { layer: 1, message: "The kernel 5×5 is larger than its input 3×3; make it smaller, use padding 'same', or remove a pooling layer before it" },
    ]);
    const pool = problemsOf({ inputShape: [28, 28, 1], layers: [{ type: 'MaxPooling2D', poolSize: [30, 2] }, { type: 'Flatten' }, softmax10] });
    expect(pool[0]).toMatchObject({ layer: 0, message: expect.stringMatching(/^The pool 30×2 is larger than its input 28×28/) });
    // With 'same' padding any window fits.
    expect(
      problemsOf({
        inputShape: [28, 28, 1],
        layers: [{ type: 'MaxPooling2D', poolSize: [30, 30], padding: 'same' }, { type: 'Flatten' }, softmax10],
      }),
    ).toEqual([]);
  });

  it('a Reshape whose size does not match', () => {
    const problems = problemsOf({
      inputShape: [28, 28, 1],
      layers: [
        { type: 'Conv2D', filters: 2, kernelSize: [1, 1], activation: 'relu' },
        { type: 'Reshape', targetShape: [7, 7, 16] },
        { type: 'Flatten' },
        softmax10,
      ],
    });
    expect(problems).toEqual([{ layer: 1, message: 'Reshape to (7, 7, 16) holds 784 values but its input has 1,568' }]);
  });

  it('an input shape that is not the size of an image', () => {
    const problems = problemsOf({ inputShape: [28, 28, 3], layers: [{ type: 'Flatten' }, softmax10] });
    expect(problems).toEqual([
      { layer: -1, message: 'The input shape (28, 28, 3) holds 2,352 values but each image has 784; use (28, 28), (28, 28, 1) or (784)' },
    ]);
    expect(summarizeModel({ inputShape: [32, 32, 3], layers: [{ type: 'Flatten' }, softmax10] }, 10, 3072).problems).toEqual([]);
  });

  it('an empty stack', () => {
    expect(problemsOf({ inputShape: [28, 28], layers: [] })).toEqual([
      { layer: -1, message: 'The stack is empty: add at least a Flatten and a Dense layer' },
    ]);
  });

  it('a stack that does not end in 10 units with softmax', () => {
    const mlp = (last: LayerSpec[]): ModelSpec => ({
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Dense', units: 64, activation: 'relu' }, ...last],
    });
    expect(problemsOf(mlp([]))).toEqual([
      { layer: 1, message: 'The stack must end in 10 units with softmax (one per class); it ends in shape (64) without softmax' },
    ]);
    expect(problemsOf(mlp([{ type: 'Dense', units: 10, activation: 'sigmoid' }]))).toEqual([
      { layer: 2, message: 'The stack must end in 10 units with softmax (one per class); it ends in shape (10) without softmax' },
    ]);
    expect(problemsOf(mlp([{ type: 'Dense', units: 5, activation: 'softmax' }]))).toEqual([
      { layer: 2, message: 'The stack must end in 10 units with softmax (one per class); it ends in shape (5)' },
    ]);
    // A Dense(10, softmax) on a (28, 28) input is not flat: (28, 10).
    expect(problemsOf({ inputShape: [28, 28], layers: [softmax10] })[0].message).toContain('it ends in shape (28, 10)');
    // A softmax Activation after Dense(10) is fine, as in Keras.
    expect(
      problemsOf(
        mlp([
          { type: 'Dense', units: 10, activation: 'linear' },
          { type: 'Activation', activation: 'softmax' },
        ]),
      ),
    ).toEqual([]);
    expect(summarizeModel(mlp([{ type: 'Dense', units: 3, activation: 'softmax' }]), 3).problems).toEqual([]);
  });

  it(`refuses a 60,000 × 60,000 Dense stack as over ${MAX_PARAMS.toLocaleString('en-US')} parameters, by arithmetic alone`, () => {
    const huge: ModelSpec = {
      inputShape: [28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'Dense', units: 60_000, activation: 'relu' },
        { type: 'Dense', units: 60_000, activation: 'relu' },
        softmax10,
      ],
    };
    const started = process.memoryUsage().heapUsed;
    const s = summarizeModel(huge);
    const total = 784 * 60_000 + 60_000 + 60_000 * 60_000 + 60_000 + 60_000 * 10 + 10;
    expect(s.totalParams).toBe(total);
    expect(s.problems).toEqual([
      { layer: -1, message: `${total.toLocaleString('en-US')} parameters is more than the 50,000,000 this app will train; make the layers smaller` },
    ]);
    // 3.6 billion float32 weights would be 14 GB; checking the design allocated next to nothing.
    expect(process.memoryUsage().heapUsed - started).toBeLessThan(50_000_000);
  });

  it('a broken layer does not bury the layers after it in follow-up problems', () => {
    const problems = problemsOf({
      inputShape: [28, 28],
      layers: [
        { type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' },
        { type: 'MaxPooling2D', poolSize: [2, 2] },
        { type: 'Flatten' },
        softmax10,
      ],
    });
    expect(problems.map((p) => p.layer)).toEqual([0]);
    expect(
      summarizeModel({ inputShape: [28, 28], layers: [{ type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' }] }).layers[0]
        .outputShape,
    ).toEqual([26, 26, 8]);
  });
});

describe('suggestOutputFix', () => {
  it('sets the last Dense to 10 units with softmax, keeping its other settings', () => {
    const spec: ModelSpec = {
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Dense', units: 64, activation: 'relu', useBias: false, kernelInitializer: 'he_normal' }],
    };
    const fixed = suggestOutputFix(spec);
    expect(fixed.layers).toEqual([
      { type: 'Flatten' },
      { type: 'Dense', units: 10, activation: 'softmax', useBias: false, kernelInitializer: 'he_normal' },
    ]);
    expect(summarizeModel(fixed).problems).toEqual([]);
    // The design it was given is left alone (undo keeps working).
    expect(spec.layers[1]).toMatchObject({ units: 64, activation: 'relu' });
  });

  it('appends Flatten and Dense(10, softmax) after a convolutional stack', () => {
    const fixed = suggestOutputFix({ inputShape: [28, 28, 1], layers: [{ type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' }] });
    expect(fixed.layers.slice(1)).toEqual([{ type: 'Flatten' }, softmax10]);
    expect(summarizeModel(fixed).problems).toEqual([]);
  });

  it('appends only Dense(10, softmax) after a flat Dropout, and builds a whole classifier from an empty stack', () => {
    const fixed = suggestOutputFix({
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Dense', units: 64, activation: 'relu' }, { type: 'Dropout', rate: 0.2 }],
    });
    expect(fixed.layers.slice(3)).toEqual([softmax10]);
    expect(suggestOutputFix({ inputShape: [28, 28], layers: [] }).layers).toEqual([{ type: 'Flatten' }, softmax10]);
  });

  it('puts a Flatten before a last Dense whose input is not flat', () => {
    const fixed = suggestOutputFix({ inputShape: [28, 28], layers: [{ type: 'Dense', units: 64, activation: 'relu' }] });
    expect(fixed.layers).toEqual([{ type: 'Flatten' }, softmax10]);
    expect(summarizeModel(fixed).problems).toEqual([]);
  });

  it('leaves a correct stack as it is and honours another class count', () => {
    const preset = PRESETS[2].model;
    expect(suggestOutputFix(preset)).toEqual(preset);
    expect(suggestOutputFix(preset, 3).layers.at(-1)).toEqual({ type: 'Dense', units: 3, activation: 'softmax' });
  });
});
