import * as tf from '@tensorflow/tfjs';
import { PIXEL_SCALE, pixelCount } from '../data/pixels';
import type { ImageSet, TrainValidationSplit } from '../data/types';
import type { EpochMetrics, LayerStat } from '../../shared/contract/runs';
import type { TrainingConfig } from '../../shared/model/training-config';
import { isFastAdam } from './adam';
import { disposeOptimizer, dropoutCalls, makeOptimizer, restoreDropoutCalls } from './build-model';
import { type CheckpointState, checkCheckpointFits, type EpochProgress, tensorData, toTensor } from './checkpoint';
import { BestWeights, EarlyStopper, stopReasonText } from './early-stopping';
import { TrainingDivergedError, TrainingSetupError } from './errors';
import { argMax, checkClasses, evaluate, type Evaluation, forwardPass, sampleShape, trainingLoss } from './forward';
import { DataParallel, parallelThreads } from './parallel/data-parallel';
import { chooseProbe, LayerProbe } from './probe';
import { epochOrder } from './shuffle';
import { DenseKernels, kernelChoice, type KernelChoice, KERNELS_NAME } from './kernels/dense-step';

export { evaluate, type Evaluation } from './forward';

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
  /** Evaluated once after the last epoch, only if training completed (with the best epoch's weights when they were restored). */
  test?: ImageSet;
  onBatch?(info: BatchInfo): void;
  onEpoch?(metrics: EpochMetrics): void;
  /** The epoch-0 evaluation, before the first step and before the first onBatch. */
  onBaseline?(metrics: EpochMetrics): void;
  /** The layer signals of one probe: at epoch 0, after every epoch (before its onEpoch), and every config.probeEveryBatches batches. */
  onLayerStats?(stats: LayerStat[]): void;
  /**
   * Measure the epoch-0 baseline and the layer signals (default true). Off, no
   * probe runs at all: benchmarks measure what the probes cost with it.
   */
  probes?: boolean;
  /**
   * Asked before every batch (at a batch boundary). true or 'cancel' ends training with
   * status 'cancelled'; 'pause' hands `checkpoint` the state at that point (epoch, batches
   * done) and ends with status 'paused'.
   */
  shouldStop?(): boolean | StopRequest;
  /**
   * Called with a checkpoint at every epoch's end (after the epoch's validation, probe,
   * onEpoch and early-stopping update; position {epoch: e + 1, batch: 0}) and on pause;
   * training waits for it; `reason` says which. Without it a pause is refused.
   */
  checkpoint?(state: CheckpointState, reason: 'epoch' | 'pause'): Promise<void>;
  /**
   * Continue the run a checkpoint holds (see readCheckpoint) with the model and config it
   * was written for: no baseline (it was recorded), every weight, the optimizer, the
   * Dropout masks' counters, early stopping and the unfinished epoch's sums restored, so
   * the figures are those of a run that never stopped.
   */
  resumeFrom?: CheckpointState;
  /** Give the event loop a turn every this many batches (default 1), so a cancel message can arrive. */
  yieldEvery?: number;
  /**
   * The optimizer to train with; by default a new one of the kind `config` names.
   * One handed in stays the caller's (its state carries on, the caller disposes it);
   * benchmarks compare optimizers through this.
   */
  optimizer?: tf.Optimizer;
  /**
   * Threads to train on. A model Layerlab's kernels take (see `kernels`) trains on two
   * unless this says 1. Other models: default 1, today's single-threaded path; 2 trains
   * data-parallel when the model and backend allow it (parallel/data-parallel.ts
   * says which and how). TrainResult.threads tells how many were used.
   */
  threads?: number;
  /**
   * 'auto' (default): a model of Dense layers on the wasm or cpu backend trains its steps on
   * Layerlab's own two-thread SIMD kernels (kernels/dense-step.ts); 'tfjs' keeps every step on
   * tfjs. LAYERLAB_KERNELS overrides it. TrainResult.kernels says which trained.
   */
  kernels?: KernelChoice;
}

/** What shouldStop may ask for besides going on (false). */
export type StopRequest = false | 'cancel' | 'pause';

export interface TrainResult {
  status: 'completed' | 'cancelled' | 'paused';
  /** Every epoch of the run, those a resumed run's checkpoint holds first. */
  epochs: EpochMetrics[];
  test?: Evaluation;
  /** Epoch 0: loss and accuracy on the probe batch and on the validation split before the first step; null with probes off or when resumed. */
  baseline: EpochMetrics | null;
  /** Why a completed run trained fewer epochs than planned ("stopped early at epoch 9 (best 6)"); null when it did not. */
  stopReason: string | null;
  /** Which weights the model holds (and the test figures are of): the last epoch's, or the best epoch's restored by early stopping. */
  weights: 'final' | 'best';
  /** The best epoch by early stopping's monitor; null without early stopping. */
  bestEpoch: number | null;
  /** The threads that trained (1, or 2 when data-parallel or on Layerlab's kernels). */
  threads: number;
  /** Whose kernels computed the training steps. */
  kernels: 'tfjs' | typeof KERNELS_NAME;
}

/** CPU seconds (user and system) this process has used so far. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

const NO_PROGRESS: EpochProgress = { lossSum: 0, correct: 0, seen: 0, seconds: 0, cpuSeconds: 0 };

function divergedError(epoch: number, batch: number, batches: number, loss: number, lr: number): Error {
  const what = Number.isNaN(loss) ? 'NaN' : 'Infinity';
  return new TrainingDivergedError(
    `Training diverged at epoch ${epoch} (batch ${batch} of ${batches}): the loss became ${what}. ` +
      `The learning rate (${lr}) is too high for this model and optimizer; lower it and train again.`,
  );
}

/**
 * Trains a compiled-or-not tfjs model the way Keras's fit would (categorical
 * cross-entropy, running-mean metrics, validation after each epoch, Keras's
 * EarlyStopping when the config asks for it), but with a seeded shuffle,
 * per-batch progress, cancellation between batches, a clear error when the
 * loss blows up, and the layer signals of a fixed probe batch before training
 * and after every epoch. Model weights are the caller's; every other tensor
 * made here is freed before returning or throwing.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { model, config, data } = opts;
  const yieldEvery = Math.max(1, Math.floor(opts.yieldEvery ?? 1));
  const set = data.train;
  const shape = sampleShape(model, set);
  // One output unit per class: the one-hot labels are as wide as the model's output.
  const classes = checkClasses(model, opts.test ? [set, data.validation, opts.test] : [set, data.validation]);
  const pixels = pixelCount(set);
  const images = set.images;
  const batchSize = config.batchSize;
  const batches = Math.ceil(set.count / batchSize);
  if (batches === 0) {
    throw new TrainingSetupError('There are no training images left after the validation split; raise the limit or lower the validation split');
  }
  const stopping = config.earlyStopping ?? null;
  if (stopping && data.validation.count === 0) {
    throw new TrainingSetupError(
      `Early stopping watches ${stopping.monitor} on the validation images, but this run holds none out; set a validation split above 0 or turn early stopping off`,
    );
  }
  const probes = opts.probes !== false;
  const probeEvery = probes && config.probeEveryBatches ? Math.max(1, Math.floor(config.probeEveryBatches)) : null;

  // One buffer each for a batch of images and labels, refilled every batch.
  const xBuffer = new Float32Array(batchSize * pixels);
  const yBuffer = new Float32Array(batchSize * classes);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const forward = forwardPass(model);
  const optimizer = opts.optimizer ?? makeOptimizer(config);
  const ownsOptimizer = opts.optimizer === undefined;
  const epochs: EpochMetrics[] = [];
  const stopper = stopping ? new EarlyStopper(stopping) : null;
  const best = stopping?.restoreBest ? new BestWeights(model) : null;
  let probe: LayerProbe | null = null;
  let baseline: EpochMetrics | null = null;
  let stopReason: string | null = null;
  let weights: TrainResult['weights'] = 'final';
  // A model with no layer the probe watches (not one the model builder makes) reports no rows at all.
  const report = (stats: LayerStat[]) => {
    if (stats.length > 0) opts.onLayerStats?.(stats);
  };
  const resume = opts.resumeFrom ?? null;
  let stopped = false;
  const kernels = kernelChoice(opts.kernels);
  const threads = parallelThreads(model, opts.threads ?? 1, batchSize);
  let helper: DataParallel | null = null;
  let dense: DenseKernels | null = null;
  // Everything a checkpoint holds, read out of the model, the optimizer and the stopper now.
  const capture = async (position: CheckpointState['position'], progress: EpochProgress): Promise<CheckpointState> => {
    const weights = await Promise.all(model.weights.map((w) => tensorData(w.originalName, w.read())));
    const named = await optimizer.getWeights();
    let optimizerWeights;
    try {
      optimizerWeights = await Promise.all(named.map((n) => tensorData(n.name, n.tensor)));
    } finally {
      // tfjs's optimizers hand out their own variables (kept), FastAdam and the iteration count new tensors (freed).
      for (const n of named) if (!(n.tensor instanceof tf.Variable)) n.tensor.dispose();
    }
    return {
      position,
      epochs: epochs.slice(),
      progress,
      stopped,
      stopReason,
      stopper: stopper?.state() ?? null,
      dropoutCalls: dropoutCalls(model),
      optimizer: config.optimizer,
      seed: config.seed,
      batchSize,
      trainCount: set.count,
      adamAccumulators: isFastAdam(optimizer) ? optimizer.accumulators : null,
      weights,
      optimizerWeights,
      best: (await best?.save()) ?? null,
    };
  };
  const result = (status: TrainResult['status']): TrainResult => ({
    status,
    epochs,
    baseline,
    stopReason,
    weights,
    bestEpoch: stopper?.bestEpoch ?? null,
    threads: dense?.threads ?? threads,
    kernels: dense ? KERNELS_NAME : 'tfjs',
  });

  try {
    if (resume) {
      checkCheckpointFits(resume, model, config, set.count);
      if (resume.position.batch >= batches) {
        throw new TrainingSetupError(
          `The checkpoint is damaged: its position (batch ${resume.position.batch}) is past the epoch's ${batches} batches`,
        );
      }
      if (!stopper !== !resume.stopper || !best !== !resume.best) {
        throw new TrainingSetupError('The checkpoint was written by a run with other early-stopping settings; it cannot be resumed with these');
      }
      model.weights.forEach((w, i) => {
        const value = toTensor(resume.weights[i]);
        // write() shares the tensor's data with the variable: freeing it here leaves the variable's copy.
        w.write(value);
        value.dispose();
      });
      const named = resume.optimizerWeights.map((t) => ({ name: t.name, tensor: toTensor(t) }));
      try {
        await optimizer.setWeights(named);
      } finally {
        tf.dispose(named.map((n) => n.tensor));
      }
      if (isFastAdam(optimizer) && resume.adamAccumulators) optimizer.restoreAccumulators(resume.adamAccumulators);
      restoreDropoutCalls(model, resume.dropoutCalls);
      if (stopper && resume.stopper) stopper.restore(resume.stopper);
      if (best && resume.best) best.load(resume.best);
      epochs.push(...resume.epochs);
      stopReason = resume.stopReason;
      stopped = resume.stopped;
      if (probes) probe = new LayerProbe(model, chooseProbe(set, config.seed));
    } else if (probes) {
      const probeImages = chooseProbe(set, config.seed);
      const onProbe = await evaluate(model, probeImages);
      const validation = data.validation.count > 0 ? await evaluate(model, data.validation) : null;
      baseline = {
        epoch: 0,
        loss: onProbe.loss,
        accuracy: onProbe.accuracy,
        valLoss: validation?.loss ?? null,
        valAccuracy: validation?.accuracy ?? null,
        seconds: 0,
      };
      opts.onBaseline?.(baseline);
      probe = new LayerProbe(model, probeImages);
      report(await probe.measure(0, null));
    }

    // Layerlab's kernels where they take the model (null where not), else data-parallel when asked for.
    if (kernels === 'auto') dense = await DenseKernels.start(model, batchSize, opts.threads === 1 ? 1 : 2, optimizer);
    if (!dense && threads > 1) helper = await DataParallel.start(model, batchSize);
    const first = resume?.position ?? { epoch: 1, batch: 0 };
    for (let epoch = first.epoch; !stopped && epoch <= config.epochs; epoch++) {
      const started = performance.now();
      const cpuStarted = cpuSeconds();
      const order = epochOrder(set.count, config.seed, epoch);
      // A resumed epoch goes on from its sums so far; its time adds up over the processes that trained it.
      const before = resume && epoch === first.epoch ? resume.progress : NO_PROGRESS;
      let { lossSum, correct, seen } = before;
      const seconds = () => before.seconds + (performance.now() - started) / 1000;
      const cpu = () => before.cpuSeconds + cpuSeconds() - cpuStarted;

      for (let b = epoch === first.epoch ? first.batch : 0; b < batches; b++) {
        if (b % yieldEvery === 0) await new Promise((r) => setImmediate(r));
        const request = opts.shouldStop?.();
        // Layerlab's kernels may keep the weights and Adam's moments to themselves between batches: hand them back first.
        if (request) dense?.settle();
        if (request === true || request === 'cancel') return result('cancelled');
        if (request === 'pause') {
          if (!opts.checkpoint) throw new TrainingSetupError('This run cannot be paused: the trainer was given no checkpoint file to write');
          await opts.checkpoint(await capture({ epoch, batch: b }, { lossSum, correct, seen, seconds: seconds(), cpuSeconds: cpu() }), 'pause');
          return result('paused');
        }

        const number = b + 1;
        // The epoch's last batch is probed at the end of the epoch, not here as well.
        const batchProbe = probeEvery !== null && number % probeEvery === 0 && number !== batches;
        // The update ratio a probe reports is that of the step just before it.
        if (probe && (batchProbe || number === batches)) {
          dense?.settle();
          probe.snapshotKernels();
        }

        const from = b * batchSize;
        const n = Math.min(batchSize, set.count - from);
        yBuffer.fill(0, 0, n * classes);
        for (let i = 0; i < n; i++) {
          const index = order[from + i];
          // Bytes to [0, 1] here, a batch at a time: the sets stay bytes (a quarter of the memory).
          const source = index * pixels;
          const target = i * pixels;
          for (let k = 0; k < pixels; k++) xBuffer[target + k] = images[source + k] * PIXEL_SCALE;
          yBuffer[i * classes + set.labels[index]] = 1;
        }
        if (helper || dense) {
          // Half the batch on each thread, one optimizer step here (see parallel/data-parallel.ts), or Layerlab's kernels (kernels/dense-step.ts).
          const step = dense ? dense.step(optimizer, xBuffer, yBuffer, n) : helper!.step(forward, optimizer, xBuffer, yBuffer, n);
          if (!Number.isFinite(step.loss)) throw divergedError(epoch, number, batches, step.loss, config.learningRate);
          correct += step.correct;
          lossSum += step.loss * n;
          seen += n;
          opts.onBatch?.({ epoch, batch: number, batches, loss: lossSum / seen, batchLoss: step.loss });
          if (probe && batchProbe) {
            dense?.settle();
            report(await probe.measure(epoch, number));
          }
          continue;
        }
        const xs = tf.tensor(xBuffer.subarray(0, n * pixels), [n, ...shape]);
        const ys = tf.tensor2d(yBuffer.subarray(0, n * classes), [n, classes]);
        let outputs: tf.Tensor | undefined;
        let lossTensor: tf.Scalar | null = null;
        try {
          lossTensor = optimizer.minimize(
            () => {
              const pass = forward(xs, true);
              // Kept past minimize's tidy: accuracy comes from this same forward pass.
              outputs = tf.keep(pass.output);
              // Keras minimises (and reports) the cross-entropy plus every layer's weight penalty.
              return trainingLoss(model, ys, pass);
            },
            true,
            variables,
          );
          const loss = (await lossTensor!.data())[0];
          if (!Number.isFinite(loss)) throw divergedError(epoch, number, batches, loss, config.learningRate);
          const p = (await outputs!.data()) as Float32Array;
          for (let i = 0; i < n; i++) if (argMax(p, i * classes, classes) === argMax(yBuffer, i * classes, classes)) correct++;
          lossSum += loss * n;
          seen += n;
          opts.onBatch?.({ epoch, batch: number, batches, loss: lossSum / seen, batchLoss: loss });
        } finally {
          xs.dispose();
          ys.dispose();
          outputs?.dispose();
          lossTensor?.dispose();
        }
        if (probe && batchProbe) report(await probe.measure(epoch, number));
      }

      dense?.settle();
      // Without gradients: on Layerlab's kernels where they train (a batch of rows at a time on both threads).
      const validation = data.validation.count === 0 ? null : dense ? await dense.evaluate(data.validation) : await evaluate(model, data.validation);
      // Part of the epoch's time: what the signals cost is visible in the figures.
      if (probe) report(await probe.measure(epoch, null));
      const metrics: EpochMetrics = {
        epoch,
        loss: lossSum / seen,
        accuracy: correct / seen,
        valLoss: validation?.loss ?? null,
        valAccuracy: validation?.accuracy ?? null,
        seconds: seconds(),
        cpuSeconds: cpu(),
      };
      epochs.push(metrics);
      opts.onEpoch?.(metrics);

      if (stopper) {
        const verdict = stopper.update(metrics);
        if (verdict.improved) best?.keep();
        if (verdict.stop) {
          // Stopping after the last planned epoch is just the end of training.
          if (epoch < config.epochs) stopReason = stopReasonText(epoch, stopper.bestEpoch);
          stopped = true;
        }
      }
      // After onEpoch: a crash before the file is renamed leaves the previous checkpoint, and the epoch is trained again.
      if (opts.checkpoint) await opts.checkpoint(await capture({ epoch: epoch + 1, batch: 0 }, NO_PROGRESS), 'epoch');
    }

    // Keras restores only when it stops early; here the best epoch's weights are kept whenever they are not the last ones.
    const last = epochs.at(-1)?.epoch ?? null;
    if (best && stopper?.bestEpoch != null && stopper.bestEpoch !== last && best.restore()) weights = 'best';
  } finally {
    try {
      // A step that threw (a diverged loss, say) leaves the model at the last step that went through.
      dense?.settle();
    } catch {
      // The error that ended training is the one to report.
    }
    await helper?.close();
    await dense?.close();
    if (ownsOptimizer) disposeOptimizer(optimizer);
    probe?.dispose();
    best?.release();
  }

  const done = result('completed');
  if (opts.test) done.test = await evaluate(model, opts.test);
  return done;
}
