import * as tf from '@tensorflow/tfjs';
import type { Initializer, LayerSpec, ModelSpec, Regularizer } from '../../shared/model/model-spec';
import type { TrainingConfig } from '../../shared/model/training-config';
import { createAdam } from './adam';
import { TrainingSetupError } from './errors';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Parameters<tf.layers.Layer['call']>[1];
type TfInitializer = ReturnType<typeof tf.initializers.zeros>;
type TfRegularizer = ReturnType<typeof tf.regularizers.l1l2>;

/**
 * Dropout whose masks come from a seeded stream: tfjs's own Dropout either
 * uses Math.random (runs not reproducible) or, given a seed, draws the very
 * same mask on every batch. This one seeds each training call with
 * (layer seed, call number), so a run is repeatable and every batch differs.
 * It reports itself as a plain Keras 'Dropout' when a model is serialised.
 */
class SeededDropout extends tf.layers.Layer {
  static className = 'Dropout';
  /** Training calls so far: the next mask's seed. A checkpoint saves it (see dropoutCalls). */
  calls = 0;

  constructor(
    private readonly rate: number,
    private readonly seed: number,
    args: LayerArgs,
  ) {
    super(args);
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs?.training !== true || this.rate === 0) return x;
    return tf.tidy(() => tf.dropout(x, this.rate, undefined, `${this.seed}:${this.calls++}`));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { rate: this.rate, ...super.getConfig() };
  }
}

/** How many training calls each Dropout layer has made, in layer order (what its next mask is seeded with). */
export function dropoutCalls(model: tf.LayersModel): number[] {
  return model.layers.filter((l): l is SeededDropout => l instanceof SeededDropout).map((l) => l.calls);
}

/** Sets the Dropout layers' call counts (from dropoutCalls of the same network), so their next masks are the ones training would have drawn. */
export function restoreDropoutCalls(model: tf.LayersModel, calls: readonly number[]): void {
  const layers = model.layers.filter((l): l is SeededDropout => l instanceof SeededDropout);
  if (layers.length !== calls.length) {
    throw new TrainingSetupError(
      `The checkpoint does not belong to this network: it has ${calls.length} Dropout layers and the network ${layers.length}`,
    );
  }
  layers.forEach((l, i) => (l.calls = calls[i]));
}

/**
 * Keras's truncated-normal initializers divide the standard deviation by
 * this (the stddev of a unit normal truncated at ±2) so the drawn weights end
 * up with the intended variance; tfjs's VarianceScaling does not, so the
 * scale is raised by its square to draw what Keras draws.
 */
const TRUNCATION_CORRECTION = 0.87962566103423978;

/** A seeded tfjs initializer for a Keras initializer name (seeds where tfjs takes one). */
export function makeInitializer(name: Initializer | undefined, seed: number): TfInitializer {
  const normal = (scale: number, mode: 'fanIn' | 'fanAvg') =>
    tf.initializers.varianceScaling({ scale: scale / TRUNCATION_CORRECTION ** 2, mode, distribution: 'normal', seed });
  switch (name ?? 'glorot_uniform') {
    case 'glorot_uniform':
      return tf.initializers.glorotUniform({ seed });
    case 'glorot_normal':
      return normal(1, 'fanAvg');
    case 'he_uniform':
      return tf.initializers.heUniform({ seed });
    case 'he_normal':
      return normal(2, 'fanIn');
    case 'lecun_uniform':
      return tf.initializers.leCunUniform({ seed });
    case 'lecun_normal':
      return normal(1, 'fanIn');
    case 'random_uniform':
      // Keras's defaults: U(−0.05, 0.05) and N(0, 0.05).
      return tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed });
    case 'random_normal':
      return tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed });
    case 'zeros':
      return tf.initializers.zeros();
    case 'ones':
      return tf.initializers.ones();
  }
}

function makeRegularizer(r: Regularizer | null | undefined): TfRegularizer | undefined {
  if (!r || (r.l1 === 0 && r.l2 === 0)) return undefined;
  return tf.regularizers.l1l2({ l1: r.l1, l2: r.l2 });
}

function toLayer(spec: LayerSpec, index: number, seed: number, first: LayerArgs): tf.layers.Layer {
  // One seed per layer: two equal layers must not start from equal weights.
  const layerSeed = seed + index;
  switch (spec.type) {
    case 'Flatten':
      return tf.layers.flatten(first);
    case 'Dense':
      return tf.layers.dense({
        ...first,
        units: spec.units,
        activation: spec.activation,
        useBias: spec.useBias !== false,
        kernelInitializer: makeInitializer(spec.kernelInitializer, layerSeed),
        kernelRegularizer: makeRegularizer(spec.kernelRegularizer),
        biasInitializer: 'zeros',
      });
    case 'Dropout':
      return new SeededDropout(spec.rate, layerSeed, first);
    case 'BatchNormalization':
      return tf.layers.batchNormalization({
        ...first,
        axis: -1,
        momentum: spec.momentum ?? 0.99,
        epsilon: spec.epsilon ?? 0.001,
      });
    case 'Activation':
      return tf.layers.activation({ ...first, activation: spec.activation });
    case 'Conv2D':
      return tf.layers.conv2d({
        ...first,
        filters: spec.filters,
        kernelSize: spec.kernelSize,
        strides: spec.strides ?? [1, 1],
        padding: spec.padding ?? 'valid',
        dataFormat: 'channelsLast',
        activation: spec.activation,
        useBias: spec.useBias !== false,
        kernelInitializer: makeInitializer(spec.kernelInitializer, layerSeed),
        kernelRegularizer: makeRegularizer(spec.kernelRegularizer),
        biasInitializer: 'zeros',
      });
    case 'MaxPooling2D':
      return tf.layers.maxPooling2d({
        ...first,
        poolSize: spec.poolSize,
        strides: spec.strides ?? spec.poolSize,
        padding: spec.padding ?? 'valid',
        dataFormat: 'channelsLast',
      });
    case 'Reshape':
      return tf.layers.reshape({ ...first, targetShape: spec.targetShape });
  }
}

/**
 * The sum of the layers' weight penalties (L1/L2 regularizers), as Keras adds
 * them to the loss it minimises and reports; null when no layer has one.
 * Call inside a tidy or an optimizer's minimize.
 */
export function regularizationLoss(model: tf.LayersModel): tf.Scalar | null {
  const penalties = model.layers.flatMap((layer) => layer.calculateLosses());
  if (penalties.length === 0) return null;
  return tf.addN(penalties) as tf.Scalar;
}

/**
 * The tfjs model for a spec, with Keras's defaults (Glorot-uniform kernels,
 * zero biases, BatchNormalization momentum 0.99 / epsilon 0.001, 'valid'
 * padding, pooling strides equal to the pool size). The same
 * seed gives the same initial weights on every backend: the random numbers are
 * drawn in JavaScript, not by the backend.
 */
export function buildModel(spec: ModelSpec, seed: number): tf.Sequential {
  const model = tf.sequential();
  spec.layers.forEach((layer, index) => {
    const first: LayerArgs = index === 0 ? { inputShape: spec.inputShape } : {};
    model.add(toLayer(layer, index, seed, first));
  });
  return model;
}

/** The optimizer a config names, with Keras's default hyper-parameters. */
export function makeOptimizer(config: Pick<TrainingConfig, 'optimizer' | 'learningRate' | 'momentum'>): tf.Optimizer {
  const lr = config.learningRate;
  switch (config.optimizer) {
    case 'sgd':
      return config.momentum > 0 ? tf.train.momentum(lr, config.momentum) : tf.train.sgd(lr);
    case 'adam':
      // Same updates as tf.train.adam, bit for bit, with one fused pass per variable (see adam.ts).
      return createAdam(lr, 0.9, 0.999, 1e-7);
    case 'rmsprop':
      return tf.train.rmsprop(lr, 0.9, 0, 1e-7, false);
    case 'adagrad':
      return tf.train.adagrad(lr, 0.1);
  }
}

/**
 * Frees an optimizer's tensors. tfjs's MomentumOptimizer.dispose forgets the
 * learning-rate scalar it inherits from SGD (one tensor lost per run); it is freed here too.
 */
export function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  if (optimizer instanceof tf.MomentumOptimizer) (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
}
