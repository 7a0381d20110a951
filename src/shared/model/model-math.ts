import type { LayerSpec, ModelSpec, Padding } from './model-spec';

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

/** Pixels in one Fashion-MNIST image (28 × 28). */
export const FASHION_MNIST_INPUT_SIZE = 784;

const product = (s: Shape) => s.reduce((a, b) => a * b, 1);
const count = (n: number) => n.toLocaleString('en-US');
const tuple = (s: Shape) => `(${s.join(', ')})`;

interface LayerOutput {
  shape: Shape;
  trainable: number;
  nonTrainable: number;
  problem?: string;
}

/**
 * One spatial axis of a convolution or pooling window, as Keras computes it:
 * 'valid' keeps only whole windows, floor((in − k) / s) + 1; 'same' pads so
 * that ceil(in / s) windows fit.
 */
function windowOutput(size: number, window: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;
}

/** The (rows, cols, channels) shape a Reshape could turn this input into, if an obvious one exists. */
function imageShapeFor(input: Shape): Shape | null {
  if (input.length === 2) return [input[0], input[1], 1];
  if (input.length === 1) {
    const side = Math.round(Math.sqrt(input[0]));
    if (side * side === input[0]) return [side, side, 1];
  }
  return null;
}

/**
 * Conv2D and MaxPooling2D slide a window over (rows, cols, channels). On any
 * other input the layer gets a problem, and its shape is worked out as if the
 * suggested Reshape were there, so the layers after it still show sensible figures.
 */
function imageInput(layer: 'Conv2D' | 'MaxPooling2D', input: Shape, afterFlatten: boolean): { image: Shape; problem?: string } {
  if (input.length === 3) return { image: input };
  const fix = imageShapeFor(input);
  const advice = [
    afterFlatten ? 'put it before Flatten' : null,
    fix ? `add a Reshape to ${tuple(fix)}` : 'add a Reshape to (rows, cols, channels) before it',
  ]
    .filter(Boolean)
    .join(', or ');
  return {
    image: fix ?? [Math.max(1, input[0] ?? 1), 1, 1],
    problem: `${layer} needs a (rows, cols, channels) input but gets ${tuple(input)}; ${advice}`,
  };
}

/** Output rows and cols of a sliding window; a problem when a 'valid' window does not fit. */
function slide(
  what: string,
  image: Shape,
  window: [number, number],
  strides: [number, number],
  padding: Padding,
): { rows: number; cols: number; problem?: string } {
  const rows = windowOutput(image[0], window[0], strides[0], padding);
  const cols = windowOutput(image[1], window[1], strides[1], padding);
  if (rows >= 1 && cols >= 1) return { rows, cols };
  return {
    rows: Math.max(1, rows),
    cols: Math.max(1, cols),
    problem: `The ${what} ${window[0]}×${window[1]} is larger than its input ${image[0]}×${image[1]}; make it smaller, use padding 'same', or remove a pooling layer before it`,
  };
}

function layerOutput(layer: LayerSpec, input: Shape, afterFlatten: boolean): LayerOutput {
  switch (layer.type) {
    case 'Flatten':
      return { shape: [product(input)], trainable: 0, nonTrainable: 0 };
    case 'Dense': {
      // Keras applies Dense to the last axis of a longer shape, one kernel shared by the others.
      const features = input[input.length - 1] ?? 0;
      const bias = layer.useBias === false ? 0 : layer.units;
      return { shape: [...input.slice(0, -1), layer.units], trainable: features * layer.units + bias, nonTrainable: 0 };
    }
    case 'Dropout':
    case 'Activation':
      return { shape: input, trainable: 0, nonTrainable: 0 };
    case 'BatchNormalization': {
      // Keras: gamma and beta train; the moving mean and variance do not. One of each per feature of the last axis.
      const features = input[input.length - 1] ?? 0;
      return { shape: input, trainable: 2 * features, nonTrainable: 2 * features };
    }
    case 'Conv2D': {
      const { image, problem } = imageInput('Conv2D', input, afterFlatten);
      const out = slide('kernel', image, layer.kernelSize, layer.strides ?? [1, 1], layer.padding ?? 'valid');
      const [kr, kc] = layer.kernelSize;
      const bias = layer.useBias === false ? 0 : layer.filters;
      return {
        shape: [out.rows, out.cols, layer.filters],
        trainable: kr * kc * image[2] * layer.filters + bias,
        nonTrainable: 0,
        problem: problem ?? out.problem,
      };
    }
    case 'MaxPooling2D': {
      const { image, problem } = imageInput('MaxPooling2D', input, afterFlatten);
      const out = slide('pool', image, layer.poolSize, layer.strides ?? layer.poolSize, layer.padding ?? 'valid');
      return { shape: [out.rows, out.cols, image[2]], trainable: 0, nonTrainable: 0, problem: problem ?? out.problem };
    }
    case 'Reshape': {
      const want = product(layer.targetShape);
      const have = product(input);
      const problem =
        want === have ? undefined : `Reshape to ${tuple(layer.targetShape)} holds ${count(want)} values but its input has ${count(have)}`;
      return { shape: [...layer.targetShape], trainable: 0, nonTrainable: 0, problem };
    }
  }
}

function endsInSoftmax(spec: ModelSpec): boolean {
  const last = spec.layers[spec.layers.length - 1];
  return (last?.type === 'Dense' || last?.type === 'Activation') && last.activation === 'softmax';
}

/**
 * Per-layer output shapes and parameter counts, as Keras's model.summary()
 * prints them, and every problem that would stop the network from training.
 * Pure arithmetic: nothing is built, so an absurdly large design costs nothing
 * to check. `inputSize` is the number of values in one image (784 for Fashion-MNIST).
 */
export function summarizeModel(spec: ModelSpec, numClasses = 10, inputSize = FASHION_MNIST_INPUT_SIZE): ModelSummary {
  const layers: LayerSummary[] = [];
  const problems: ModelSummary['problems'] = [];

  if (product(spec.inputShape) !== inputSize) {
    problems.push({
      layer: -1,
      message: `The input shape ${tuple(spec.inputShape)} holds ${count(product(spec.inputShape))} values but each image has ${count(inputSize)}; use ${inputSize === 784 ? '(28, 28), (28, 28, 1) or (784)' : `a shape of ${count(inputSize)} values`}`,
    });
  }

  let shape: Shape = spec.inputShape;
  let afterFlatten = false;
  spec.layers.forEach((layer, index) => {
    const out = layerOutput(layer, shape, afterFlatten);
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
    if (layer.type === 'Flatten') afterFlatten = true;
    if (layer.type === 'Reshape') afterFlatten = false;
    shape = out.shape;
  });
  const trainableParams = layers.reduce((a, l) => a + l.trainableParams, 0);
  const nonTrainableParams = layers.reduce((a, l) => a + l.nonTrainableParams, 0);
  const totalParams = trainableParams + nonTrainableParams;

  if (spec.layers.length === 0) {
    problems.push({ layer: -1, message: 'The stack is empty: add at least a Flatten and a Dense layer' });
  } else {
    const softmax = endsInSoftmax(spec);
    if (shape.length !== 1 || shape[0] !== numClasses || !softmax) {
      problems.push({
        layer: spec.layers.length - 1,
        message: `The stack must end in ${numClasses} units with softmax (one per class); it ends in shape ${tuple(shape)}${softmax ? '' : ' without softmax'}`,
      });
    }
  }
  if (totalParams > MAX_PARAMS) {
    problems.push({
      layer: -1,
      message: `${count(totalParams)} parameters is more than the ${count(MAX_PARAMS)} this app will train; make the layers smaller`,
    });
  }
  return { layers, totalParams, trainableParams, nonTrainableParams, problems };
}

/**
 * The spec with its end fixed to `numClasses` units and softmax: the last
 * Dense is changed if there is one (with a Flatten put before it if its input
 * is not flat); otherwise Flatten (when needed) and Dense(numClasses, softmax)
 * are appended. A spec whose end is already right comes back unchanged.
 */
export function suggestOutputFix(spec: ModelSpec, numClasses = 10): ModelSpec {
  const summary = summarizeModel(spec, numClasses, product(spec.inputShape));
  const lastIndex = spec.layers.length - 1;
  const endProblem = summary.problems.some((p) => p.layer === lastIndex && p.message.startsWith('The stack must end'));
  if (spec.layers.length > 0 && !endProblem) return { ...spec, layers: [...spec.layers] };

  const layers = [...spec.layers];
  const last = layers[lastIndex];
  if (last?.type === 'Dense') {
    const input = lastIndex > 0 ? summary.layers[lastIndex - 1].outputShape : spec.inputShape;
    layers[lastIndex] = { ...last, units: numClasses, activation: 'softmax' };
    if (input.length !== 1) layers.splice(lastIndex, 0, { type: 'Flatten' });
  } else {
    const output = lastIndex >= 0 ? summary.layers[lastIndex].outputShape : spec.inputShape;
    if (output.length !== 1) layers.push({ type: 'Flatten' });
    layers.push({ type: 'Dense', units: numClasses, activation: 'softmax' });
  }
  return { ...spec, layers };
}

/** "(None, 28, 28)"-style text for an output shape. */
export function formatShape(shape: Shape): string {
  return `(None, ${shape.join(', ')})`;
}
