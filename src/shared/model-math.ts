import type { LayerSpec, ModelSpec } from './model-spec';

/** Output shape without the batch axis. */
export type Shape = number[];

export interface LayerSummary {
  index: number;
  type: LayerSpec['type'];
  outputShape: Shape;
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Why this layer cannot be built, if it cannot. */
  problem?: string;
}

export interface ModelSummary {
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** Problems that block training; each names the layer it belongs to (or -1 for the whole stack). */
  problems: { layer: number; message: string }[];
}

/** Beyond this the trainer would run out of memory long before it learned anything useful. */
export const MAX_PARAMS = 50_000_000;

const product = (s: Shape) => s.reduce((a, b) => a * b, 1);

function layerOutput(layer: LayerSpec, input: Shape): { shape: Shape; trainable: number; nonTrainable: number; problem?: string } {
  switch (layer.type) {
    case 'Flatten':
      return { shape: [product(input)], trainable: 0, nonTrainable: 0 };
    case 'Dense': {
      if (input.length !== 1) {
        return { shape: [...input.slice(0, -1), layer.units], trainable: 0, nonTrainable: 0, problem: `Dense needs a flat input but gets shape (${input.join(', ')}); add a Flatten layer before it` };
      }
      const bias = layer.useBias === false ? 0 : layer.units;
      return { shape: [layer.units], trainable: input[0] * layer.units + bias, nonTrainable: 0 };
    }
    case 'Dropout':
    case 'Activation':
      return { shape: input, trainable: 0, nonTrainable: 0 };
    case 'BatchNormalization': {
      // Keras: gamma and beta train; the moving mean and variance do not.
      const features = input[input.length - 1];
      return { shape: input, trainable: 2 * features, nonTrainable: 2 * features };
    }
  }
}

/** Per-layer output shapes and parameter counts, as Keras's model.summary() prints them. */
export function summarizeModel(spec: ModelSpec, numClasses = 10): ModelSummary {
  const layers: LayerSummary[] = [];
  const problems: ModelSummary['problems'] = [];
  let shape: Shape = spec.inputShape;
  spec.layers.forEach((layer, index) => {
    const out = layerOutput(layer, shape);
    layers.push({
      index,
      type: layer.type,
      outputShape: out.shape,
      params: out.trainable + out.nonTrainable,
      trainableParams: out.trainable,
      nonTrainableParams: out.nonTrainable,
      problem: out.problem,
    });
    if (out.problem) problems.push({ layer: index, message: out.problem });
    shape = out.shape;
  });
  const trainableParams = layers.reduce((a, l) => a + l.trainableParams, 0);
  const nonTrainableParams = layers.reduce((a, l) => a + l.nonTrainableParams, 0);
  const totalParams = trainableParams + nonTrainableParams;

  if (spec.layers.length === 0) {
    problems.push({ layer: -1, message: 'The stack is empty: add at least a Flatten and a Dense layer' });
  } else {
    const last = spec.layers[spec.layers.length - 1];
    const lastIndex = spec.layers.length - 1;
    const endsInSoftmax =
      (last.type === 'Dense' && last.activation === 'softmax') ||
      (last.type === 'Activation' && last.activation === 'softmax');
    if (shape.length !== 1 || shape[0] !== numClasses || !endsInSoftmax) {
      problems.push({
        layer: lastIndex,
        message: `The stack must end in ${numClasses} units with softmax (one per class); it ends in shape (${shape.join(', ')})${endsInSoftmax ? '' : ' without softmax'}`,
      });
    }
  }
  if (totalParams > MAX_PARAMS) {
    problems.push({
      layer: -1,
      message: `${totalParams.toLocaleString('en-US')} parameters is more than the ${MAX_PARAMS.toLocaleString('en-US')} this app will train; make the layers smaller`,
    });
  }
  return { layers, totalParams, trainableParams, nonTrainableParams, problems };
}

/** "(None, 28, 28)"-style text for an output shape. */
export function formatShape(shape: Shape): string {
  return `(None, ${shape.join(', ')})`;
}
