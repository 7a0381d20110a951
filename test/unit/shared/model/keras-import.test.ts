import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importKerasModel, KerasImportError } from '../../../../src/shared/model/keras-import';
import { summarizeModel } from '../../../../src/shared/model/model-math';
import { findPreset } from '../../../../src/shared/model/presets';
import { CNN } from '../../../fixtures/model-specs';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../fixtures/keras', name), 'utf8');
const json = (name: string) => JSON.parse(fixture(name));
/** A fixture with one layer's config changed (index counts the InputLayer when the file has one). */
function edited(name: string, index: number, change: Record<string, unknown>): string {
  const model = json(name);
  Object.assign(model.config.layers[index].config, change);
  return JSON.stringify(model);
}
const failure = (text: string): string => {
  try {
    importKerasModel(text);
  } catch (e) {
    expect(e).toBeInstanceOf(KerasImportError);
    return (e as Error).message;
  }
  throw new Error('the import did not fail');
};

const seedModel3 = findPreset('seed-model-3')!.model;

describe('importKerasModel: what Keras saved comes back as the same network', () => {
  it.each(['seed-model-3.keras2.json', 'seed-model-3.keras3.json'])(
    '%s is seed-model-3: the same layers, 133,386 parameters, nothing to warn about',
    (name) => {
      const { model, warnings } = importKerasModel(fixture(name));
      expect(model).toEqual(seedModel3);
      expect(summarizeModel(model).totalParams).toBe(133_386);
      expect(warnings).toEqual([]);
    },
  );

  it('the tf.keras 2 CNN (input shape on the first layer, float32 factors, spelled-out VarianceScaling): 225,034 parameters', () => {
    const { model, warnings } = importKerasModel(fixture('cnn.keras2.json'));
    expect(model.inputShape).toEqual([28, 28, 1]);
    expect(model.layers.map((l) => l.type)).toEqual(CNN.layers.map((l) => l.type));
    expect(summarizeModel(model).totalParams).toBe(225_034);
    expect(summarizeModel(model).problems).toEqual([]);
    // Initializers and regularizers carried over; 0.009999999776482582 is the 0.01 the user typed.
    expect(model.layers[0]).toEqual({
      type: 'Conv2D',
      filters: 32,
      kernelSize: [3, 3],
      activation: 'relu',
      kernelInitializer: 'he_normal',
      kernelRegularizer: { l1: 0, l2: 0.01 },
    });
    expect(model.layers[2]).toMatchObject({ kernelInitializer: 'he_uniform' });
    expect(model.layers[5]).toEqual({ type: 'Dense', units: 128, activation: 'relu', kernelRegularizer: { l1: 0.0001, l2: 0 } });
    expect(model.layers[6]).toEqual({ type: 'Dropout', rate: 0.3 });
    expect(model.layers[1]).toEqual({ type: 'MaxPooling2D', poolSize: [2, 2] });
    expect(warnings).toEqual([]);
  });

  it('the Keras 3 CNN: the same network, initializers and regularizers included', () => {
    const { model, warnings } = importKerasModel(fixture('cnn.keras3.json'));
    expect(summarizeModel(model).totalParams).toBe(225_034);
    expect(summarizeModel(model).layers.map((l) => l.outputShape)).toEqual(summarizeModel(CNN).layers.map((l) => l.outputShape));
    expect(model.layers[0]).toMatchObject({ kernelInitializer: 'he_normal', kernelRegularizer: { l1: 0, l2: 0.01 } });
    expect(model.layers[2]).toMatchObject({ kernelInitializer: 'he_uniform' });
    expect(model.layers[2]).not.toHaveProperty('kernelRegularizer');
    expect(model.layers[5]).toMatchObject({ kernelRegularizer: { l1: 0.0001, l2: 0 } });
    expect(warnings).toEqual([]);
  });

  it('BatchNormalization, Activation and a Reshape with -1 (Keras 3; swish saved as silu)', () => {
    const { model } = importKerasModel(fixture('batchnorm.keras3.json'));
    expect(model).toEqual({
      inputShape: [784],
      layers: [
        { type: 'Reshape', targetShape: [28, 28, 1] },
        { type: 'Flatten' },
        { type: 'Dense', units: 64, activation: 'linear', kernelInitializer: 'lecun_normal' },
        { type: 'BatchNormalization', momentum: 0.9 },
        { type: 'Activation', activation: 'swish' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    });
    const s = summarizeModel(model);
    expect(s.layers[3]).toMatchObject({ trainableParams: 128, nonTrainableParams: 128 });
  });

  it('BatchNormalization as tf.keras 2 saves it after building (axis [1] = the last axis)', () => {
    const { model } = importKerasModel(fixture('batchnorm.keras2.json'));
    expect(model.layers.map((l) => l.type)).toEqual(['Flatten', 'Dense', 'BatchNormalization', 'Activation', 'Dense']);
    expect(model.layers[2]).toEqual({ type: 'BatchNormalization' });
    expect(model.layers[3]).toEqual({ type: 'Activation', activation: 'tanh' });
  });

  it('strides, padding and no-bias settings of convolutions and pooling', () => {
    const model = json('cnn.keras3.json');
    Object.assign(model.config.layers[1].config, { strides: [2, 2], padding: 'same', use_bias: false, kernel_size: 5 });
    Object.assign(model.config.layers[2].config, { strides: [1, 1], padding: 'same', pool_size: [3, 3] });
    const imported = importKerasModel(JSON.stringify(model)).model;
    expect(imported.layers[0]).toMatchObject({ kernelSize: [5, 5], strides: [2, 2], padding: 'same', useBias: false });
    expect(imported.layers[1]).toEqual({ type: 'MaxPooling2D', poolSize: [3, 3], strides: [1, 1], padding: 'same' });
  });

  it('reads the model out of a tfjs model.json (modelTopology) too', () => {
    const wrapped = JSON.stringify({
      format: 'layers-model',
      modelTopology: { keras_version: '2.12.0', model_config: json('seed-model-3.keras2.json') },
      weightsManifest: [],
    });
    expect(importKerasModel(wrapped).model).toEqual(seedModel3);
  });
});

describe('importKerasModel: warnings for what Layerlab does not keep', () => {
  it('names each ignored setting with its layer', () => {
    const text = edited('seed-model-3.keras2.json', 2, {
      bias_initializer: { class_name: 'Ones', config: {} },
      kernel_initializer: { class_name: 'Orthogonal', config: { gain: 1, seed: 7 } },
      activity_regularizer: { class_name: 'L2', config: { l2: 0.01 } },
      trainable: false,
    });
    const { model, warnings } = importKerasModel(text);
    expect(model.layers[1]).toEqual({ type: 'Dense', units: 64, activation: 'relu' });
    expect(warnings).toEqual([
      'Dense (layer 2): is frozen (trainable=False) in the file; Layerlab trains every layer',
      'Dense (layer 2): bias_initializer "Ones" is ignored; biases start at zero',
      'Dense (layer 2): activity_regularizer "L2" is ignored',
      'Dense (layer 2): kernel_initializer Orthogonal is not available; glorot_uniform is used instead',
      'Initializer seeds in the file are not kept: Layerlab seeds the initial weights from the run seed',
    ]);
  });
});

describe('importKerasModel: clear refusals', () => {
  it('text that is not JSON, named by the file name when given', () => {
    expect(failure('{"class_name": "Sequential",')).toMatch(/^The file is not JSON: /);
    expect(() => importKerasModel('<html>', 'model.json')).toThrow(/^model\.json is not JSON: Unexpected token/);
  });

  it('JSON that is not a Keras model', () => {
    expect(failure('[1, 2, 3]')).toBe('The file is not a Keras model: expected the JSON of model.to_json(), an object with a class_name');
    expect(failure('{"layers": []}')).toMatch(/is not a Keras model/);
  });

  it('a Functional model', () => {
    expect(failure(fixture('functional.keras2.json'))).toBe('Only Sequential models can be imported; this file holds a Functional model');
    expect(failure(JSON.stringify({ class_name: 'Model', config: {} }))).toBe(
      'Only Sequential models can be imported; this file holds a Functional model',
    );
  });

  it('unsupported layers, named with their positions', () => {
    expect(failure(fixture('text-lstm.keras3.json'))).toBe(
      'Unsupported layers: Embedding (layer 1), LSTM (layer 3). Layerlab can import Flatten, Dense, Dropout, BatchNormalization, Activation, Conv2D, MaxPooling2D, Reshape (and InputLayer, ReLU, Softmax)',
    );
  });

  it('an unsupported activation, named', () => {
    expect(failure(edited('seed-model-3.keras3.json', 3, { activation: 'hard_sigmoid' }))).toBe(
      'This model cannot be imported: Dense (layer 3): unsupported activation "hard_sigmoid"; Layerlab has relu, sigmoid, tanh, softmax, linear, elu, selu, softplus, softsign, swish, gelu',
    );
  });

  it('a model saved before it was built has no input shape', () => {
    const model = json('seed-model-3.keras3.json');
    model.config.layers.shift();
    delete model.config.build_input_shape;
    delete model.build_config;
    for (const l of model.config.layers) delete l.build_config;
    expect(failure(JSON.stringify(model))).toBe(
      'The model has no input shape: build it before saving, e.g. start it with keras.Input(shape=(28, 28)) or give the first layer input_shape=(28, 28)',
    );
  });

  it('an input shape with unknown sizes', () => {
    const model = json('cnn.keras3.json');
    model.config.layers[0].config.batch_shape = [null, null, null, 1];
    expect(failure(JSON.stringify(model))).toBe(
      'The input shape (None, None, 1) has sizes that are not known; every size must be a whole number (28, 28)',
    );
  });

  it('channels_first data, dilation and odd padding are refused, all in one message', () => {
    const model = json('cnn.keras2.json');
    Object.assign(model.config.layers[0].config, { data_format: 'channels_first', dilation_rate: [2, 2] });
    Object.assign(model.config.layers[1].config, { padding: 'causal' });
    expect(failure(JSON.stringify(model))).toBe(
      'This model cannot be imported: Conv2D (layer 1): data_format "channels_first" is not supported; Layerlab works channels_last (rows, cols, channels); ' +
        "Conv2D (layer 1): dilation_rate (2, 2) is not supported; MaxPooling2D (layer 2): padding \"causal\" is not supported; use 'valid' or 'same'",
    );
  });

  it('BatchNormalization over another axis than the last', () => {
    const text = edited('batchnorm.keras2.json', 3, { axis: [0] });
    expect(failure(text)).toBe(
      'This model cannot be imported: BatchNormalization (layer 3): normalizes axis [0]; Layerlab normalizes the last axis only',
    );
  });

  it('values beyond what the editor accepts', () => {
    expect(failure(edited('seed-model-3.keras2.json', 3, { units: 200_000 }))).toBe(
      "This model does not fit Layerlab's limits: Dense (layer 3): units must be at most 100,000",
    );
  });
});
