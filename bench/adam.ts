/**
 * FastAdam (src/core/engine/adam.ts) against tfjs's own Adam on seed-model-3:
 *
 *  1. one optimizer step (applyGradients on the 12 gradients of a real batch),
 *     stock Adam, FastAdam, and plain SGD for scale; median of many steps;
 *  2. whole epochs on the full 48,000 / 12,000 split through train(), stock and
 *     fast alternately, each optimizer handed to train() explicitly (the app
 *     itself always uses FastAdam for adam).
 *
 *   npx tsx bench/adam.ts [--steps N] [--rounds R] [--epochs-only | --steps-only]
 *                         [--backend wasm|cpu]
 *
 * The machine is shared: every figure is a median, and the load average is
 * printed beside it.
 */
import * as tf from '@tensorflow/tfjs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createAdam, FastAdam } from '../src/core/engine/adam';
import { selectBackend, type BackendName } from '../src/core/engine/backend';
import { buildModel } from '../src/core/engine/build-model';
import { train } from '../src/core/engine/train';
import { installWasmMatMulFix } from '../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation, SYSTEM_DATASET_FOLDER } from '../src/core/data/fashion-mnist';
import type { TrainValidationSplit } from '../src/core/data/types';
import { findPreset } from '../src/shared/model/presets';
import { median, f } from './figures';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' },
    'epochs-only': { type: 'boolean', default: false },
    'steps-only': { type: 'boolean', default: false },
    data: { type: 'string', default: SYSTEM_DATASET_FOLDER },
  },
});

const preset = findPreset('seed-model-3')!;
const lr = preset.config.learningRate;
const load = () =>
  loadavg()
    .map((x) => f(x))
    .join(' ');

type Gradients = Array<{ name: string; tensor: tf.Tensor }>;

/** The gradients of seed-model-3's loss on one real batch of 64, in train()'s variable order. */
function batchGradients(model: tf.LayersModel, data: TrainValidationSplit): Gradients {
  const n = preset.config.batchSize;
  const pixels = data.train.rows * data.train.cols;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const x = tf.tensor2d(data.train.images.subarray(0, n * pixels), [n, pixels]).reshape([n, 28, 28]);
    const y = tf.oneHot(tf.tensor1d(Array.from(data.train.labels.subarray(0, n)), 'int32'), 10);
    return tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;
  }, variables);
  value.dispose();
  return variables.map((v) => ({ name: v.name, tensor: grads[v.name] }));
}

/** Milliseconds per applyGradients call: median over `steps` single calls after a warm-up. */
function timeSteps(optimizer: tf.Optimizer, grads: Gradients, steps: number): { ms: number; tensorsBefore: number; tensorsAfter: number } {
  for (let i = 0; i < 20; i++) optimizer.applyGradients(grads);
  const tensorsBefore = tf.memory().numTensors;
  const samples: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    optimizer.applyGradients(grads);
    samples.push(performance.now() - start);
  }
  return { ms: median(samples), tensorsBefore, tensorsAfter: tf.memory().numTensors };
}

async function stepBench(data: TrainValidationSplit, steps: number, rounds: number): Promise<void> {
  console.log(`\n== one optimizer step on seed-model-3's 12 gradients (133,386 parameters), median of ${steps} steps per round`);
  const model = buildModel(preset.model, preset.config.seed);
  const grads = batchGradients(model, data);
  const kinds = {
    'stock tf.train.adam': () => tf.train.adam(lr, 0.9, 0.999, 1e-7),
    FastAdam: () => createAdam(lr),
    'tf.train.sgd (scale)': () => tf.train.sgd(lr),
  } as const;
  const results: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    const line: string[] = [];
    for (const [name, make] of Object.entries(kinds)) {
      const optimizer = make();
      const t = timeSteps(optimizer, grads, steps);
      optimizer.dispose();
      (results[name] ??= []).push(t.ms);
      const leak = t.tensorsAfter - t.tensorsBefore;
      line.push(`${name} ${f(t.ms, 3)} ms${leak ? ` (LEAK ${leak} tensors)` : ''}`);
    }
    console.log(`  round ${r + 1} [load ${load()}]: ${line.join(', ')}`);
  }
  const stock = median(results['stock tf.train.adam']);
  const fast = median(results.FastAdam);
  const sgd = median(results['tf.train.sgd (scale)']);
  console.log(
    `  median: stock Adam ${f(stock, 3)} ms, FastAdam ${f(fast, 3)} ms (${f(stock / fast, 1)}× faster, saves ${f(stock - fast, 2)} ms per batch = ${f(((stock - fast) * 750) / 1000, 2)} s per 750-batch epoch), SGD ${f(sgd, 3)} ms`,
  );
  tf.dispose(grads.map((g) => g.tensor));
  model.dispose();
}

interface Epoch {
  seconds: number;
  trainingSeconds: number;
  valAccuracy: number | null;
  optimizer: string;
}

/** One epoch through train(), with stock tf.train.adam or FastAdam handed to it. */
async function timeEpoch(data: TrainValidationSplit, fast: boolean): Promise<Epoch> {
  const config = { ...preset.config, epochs: 1 };
  const model = buildModel(preset.model, config.seed);
  const lr = config.learningRate;
  const optimizer = fast ? createAdam(lr, 0.9, 0.999, 1e-7) : tf.train.adam(lr, 0.9, 0.999, 1e-7);
  // By constructor: tf.Optimizer's Symbol.hasInstance (inherited by FastAdam) accepts any optimizer.
  const made = optimizer.constructor === FastAdam ? 'FastAdam' : optimizer.constructor.name;
  const start = performance.now();
  let trainingEnd = start;
  let result: Epoch | null = null;
  try {
    await train({
      model,
      config,
      data,
      optimizer,
      onBatch: (b) => {
        if (b.batch === b.batches) trainingEnd = performance.now();
      },
      onEpoch: (m) => {
        result = { seconds: m.seconds, trainingSeconds: (trainingEnd - start) / 1000, valAccuracy: m.valAccuracy, optimizer: made };
      },
    });
  } finally {
    // train() leaves an optimizer it was handed to its owner.
    optimizer.dispose();
    model.dispose();
  }
  return result!;
}

async function epochBench(data: TrainValidationSplit, rounds: number): Promise<void> {
  console.log(
    `\n== one epoch of seed-model-3 through train(): ${data.train.count} training / ${data.validation.count} validation images, batch ${preset.config.batchSize}, ${rounds} rounds alternating`,
  );
  console.log('  "epoch s" is train()\'s own EpochMetrics.seconds (training + validation); "train s" is batch 1 to the last batch');
  const stock: Epoch[] = [];
  const fast: Epoch[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so a neighbour's burst does not always hit the same side.
    const order = r % 2 === 0 ? [false, true] : [true, false];
    for (const isFast of order) {
      const before = load();
      const e = await timeEpoch(data, isFast);
      (isFast ? fast : stock).push(e);
      console.log(
        `  round ${r + 1} ${isFast ? 'fast ' : 'stock'} (${e.optimizer}): epoch ${f(e.seconds)} s, train ${f(e.trainingSeconds)} s, val acc ${e.valAccuracy === null ? '-' : f(e.valAccuracy, 4)} [load before ${before}]`,
      );
    }
  }
  const s = median(stock.map((e) => e.seconds));
  const x = median(fast.map((e) => e.seconds));
  const st = median(stock.map((e) => e.trainingSeconds));
  const xt = median(fast.map((e) => e.trainingSeconds));
  console.log(
    `  median epoch: stock Adam ${f(s)} s, FastAdam ${f(x)} s (−${f(s - x)} s, ${f((100 * (s - x)) / s, 1)} %); training part ${f(st)} s → ${f(xt)} s [load now ${load()}]`,
  );
}

async function main(): Promise<void> {
  const { backend, versions } = await selectBackend(args.backend as BackendName);
  if (backend === 'wasm') installWasmMatMulFix();
  console.log(
    `backend ${backend}${backend === 'wasm' ? ' with the matmul fix' : ''} (${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );
  console.log(`load average (1, 5, 15 min): ${load()}`);
  const fashion = await loadFashionMnist(args.data!);
  const data = splitTrainValidation(fashion.train, preset.config);
  const rounds = Math.max(1, Number(args.rounds));
  if (!args['epochs-only']) await stepBench(data, Math.max(1, Number(args.steps)), rounds);
  if (!args['steps-only']) await epochBench(data, rounds);
}

await main();
