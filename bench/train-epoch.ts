/**
 * How long an epoch of the seed study takes here: seed-model-3 on the full
 * 48,000 / 12,000 split, batch 64, beside the reference figures of
 * shared/SEED.md. Prints figures; asserts nothing.
 *
 *   npx tsx bench/train-epoch.ts [--epochs N] [--backend wasm|cpu|tensorflow]
 *                                [--compare-matmul [--repeat R]]
 *
 * The machine is shared and timings are noisy: repeat and read medians.
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { selectBackend, type BackendName } from '../src/core/engine/backend';
import { buildModel } from '../src/core/engine/build-model';
import { train } from '../src/core/engine/train';
import { installWasmMatMulFix, uninstallWasmMatMulFix } from '../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation, SYSTEM_DATASET_FOLDER } from '../src/core/data/fashion-mnist';
import type { TrainValidationSplit } from '../src/core/data/types';
import { findPreset } from '../src/shared/model/presets';

const REFERENCES = [
  { name: 'PyTorch 1.13 CPU, 2 threads', seconds: 3.6 },
  { name: 'tfjs 4.22 wasm, stock kernels', seconds: 14.8 },
];

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    backend: { type: 'string' },
    'compare-matmul': { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    data: { type: 'string', default: SYSTEM_DATASET_FOLDER },
  },
});

const preset = findPreset('seed-model-3')!;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (x: number, digits = 2) => x.toFixed(digits);

interface EpochTiming {
  seconds: number;
  trainingSeconds: number;
  valAccuracy: number | null;
}

async function timeEpochs(data: TrainValidationSplit, epochs: number): Promise<EpochTiming[]> {
  const config = { ...preset.config, epochs };
  const model = buildModel(preset.model, config.seed);
  const timings: EpochTiming[] = [];
  let epochStart = performance.now();
  let trainingEnd = epochStart;
  await train({
    model,
    config,
    data,
    onBatch: (b) => {
      if (b.batch === b.batches) trainingEnd = performance.now();
    },
    onEpoch: (m) => {
      timings.push({ seconds: m.seconds, trainingSeconds: (trainingEnd - epochStart) / 1000, valAccuracy: m.valAccuracy });
      epochStart = performance.now();
    },
  });
  model.dispose();
  return timings;
}

function printEpochs(label: string, timings: EpochTiming[], trainCount: number): void {
  console.log(`\n${label}`);
  console.log('epoch  seconds  training s  samples/s  val accuracy');
  timings.forEach((t, i) => {
    const rate = trainCount / t.seconds;
    console.log(
      `${String(i + 1).padStart(5)}  ${f(t.seconds).padStart(7)}  ${f(t.trainingSeconds).padStart(10)}  ${f(rate, 0).padStart(9)}  ${t.valAccuracy === null ? '-' : f(t.valAccuracy, 4)}`,
    );
  });
}

function printAgainstReferences(seconds: number, trainCount: number): void {
  console.log(`\nmedian ${f(seconds)} s per epoch, ${f(trainCount / seconds, 0)} training samples/s`);
  for (const ref of REFERENCES) {
    const ratio = seconds / ref.seconds;
    const words = ratio >= 1 ? `${f(ratio)}× slower` : `${f(1 / ratio)}× faster`;
    console.log(`  vs ${ref.name}: ${f(ref.seconds, 1)} s (${f(trainCount / ref.seconds, 0)}/s) → ${words}`);
  }
}

/** Microseconds for xᵀ·dy with x 64×784 and dy 64×64: the weight gradient of the first Dense layer. */
function timeWeightGradient(): number {
  const x = tf.randomNormal([64, 784]);
  const dy = tf.randomNormal([64, 64]);
  const run = () => tf.matMul(x, dy, true, false).dispose();
  for (let i = 0; i < 20; i++) run();
  const samples: number[] = [];
  for (let r = 0; r < 5; r++) {
    const start = performance.now();
    for (let i = 0; i < 100; i++) run();
    samples.push(((performance.now() - start) / 100) * 1000);
  }
  tf.dispose([x, dy]);
  return median(samples);
}

async function compareMatMul(data: TrainValidationSplit, repeat: number): Promise<void> {
  if (tf.getBackend() !== 'wasm') {
    console.log(`\n--compare-matmul measures a wasm kernel; the backend here is ${tf.getBackend()}.`);
    return;
  }
  uninstallWasmMatMulFix();
  const stockProduct = timeWeightGradient();
  installWasmMatMulFix();
  const fixedProduct = timeWeightGradient();
  console.log(
    `\nxᵀ·dy (x 64×784, dy 64×64, transposeA): stock ${f(stockProduct, 0)} µs, with the fix ${f(fixedProduct, 0)} µs (${f(stockProduct / fixedProduct, 1)}×)`,
  );

  const stock: number[] = [];
  const fixed: number[] = [];
  // Alternate, so that a noisy neighbour hurts both sides alike.
  for (let r = 0; r < repeat; r++) {
    uninstallWasmMatMulFix();
    stock.push((await timeEpochs(data, 1))[0].seconds);
    installWasmMatMulFix();
    fixed.push((await timeEpochs(data, 1))[0].seconds);
    console.log(`  round ${r + 1}: stock ${f(stock[r])} s, fixed ${f(fixed[r])} s`);
  }
  const s = median(stock);
  const x = median(fixed);
  console.log(`one epoch, median of ${repeat}: stock kernels ${f(s)} s, with the fix ${f(x)} s → ${f(s / x)}× faster`);
}

async function main(): Promise<void> {
  const { backend, versions } = await selectBackend(args.backend as BackendName | undefined);
  if (backend === 'wasm') installWasmMatMulFix();
  console.log(
    `backend ${backend} (${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
  );

  const fashion = await loadFashionMnist(args.data!);
  const data = splitTrainValidation(fashion.train, preset.config);
  console.log(`seed-model-3, ${data.train.count} training / ${data.validation.count} validation images, batch ${preset.config.batchSize}`);

  if (args['compare-matmul']) {
    await compareMatMul(data, Math.max(1, Number(args.repeat)));
  } else {
    const timings = await timeEpochs(data, Math.max(1, Number(args.epochs)));
    printEpochs(`${backend}${backend === 'wasm' ? ' with the matmul fix' : ''}`, timings, data.train.count);
    printAgainstReferences(median(timings.map((t) => t.seconds)), data.train.count);
  }

  const peakMb = process.resourceUsage().maxRSS / 1024;
  console.log(`\npeak RSS ${f(peakMb, 0)} MB (${peakMb < 1024 ? 'under' : 'OVER'} the 1 GB budget)`);
}

await main();
