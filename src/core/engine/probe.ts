/**
 * The training signals of each layer, measured on a fixed probe batch: what
 * the run's charts and findings read to say why a network learns or does not
 * (vanishing gradients, saturated sigmoids, dead ReLUs, steps too large or too
 * small for the weights).
 */
import * as tf from '@tensorflow/tfjs';
import { pixelCount, pixelFloats } from '../data/pixels';
import type { ImageSet } from '../data/types';
import type { LayerStat } from '../../shared/contract/runs';
import { classCount, type Forward, forwardPass, sampleShape, trainingLoss } from './forward';
import { epochOrder } from './shuffle';

/** Images in the probe batch. */
export const PROBE_SIZE = 256;

/** An output this close to a bound of sigmoid, softmax (0 and 1) or tanh (−1 and 1) counts as saturated. */
const SATURATION_MARGIN = 0.01;

/** The layers the probe reports: those with weights, and Activation layers for their output. */
const WATCHED = new Set(['Dense', 'Conv2D', 'BatchNormalization', 'Activation']);
const BOUNDED = new Set(['sigmoid', 'softmax', 'tanh']);

/**
 * The probe batch: PROBE_SIZE images of the training split (all of them when
 * there are fewer), chosen by the seed and the same for the whole run. They
 * come from the order of "epoch 0", which no epoch trains in.
 */
export function chooseProbe(set: ImageSet, seed: number): ImageSet {
  const count = Math.min(PROBE_SIZE, set.count);
  const pixels = pixelCount(set);
  const order = epochOrder(set.count, seed, 0);
  const images = new Uint8Array(count * pixels);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const index = order[i];
    images.set(set.images.subarray(index * pixels, (index + 1) * pixels), i * pixels);
    labels[i] = set.labels[index];
  }
  return { count, rows: set.rows, cols: set.cols, ...(set.channels !== undefined ? { channels: set.channels } : {}), images, labels };
}

interface WatchedLayer {
  /** Index in model.layers, which is the index in the model spec: buildModel adds one tfjs layer per spec layer, in order. */
  layer: number;
  name: string;
  /** The kernel (BatchNormalization: gamma) and the bias (beta); null where the layer has none. */
  kernel: tf.Variable | null;
  bias: tf.Variable | null;
  activation: string | null;
}

function watchedLayers(model: tf.LayersModel): WatchedLayer[] {
  if (!(model instanceof tf.Sequential)) return [];
  const rows: WatchedLayer[] = [];
  model.layers.forEach((layer, index) => {
    const type = layer.getClassName();
    if (!WATCHED.has(type)) return;
    const activation = (layer.getConfig() as { activation?: string }).activation ?? null;
    const variable = (...suffixes: string[]) =>
      (layer.trainableWeights.find((w) => suffixes.some((s) => w.name.endsWith(s)))?.read() as tf.Variable | undefined) ?? null;
    rows.push({
      layer: index,
      name: `${type} ${index + 1}${activation ? ` (${activation})` : ''}`,
      kernel: variable('/kernel', '/gamma'),
      bias: variable('/bias', '/beta'),
      activation,
    });
  });
  return rows;
}

const count = (mask: tf.Tensor) => tf.sum(tf.cast(mask, 'float32'));
const nonfinite = (t: tf.Tensor) => count(tf.logicalNot(tf.isFinite(t)));

/** ReLU: the fraction of features (of the flattened output) that are 0 for every probe image. */
function deadFraction(output: tf.Tensor): tf.Tensor {
  const perUnit = tf.max(tf.reshape(output, [output.shape[0], -1]), 0);
  return tf.mean(tf.cast(tf.lessEqual(perUnit, 0), 'float32'));
}

function saturatedFraction(output: tf.Tensor, activation: string): tf.Tensor {
  const high = 1 - SATURATION_MARGIN;
  const mask = activation === 'tanh' ? tf.greater(tf.abs(output), high) : tf.logicalOr(tf.less(output, SATURATION_MARGIN), tf.greater(output, high));
  return tf.mean(tf.cast(mask, 'float32'));
}

/** Where each figure of a row sits in the one tensor read back per probe; null where it does not apply. */
interface RowPlan {
  watched: WatchedLayer;
  gradNorm: number | null;
  biasGradNorm: number | null;
  weightNorm: number | null;
  deltaNorm: number | null;
  actMean: number | null;
  actStd: number | null;
  dead: number | null;
  saturated: number | null;
  nonfinite: number;
}

/**
 * Measures the layer signals of one model on one probe batch, for the whole
 * run. Holds the batch (two tensors) until dispose(); every other tensor it
 * makes is freed before a measurement returns.
 */
export class LayerProbe {
  private readonly xs: tf.Tensor;
  private readonly ys: tf.Tensor;
  private readonly forward: Forward;
  private readonly watched: WatchedLayer[];
  private readonly variables: tf.Variable[];
  /** The kernels before the last optimizer step, when snapshotKernels() was called since the last measurement. */
  private before: Map<tf.Variable, tf.Tensor> | null = null;

  constructor(
    private readonly model: tf.LayersModel,
    probe: ImageSet,
  ) {
    const shape = sampleShape(model, probe);
    this.forward = forwardPass(model);
    this.watched = watchedLayers(model);
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const classes = classCount(model);
    const oneHot = new Float32Array(probe.count * classes);
    probe.labels.forEach((label, i) => (oneHot[i * classes + label] = 1));
    this.xs = tf.tensor(pixelFloats(probe), [probe.count, ...shape]);
    this.ys = tf.tensor2d(oneHot, [probe.count, classes]);
  }

  /**
   * Copies the kernels now, so that the next measurement reports the update
   * ratio of the optimizer step in between. Called before the one batch
   * whose step a probe reports, not before every batch.
   */
  snapshotKernels(): void {
    this.releaseSnapshot();
    this.before = new Map(this.watched.flatMap((w) => (w.kernel ? [[w.kernel, tf.clone(w.kernel)] as const] : [])));
  }

  /** One row per watched layer, in layer order. Consumes the kernel snapshot. */
  async measure(epoch: number, batch: number | null): Promise<LayerStat[]> {
    if (this.watched.length === 0) return [];
    const plans: RowPlan[] = [];
    const packed = tf.tidy(() => {
      const outputs = new Map<number, tf.Tensor>();
      const indices = new Set(this.watched.map((w) => w.layer));
      // Inference mode: Dropout adds no noise to the figures and BatchNormalization
      // uses (and does not update) its moving statistics, so a probe leaves the run
      // untouched. The loss is the one training minimises, penalties included, and
      // a softmax output goes through its logits as in training.
      const { grads } = tf.variableGrads(() => {
        const pass = this.forward(this.xs, false, (layer, output) => {
          if (indices.has(layer)) outputs.set(layer, tf.keep(output));
        });
        return trainingLoss(this.model, this.ys, pass);
      }, this.variables);

      const scalars: tf.Tensor[] = [];
      const slot = (t: tf.Tensor) => scalars.push(t) - 1;
      for (const w of this.watched) {
        const output = outputs.get(w.layer)!;
        const kernelGrad = w.kernel ? grads[w.kernel.name] : undefined;
        const biasGrad = w.bias ? grads[w.bias.name] : undefined;
        const previous = w.kernel ? this.before?.get(w.kernel) : undefined;
        const { mean, variance } = tf.moments(output);
        const checked = [output, kernelGrad, biasGrad, w.kernel, w.bias].filter((t): t is tf.Tensor => t != null);
        plans.push({
          watched: w,
          gradNorm: kernelGrad ? slot(tf.norm(kernelGrad)) : null,
          biasGradNorm: biasGrad ? slot(tf.norm(biasGrad)) : null,
          weightNorm: w.kernel ? slot(tf.norm(w.kernel)) : null,
          deltaNorm: w.kernel && previous ? slot(tf.norm(tf.sub(w.kernel, previous))) : null,
          actMean: slot(mean),
          actStd: slot(tf.sqrt(variance)),
          dead: w.activation === 'relu' ? slot(deadFraction(output)) : null,
          saturated: w.activation && BOUNDED.has(w.activation) ? slot(saturatedFraction(output, w.activation)) : null,
          nonfinite: slot(tf.addN(checked.map(nonfinite))),
        });
      }
      // Kept past the gradient's scope above, so freed here by hand.
      tf.dispose([...outputs.values()]);
      return tf.stack(scalars.map((s) => tf.reshape(s, [])));
    });
    this.releaseSnapshot();
    const values = await packed.data();
    packed.dispose();

    const at = (i: number | null) => (i === null ? null : values[i]);
    return plans.map((p): LayerStat => {
      const weightNorm = at(p.weightNorm);
      const deltaNorm = at(p.deltaNorm);
      return {
        epoch,
        batch,
        layer: p.watched.layer,
        name: p.watched.name,
        gradNorm: at(p.gradNorm),
        biasGradNorm: at(p.biasGradNorm),
        weightNorm,
        updateRatio: deltaNorm !== null && weightNorm !== null && weightNorm > 0 ? deltaNorm / weightNorm : null,
        actMean: at(p.actMean),
        actStd: at(p.actStd),
        deadFraction: at(p.dead),
        saturatedFraction: at(p.saturated),
        nonfinite: values[p.nonfinite],
      };
    });
  }

  dispose(): void {
    this.releaseSnapshot();
    tf.dispose([this.xs, this.ys]);
  }

  private releaseSnapshot(): void {
    if (this.before) tf.dispose([...this.before.values()]);
    this.before = null;
  }
}
