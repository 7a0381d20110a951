import { describe, expect, it } from 'vitest';
import { LAYER_TYPES, type LayerSpec } from '../../../../src/shared/model/model-spec';
import { checkLayerField, defaultLayer, getLayerField, LAYER_FIELDS, setLayerField } from '../../../../src/shared/model/layer-fields';
import { describeIssues, layerSchema, modelSpecSchema } from '../../../../src/shared/model/schemas';
import { summarizeModel } from '../../../../src/shared/model/model-math';
import { EVERY_OPTION } from '../../../fixtures/model-specs';

describe('checkLayerField: each inspector field refuses bad values with a message in user words', () => {
  it.each([
    ['Dense', 'units', 0, 'units must be at least 1'],
    ['Dense', 'units', 100_001, 'units must be at most 100,000'],
    ['Dense', 'units', 12.5, 'units must be a whole number'],
    ['Dense', 'units', '64', 'units must be a number'],
    ['Dense', 'activation', 'leaky', 'activation must be one of relu, sigmoid, tanh, softmax, linear, elu, selu, softplus, softsign, swish, gelu'],
    ['Dense', 'useBias', 'yes', 'use bias must be on or off (true or false)'],
    [
      'Dense',
      'kernelInitializer',
      'orthogonal',
      'kernel initializer must be one of glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal, random_uniform, random_normal, zeros, ones',
    ],
    ['Dense', 'kernelRegularizer.l1', -0.1, 'L1 regularization must be a number, 0 or more'],
    ['Conv2D', 'kernelRegularizer.l2', Infinity, 'L2 regularization must be a number, 0 or more'],
    ['Conv2D', 'kernelRegularizer.l2', Number.NaN, 'L2 regularization must be a number, 0 or more'],
    ['Dropout', 'rate', 1, 'dropout rate must be a number from 0 up to (not including) 1'],
    ['Dropout', 'rate', -0.1, 'dropout rate must be a number from 0 up to (not including) 1'],
    ['BatchNormalization', 'momentum', 0, 'momentum must be a number between 0 and 1 (not 0 or 1)'],
    ['BatchNormalization', 'momentum', 1, 'momentum must be a number between 0 and 1 (not 0 or 1)'],
    ['BatchNormalization', 'epsilon', 0, 'epsilon must be a number above 0'],
    ['Conv2D', 'filters', 4097, 'filters must be at most 4,096'],
    ['Conv2D', 'filters', 0, 'filters must be at least 1'],
    ['Conv2D', 'kernelSize', [3], 'kernel size must be two whole numbers (rows, cols), each from 1 to 64'],
    ['Conv2D', 'kernelSize', [0, 3], 'kernel size must be two whole numbers (rows, cols), each from 1 to 64'],
    ['Conv2D', 'kernelSize', [3, 65], 'kernel size must be two whole numbers (rows, cols), each from 1 to 64'],
    ['Conv2D', 'kernelSize', [2.5, 3], 'kernel size must be two whole numbers (rows, cols), each from 1 to 64'],
    ['Conv2D', 'strides', [1, 2, 3], 'strides must be two whole numbers (rows, cols), each from 1 to 64'],
    ['Conv2D', 'padding', 'full', "padding must be 'valid' or 'same'"],
    ['MaxPooling2D', 'poolSize', 'big', 'pool size must be two whole numbers (rows, cols), each from 1 to 64'],
    ['MaxPooling2D', 'strides', [0, 0], 'strides must be two whole numbers (rows, cols), each from 1 to 64'],
    ['Reshape', 'targetShape', [], 'target shape needs 1 to 3 sizes'],
    ['Reshape', 'targetShape', [1, 2, 3, 4], 'target shape needs 1 to 3 sizes'],
    ['Reshape', 'targetShape', [7, 0], 'each target shape size must be at least 1'],
    ['Reshape', 'targetShape', [7, -1], 'each target shape size must be at least 1'],
    ['Reshape', 'targetShape', '28x28', 'target shape must be a list of sizes, e.g. (28, 28, 1)'],
    ['Activation', 'activation', null, 'activation must be one of relu, sigmoid, tanh, softmax, linear, elu, selu, softplus, softsign, swish, gelu'],
    ['Flatten', 'units', 3, "Flatten has no field 'units'"],
  ] as const)('%s %s = %j: "%s"', (type, field, value, message) => {
    expect(checkLayerField(type, field, value)).toBe(message);
  });

  it.each([
    ['Dense', 'units', 100_000],
    ['Dense', 'kernelRegularizer.l1', 0],
    ['Dropout', 'rate', 0],
    ['BatchNormalization', 'epsilon', 1e-9],
    ['Conv2D', 'kernelSize', [1, 64]],
    ['MaxPooling2D', 'strides', null],
    ['Reshape', 'targetShape', [784]],
    ['Dense', 'kernelRegularizer', null],
  ] as const)('%s %s = %j is fine', (type, field, value) => {
    expect(checkLayerField(type, field, value)).toBeNull();
  });
});

describe('LAYER_FIELDS and defaultLayer', () => {
  it('lists the inspector fields of each type, labelled in user words', () => {
    const labels = Object.fromEntries(LAYER_TYPES.map((t) => [t, LAYER_FIELDS[t].map((f) => f.label)]));
    expect(labels).toEqual({
      Flatten: [],
      Dense: ['Units', 'Activation', 'Use bias', 'Kernel initializer', 'L1 regularization', 'L2 regularization'],
      Dropout: ['Dropout rate'],
      BatchNormalization: ['Momentum', 'Epsilon'],
      Activation: ['Activation'],
      Conv2D: [
        'Filters',
        'Kernel size',
        'Strides',
        'Padding',
        'Activation',
        'Use bias',
        'Kernel initializer',
        'L1 regularization',
        'L2 regularization',
      ],
      MaxPooling2D: ['Pool size', 'Strides', 'Padding'],
      Reshape: ['Target shape'],
    });
  });

  it('every field default is accepted by its own check', () => {
    for (const type of LAYER_TYPES) {
      for (const f of LAYER_FIELDS[type]) {
        expect(checkLayerField(type, f.field, f.default), `${type}.${f.field}`).toBeNull();
        if (f.kind === 'select') expect(f.options).toContain(f.default);
      }
    }
  });

  it.each(LAYER_TYPES)('a new %s layer is valid and has the documented defaults', (type) => {
    const layer = defaultLayer(type);
    expect(layerSchema.safeParse(layer).success).toBe(true);
    for (const f of LAYER_FIELDS[type]) expect(getLayerField(layer, f.field)).toEqual(f.default);
  });

  it('the palette defaults, as a user sees them', () => {
    expect(defaultLayer('Dense')).toEqual({ type: 'Dense', units: 64, activation: 'relu' });
    expect(defaultLayer('Conv2D')).toEqual({ type: 'Conv2D', filters: 32, kernelSize: [3, 3], activation: 'relu' });
    expect(defaultLayer('MaxPooling2D')).toEqual({ type: 'MaxPooling2D', poolSize: [2, 2] });
    expect(defaultLayer('Dropout')).toEqual({ type: 'Dropout', rate: 0.25 });
    expect(defaultLayer('Reshape')).toEqual({ type: 'Reshape', targetShape: [28, 28, 1] });
    expect(defaultLayer('Activation')).toEqual({ type: 'Activation', activation: 'relu' });
  });

  it('a CNN built from palette defaults on a 28×28 input is a valid, trainable design', () => {
    const spec = {
      inputShape: [28, 28],
      layers: [
        defaultLayer('Reshape'),
        defaultLayer('Conv2D'),
        defaultLayer('MaxPooling2D'),
        defaultLayer('Flatten'),
        defaultLayer('Dense'),
        defaultLayer('Dropout'),
        { type: 'Dense', units: 10, activation: 'softmax' } as LayerSpec,
      ],
    };
    expect(modelSpecSchema.safeParse(spec).success).toBe(true);
    expect(summarizeModel(spec).problems).toEqual([]);
  });

  it('setLayerField changes one field on a copy; both regularization parts at 0 remove the regularizer', () => {
    const dense = defaultLayer('Dense');
    const l2 = setLayerField(dense, 'kernelRegularizer.l2', 0.01);
    expect(l2).toEqual({ type: 'Dense', units: 64, activation: 'relu', kernelRegularizer: { l1: 0, l2: 0.01 } });
    expect(dense).toEqual({ type: 'Dense', units: 64, activation: 'relu' });
    expect(getLayerField(l2, 'kernelRegularizer.l1')).toBe(0);
    expect(getLayerField(l2, 'kernelRegularizer.l2')).toBe(0.01);
    expect(setLayerField(l2, 'kernelRegularizer.l2', 0)).toEqual(dense);
    expect(setLayerField(dense, 'units', 10)).toMatchObject({ units: 10 });
  });
});

describe('modelSpecSchema with every layer type', () => {
  it('accepts every layer type and option', () => {
    expect(modelSpecSchema.safeParse(EVERY_OPTION).success).toBe(true);
  });

  it('refuses an input shape of more than 3 sizes and unknown fields, naming where', () => {
    const r = modelSpecSchema.safeParse({
      inputShape: [1, 28, 28, 1],
      layers: [{ type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu', dilation: 2 }, { type: 'LSTM' }],
    });
    expect(r.success).toBe(false);
    const text = describeIssues(r.error!);
    expect(text).toContain('inputShape: input shape needs 1 to 3 sizes');
    expect(text).toContain('layers.0: Unrecognized key: "dilation"');
    expect(text).toContain(
      'layers.1.type: layer type must be one of Flatten, Dense, Dropout, BatchNormalization, Activation, Conv2D, MaxPooling2D, Reshape',
    );
  });
});
