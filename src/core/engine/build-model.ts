import * as tf from '@tensorflow/tfjs';
import type { LayerSpec, ModelSpec } from '../../shared/model-spec';
import type { TrainingConfig } from '../../shared/training-config';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Kwargs = Parameters<tf.layers.Layer['call']>[1];

/**
 * Dropout whose masks come from a seeded stream: tfjs's own Dropout either
 * uses Math.random (runs not reproducible) or, given a seed, draws the very
 * same mask on every batch. This one seeds each training call with
 * (layer seed, call number), so a run is repeatable and every batch differs.
 * It reports itself as a plain Keras 'Dropout' when a model is serialised.
 */
class SeededDropout extends tf.layers.Layer {
  static className = 'Dropout';
  private calls = 0;

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

function toLayer(spec: LayerSpec, index: number, seed: number, first: LayerArgs): tf.layers.Layer {
  switch (spec.type) {
    case 'Flatten':
      return tf.layers.flatten(first);
    case 'Dense':
      return tf.layers.dense({
        ...first,
        units: spec.units,
        activation: spec.activation,
        useBias: spec.useBias !== false,
        // One seed per layer: two equal layers must not start from equal weights.
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + index }),
        biasInitializer: 'zeros',
      });
    case 'Dropout':
      return new SeededDropout(spec.rate, seed + index, first);
    case 'BatchNormalization':
      return tf.layers.batchNormalization({
        ...first,
        axis: -1,
        momentum: spec.momentum ?? 0.99,
        epsilon: spec.epsilon ?? 0.001,
      });
    case 'Activation':
      return tf.layers.activation({ ...first, activation: spec.activation });
  }
}

/**
 * The tfjs model for a spec, with Keras's defaults (Glorot-uniform kernels,
 * zero biases, BatchNormalization momentum 0.99 / epsilon 0.001). The same
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
      return tf.train.adam(lr, 0.9, 0.999, 1e-7);
    case 'rmsprop':
      return tf.train.rmsprop(lr, 0.9, 0, 1e-7, false);
    case 'adagrad':
      return tf.train.adagrad(lr, 0.1);
  }
}
