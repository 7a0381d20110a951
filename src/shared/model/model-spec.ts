/**
 * The model spec: the JSON a user designs (preset, editor, CLI, Keras import) and
 * the trainer builds. Plain data so it crosses every process boundary and lives
 * in SQLite. Optional fields take Keras's defaults when absent.
 */

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'gelu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** Keras's names for weight initializers (default glorot_uniform). */
export const INITIALIZERS = [
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'lecun_uniform',
  'lecun_normal',
  'random_uniform',
  'random_normal',
  'zeros',
  'ones',
] as const;
export type Initializer = (typeof INITIALIZERS)[number];

export const PADDINGS = ['valid', 'same'] as const;
export type Padding = (typeof PADDINGS)[number];

export const LAYER_TYPES = ['Flatten', 'Dense', 'Dropout', 'BatchNormalization', 'Activation', 'Conv2D', 'MaxPooling2D', 'Reshape'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

/** L1/L2 penalty on a layer's kernel (Keras's L1L2); both 0 means none. */
export interface Regularizer {
  l1: number;
  l2: number;
}

export interface FlattenLayer {
  type: 'Flatten';
}
export interface DenseLayer {
  type: 'Dense';
  units: number;
  activation: Activation;
  /** Default true. */
  useBias?: boolean;
  /** Default glorot_uniform. */
  kernelInitializer?: Initializer;
  kernelRegularizer?: Regularizer | null;
}
export interface DropoutLayer {
  type: 'Dropout';
  /** Fraction of inputs dropped while training, in [0, 1). */
  rate: number;
}
export interface BatchNormalizationLayer {
  type: 'BatchNormalization';
  /** Keras defaults: momentum 0.99, epsilon 0.001. */
  momentum?: number;
  epsilon?: number;
}
export interface ActivationLayer {
  type: 'Activation';
  activation: Activation;
}
export interface Conv2DLayer {
  type: 'Conv2D';
  filters: number;
  /** [rows, cols]. */
  kernelSize: [number, number];
  /** Default [1, 1]. */
  strides?: [number, number];
  /** Default 'valid'. */
  padding?: Padding;
  activation: Activation;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  kernelRegularizer?: Regularizer | null;
}
export interface MaxPooling2DLayer {
  type: 'MaxPooling2D';
  poolSize: [number, number];
  /** Default (null): the pool size, as in Keras. */
  strides?: [number, number] | null;
  padding?: Padding;
}
export interface ReshapeLayer {
  type: 'Reshape';
  /** Output shape without the batch axis; its size must equal the input's. */
  targetShape: number[];
}

export type LayerSpec =
  FlattenLayer | DenseLayer | DropoutLayer | BatchNormalizationLayer | ActivationLayer | Conv2DLayer | MaxPooling2DLayer | ReshapeLayer;

export interface ModelSpec {
  /**
   * Shape of one input sample without the batch axis: [28, 28] for Fashion-MNIST,
   * or [28, 28, 1] to feed convolutions directly. Its size must match the images (784).
   */
  inputShape: number[];
  layers: LayerSpec[];
}
