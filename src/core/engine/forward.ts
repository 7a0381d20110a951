/** The forward pass and the loss training minimises, and evaluation with them. */
import * as tf from '@tensorflow/tfjs';
import { pixelCount, pixelFloats } from '../data/pixels';
import type { ImageSet } from '../data/types';
import { regularizationLoss } from './build-model';
import { TrainingSetupError } from './errors';

/** Keras's backend epsilon: probabilities (when there are no logits) are clipped to [ε, 1 − ε] before the log. */
const EPSILON = 1e-7;
/** Fashion-MNIST's class count: the default where a run names no other dataset. A run's own count is its model's output units (classCount). */
export const NUM_CLASSES = 10;
/** Images per forward pass when evaluating: large enough to be fast, small enough to stay light. */
const EVAL_CHUNK = 1000;

export interface Evaluation {
  loss: number;
  accuracy: number;
}

/**
 * Sees the output of every layer (by its index in the model) as the forward
 * pass computes it. The output of a softmax that the pass leaves as logits
 * is computed for the tap alone.
 */
export type Tap = (layer: number, output: tf.Tensor) => void;

/**
 * The forward pass, ending at the softmax's input (logits) when the model
 * ends in a softmax. Keras (TF 2) computes categorical cross-entropy from
 * those logits whenever the output is a softmax; only other outputs go
 * through clipped probabilities. From logits the gradient stays alive for
 * confidently wrong predictions, and a learning rate that is far too high
 * runs into NaN (reported as divergence) instead of stalling at the clipped
 * maximum loss of −log(1e-7) ≈ 16.1 with a dead network.
 *
 * A tap is only called for a Sequential model (the only kind the model
 * builder makes): other models run as one piece.
 */
export type Forward = (x: tf.Tensor, training: boolean, tap?: Tap) => { output: tf.Tensor; logits: boolean };

export function forwardPass(model: tf.LayersModel): Forward {
  const whole: Forward = (x, training) => ({ output: model.apply(x, { training }) as tf.Tensor, logits: false });
  if (!(model instanceof tf.Sequential) || model.layers.length === 0) return whole;
  const body = model.layers.slice(0, -1);
  const lastIndex = model.layers.length - 1;
  const last = model.layers[lastIndex];
  const runBody = (x: tf.Tensor, training: boolean, tap?: Tap) =>
    body.reduce((h, layer, i) => {
      const out = layer.apply(h, { training }) as tf.Tensor;
      tap?.(i, out);
      return out;
    }, x);
  // Untapped, the model runs as tfjs runs it; tapped, layer by layer (the same arithmetic).
  const plain: Forward = (x, training, tap) => {
    if (!tap) return whole(x, training);
    const output = last.apply(runBody(x, training, tap), { training }) as tf.Tensor;
    tap(lastIndex, output);
    return { output, logits: false };
  };
  const lastConfig = last.getConfig() as { activation?: string };
  if (lastConfig.activation !== 'softmax') return plain;

  if (last.getClassName() === 'Activation') {
    return (x, training, tap) => {
      const logits = runBody(x, training, tap);
      if (tap) tap(lastIndex, tf.softmax(logits));
      return { output: logits, logits: true };
    };
  }
  if (last.getClassName() === 'Dense') {
    // The layer's own variables, so the gradient reaches them as if the layer had run.
    const weight = (suffix: string) => last.trainableWeights.find((w) => w.name.endsWith(suffix))?.read();
    const kernel = weight('/kernel');
    const bias = weight('/bias');
    if (!kernel) return plain;
    return (x, training, tap) => {
      const logits = tf.fused.matMul({ a: runBody(x, training, tap) as tf.Tensor2D, b: kernel as tf.Tensor2D, bias });
      if (tap) tap(lastIndex, tf.softmax(logits));
      return { output: logits, logits: true };
    };
  }
  return plain;
}

export function crossEntropy(oneHot: tf.Tensor, output: tf.Tensor, logits: boolean): tf.Scalar {
  return tf.tidy(() => {
    if (logits) return tf.mean(tf.sub(tf.logSumExp(output, -1), tf.sum(tf.mul(oneHot, output), -1))) as tf.Scalar;
    const p = tf.clipByValue(output, EPSILON, 1 - EPSILON);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(p)), -1))) as tf.Scalar;
  });
}

/**
 * What training minimises (and Keras reports): the cross-entropy plus every
 * layer's weight penalty. Call inside a tidy, a gradient or a minimize.
 */
export function trainingLoss(model: tf.LayersModel, oneHot: tf.Tensor, pass: { output: tf.Tensor; logits: boolean }): tf.Scalar {
  const loss = crossEntropy(oneHot, pass.output, pass.logits);
  const penalty = regularizationLoss(model);
  return penalty ? tf.add(loss, penalty) : loss;
}

/** −log p(label) for one row of logits or probabilities, in float64. */
export function rowLoss(row: Float32Array, offset: number, width: number, label: number, logits: boolean): number {
  if (!logits) return -Math.log(Math.min(Math.max(row[offset + label], EPSILON), 1 - EPSILON));
  let max = -Infinity;
  for (let k = 0; k < width; k++) max = Math.max(max, row[offset + k]);
  let sum = 0;
  for (let k = 0; k < width; k++) sum += Math.exp(row[offset + k] - max);
  return max + Math.log(sum) - row[offset + label];
}

export function argMax(row: Float32Array | Int32Array | Uint8Array, offset: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (row[offset + k] > row[offset + best]) best = k;
  return best;
}

/** The classes a model tells apart: the units of its output (the last dimension), one probability each. */
export function classCount(model: tf.LayersModel): number {
  const shape = model.outputs[0].shape;
  const units = shape[shape.length - 1];
  if (shape.length !== 2 || units == null || units < 1) {
    throw new TrainingSetupError(`The model's output has shape (${shape.slice(1).join(', ')}); a classifier's output is one unit per class`);
  }
  return units;
}

/** An image's shape in words: "28×28" (grayscale) or "32×32×3". */
export function imageShapeText(set: ImageSet): string {
  const channels = set.channels ?? 1;
  return channels === 1 ? `${set.rows}×${set.cols}` : `${set.rows}×${set.cols}×${channels}`;
}

/**
 * The shape of one input sample the model takes; an error for the user when the images do not fit
 * it. The images' HWC bytes go in as they are: a [h, w, c] input takes an h×w×c image, and so does
 * any input of as many values (a [h, w] input an h×w grayscale image, a flat [h·w·c] input any image).
 */
export function sampleShape(model: tf.LayersModel, set: ImageSet): number[] {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== pixelCount(set)) {
    throw new TrainingSetupError(`The model expects inputs of shape (${shape.join(', ')}) but the images are ${imageShapeText(set)}`);
  }
  return shape;
}

/**
 * That the model's output has one unit per class of the images: an error for the user when a label
 * is beyond it (it would be no class the model can predict). Returns the class count.
 */
export function checkClasses(model: tf.LayersModel, sets: readonly ImageSet[]): number {
  const classes = classCount(model);
  let top = -1;
  for (const set of sets) for (let i = 0; i < set.labels.length; i++) if (set.labels[i] > top) top = set.labels[i];
  if (top >= classes) {
    throw new TrainingSetupError(
      `The model's output has ${classes} unit${classes === 1 ? '' : 's'} but the images have ${top + 1} classes (labels up to ${top}); set the last layer to ${top + 1} units`,
    );
  }
  return classes;
}

/** Mean categorical cross-entropy and accuracy over a whole set, in inference mode (Dropout off, BatchNormalization on its moving statistics). */
export async function evaluate(model: tf.LayersModel, set: ImageSet, chunk = EVAL_CHUNK): Promise<Evaluation> {
  const shape = sampleShape(model, set);
  const forward = forwardPass(model);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    let logits = false;
    const outputs = tf.tidy(() => {
      const x = tf.tensor(pixelFloats(set, start, start + n), [n, ...shape]);
      const pass = forward(x, false);
      logits = pass.logits;
      return pass.output;
    });
    const out = (await outputs.data()) as Float32Array;
    outputs.dispose();
    const width = out.length / n;
    for (let i = 0; i < n; i++) {
      const label = set.labels[start + i];
      lossSum += rowLoss(out, i * width, width, label, logits);
      if (argMax(out, i * width, width) === label) correct++;
    }
    // Keep the process responsive (IPC, a cancel flag) during a long evaluation.
    await new Promise((r) => setImmediate(r));
  }
  // Keras's evaluate reports the weight penalties (L1/L2 regularizers) as part of the loss, as fit does.
  return { loss: lossSum / set.count + penaltyOf(model), accuracy: correct / set.count };
}

/** The current L1/L2 weight penalty of the whole model (0 without regularizers). */
function penaltyOf(model: tf.LayersModel): number {
  const penalty = tf.tidy(() => regularizationLoss(model) ?? tf.scalar(0));
  const value = penalty.dataSync()[0];
  penalty.dispose();
  return value;
}
