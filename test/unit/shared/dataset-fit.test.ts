import { describe, expect, it } from 'vitest';
import { checkModelForDataset, FASHION_MNIST_TARGET, fitTargetOf, type DatasetFitTarget } from '../../../src/shared/model/dataset-fit';
import { summarizeModel } from '../../../src/shared/model/model-math';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { findPreset, PRESETS, presetFits } from '../../../src/shared/model/presets';
import { CNN, EVERY_OPTION } from '../../fixtures/model-specs';

const CIFAR: DatasetFitTarget = { name: 'CIFAR-10', shape: [32, 32, 3], classCount: 10 };
const SHAPES: DatasetFitTarget = { name: 'Shapes', shape: [28, 28, 1], classCount: 3 };
const COLOUR_SHAPES: DatasetFitTarget = { name: 'Shapes', shape: [32, 32, 3], classCount: 3 };
const seed3 = findPreset('seed-model-3')!.model;

/** Applies the first fix of each problem, checking again after each, until none is left or no fix is offered. */
function fixAll(spec: ModelSpec, target: DatasetFitTarget): ModelSpec {
  let model = spec;
  for (let i = 0; i < 10; i++) {
    const fix = checkModelForDataset(model, target).problems.find((p) => p.fix)?.fix;
    if (!fix) return model;
    model = fix.model;
  }
  return model;
}

describe('checkModelForDataset', () => {
  it('seed-model-3 fits Fashion-MNIST: no problems, the summary is summarizeModel’s', () => {
    const { summary, problems } = checkModelForDataset(seed3, FASHION_MNIST_TARGET);
    expect(problems).toEqual([]);
    expect(summary).toEqual(summarizeModel(seed3));
    expect(summary.totalParams).toBe(133_386);
  });

  it('seed-model-3 on CIFAR-10: the input is named for the dataset, and its fix leaves no problem', () => {
    const { problems } = checkModelForDataset(seed3, CIFAR);
    expect(problems).toHaveLength(1);
    expect(problems[0].layer).toBe(-1);
    expect(problems[0].message).toBe("This network takes 28×28 images (784 values); CIFAR-10's images are 32×32×3 (3,072 values)");
    expect(problems[0].fix?.label).toBe('Use the input shape (32, 32, 3)');
    const fixed = problems[0].fix!.model;
    expect(fixed.inputShape).toEqual([32, 32, 3]);
    expect(fixed.layers).toEqual(seed3.layers);
    const after = checkModelForDataset(fixed, CIFAR);
    expect(after.problems).toEqual([]);
    // The summary follows the dataset: the first Dense now sees 3,072 values.
    expect(after.summary.layers[1].params).toBe(3072 * 64 + 64);
    // The model given is not changed.
    expect(seed3.inputShape).toEqual([28, 28]);
  });

  it('a grayscale dataset of another size: the fix keeps a grayscale (h, w) input', () => {
    const { problems } = checkModelForDataset(seed3, { name: 'Big digits', shape: [32, 32, 1], classCount: 10 });
    expect(problems[0].message).toBe("This network takes 28×28 images (784 values); Big digits's images are 32×32 (1,024 values)");
    expect(problems[0].fix?.model.inputShape).toEqual([32, 32]);
  });

  it('a flat input stays flat: (784) becomes (3072)', () => {
    const flat: ModelSpec = {
      inputShape: [784],
      layers: [
        { type: 'Dense', units: 32, activation: 'relu' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    };
    const { problems } = checkModelForDataset(flat, CIFAR);
    expect(problems.map((p) => p.message)).toEqual(["This network takes inputs of 784 values; CIFAR-10's images are 32×32×3 (3,072 values)"]);
    expect(problems[0].fix?.model.inputShape).toEqual([3072]);
    expect(checkModelForDataset(problems[0].fix!.model, CIFAR).problems).toEqual([]);
  });

  it('3 classes: the output Dense gets the problem, with a fix to 3 units; no generic "10 units" message is left', () => {
    const { problems } = checkModelForDataset(seed3, SHAPES);
    expect(problems).toEqual([
      {
        layer: 6,
        message: 'The output has 10 units but Shapes has 3 classes: it needs one unit per class',
        fix: { label: 'Set the output to 3 units (one per class of Shapes)', model: expect.anything() },
      },
    ]);
    const fixed = problems[0].fix!.model;
    expect(fixed.layers[6]).toEqual({ type: 'Dense', units: 3, activation: 'softmax' });
    expect(fixed.layers.slice(0, 6)).toEqual(seed3.layers.slice(0, 6));
    expect(checkModelForDataset(fixed, SHAPES).problems).toEqual([]);
  });

  it('a Dense followed by a softmax Activation: the problem and the fix are on the Dense', () => {
    const spec: ModelSpec = {
      inputShape: [28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'Dense', units: 10, activation: 'linear' },
        { type: 'Dropout', rate: 0.1 },
        { type: 'Activation', activation: 'softmax' },
      ],
    };
    const { problems } = checkModelForDataset(spec, SHAPES);
    expect(problems).toHaveLength(1);
    expect(problems[0].layer).toBe(1);
    expect(problems[0].fix?.model.layers[1]).toEqual({ type: 'Dense', units: 3, activation: 'linear' });
    expect(checkModelForDataset(problems[0].fix!.model, SHAPES).problems).toEqual([]);
  });

  it('a stack that does not end in softmax keeps summarizeModel’s message, with the end repaired as its fix', () => {
    const spec: ModelSpec = { inputShape: [28, 28], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 64, activation: 'relu' }] };
    const { problems } = checkModelForDataset(spec, SHAPES);
    expect(problems[0].message).toBe('The stack must end in 3 units with softmax (one per class); it ends in shape (64) without softmax');
    expect(checkModelForDataset(problems[0].fix!.model, SHAPES).problems).toEqual([]);
  });

  it('a Conv2D network with input (28, 28, 1) on 32×32×3 images: the fix is (32, 32, 3) and the convolutions still fit', () => {
    const { problems } = checkModelForDataset(CNN, CIFAR);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toBe("This network takes 28×28×1 images (784 values); CIFAR-10's images are 32×32×3 (3,072 values)");
    expect(problems[0].fix?.label).toBe('Use the input shape (32, 32, 3)');
    const after = checkModelForDataset(problems[0].fix!.model, CIFAR);
    expect(after.problems).toEqual([]);
    expect(after.summary.layers[0]).toMatchObject({ outputShape: [30, 30, 32], params: 3 * 3 * 3 * 32 + 32 });
  });

  it('a Conv2D network with a grayscale dataset of another size keeps its channel axis: (h, w, 1)', () => {
    const { problems } = checkModelForDataset(CNN, { name: 'Big digits', shape: [32, 32, 1], classCount: 10 });
    expect(problems[0].fix?.model.inputShape).toEqual([32, 32, 1]);
    expect(checkModelForDataset(problems[0].fix!.model, { name: 'Big digits', shape: [32, 32, 1], classCount: 10 }).problems).toEqual([]);
  });

  it('a first Reshape sized for the old input is resized with it', () => {
    const { problems } = checkModelForDataset(EVERY_OPTION, CIFAR);
    expect(problems).toHaveLength(1);
    expect(problems[0].fix?.label).toBe('Use the input shape (32, 32, 3) and reshape to (32, 32, 3)');
    expect(problems[0].fix?.model.layers[0]).toEqual({ type: 'Reshape', targetShape: [32, 32, 3] });
    expect(checkModelForDataset(problems[0].fix!.model, CIFAR).problems).toEqual([]);
  });

  it('input and output both wrong: two problems, and their fixes applied together leave none', () => {
    const { problems } = checkModelForDataset(CNN, COLOUR_SHAPES);
    expect(problems.map((p) => p.layer)).toEqual([-1, 7]);
    expect(problems.every((p) => p.fix !== null)).toBe(true);
    // Each fix changes its own part: combined by hand, and by applying one after the other.
    const combined: ModelSpec = { inputShape: problems[0].fix!.model.inputShape, layers: problems[1].fix!.model.layers };
    expect(checkModelForDataset(combined, COLOUR_SHAPES).problems).toEqual([]);
    expect(checkModelForDataset(fixAll(CNN, COLOUR_SHAPES), COLOUR_SHAPES).problems).toEqual([]);
    expect(checkModelForDataset(fixAll(seed3, COLOUR_SHAPES), COLOUR_SHAPES).problems).toEqual([]);
  });

  it('problems that are not about the dataset come through with no fix', () => {
    const broken: ModelSpec = {
      inputShape: [28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'Reshape', targetShape: [7, 7, 4] },
        { type: 'Flatten' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    };
    expect(checkModelForDataset(broken, FASHION_MNIST_TARGET).problems).toEqual([
      { layer: 1, message: 'Reshape to (7, 7, 4) holds 196 values but its input has 784', fix: null },
    ]);
  });

  it('an empty stack: the fix adds the output layer', () => {
    const { problems } = checkModelForDataset({ inputShape: [28, 28], layers: [] }, SHAPES);
    expect(problems[0].fix?.label).toBe('Add Flatten and Dense(3, softmax)');
    expect(checkModelForDataset(problems[0].fix!.model, SHAPES).problems).toEqual([]);
  });

  it('fitTargetOf takes a dataset summary’s name, shape and class count', () => {
    expect(fitTargetOf({ name: 'Shapes', shape: [32, 32, 3], classNames: ['circle', 'square', 'triangle'] })).toEqual(COLOUR_SHAPES);
  });
});

describe('presetFits', () => {
  it('every preset fits Fashion-MNIST and MNIST; none fits CIFAR-10 or a 3-class folder as it is', () => {
    for (const preset of PRESETS) {
      expect(presetFits(preset, FASHION_MNIST_TARGET)).toBe(true);
      expect(presetFits(preset, { name: 'MNIST', shape: [28, 28, 1], classCount: 10 })).toBe(true);
      expect(presetFits(preset, CIFAR)).toBe(false);
      expect(presetFits(preset, SHAPES)).toBe(false);
    }
  });
});
