/**
 * What the run diagnostics cost: seed-model-3 on the full 48,000 / 12,000
 * split, the same run (same seed, same weights) trained with the probes
 * (epoch-0 baseline, layer signals after every epoch) and without, epoch by
 * epoch, alternating so that a noisy neighbour hurts both alike. The budget is
 * 5 % of an epoch. Also times one probe on its own, which is steadier than the
 * difference of two epoch times on a shared machine. Prints figures; asserts nothing.
 *
 *   npx tsx bench/diagnostics-cost.ts [--epochs N] [--repeat R] [--backend wasm|cpu|tensorflow]
 */
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { selectBackend, type BackendName } from '../src/core/engine/backend';
import { buildModel } from '../src/core/engine/build-model';
import { chooseProbe, LayerProbe } from '../src/core/engine/probe';
import { train } from '../src/core/engine/train';
import { installWasmConvFilterGrad } from '../src/core/engine/wasm-conv-grad';
import { installWasmMatMulFix } from '../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation, SYSTEM_DATASET_FOLDER } from '../src/core/data/fashion-mnist';
import type { TrainValidationSplit } from '../src/core/data/types';
import { findPreset } from '../src/shared/model/presets';
import { median, f } from './figures';

const BUDGET = 0.05;

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '1' },
    backend: { type: 'string' },
    data: { type: 'string', default: SYSTEM_DATASET_FOLDER },
  },
});

const preset = findPreset('seed-model-3')!;

interface Timed {
  /** Seconds of each epoch as the run records them (training, validation and, with probes, the epoch's probe). */
  epochs: number[];
  /** From the start of train() to its first batch: the baseline evaluation and the epoch-0 probe, when on. */
  beforeFirstBatch: number;
  valAccuracy: number[];
}

async function timeRun(data: TrainValidationSplit, epochs: number, probes: boolean): Promise<Timed> {
  const config = { ...preset.config, epochs };
  const model = buildModel(preset.model, config.seed);
  const started = performance.now();
  let firstBatch: number | null = null;
  const result = await train({
    model,
    config,
    data,
    probes,
    onBatch: () => (firstBatch ??= performance.now()),
  });
  model.dispose();
  return {
    epochs: result.epochs.map((e) => e.seconds),
    beforeFirstBatch: ((firstBatch ?? started) - started) / 1000,
    valAccuracy: result.epochs.map((e) => e.valAccuracy ?? NaN),
  };
}

/** Milliseconds of one end-of-epoch probe (kernel snapshot and measurement), median of `times`. */
async function timeOneProbe(data: TrainValidationSplit, times: number): Promise<number> {
  const model = buildModel(preset.model, preset.config.seed);
  const probe = new LayerProbe(model, chooseProbe(data.train, preset.config.seed));
  await probe.measure(0, null);
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    probe.snapshotKernels();
    await probe.measure(1, null);
    samples.push(performance.now() - start);
  }
  probe.dispose();
  model.dispose();
  return median(samples);
}

async function main(): Promise<void> {
  const { backend } = await selectBackend(args.backend as BackendName | undefined);
  if (backend === 'wasm') {
    installWasmMatMulFix();
    installWasmConvFilterGrad();
  }
  const fashion = await loadFashionMnist(args.data!);
  const data = splitTrainValidation(fashion.train, preset.config);
  const epochs = Math.max(1, Number(args.epochs));
  const repeat = Math.max(1, Number(args.repeat));
  console.log(`backend ${backend}, tfjs ${tf.version.tfjs}`);
  console.log(
    `seed-model-3, ${data.train.count} training / ${data.validation.count} validation images, batch ${preset.config.batchSize}, ${epochs} epochs × ${repeat}`,
  );

  const without: number[] = [];
  const withProbes: number[] = [];
  const baselines: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const off = await timeRun(data, epochs, false);
    const on = await timeRun(data, epochs, true);
    without.push(...off.epochs);
    withProbes.push(...on.epochs);
    baselines.push(on.beforeFirstBatch - off.beforeFirstBatch);
    console.log(`\nround ${r + 1}`);
    console.log('epoch  without probes s  with probes s  val acc (without / with)');
    off.epochs.forEach((s, i) => {
      console.log(
        `${String(i + 1).padStart(5)}  ${f(s).padStart(16)}  ${f(on.epochs[i]).padStart(12)}  ${f(off.valAccuracy[i], 4)} / ${f(on.valAccuracy[i], 4)}`,
      );
    });
  }

  const a = median(without);
  const b = median(withProbes);
  const probeMs = await timeOneProbe(data, 10);
  console.log(`\nmedian epoch: without probes ${f(a)} s, with probes ${f(b)} s → ratio ${f(b / a, 3)} (${f((b / a - 1) * 100, 1)} %)`);
  console.log(`one probe on its own: ${f(probeMs, 1)} ms = ${f((probeMs / 1000 / a) * 100, 2)} % of an epoch without probes`);
  console.log(`once per run, before the first batch (baseline on the validation split + epoch-0 probe): ${f(median(baselines))} s`);
  const cost = Math.max(b / a - 1, probeMs / 1000 / a);
  console.log(`budget ${f(BUDGET * 100, 0)} % of an epoch: ${cost <= BUDGET ? 'within' : 'OVER'}`);
}

await main();
