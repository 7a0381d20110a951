/**
 * A run's complete record (RunProvenance): what else its numbers depended on besides
 * the network and the settings — the app's version and commit, the exact dataset
 * files, every optimizer hyperparameter and every layer's initializers as built,
 * and the machine. Collected by the trainer when training starts.
 */
import * as os from 'node:os';
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunProvenance } from '../../shared/contract/runs';
import { fileSha256 } from '../data/decoded-cache';
import type { LayerSpec, Regularizer } from '../../shared/model/model-spec';
import type { TrainingConfig } from '../../shared/model/training-config';
import type { TrainJob } from './protocol';

/** The loss every run minimises, in Keras's words (train.ts uses categorical cross-entropy on one-hot labels). */
const LOSS = 'categorical_crossentropy';

export interface ProvenanceInput {
  job: TrainJob;
  /** The model as built (buildModel): one tfjs layer per spec layer, in order. */
  model: tf.LayersModel;
  /** The optimizer as built; null to derive its hyperparameters from job.config with makeOptimizer's defaults. */
  optimizer: tf.Optimizer | null;
  /** The backend tfjs runs on (tf.getBackend()). */
  backend: string;
  /** Paths of the dataset files read (hashed as they are on disk). */
  datasetFiles: string[];
  /** The threads training will use (parallel/data-parallel.ts parallelThreads); by default the backend's own count. */
  threads?: number;
}

export async function collectProvenance(input: ProvenanceInput): Promise<RunProvenance> {
  const { job, model, optimizer, backend } = input;
  const datasetFiles: RunProvenance['datasetFiles'] = [];
  for (const path of input.datasetFiles) datasetFiles.push({ file: basename(path), sha256: await checksum(path) });
  return {
    appVersion: job.app?.version ?? 'unknown',
    gitCommit: job.app?.gitCommit ?? null,
    datasetFiles,
    optimizer: optimizer ? optimizerSettings(job.config, optimizer) : defaultOptimizerSettings(job.config),
    loss: LOSS,
    layers: job.model.layers.map((spec, index) => layerRecord(spec, index, model.layers[index] ?? null, job.config.seed)),
    machine: {
      os: `${os.type()} ${os.release()}`,
      ramBytes: os.totalmem(),
      cpus: cpuDescription(),
      threads: input.threads ?? (await threadCount(backend)),
      simd: await wasmSimd(backend),
    },
    peakRssBytes: null,
  };
}

/** The file's SHA-256 (the one its decoded cache recorded, when it is the file that was loaded). */
async function checksum(path: string): Promise<string> {
  try {
    return await fileSha256(path);
  } catch (e) {
    throw new Error(`Could not read ${path} to record its checksum: ${(e as Error).message}`);
  }
}

/** "Intel(R) Xeon(R) CPU @ 2.20GHz × 2", as the run's environment says it. */
function cpuDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model?.trim() ?? 'unknown CPU'} × ${cpus.length}`;
}

// ───────────────────────────── optimizer ─────────────────────────────

type Settings = Record<string, string | number | boolean>;

/**
 * Every hyperparameter, in Keras's names: adam β1/β2/ε (beta_1 → beta1 …), sgd momentum
 * and nesterov, rmsprop ρ (tfjs calls it decay), momentum, ε and centered, adagrad's
 * initial accumulator and ε (tfjs takes the backend's ε).
 */
function optimizerSettings(config: TrainingConfig, optimizer: tf.Optimizer): Settings {
  const c = optimizer.getConfig() as Record<string, unknown>;
  const n = (key: string, fallback: number) => (typeof c[key] === 'number' ? (c[key] as number) : fallback);
  const b = (key: string, fallback: boolean) => (typeof c[key] === 'boolean' ? (c[key] as boolean) : fallback);
  const className = optimizer.getClassName();
  const learningRate = n('learningRate', config.learningRate);
  switch (className) {
    case 'Adam':
      return { name: 'adam', className, learningRate, beta1: n('beta1', 0.9), beta2: n('beta2', 0.999), epsilon: n('epsilon', 1e-7), amsgrad: false };
    case 'SGD':
      return { name: 'sgd', className, learningRate, momentum: 0, nesterov: false };
    case 'Momentum':
      return { name: 'sgd', className, learningRate, momentum: n('momentum', config.momentum), nesterov: b('useNesterov', false) };
    case 'RMSProp':
      return {
        name: 'rmsprop',
        className,
        learningRate,
        rho: n('decay', 0.9),
        momentum: n('momentum', 0),
        epsilon: n('epsilon', backendEpsilon()),
        centered: b('centered', false),
      };
    case 'Adagrad':
      return { name: 'adagrad', className, learningRate, initialAccumulatorValue: n('initialAccumulatorValue', 0.1), epsilon: backendEpsilon() };
    default: {
      // An optimizer makeOptimizer does not build: its own config, whatever it holds.
      const settings: Settings = { name: config.optimizer, className, learningRate };
      for (const [key, value] of Object.entries(c)) {
        if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') settings[key] = value;
      }
      return settings;
    }
  }
}

/** What makeOptimizer (build-model.ts) builds for this config, without building it. */
function defaultOptimizerSettings(config: TrainingConfig): Settings {
  const learningRate = config.learningRate;
  switch (config.optimizer) {
    case 'adam':
      return { name: 'adam', className: 'Adam', learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false };
    case 'sgd':
      return config.momentum > 0
        ? { name: 'sgd', className: 'Momentum', learningRate, momentum: config.momentum, nesterov: false }
        : { name: 'sgd', className: 'SGD', learningRate, momentum: 0, nesterov: false };
    case 'rmsprop':
      return { name: 'rmsprop', className: 'RMSProp', learningRate, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false };
    case 'adagrad':
      return { name: 'adagrad', className: 'Adagrad', learningRate, initialAccumulatorValue: 0.1, epsilon: backendEpsilon() };
  }
}

/** The ε tfjs adds where an optimizer takes none (1e-7 on the float32 backends). */
function backendEpsilon(): number {
  try {
    return tf.backend().epsilon();
  } catch {
    return 1e-7;
  }
}

// ───────────────────────────── layers ─────────────────────────────

const regularizer = (r: Regularizer | null | undefined) => (r && (r.l1 !== 0 || r.l2 !== 0) ? { l1: r.l1, l2: r.l2 } : null);

/**
 * One layer as built: Keras's initializer names with the defaults written out,
 * and in `extra` everything else that decides its numbers (the layer's seed,
 * regularizer, bias, activation, BatchNormalization's settings, tfjs's own
 * serialisation of the kernel initializer).
 */
function layerRecord(spec: LayerSpec, index: number, built: tf.layers.Layer | null, seed: number): RunProvenance['layers'][number] {
  const config = (built?.getConfig() ?? {}) as Record<string, unknown>;
  const activation = typeof config.activation === 'string' ? config.activation : 'activation' in spec ? spec.activation : null;
  const type = built?.getClassName() ?? spec.type;
  const name = `${type} ${index + 1}${activation ? ` (${activation})` : ''}`;
  // buildModel seeds each layer with seed + index.
  const layerSeed = seed + index;
  switch (spec.type) {
    case 'Dense':
    case 'Conv2D': {
      const useBias = spec.useBias !== false;
      const extra: Record<string, unknown> = {
        activation: spec.activation,
        useBias,
        kernelRegularizer: regularizer(spec.kernelRegularizer),
        seed: layerSeed,
      };
      if (spec.type === 'Conv2D') Object.assign(extra, { strides: spec.strides ?? [1, 1], padding: spec.padding ?? 'valid' });
      if (config.kernelInitializer !== undefined) extra.kernelInitializerConfig = config.kernelInitializer;
      return { index, name, kernelInitializer: spec.kernelInitializer ?? 'glorot_uniform', biasInitializer: useBias ? 'zeros' : null, extra };
    }
    case 'BatchNormalization':
      return {
        index,
        name,
        kernelInitializer: null,
        biasInitializer: null,
        extra: {
          momentum: spec.momentum ?? 0.99,
          epsilon: spec.epsilon ?? 0.001,
          gammaInitializer: 'ones',
          betaInitializer: 'zeros',
          movingMeanInitializer: 'zeros',
          movingVarianceInitializer: 'ones',
        },
      };
    case 'Dropout':
      return { index, name, kernelInitializer: null, biasInitializer: null, extra: { rate: spec.rate, seed: layerSeed } };
    case 'MaxPooling2D':
      return {
        index,
        name,
        kernelInitializer: null,
        biasInitializer: null,
        extra: { poolSize: spec.poolSize, strides: spec.strides ?? spec.poolSize, padding: spec.padding ?? 'valid' },
      };
    case 'Activation':
      return { index, name, kernelInitializer: null, biasInitializer: null, extra: { activation: spec.activation } };
    case 'Reshape':
      return { index, name, kernelInitializer: null, biasInitializer: null, extra: { targetShape: spec.targetShape } };
    case 'Flatten':
      return { index, name, kernelInitializer: null, biasInitializer: null };
  }
}

// ───────────────────────────── machine ─────────────────────────────

/** Threads the backend trains with: the wasm backend's XNNPACK pool, 1 for cpu, null where unknown (tfjs-node decides itself). */
async function threadCount(backend: string): Promise<number | null> {
  if (backend === 'cpu') return 1;
  if (backend !== 'wasm') return null;
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const n = wasm.getThreadsCount();
    return Number.isInteger(n) && n > 0 ? n : 1;
  } catch {
    // Not initialised in this process: the single-threaded build (the only one tfjs runs under Node).
    return 1;
  }
}

/** Whether the wasm backend runs its SIMD build; null on the other backends. */
async function wasmSimd(backend: string): Promise<boolean | null> {
  if (backend !== 'wasm') return null;
  try {
    return Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  } catch {
    return null;
  }
}
