import * as tf from '@tensorflow/tfjs';
import type { ImageSet, TrainValidationSplit } from '../data/types';
import type { EpochMetrics } from '../../shared/contract/runs';
import type { TrainingConfig } from '../../shared/model/training-config';
import { makeOptimizer, regularizationLoss } from './build-model';
import { TrainingDivergedError, TrainingSetupError } from './errors';

/** Keras's backend epsilon: probabilities (when there are no logits) are clipped to [ε, 1 − ε] before the log. */
const EPSILON = 1e-7;
const NUM_CLASSES = 10;
/** Images per forward pass when evaluating: large enough to be fast, small enough to stay light. */
const EVAL_CHUNK = 1000;

export interface BatchInfo {
  /** 1-based. */
  epoch: number;
  /** 1-based batch within the epoch. */
  batch: number;
  batches: number;
  /** Mean training loss of the epoch so far, as Keras's progress bar shows it. */
  loss: number;
  /** Loss of this batch alone. */
  batchLoss: number;
}

export interface TrainOptions {
  model: tf.LayersModel;
  config: TrainingConfig;
  data: TrainValidationSplit;
  /** Evaluated once after the last epoch, only if training completed. */
  test?: ImageSet;
  onBatch?(info: BatchInfo): void;
  onEpoch?(metrics: EpochMetrics): void;
  /** Asked before every batch; true ends training with status 'cancelled'. */
  shouldStop?(): boolean;
  /** Give the event loop a turn every this many batches (default 1), so a cancel message can arrive. */
  yieldEvery?: number;
  /**
   * The optimizer to train with; by default a new one of the kind `config` names.
   * One handed in stays the caller's (its state carries on, the caller disposes it);
   * benchmarks compare optimizers through this.
   */
  optimizer?: tf.Optimizer;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
}

export interface TrainResult {
  status: 'completed' | 'cancelled';
  epochs: EpochMetrics[];
  test?: Evaluation;
}

/** mulberry32: tiny, fast, and the same sequence on every platform. */
function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The order the training images are visited in one epoch. Depends only on
 * (seed, epoch), not on earlier epochs, and mixes the two so that seed 42's
 * second epoch is not seed 43's first.
 */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  const random = prng(Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch, 0x85ebca6b));
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * The forward pass, ending at the softmax's input (logits) when the model
 * ends in a softmax. Keras (TF 2) computes categorical cross-entropy from
 * those logits whenever the output is a softmax; only other outputs go
 * through clipped probabilities. From logits the gradient stays alive for
 * confidently wrong predictions, and a learning rate that is far too high
 * runs into NaN (reported as divergence) instead of stalling at the clipped
 * maximum loss of −log(1e-7) ≈ 16.1 with a dead network.
 */
type Forward = (x: tf.Tensor, training: boolean) => { output: tf.Tensor; logits: boolean };

function forwardPass(model: tf.LayersModel): Forward {
  const whole: Forward = (x, training) => ({ output: model.apply(x, { training }) as tf.Tensor, logits: false });
  if (!(model instanceof tf.Sequential) || model.layers.length === 0) return whole;
  const body = model.layers.slice(0, -1);
  const last = model.layers[model.layers.length - 1];
  const lastConfig = last.getConfig() as { activation?: string };
  if (lastConfig.activation !== 'softmax') return whole;
  const runBody = (x: tf.Tensor, training: boolean) => body.reduce((h, layer) => layer.apply(h, { training }) as tf.Tensor, x);

  if (last.getClassName() === 'Activation') return (x, training) => ({ output: runBody(x, training), logits: true });
  if (last.getClassName() === 'Dense') {
    // The layer's own variables, so the gradient reaches them as if the layer had run.
    const weight = (suffix: string) => last.trainableWeights.find((w) => w.name.endsWith(suffix))?.read();
    const kernel = weight('/kernel');
    const bias = weight('/bias');
    if (!kernel) return whole;
    return (x, training) => ({ output: tf.fused.matMul({ a: runBody(x, training) as tf.Tensor2D, b: kernel as tf.Tensor2D, bias }), logits: true });
  }
  return whole;
}

function crossEntropy(oneHot: tf.Tensor, output: tf.Tensor, logits: boolean): tf.Scalar {
  return tf.tidy(() => {
    if (logits) return tf.mean(tf.sub(tf.logSumExp(output, -1), tf.sum(tf.mul(oneHot, output), -1))) as tf.Scalar;
    const p = tf.clipByValue(output, EPSILON, 1 - EPSILON);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(p)), -1))) as tf.Scalar;
  });
}

/** −log p(label) for one row of logits or probabilities, in float64. */
function rowLoss(row: Float32Array, offset: number, width: number, label: number, logits: boolean): number {
  if (!logits) return -Math.log(Math.min(Math.max(row[offset + label], EPSILON), 1 - EPSILON));
  let max = -Infinity;
  for (let k = 0; k < width; k++) max = Math.max(max, row[offset + k]);
  let sum = 0;
  for (let k = 0; k < width; k++) sum += Math.exp(row[offset + k] - max);
  return max + Math.log(sum) - row[offset + label];
}

function argMax(row: Float32Array | Int32Array | Uint8Array, offset: number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (row[offset + k] > row[offset + best]) best = k;
  return best;
}

function sampleShape(model: tf.LayersModel, set: ImageSet): number[] {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== set.rows * set.cols) {
    throw new TrainingSetupError(`The model expects inputs of shape (${shape.join(', ')}) but the images are ${set.rows}×${set.cols}`);
  }
  return shape;
}

/** Mean categorical cross-entropy and accuracy over a whole set, in inference mode (Dropout off, BatchNormalization on its moving statistics). */
export async function evaluate(model: tf.LayersModel, set: ImageSet, chunk = EVAL_CHUNK): Promise<Evaluation> {
  const shape = sampleShape(model, set);
  const pixels = set.rows * set.cols;
  const forward = forwardPass(model);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    let logits = false;
    const outputs = tf.tidy(() => {
      const x = tf.tensor(set.images.subarray(start * pixels, (start + n) * pixels), [n, ...shape]);
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

function divergedError(epoch: number, batch: number, batches: number, loss: number, lr: number): Error {
  const what = Number.isNaN(loss) ? 'NaN' : 'Infinity';
  return new TrainingDivergedError(
    `Training diverged at epoch ${epoch} (batch ${batch} of ${batches}): the loss became ${what}. ` +
      `The learning rate (${lr}) is too high for this model and optimizer; lower it and train again.`,
  );
}

/**
 * Trains a compiled-or-not tfjs model the way Keras's fit would (categorical
 * cross-entropy, running-mean metrics, validation after each epoch), but with
 * a seeded shuffle, per-batch progress, cancellation between batches and a
 * clear error when the loss blows up. Model weights are the caller's; every
 * other tensor made here is freed before returning or throwing.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { model, config, data } = opts;
  const yieldEvery = Math.max(1, Math.floor(opts.yieldEvery ?? 1));
  const set = data.train;
  const shape = sampleShape(model, set);
  const pixels = set.rows * set.cols;
  const batchSize = config.batchSize;
  const batches = Math.ceil(set.count / batchSize);
  if (batches === 0) {
    throw new TrainingSetupError('There are no training images left after the validation split; raise the limit or lower the validation split');
  }

  // One buffer each for a batch of images and labels, refilled every batch.
  const xBuffer = new Float32Array(batchSize * pixels);
  const yBuffer = new Float32Array(batchSize * NUM_CLASSES);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const forward = forwardPass(model);
  const optimizer = opts.optimizer ?? makeOptimizer(config);
  const ownsOptimizer = opts.optimizer === undefined;
  const epochs: EpochMetrics[] = [];

  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const started = performance.now();
      const order = epochOrder(set.count, config.seed, epoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;

      for (let b = 0; b < batches; b++) {
        if (b % yieldEvery === 0) await new Promise((r) => setImmediate(r));
        if (opts.shouldStop?.()) return { status: 'cancelled', epochs };

        const from = b * batchSize;
        const n = Math.min(batchSize, set.count - from);
        yBuffer.fill(0, 0, n * NUM_CLASSES);
        for (let i = 0; i < n; i++) {
          const index = order[from + i];
          xBuffer.set(set.images.subarray(index * pixels, (index + 1) * pixels), i * pixels);
          yBuffer[i * NUM_CLASSES + set.labels[index]] = 1;
        }
        const xs = tf.tensor(xBuffer.subarray(0, n * pixels), [n, ...shape]);
        const ys = tf.tensor2d(yBuffer.subarray(0, n * NUM_CLASSES), [n, NUM_CLASSES]);
        let outputs: tf.Tensor | undefined;
        let lossTensor: tf.Scalar | null = null;
        try {
          lossTensor = optimizer.minimize(
            () => {
              const pass = forward(xs, true);
              // Kept past minimize's tidy: accuracy comes from this same forward pass.
              outputs = tf.keep(pass.output);
              const loss = crossEntropy(ys, pass.output, pass.logits);
              // Keras minimises (and reports) the cross-entropy plus every layer's weight penalty.
              const penalty = regularizationLoss(model);
              return penalty ? tf.add(loss, penalty) : loss;
            },
            true,
            variables,
          );
          const loss = (await lossTensor!.data())[0];
          if (!Number.isFinite(loss)) throw divergedError(epoch, b + 1, batches, loss, config.learningRate);
          const p = (await outputs!.data()) as Float32Array;
          for (let i = 0; i < n; i++) if (argMax(p, i * NUM_CLASSES, NUM_CLASSES) === argMax(yBuffer, i * NUM_CLASSES, NUM_CLASSES)) correct++;
          lossSum += loss * n;
          seen += n;
          opts.onBatch?.({ epoch, batch: b + 1, batches, loss: lossSum / seen, batchLoss: loss });
        } finally {
          xs.dispose();
          ys.dispose();
          outputs?.dispose();
          lossTensor?.dispose();
        }
      }

      const validation = data.validation.count > 0 ? await evaluate(model, data.validation) : null;
      const metrics: EpochMetrics = {
        epoch,
        loss: lossSum / seen,
        accuracy: correct / seen,
        valLoss: validation?.loss ?? null,
        valAccuracy: validation?.accuracy ?? null,
        seconds: (performance.now() - started) / 1000,
      };
      epochs.push(metrics);
      opts.onEpoch?.(metrics);
    }
  } finally {
    if (ownsOptimizer) optimizer.dispose();
  }

  const test = opts.test ? await evaluate(model, opts.test) : undefined;
  return { status: 'completed', epochs, test };
}
