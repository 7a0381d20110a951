/**
 * Data-parallel training on two threads: the trainer's main thread and one
 * helper (worker.ts) each compute the gradient of their part of every batch on
 * a tfjs wasm backend of their own (the helper three quarters, see
 * HELPER_SHARE); the main thread adds the two, weighted by their share of the
 * images, and takes the one optimizer step on its model; the helper takes the
 * new weights at the start of the next step. The model, the optimizer and
 * everything a checkpoint, a probe or an evaluation reads stay on the main
 * thread, exactly as in single-threaded training.
 *
 * Determinism: every step splits the batch the same way (the first quarter of
 * the images on the main thread), both threads run the same kernels in the same
 * order, and the parts are added in float64 in one fixed order before rounding
 * to float32, so the same seed gives the same run, bit for bit, every time.
 * Against the single-threaded path the gradient is summed in another order
 * (two means instead of one of 64), so figures agree to float32 rounding at
 * first (the first batch's loss within 1e-5 relative) and drift apart like two
 * runs on different hardware: the curve is the same within ordinary run-to-run
 * noise, not bit-identical (the tests pin the accuracy within 1.5 points on
 * 6,000 images after two epochs).
 *
 * Speed (bench/parallel-epoch.ts, seed-model-3, full data, 2-core machine):
 * it does not pay here, which is why one thread stays the default. tfjs's
 * overhead per operation is paid by both threads on every step whatever the
 * rows: on a quiet moment the main thread's part took 2.33 s per epoch for 32
 * images a step and 1.87 s for 16, while a whole 64-image step on one thread
 * takes about 3 s; adding the gradients, the optimizer step and the weight
 * broadcast cost 0.4 s more. An epoch came out at 3.8–3.9 s on two threads
 * against 3.5–3.8 s on one, and far slower on a busy machine, where every step
 * waits for both threads to be scheduled.
 *
 * Only models whose every layer works on one image at a time qualify (no
 * BatchNormalization, whose batch statistics would be of half a batch, and no
 * Dropout, whose seeded masks belong to the main thread's layers); others, and
 * every backend but wasm, train on one thread (parallelThreads says which).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { TrainingSetupError } from '../errors';
import { classCount, type Forward } from '../forward';
import { halfStep, type HalfStepResult } from './half-step';
import { allocateShared, CTRL, JOB_QUIT, JOB_STEP, type LayoutSizes, parameterCount, readError, type SharedViews } from './layout';
import type { WorkerInput } from './worker';

/** Layers that compute each image's output from that image alone (and hold no state a step changes besides their weights). */
const PER_IMAGE_LAYERS = new Set(['Dense', 'Flatten', 'Activation', 'Reshape', 'Conv2D', 'MaxPooling2D', 'InputLayer']);

/** How long the main thread waits for the helper's half of one step before it gives up. */
const STEP_TIMEOUT_MS = 120_000;

/**
 * The threads a run asks for: LAYERLAB_THREADS when set (1 or 2), else `setting`,
 * else 1. One is the default because two measured slower than one on a busy
 * 2-core machine (every step waits for both threads: bench/parallel-epoch.ts).
 * An error for the user when the variable or setting is not 1 or 2.
 */
export function requestedThreads(setting?: number | null): number {
  const env = process.env.LAYERLAB_THREADS?.trim();
  if (env) {
    if (env !== '1' && env !== '2') throw new TrainingSetupError(`LAYERLAB_THREADS=${env} is not a thread count; use 1 or 2`);
    return Number(env);
  }
  if (setting != null) {
    if (setting !== 1 && setting !== 2) throw new TrainingSetupError(`Training runs on 1 or 2 threads, not ${setting}`);
    return setting;
  }
  return 1;
}

// Under tsx (tests, the CLI from source) the helper loads its TypeScript through tsx's module hooks, registered in the thread.
const TSX_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then(({ register }) => { register(); return import(workerData.entry); });
`;

interface WorkerEntry {
  /** A file to run, or the bootstrap's code. */
  code: string;
  eval: boolean;
  extra: Record<string, string>;
}

/** Where the helper thread's code is: the TypeScript source under tsx, or the built parallel-worker.js beside the bundle; null when neither is there. */
function workerEntry(): WorkerEntry | null {
  let here: string;
  try {
    here = dirname(fileURLToPath(import.meta.url));
  } catch {
    // A bundle that defines no import.meta.url: no way to find the helper's file.
    return null;
  }
  if (import.meta.url.endsWith('.ts')) {
    const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
    return { code: TSX_BOOTSTRAP, eval: true, extra: { tsxApi, entry: pathToFileURL(join(here, 'worker.ts')).href } };
  }
  const built = join(here, 'parallel-worker.js');
  return existsSync(built) ? { code: built, eval: false, extra: {} } : null;
}

/**
 * How many threads training this model will use when `requested` are asked for:
 * 2 only for a model every layer of which works image by image, on the wasm
 * backend, with batches of two images or more and the helper's code at hand; 1 otherwise.
 */
export function parallelThreads(model: tf.LayersModel, requested: number, batchSize: number, backend = tf.getBackend()): number {
  if (requested < 2 || batchSize < 2 || backend !== 'wasm') return 1;
  if (!(model instanceof tf.Sequential)) return 1;
  if (!model.layers.every((l) => PER_IMAGE_LAYERS.has(l.getClassName()))) return 1;
  if (model.weights.length !== model.trainableWeights.length) return 1;
  return workerEntry() ? 2 : 1;
}

/**
 * The helper's share of every batch. Not a half: the main thread also adds the
 * two gradients, takes the optimizer step, broadcasts the weights and runs the
 * validation pass, and a step costs about as much in tfjs's per-operation
 * overhead for 16 images as for 32. Per-thread CPU seconds per epoch of
 * seed-model-3 (a busy 2-core machine, /proc/self/task): 32/32 images gave
 * main 3.72 s and helper 2.59 s; 16/48 gave 2.93 s and 2.72 s (one thread: 3.83 s).
 */
const HELPER_SHARE = 0.75;

/** The helper's part of a batch of n images (the main thread keeps at least one). */
function helperRows(n: number): number {
  return Math.min(n - 1, Math.round(n * HELPER_SHARE));
}

export interface ParallelStep {
  /** The loss minimised over the whole batch (the two halves' losses weighted by their images). */
  loss: number;
  correct: number;
}

/** The helper thread and the shared memory of one training run. Start it with startDataParallel; close it when training ends. */
export class DataParallel {
  private jobs = 0;
  private readonly own: Float32Array;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly views: SharedViews,
    private readonly sizes: LayoutSizes,
    private readonly model: tf.LayersModel,
    private readonly variables: tf.Variable[],
    private readonly shape: number[],
  ) {
    this.own = new Float32Array(parameterCount(sizes));
  }

  static async start(model: tf.LayersModel, batchSize: number): Promise<DataParallel> {
    const entry = workerEntry();
    if (!entry)
      throw new TrainingSetupError('Two-thread training needs parallel-worker.js beside the trainer, and it is missing; train on one thread');
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const shape = model.inputs[0].shape.slice(1) as number[];
    const sizes: LayoutSizes = {
      variableSizes: variables.map((v) => v.size),
      maxRows: helperRows(batchSize),
      pixels: shape.reduce((a, b) => a * b, 1),
      classes: classCount(model),
    };
    const views = allocateShared(sizes);
    const input: WorkerInput = { buffer: views.buffer, sizes, topology: model.toJSON(null, false) as object, shape };
    const worker = new Worker(entry.code, { eval: entry.eval, workerData: { ...entry.extra, ...input }, execArgv: [] });
    await new Promise<void>((ready, fail) => {
      const failed = (message: string) => {
        void worker.terminate();
        fail(new TrainingSetupError(`The second training thread could not start: ${message}`));
      };
      worker.once('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? ready() : failed(m.message ?? 'no reason given')));
      worker.once('error', (e) => failed(e.message));
      worker.once('exit', (code) => failed(`it exited (code ${code})`));
    });
    worker.removeAllListeners('exit');
    worker.removeAllListeners('error');
    // A crash later surfaces as a step that fails; nothing else to report here.
    worker.on('error', () => undefined);
    return new DataParallel(worker, views, sizes, model, variables, shape);
  }

  /**
   * One training step over the first `n` images of `x` (one-hot labels in `y`):
   * both threads' gradients, their weighted sum applied by `optimizer` to the
   * model. Synchronous: the main thread waits for the helper in Atomics.wait.
   */
  step(forward: Forward, optimizer: tf.Optimizer, x: Float32Array, y: Float32Array, n: number): ParallelStep {
    if (this.closed) throw new Error('DataParallel.step after close');
    const { views, sizes } = this;
    const theirs = Math.min(sizes.maxRows, helperRows(n));
    const mine = n - theirs;
    if (theirs > 0) {
      // The weights as they are now (a resume or a restored best epoch may have changed them since the last step).
      this.variables.forEach((v, i) => views.weights.set(v.dataSync() as Float32Array, views.offsets[i]));
      views.x.set(x.subarray(mine * sizes.pixels, n * sizes.pixels));
      views.y.set(y.subarray(mine * sizes.classes, n * sizes.classes));
      Atomics.store(views.ctrl, CTRL.rows, theirs);
      Atomics.store(views.ctrl, CTRL.kind, JOB_STEP);
      this.jobs++;
      Atomics.store(views.ctrl, CTRL.job, this.jobs);
      Atomics.notify(views.ctrl, CTRL.job);
    }
    const own: HalfStepResult = halfStep(this.model, forward, this.variables, this.shape, x, y, mine, this.own, views.offsets);
    let loss = own.loss;
    let correct = own.correct;
    const grads = this.own;
    if (theirs > 0) {
      this.waitForHelper();
      const a = mine / n;
      const b = theirs / n;
      const other = views.grads;
      for (let i = 0; i < grads.length; i++) grads[i] = a * grads[i] + b * other[i];
      loss = a * own.loss + b * views.loss[0];
      correct += Atomics.load(views.ctrl, CTRL.correct);
    }
    const named: tf.NamedTensorMap = {};
    this.variables.forEach((v, i) => (named[v.name] = tf.tensor(grads.subarray(views.offsets[i], views.offsets[i] + v.size), v.shape, 'float32')));
    try {
      optimizer.applyGradients(named);
    } finally {
      tf.dispose(Object.values(named));
    }
    return { loss, correct };
  }

  private waitForHelper(): void {
    const { ctrl } = this.views;
    const started = performance.now();
    while (Atomics.load(ctrl, CTRL.done) !== this.jobs) {
      if (Atomics.wait(ctrl, CTRL.done, Atomics.load(ctrl, CTRL.done), 1000) === 'timed-out' && performance.now() - started > STEP_TIMEOUT_MS) {
        throw new Error('The second training thread stopped answering; train on one thread (LAYERLAB_THREADS=1)');
      }
    }
    if (Atomics.load(ctrl, CTRL.status) !== 0) throw new Error(`The second training thread failed: ${readError(this.views)}`);
  }

  /** Ends the helper thread. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { ctrl } = this.views;
    Atomics.store(ctrl, CTRL.kind, JOB_QUIT);
    Atomics.store(ctrl, CTRL.job, ++this.jobs);
    Atomics.notify(ctrl, CTRL.job);
    await this.worker.terminate();
  }
}
