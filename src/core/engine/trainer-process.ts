/**
 * Entry of the trainer process: one run (or one evaluation of a saved model), then exit. Started with
 * child_process.fork (CLI, browser mode, tests) or as an Electron
 * utilityProcess (desktop); it talks the messages of ./protocol either way.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { datasetFilesOf, datasetInfoOf, loadDatasetRef } from '../data/dataset-load';
import { loadFashionMnistSet, splitTrainValidation } from '../data/fashion-mnist';
import type { DatasetMeta } from '../data/types';
import type { ModelSpec } from '../../shared/model/model-spec';
import { checkModelForDataset, fitTargetOf } from '../../shared/model/dataset-fit';
import { summarizeModel } from '../../shared/model/model-math';
import { selectBackend } from './backend';
import { buildModel, disposeOptimizer, makeOptimizer } from './build-model';
import { checkCheckpointFits, readCheckpoint, writeCheckpoint } from './checkpoint';
import { failureMessage, TrainingSetupError } from './errors';
import { loadSavedModel, predictProbabilities } from './evaluate';
import type { EvaluateJob, FromTrainer, ToTrainer, TrainJob } from './protocol';
import { saveModel } from './save-model';
import { parallelThreads, requestedThreads } from './parallel/data-parallel';
import { collectProvenance } from './provenance';
import { denseKernelsApply, kernelChoice, KERNELS_NAME } from './kernels/dense-step';
import { type StopRequest, train } from './train';
import { installWasmConvFilterGrad } from './wasm-conv-grad';
import { installWasmMatMulFix } from './wasm-matmul';

/** Batch messages per epoch: enough for a smooth loss curve, few enough to keep the database small. */
const BATCH_SAMPLES = 50;

/**
 * How long the last message may wait for the main side's 'ack' before the
 * trainer exits anyway: a main side that stopped answering must not keep it alive.
 */
const ACK_TIMEOUT_MS = 5_000;

interface Port {
  /** Resolves once the message has left this process (as far as the transport can tell). */
  post(message: FromTrainer): Promise<void>;
  onMessage(listener: (message: ToTrainer) => void): void;
}

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

function connect(): Port | null {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      post: async (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as ToTrainer)),
    };
  }
  const send = process.send?.bind(process);
  if (send) {
    return {
      post: (message) =>
        new Promise<void>((resolve) => {
          if (!process.connected) return resolve();
          // The callback fires once the message is written to the IPC channel.
          send(message, undefined, undefined, () => resolve());
        }),
      onMessage: (listener) => process.on('message', (m) => listener(m as ToTrainer)),
    };
  }
  return null;
}

function cpuDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model?.trim() ?? 'unknown CPU'} × ${cpus.length}`;
}

interface JobHooks {
  /** Whether the main side asked to cancel or pause (cancel wins). */
  stopRequest(): StopRequest;
  /** Called with the backend once TensorFlow.js starts building and training the model. */
  inTensorflow(backend: string): void;
}

interface JobEnd {
  status: 'completed' | 'cancelled' | 'paused';
  stopReason: string | null;
}

/** That the network fits the dataset's images and classes: a TrainingSetupError saying what is wrong and what to change otherwise. */
function checkModelFits(spec: ModelSpec, meta: DatasetMeta): void {
  const [problem] = checkModelForDataset(spec, fitTargetOf(meta)).problems;
  if (!problem) return;
  // "…; use the input shape (32, 32, 3)": the change the editor's Fix button makes, in words.
  const fix = problem.fix ? `; ${problem.fix.label.charAt(0).toLowerCase()}${problem.fix.label.slice(1)}` : '';
  throw new TrainingSetupError(`The model cannot be trained: ${problem.message}${fix}`);
}

async function runJob(job: TrainJob, port: Port, hooks: JobHooks): Promise<JobEnd> {
  const ref = job.dataset ?? null;
  // Without a dataset, Fashion-MNIST: the model is checked before anything loads, as it always was.
  if (ref === null) {
    const problems = summarizeModel(job.model).problems;
    if (problems.length > 0) throw new TrainingSetupError(`The model cannot be trained: ${problems[0].message}`);
  }

  // The backend starts (wasm compiles) while the data loads: both wait mostly on other threads. The model is
  // built once the data says it fits (a named dataset's shape and classes are known only then).
  const loading = loadDatasetRef(ref, job.datasetFolder).then((loaded) => {
    if (ref !== null) checkModelFits(job.model, loaded.meta);
    return loaded;
  });
  const [{ backend, versions, model }, dataset] = await Promise.all([
    selectBackendForJob().then(async (selected) => {
      hooks.inTensorflow(selected.backend);
      if (ref !== null) await loading;
      return { ...selected, model: buildModel(job.model, job.config.seed) };
    }),
    loading,
  ]);
  const data = splitTrainValidation(dataset.train, job.config);
  const batches = Math.ceil(data.train.count / job.config.batchSize);
  const checkpointPath = job.checkpointPath ?? null;
  if (job.resume && !checkpointPath) throw new TrainingSetupError('The run cannot be resumed: it has no checkpoint file');
  // Read and checked before 'started': a checkpoint that cannot be resumed fails the run before anything is reported.
  const resumeFrom = job.resume && checkpointPath ? await readCheckpoint(checkpointPath) : undefined;
  if (resumeFrom) checkCheckpointFits(resumeFrom, model, job.config, data.train.count);

  // Built here (not by train) so that the provenance records the optimizer as built.
  const optimizer = makeOptimizer(job.config);
  try {
    const datasetFiles = datasetFilesOf(ref, job.datasetFolder);
    // Dense models train their steps on Layerlab's own SIMD kernels (kernels/dense-step.ts) unless LAYERLAB_KERNELS=tfjs. There
    // both cores work by default: each step measures whether two threads beat one and takes the faster, the figures the same bit
    // for bit (LAYERLAB_THREADS=1 keeps one). Other models train on one thread unless LAYERLAB_THREADS=2 asks for the
    // data-parallel tfjs path (parallel/data-parallel.ts; slower on a busy 2-core machine). The record says which.
    const simd = await denseKernelsApply(model, kernelChoice());
    const asked = process.env.LAYERLAB_THREADS?.trim() ? requestedThreads() : null;
    const threads = simd ? (asked ?? 2) : parallelThreads(model, asked ?? 1, job.config.batchSize, backend);
    const provenance = await collectProvenance({ job, model, optimizer, backend, datasetFiles, threads: threads > 1 ? threads : undefined });

    // Every message goes out in order; `sent` resolves once the latest (and so every earlier one) has left.
    let sent: Promise<void> = Promise.resolve();
    const send = (message: FromTrainer): Promise<void> => (sent = port.post(message));

    void send({
      type: 'started',
      environment: {
        backend,
        versions: simd
          ? { ...versions, [KERNELS_NAME]: threads > 1 ? 'wasm simd128, 2 threads (one where that is faster)' : 'wasm simd128, 1 thread' }
          : versions,
        host: os.hostname(),
        platform: `${process.platform}-${process.arch}`,
        cpus: cpuDescription(),
      },
      // What the run trained on: id, name, content hash, image shape and class names, and the counts of its split.
      dataset: datasetInfoOf(dataset.meta, data.train.count, data.validation.count, ref?.folder ?? job.datasetFolder),
      batchesPerEpoch: batches,
      provenance,
    });
    if (resumeFrom) void send({ type: 'resuming', position: resumeFrom.position });

    const every = Math.ceil(batches / BATCH_SAMPLES);
    const result = await train({
      model,
      config: job.config,
      data,
      test: dataset.test,
      optimizer,
      threads,
      shouldStop: hooks.stopRequest,
      resumeFrom,
      checkpoint: checkpointPath
        ? async (state, reason) => {
            // The messages of what the checkpoint holds (the epoch just ended) leave first: a crash in
            // between loses at most a checkpoint, whose epoch is then trained again on resume.
            await sent;
            try {
              await writeCheckpoint(checkpointPath, state);
            } catch (error) {
              const why = error instanceof Error ? error.message : String(error);
              if (reason === 'pause')
                throw new TrainingSetupError(`The run could not be paused: its checkpoint could not be written to ${checkpointPath} (${why})`);
              // An epoch's checkpoint only makes a later resume possible: the run goes on without it (no 'checkpoint' message).
              process.stderr.write(`Run ${job.runId}: the checkpoint could not be written to ${checkpointPath}: ${why}\n`);
              return;
            }
            await send({ type: 'checkpoint', position: state.position, path: checkpointPath });
          }
        : undefined,
      onBatch: ({ epoch, batch, batches: total, loss, batchLoss }) => {
        if (batch % every === 0 || batch === total) {
          void send({ type: 'batch', epoch, batch, batches: total, loss: batchLoss, meanLoss: loss });
        }
      },
      onBaseline: (metrics) => void send({ type: 'baseline', metrics }),
      onLayerStats: (stats) => void send({ type: 'layer-stats', stats }),
      onEpoch: (metrics) => void send({ type: 'epoch', metrics }),
    });
    const weights = result.weights;
    if (result.test) void send({ type: 'test', loss: result.test.loss, accuracy: result.test.accuracy, weights });
    if (result.status === 'completed' && job.modelDir) {
      // A model that cannot be saved costs the export, not the run: its metrics are already recorded.
      try {
        const path = await saveModel(model, job.modelDir);
        await send({ type: 'model-saved', path, weights });
      } catch (error) {
        process.stderr.write(
          `Run ${job.runId}: the trained model could not be saved to ${job.modelDir}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      }
    }
    return { status: result.status, stopReason: result.stopReason };
  } finally {
    disposeOptimizer(optimizer);
  }
}

async function selectBackendForJob(): Promise<Awaited<ReturnType<typeof selectBackend>>> {
  const selected = await selectBackend();
  if (selected.backend === 'wasm') {
    installWasmMatMulFix();
    // Without it a Conv2D layer cannot learn on wasm (tfjs has no such kernel there).
    installWasmConvFilterGrad();
  }
  return selected;
}

/** A saved model over one split: the labels and the probabilities, for the main side to summarise and cache. */
async function runEvaluation(job: EvaluateJob, hooks: JobHooks): Promise<FromTrainer> {
  const began = performance.now();
  const ref = job.dataset ?? null;
  // Fashion-MNIST: only the file the split is in. Either way read while the backend starts and the model loads.
  const split = (train: Parameters<typeof splitTrainValidation>[0]) => splitTrainValidation(train, job).validation;
  const [{ backend, model }, set] = await Promise.all([
    selectBackendForJob().then(async (selected) => {
      hooks.inTensorflow(selected.backend);
      return { ...selected, model: await loadSavedModel(job.runId, job.modelDir) };
    }),
    ref === null
      ? job.split === 'test'
        ? loadFashionMnistSet(job.datasetFolder, 'test')
        : loadFashionMnistSet(job.datasetFolder, 'train').then(split)
      : loadDatasetRef(ref, job.datasetFolder).then((loaded) => (job.split === 'test' ? loaded.test : split(loaded.train))),
  ]);
  const probabilities = await predictProbabilities(model, set);
  model.dispose();
  return {
    type: 'evaluated',
    count: set.count,
    backend,
    labelsBase64: Buffer.from(set.labels.buffer, set.labels.byteOffset, set.labels.byteLength).toString('base64'),
    probabilitiesBase64: Buffer.from(probabilities.buffer, probabilities.byteOffset, probabilities.byteLength).toString('base64'),
    seconds: (performance.now() - began) / 1000,
  };
}

/** The most memory this process has held (resident set), in bytes. */
function peakRssBytes(): number {
  // maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS * 1024;
}

/** How often the trainer looks whether its parent is still there. */
const PARENT_CHECK_MS = 100;

// Runs on a thread of its own, so it keeps looking while the main thread is busy in a training step.
const PARENT_WATCH = `
const { workerData } = require('node:worker_threads');
const { parent, self, every } = workerData;
const gone = () => {
  if (process.ppid !== parent) return true;
  try { process.kill(parent, 0); return false; } catch (e) { return e.code !== 'EPERM'; }
};
setInterval(() => { if (gone()) process.kill(self, 'SIGKILL'); }, every);
`;

/**
 * The trainer dies with its parent, at once: when the app or CLI that started it is
 * killed, nobody records what it trains, and a trainer left running would keep a
 * crashed run looking alive. Its parent's PID changing (reparented) or vanishing
 * is the sign; the IPC channel closing is another (see main).
 */
function watchParent(): void {
  const parent = process.ppid;
  try {
    const watcher = new Worker(PARENT_WATCH, { eval: true, workerData: { parent, self: process.pid, every: PARENT_CHECK_MS } });
    watcher.unref();
    watcher.on('error', () => watchParentHere(parent));
  } catch {
    watchParentHere(parent);
  }
}

/** Where no thread can be started: the same check between training steps (train yields to the event loop). */
function watchParentHere(parent: number): void {
  setInterval(() => {
    let gone = process.ppid !== parent;
    if (!gone) {
      try {
        process.kill(parent, 0);
      } catch (e) {
        gone = (e as NodeJS.ErrnoException).code !== 'EPERM';
      }
    }
    if (gone) process.kill(process.pid, 'SIGKILL');
  }, PARENT_CHECK_MS).unref();
}

function main(): void {
  const port = connect();
  if (!port) {
    process.stderr.write('The trainer process is started by Layerlab (child_process.fork or utilityProcess), not by hand.\n');
    process.exit(2);
  }

  let started = false;
  let cancelRequested = false;
  let pauseRequested = false;
  let ending = false;
  let backend: string | null = null;
  let acknowledge = () => {};
  const acknowledged = new Promise<void>((resolve) => (acknowledge = resolve));

  // Every way out goes through here once: post the last message, wait until the main side has it, exit 0.
  const end = async (last: FromTrainer) => {
    if (ending) return;
    ending = true;
    await port.post(last);
    await Promise.race([acknowledged, new Promise((r) => setTimeout(r, ACK_TIMEOUT_MS))]);
    process.exit(0);
  };
  const fail = (error: unknown) => {
    const message = failureMessage(error, backend);
    // The user reads the message; the stack is for whoever reads the log.
    if (error instanceof Error && error.message !== message) process.stderr.write(`Training failed: ${error.stack ?? error.message}\n`);
    void end({ type: 'failed', message });
  };

  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  // The main side went away (crashed or was killed): nobody is listening, stop training.
  process.on('disconnect', () => process.exit(0));
  watchParent();
  // Ctrl+C in a terminal reaches the whole process group; the parent decides (it sends 'cancel').
  process.on('SIGINT', () => {});

  const hooks: JobHooks = {
    stopRequest: () => (cancelRequested ? 'cancel' : pauseRequested ? 'pause' : false),
    inTensorflow: (name) => (backend = name),
  };

  port.onMessage((message) => {
    if (message.type === 'ack') {
      if (ending) acknowledge();
      return;
    }
    if (message.type === 'cancel') {
      cancelRequested = true;
      if (!started) void end({ type: 'finished', status: 'cancelled', peakRssBytes: peakRssBytes() });
      return;
    }
    if (message.type === 'pause') {
      // Before the first batch there is nothing to save yet: training pauses at its first batch boundary.
      pauseRequested = true;
      return;
    }
    if (message.type === 'start' && !started) {
      started = true;
      // stopReason only when early stopping ended the run: 'finished' stays as it was for every other run.
      runJob(message.job, port, hooks).then(
        ({ status, stopReason }) => end({ type: 'finished', status, ...(stopReason ? { stopReason } : {}), peakRssBytes: peakRssBytes() }),
        fail,
      );
    }
    if (message.type === 'evaluate' && !started) {
      started = true;
      runEvaluation(message.job, hooks).then(end, fail);
    }
  });
}

main();
