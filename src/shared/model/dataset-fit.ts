/**
 * Does a network fit a dataset? summarizeModel's checks made for one dataset
 * (its image size and class count), with the two problems a change of dataset
 * brings worded for that dataset, and a one-click fix for each where one exists:
 * the input shape (28×28 images fed to a network for CIFAR-10's 32×32×3) and
 * the number of output units (10 outputs for a folder of 3 classes).
 */
import { summarizeModel, suggestOutputFix, type ModelSummary } from './model-math';
import type { LayerSpec, ModelSpec } from './model-spec';

/** What a network must fit: one image's [height, width, channels] and the number of classes. */
export interface DatasetFitTarget {
  name: string;
  shape: [number, number, number];
  classCount: number;
}

/** A problem that stops the network training on the dataset, on the layer it belongs to (-1: the input or the whole stack). */
export interface FitProblem {
  layer: number;
  message: string;
  /** A change that removes the problem: what a button would say, and the whole model with it made. */
  fix: { label: string; model: ModelSpec } | null;
}

export const FASHION_MNIST_TARGET: DatasetFitTarget = { name: 'Fashion-MNIST', shape: [28, 28, 1], classCount: 10 };

/** The target of a dataset as the app describes one (a DatasetSummary, a run's dataset record). */
export function fitTargetOf(dataset: {
  name: string;
  shape: readonly [number, number, number] | number[];
  classNames: readonly string[];
}): DatasetFitTarget {
  const [h, w, c] = dataset.shape;
  return { name: dataset.name, shape: [h, w, c], classCount: dataset.classNames.length };
}

const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const count = (n: number) => n.toLocaleString('en-US');
const tuple = (s: readonly number[]) => `(${s.join(', ')})`;

/** summarizeModel's wording of the problems this module words again for the dataset. */
const INPUT_SIZE_PREFIX = 'The input shape ';
const OUTPUT_PREFIX = 'The stack must end in ';
const EMPTY_PREFIX = 'The stack is empty';

const isInputSizeProblem = (p: { layer: number; message: string }) => p.layer === -1 && p.message.startsWith(INPUT_SIZE_PREFIX);
const isOutputProblem = (p: { layer: number; message: string }) => p.message.startsWith(OUTPUT_PREFIX);

/** "32×32×3" for colour, "28×28" for grayscale. */
function imageText(shape: readonly [number, number, number]): string {
  const [h, w, c] = shape;
  return c === 1 ? `${h}×${w}` : `${h}×${w}×${c}`;
}

/** What a network's input shape takes, in words: "28×28 images (784 values)" or "inputs of 784 values". */
function networkInputText(inputShape: readonly number[]): string {
  const values = count(product(inputShape));
  return inputShape.length === 1 ? `inputs of ${values} values` : `${inputShape.join('×')} images (${values} values)`;
}

/**
 * Input shapes to try for the dataset, best guess first: a flat input stays flat, a network that
 * starts by convolving (or was given channels) gets (h, w, c), a grayscale one otherwise (h, w).
 */
function candidateInputShapes(spec: ModelSpec, target: DatasetFitTarget): number[][] {
  const [h, w, c] = target.shape;
  const flat = [h * w * c];
  const image = [h, w, c];
  const grayscale = [h, w];
  const first = spec.layers[0]?.type;
  const wantsImage = first === 'Conv2D' || first === 'MaxPooling2D' || spec.inputShape.length === 3;
  if (spec.inputShape.length === 1) return [flat, c === 1 ? grayscale : image, image];
  if (c > 1 || wantsImage) return [image, flat];
  return [grayscale, image, flat];
}

/**
 * A first Reshape sized for the old input, resized for the new one the same way
 * (a flat target stays flat, an image target becomes the dataset's image), or null.
 */
function reshapeFor(layer: LayerSpec | undefined, oldInput: readonly number[], target: DatasetFitTarget): LayerSpec | null {
  if (layer?.type !== 'Reshape' || product(layer.targetShape) !== product(oldInput)) return null;
  const [h, w, c] = target.shape;
  const shape = layer.targetShape.length === 1 ? [h * w * c] : layer.targetShape.length === 2 && c === 1 ? [h, w] : [h, w, c];
  return { type: 'Reshape', targetShape: shape };
}

/** The input problem worded for the dataset, with the fix that leaves the fewest problems (none for the input). */
function inputProblem(spec: ModelSpec, target: DatasetFitTarget): FitProblem {
  const [h, w, c] = target.shape;
  const size = h * w * c;
  const message = `This network takes ${networkInputText(spec.inputShape)}; ${target.name}'s images are ${imageText(target.shape)} (${count(size)} values)`;
  let best: { label: string; model: ModelSpec; problems: number } | null = null;
  for (const inputShape of candidateInputShapes(spec, target)) {
    const reshape = reshapeFor(spec.layers[0], spec.inputShape, target);
    const layers = reshape ? [reshape, ...spec.layers.slice(1)] : [...spec.layers];
    const model: ModelSpec = { ...spec, inputShape, layers };
    const problems = summarizeModel(model, target.classCount, size).problems;
    if (problems.some(isInputSizeProblem)) continue;
    if (best && problems.length >= best.problems) continue;
    const label = `Use the input shape ${tuple(inputShape)}` + (reshape?.type === 'Reshape' ? ` and reshape to ${tuple(reshape.targetShape)}` : '');
    best = { label, model, problems: problems.length };
  }
  return { layer: -1, message, fix: best ? { label: best.label, model: best.model } : null };
}

/**
 * The Dense layer that gives the network's class scores: the last layer when it is
 * Dense with softmax, or the Dense before a closing softmax Activation (with only
 * Dropout, BatchNormalization or other Activations between them). -1 if none.
 */
function outputDenseIndex(spec: ModelSpec): number {
  const last = spec.layers.length - 1;
  const end = spec.layers[last];
  if (end?.type === 'Dense') return end.activation === 'softmax' ? last : -1;
  if (end?.type !== 'Activation' || end.activation !== 'softmax') return -1;
  for (let i = last - 1; i >= 0; i--) {
    const layer = spec.layers[i];
    if (layer.type === 'Dense') return i;
    if (layer.type !== 'Dropout' && layer.type !== 'BatchNormalization' && layer.type !== 'Activation') return -1;
  }
  return -1;
}

/** Does the model end correctly for the dataset (ignoring any other problem)? */
function endsWell(model: ModelSpec, target: DatasetFitTarget): boolean {
  return !summarizeModel(model, target.classCount, product(model.inputShape)).problems.some(
    (p) => isOutputProblem(p) || p.message.startsWith(EMPTY_PREFIX),
  );
}

/** The output problem: worded for the dataset when only the number of units is wrong, summarizeModel's otherwise; with a fix when one works. */
function outputProblem(spec: ModelSpec, summary: ModelSummary, problem: { layer: number; message: string }, target: DatasetFitTarget): FitProblem {
  const n = target.classCount;
  const index = outputDenseIndex(spec);
  const dense = spec.layers[index];
  if (dense?.type === 'Dense' && summary.layers[index].outputShape.length === 1 && dense.units !== n) {
    const layers = [...spec.layers];
    layers[index] = { ...dense, units: n };
    const model = { ...spec, layers };
    if (endsWell(model, target)) {
      return {
        layer: index,
        message: `The output has ${count(dense.units)} ${dense.units === 1 ? 'unit' : 'units'} but ${target.name} has ${count(n)} classes: it needs one unit per class`,
        fix: { label: `Set the output to ${count(n)} ${n === 1 ? 'unit' : 'units'} (one per class of ${target.name})`, model },
      };
    }
  }
  return { ...problem, fix: endFix(spec, target) };
}

/** summarizeModel's own repair of the network's end (Dense(n, softmax), Flatten where needed), when it works. */
function endFix(spec: ModelSpec, target: DatasetFitTarget): FitProblem['fix'] {
  const n = target.classCount;
  const model = suggestOutputFix(spec, n);
  if (!endsWell(model, target)) return null;
  const added = model.layers.length - spec.layers.length;
  const label =
    spec.layers.length === 0
      ? `Add ${model.layers.map((l) => (l.type === 'Dense' ? `Dense(${l.units}, softmax)` : l.type)).join(' and ')}`
      : `End in ${count(n)} units with softmax (one per class of ${target.name})${added > 0 ? `, adding ${added === 1 ? 'a layer' : `${added} layers`}` : ''}`;
  return { label, model };
}

/**
 * Every problem that stops `spec` training on the dataset `target`, each with a
 * fix where one exists, and the network's summary for that dataset (shapes and
 * parameter counts follow the dataset's input size). No problems: it can train.
 */
export function checkModelForDataset(spec: ModelSpec, target: DatasetFitTarget): { summary: ModelSummary; problems: FitProblem[] } {
  const size = product(target.shape);
  const summary = summarizeModel(spec, target.classCount, size);
  const problems = summary.problems.map((p): FitProblem => {
    if (isInputSizeProblem(p)) return inputProblem(spec, target);
    if (isOutputProblem(p)) return outputProblem(spec, summary, p, target);
    if (p.layer === -1 && p.message.startsWith(EMPTY_PREFIX)) return { ...p, fix: endFix(spec, target) };
    return { ...p, fix: null };
  });
  return { summary, problems };
}
