/**
 * The model spec: the JSON a user designs (preset, editor, CLI) and the trainer
 * builds. Plain data so it crosses every process boundary and lives in SQLite.
 */

export const ACTIVATIONS = [
  'relu',
  'sigmoid',
  'tanh',
  'softmax',
  'linear',
  'elu',
  'selu',
  'softplus',
  'softsign',
  'swish',
  'gelu',
] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const LAYER_TYPES = ['Flatten', 'Dense', 'Dropout', 'BatchNormalization', 'Activation'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

export interface FlattenLayer {
  type: 'Flatten';
}
export interface DenseLayer {
  type: 'Dense';
  units: number;
  activation: Activation;
  /** Keras default: true. */
  useBias?: boolean;
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

export type LayerSpec = FlattenLayer | DenseLayer | DropoutLayer | BatchNormalizationLayer | ActivationLayer;

export interface ModelSpec {
  /** Shape of one input sample without the batch axis, e.g. [28, 28] for Fashion-MNIST. */
  inputShape: number[];
  layers: LayerSpec[];
}
