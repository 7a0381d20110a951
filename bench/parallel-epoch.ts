/**
 * One epoch of seed-model-3 on the full 48,000 / 12,000 split, batch 64, on one
 * thread and on two (data-parallel, src/core/engine/parallel/), beside
 * PyTorch's best CPU figure on this kind of machine. Prints figures; asserts nothing.
 *
 *   npx tsx bench/parallel-epoch.ts [--repeat 3] [--epochs 1]
 *
 * Rounds alternate one thread and two, so a noisy neighbour hurts both alike;
 * the medians are of the rounds' epoch seconds (validation pass included, as
 * the run record counts them). CPU seconds are the whole process's (both threads).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/core/engine/backend';
import { buildModel } from '../src/core/engine/build-model';
import { train } from '../src/core/engine/train';
import { installWasmMatMulFix } from '../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation, SYSTEM_DATASET_FOLDER } from '../src/core/data/fashion-mnist';
import type { TrainValidationSplit } from '../src/core/data/types';
import { findPreset } from '../src/shared/model/presets';
import { median, f } from './figures';

/** PyTorch 1.13 CPU, 1 torch thread + OpenBLAS pthreads on both cores (issue 12's table). */
const PYTORCH_SECONDS = 1.65;

const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '1' },
    data: { type: 'string', default: SYSTEM_DATASET_FOLDER },
  },
});

const preset = findPreset('seed-model-3')!;

interface Timing {
  seconds: number;
  cpuSeconds: number;
  valAccuracy: number | null;
  threads: number;
}

async function timeEpochs(data: TrainValidationSplit, threads: number, epochs: number): Promise<Timing[]> {
  const config = { ...preset.config, epochs };
  const model = buildModel(preset.model, config.seed);
  const timings: Timing[] = [];
  const result = await train({
    model,
    config,
    data,
    threads,
    probes: false,
    onEpoch: (m) => timings.push({ seconds: m.seconds, cpuSeconds: m.cpuSeconds ?? NaN, valAccuracy: m.valAccuracy, threads: 0 }),
  });
  model.dispose();
  return timings.map((t) => ({ ...t, threads: result.threads }));
}

async function main(): Promise<void> {
  const { backend } = await selectBackend('wasm');
  installWasmMatMulFix();
  const repeat = Math.max(1, Number(args.repeat));
  const epochs = Math.max(1, Number(args.epochs));
  const fashion = await loadFashionMnist(args.data);
  const data = splitTrainValidation(fashion.train, { limit: null, validationSplit: preset.config.validationSplit });
  console.log(
    `backend ${backend}, ${availableParallelism()} cores, ${data.train.count} training + ${data.validation.count} validation images, batch ${preset.config.batchSize}`,
  );

  const byThreads = new Map<number, Timing[]>([
    [1, []],
    [2, []],
  ]);
  for (let r = 0; r < repeat; r++) {
    for (const threads of [1, 2]) {
      const timings = await timeEpochs(data, threads, epochs);
      byThreads.get(threads)!.push(...timings);
      const used = timings[0]?.threads ?? threads;
      const list = timings.map((t) => `${f(t.seconds)} s (cpu ${f(t.cpuSeconds)} s, val ${t.valAccuracy === null ? '-' : f(t.valAccuracy, 4)})`);
      console.log(`round ${r + 1}, ${threads} thread${threads > 1 ? 's' : ''}${used !== threads ? ` (ran on ${used})` : ''}: ${list.join(', ')}`);
    }
  }
  console.log(`\nmedian s/epoch of ${repeat} round(s); PyTorch's best here: ${f(PYTORCH_SECONDS)} s`);
  for (const [threads, timings] of byThreads) {
    const seconds = median(timings.map((t) => t.seconds));
    const cpu = median(timings.map((t) => t.cpuSeconds));
    console.log(
      `  ${threads} thread${threads > 1 ? 's' : ' '}: ${f(seconds)} s/epoch, cpu ${f(cpu)} s, ${f(data.train.count / seconds, 0)} samples/s, ${f(seconds / PYTORCH_SECONDS)}× PyTorch`,
    );
  }
  const one = median(byThreads.get(1)!.map((t) => t.seconds));
  const two = median(byThreads.get(2)!.map((t) => t.seconds));
  console.log(`  two threads vs one: ${f(one / two)}× faster`);
}

await main();
