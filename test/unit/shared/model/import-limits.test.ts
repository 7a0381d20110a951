import { describe, expect, it } from 'vitest';
import { DESIGN_FILE_LIMITS, designFile, parseDesignFile } from '../../../../src/shared/model/design-file';
import { importKerasModel, KERAS_IMPORT_LIMITS } from '../../../../src/shared/model/keras-import';
import { findPreset } from '../../../../src/shared/model/presets';

const dense = (i: number) => ({ class_name: 'Dense', config: { name: `dense_${i}`, units: 10, activation: 'relu' } });
const keras = (layers: number) =>
  JSON.stringify({
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28], name: 'input' } },
        { class_name: 'Flatten', config: { name: 'flatten' } },
        ...Array.from({ length: layers - 1 }, (_, i) => dense(i)),
      ],
    },
  });

describe('Keras import limits', () => {
  it('imports a model at the layer limit', () => {
    expect(importKerasModel(keras(KERAS_IMPORT_LIMITS.layers)).model.layers).toHaveLength(200);
  });

  it('refuses a 16,000-layer model naming the limit, before reading its layers', () => {
    expect(() => importKerasModel(keras(16_000))).toThrow('This model has 16,000 layers; Layerlab imports at most 200 (the limit of a design)');
  });

  it('refuses a 50 MB file naming the limit, before parsing it', () => {
    const text = keras(3).replace('"name":"sequential"', `"name":"${'x'.repeat(50 * 1024 * 1024)}"`);
    expect(() => importKerasModel(text, 'huge.json')).toThrow('huge.json is too large to import: 50.0 MB; the limit is 20 MB');
  });
});

describe('Keras import errors', () => {
  it('names a modelTopology kept as text that is not JSON', () => {
    expect(() => importKerasModel(JSON.stringify({ modelTopology: '{oops' }), 'model.json')).toThrow(
      /model\.json keeps its modelTopology as text that is not JSON/,
    );
  });
});

describe('design file limits', () => {
  const config = findPreset('seed-model-3')!.config;
  const withLayers = (n: number) =>
    JSON.stringify(
      designFile(
        'deep',
        {
          inputShape: [28, 28],
          layers: [{ type: 'Flatten' }, ...Array.from({ length: n - 1 }, () => ({ type: 'Dense', units: 10, activation: 'relu' }))],
        } as never,
        config,
      ),
    );

  it('refuses a design with more layers than a design may have, naming the limit', () => {
    expect(() => parseDesignFile(withLayers(16_000), 'deep.json')).toThrow(
      `deep.json has 16,000 layers; a design has at most ${DESIGN_FILE_LIMITS.layers}`,
    );
  });

  it('refuses a 50 MB file naming the limit', () => {
    expect(() => parseDesignFile(' '.repeat(50 * 1024 * 1024), 'big.json')).toThrow('big.json is too large to import: 50.0 MB; the limit is 20 MB');
  });
});
