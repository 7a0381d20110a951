import * as tf from '@tensorflow/tfjs';
import { argMax, classCount, type Forward, trainingLoss } from '../forward';

export interface HalfStepResult {
  /** The loss training minimises, over these images alone (their mean cross-entropy plus the weight penalty). */
  loss: number;
  /** How many of these images the model classified correctly (before the step). */
  correct: number;
}

/**
 * One thread's part of a data-parallel step: the forward and backward pass over
 * `rows` images, with the gradient of their loss written into `grads` (every
 * variable's values one after the other, at `offsets`). The weights are not
 * touched. Every tensor made here is freed.
 */
export function halfStep(
  model: tf.LayersModel,
  forward: Forward,
  variables: tf.Variable[],
  shape: number[],
  x: Float32Array,
  y: Float32Array,
  rows: number,
  grads: Float32Array,
  offsets: readonly number[],
): HalfStepResult {
  const pixels = shape.reduce((a, b) => a * b, 1);
  const classes = classCount(model);
  const xs = tf.tensor(x.subarray(0, rows * pixels), [rows, ...shape]);
  const ys = tf.tensor2d(y.subarray(0, rows * classes), [rows, classes]);
  let outputs: tf.Tensor | undefined;
  let value: tf.Scalar | undefined;
  let computed: tf.NamedTensorMap = {};
  try {
    ({ value, grads: computed } = tf.variableGrads(() => {
      const pass = forward(xs, true);
      outputs = tf.keep(pass.output);
      return trainingLoss(model, ys, pass);
    }, variables));
    variables.forEach((v, i) => grads.set(computed[v.name].dataSync() as Float32Array, offsets[i]));
    const p = outputs!.dataSync() as Float32Array;
    let correct = 0;
    for (let i = 0; i < rows; i++) if (argMax(p, i * classes, classes) === argMax(y, i * classes, classes)) correct++;
    return { loss: value.dataSync()[0], correct };
  } finally {
    xs.dispose();
    ys.dispose();
    outputs?.dispose();
    value?.dispose();
    tf.dispose(Object.values(computed));
  }
}
