/**
 * The helper thread of data-parallel training (see data-parallel.ts): a
 * replica of the model on a tfjs wasm backend of its own. For every step the
 * main thread posts, it takes the weights the main thread broadcast, computes
 * the gradient over its part of the batch and hands it back through shared
 * memory. It never changes the weights itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend';
import { forwardPass } from '../forward';
import { installWasmConvFilterGrad } from '../wasm-conv-grad';
import { installWasmMatMulFix } from '../wasm-matmul';
import { halfStep } from './half-step';
import { CTRL, JOB_QUIT, JOB_STEP, type LayoutSizes, viewsOf, writeError } from './layout';

export interface WorkerInput {
  buffer: SharedArrayBuffer;
  sizes: LayoutSizes;
  /** model.toJSON(null, false) of the main thread's model. */
  topology: object;
  /** The shape of one input sample. */
  shape: number[];
}

const input = workerData as WorkerInput;
const views = viewsOf(input.buffer, input.sizes);
const { ctrl } = views;

async function setUp(): Promise<{ model: tf.LayersModel; variables: tf.Variable[] }> {
  const { backend } = await selectBackend('wasm');
  if (backend !== 'wasm') throw new Error(`the helper thread runs on ${backend}, not wasm`);
  // The same kernels as the main thread, so both halves are computed alike.
  installWasmMatMulFix();
  installWasmConvFilterGrad();
  const model = await tf.models.modelFromJSON({ modelTopology: input.topology } as unknown as tf.io.ModelJSON);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sizes = variables.map((v) => v.size);
  if (sizes.join() !== input.sizes.variableSizes.join()) {
    throw new Error(`the replica's variables (${sizes.join(', ')}) differ from the model's (${input.sizes.variableSizes.join(', ')})`);
  }
  return { model, variables };
}

function loadWeights(variables: tf.Variable[]): void {
  variables.forEach((v, i) => {
    const start = views.offsets[i];
    // The wasm backend copies the values onto its heap: the shared buffer may change afterwards.
    const value = tf.tensor(views.weights.subarray(start, start + v.size), v.shape, 'float32');
    v.assign(value);
    value.dispose();
  });
}

function serve(model: tf.LayersModel, variables: tf.Variable[]): void {
  const forward = forwardPass(model);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.job, seen);
    seen = Atomics.load(ctrl, CTRL.job);
    const kind = Atomics.load(ctrl, CTRL.kind);
    if (kind === JOB_QUIT) break;
    try {
      if (kind !== JOB_STEP) throw new Error(`unknown job ${kind}`);
      loadWeights(variables);
      const rows = Atomics.load(ctrl, CTRL.rows);
      const result = halfStep(model, forward, variables, input.shape, views.x, views.y, rows, views.grads, views.offsets);
      views.loss[0] = result.loss;
      Atomics.store(ctrl, CTRL.correct, result.correct);
      Atomics.store(ctrl, CTRL.status, 0);
    } catch (e) {
      writeError(views, e instanceof Error ? e.message : String(e));
      Atomics.store(ctrl, CTRL.status, 1);
    }
    Atomics.store(ctrl, CTRL.done, seen);
    Atomics.notify(ctrl, CTRL.done);
  }
  model.dispose();
}

setUp().then(
  ({ model, variables }) => {
    parentPort!.postMessage({ type: 'ready' });
    serve(model, variables);
    process.exit(0);
  },
  (e: unknown) => {
    parentPort!.postMessage({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
  },
);
