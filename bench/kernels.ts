/**
 * Layerlab's own Dense training kernels (src/core/engine/kernels/), measured:
 *  1. the GEMM alone, one thread, in GFLOP/s, for every product a seed-model-3
 *     step at batch 64 computes (forward X·W, the weights' gradient Xᵀ·dY and
 *     the input's gradient dY·Wᵀ);
 *  2. the gradient of one batch of 64 (forward, loss, backward; no optimizer)
 *     on one thread and on two, 750 times (one epoch's steps);
 *  3. one epoch of seed-model-3 on the full data (48,000 + 12,000 images,
 *     validation included) through train(), alternating the 'layerlab-simd'
 *     kernels on two threads, on one, and the tfjs path in the same run,
 *     median of `--repeats` (3).
 *
 *   npx tsx bench/kernels.ts [--repeats 3] [--skip-epochs]
 *
 * With --write-module it only assembles src/core/engine/kernels/wat.ts's text (wabt) into
 * src/core/engine/kernels/module.ts, the bytes the trainer runs (after a change to wat.ts).
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/core/engine/backend';
import { buildModel } from '../src/core/engine/build-model';
import { instantiate, kernelBytes, sharedMemory } from '../src/core/engine/kernels/assemble';
import { DenseKernels } from '../src/core/engine/kernels/dense-step';
import { train } from '../src/core/engine/train';
import { installWasmMatMulFix } from '../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation, SYSTEM_DATASET_FOLDER } from '../src/core/data/fashion-mnist';
import { findPreset } from '../src/shared/model/presets';
import { kernelWat } from '../src/core/engine/kernels/wat';

const args = process.argv.slice(2);
const repeats = Number(args[args.indexOf('--repeats') + 1] || 3) || 3;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function gemmAlone(): Promise<void> {
  const memory = sharedMemory(32 << 20);
  const k = memory && instantiate(kernelBytes(), memory);
  if (!k || !memory) throw new Error('The kernels cannot run here (no WebAssembly SIMD or shared memory)');
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < f.length; i++) f[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const [A, B, C] = [0, 8 << 20, 16 << 20];
  console.log('[1/3] GEMM alone, one thread (GFLOP/s; M×K·K×N, batch M = 64)');
  console.log('  shape            X·W    Xᵀ·dY   dY·Wᵀ');
  for (const [M, K, N] of [
    [64, 784, 64],
    [64, 64, 128],
    [64, 128, 256],
    [64, 256, 128],
    [64, 128, 64],
    [64, 64, 16],
  ]) {
    const rate = (fn: () => void) => {
      for (let w = 0; w < 100; w++) fn();
      const reps = 2000;
      const t = performance.now();
      for (let r = 0; r < reps; r++) fn();
      return ((2 * M * K * N * reps) / ((performance.now() - t) / 1000) / 1e9).toFixed(1).padStart(6);
    };
    const forward = rate(() => k.gemm(A, B, C, 0, 0, 0, M, 0, N, K, K * 4, 4, N * 4, N * 4, 0));
    const weights = rate(() => k.gemm(A, B, C, 0, 0, 0, K, 0, N, M, 4, K * 4, N * 4, N * 4, 0));
    const input = rate(() => k.gemm(A, B, C, 0, 0, 0, M, 0, K, N, N * 4, 4, K * 4, K * 4, 0));
    console.log(`  ${`${M}×${K}·${K}×${N}`.padEnd(15)} ${forward}  ${weights}  ${input}`);
  }
}

async function gradientSteps(): Promise<void> {
  const model = buildModel(findPreset('seed-model-3')!.model, 1);
  const n = 64;
  const x = new Float32Array(n * 784).map((_, i) => ((i * 7919) % 1000) / 1000);
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) y[i * 10 + ((i * 7) % 10)] = 1;
  console.log('\n[2/3] 750 gradients of a batch of 64 (forward, loss, backward; weights read from tfjs each step), median of 3');
  for (const threads of [1, 2] as const) {
    const kernels = (await DenseKernels.start(model, n, threads))!;
    const times: number[] = [];
    try {
      for (let rep = 0; rep < 4; rep++) {
        const t = performance.now();
        for (let s = 0; s < 750; s++) kernels.gradients(x, y, n);
        if (rep > 0) times.push((performance.now() - t) / 1000);
      }
    } finally {
      await kernels.close();
    }
    // 3 GEMMs of 2·M·K·N per layer and step.
    const flops = 750 * 3 * 2 * n * (784 * 64 + 64 * 128 + 128 * 256 + 256 * 128 + 128 * 64 + 64 * 10);
    console.log(
      `  ${threads} thread${threads > 1 ? 's' : ' '}: ${median(times).toFixed(3)} s (${(flops / median(times) / 1e9).toFixed(1)} GFLOP/s overall)`,
    );
  }
  model.dispose();
}

async function epochs(): Promise<void> {
  const preset = findPreset('seed-model-3')!;
  const config = { ...preset.config, epochs: 1 };
  const data = splitTrainValidation((await loadFashionMnist(SYSTEM_DATASET_FOLDER)).train, config);
  console.log(
    `\n[3/3] one epoch of seed-model-3 through train() (${data.train.count} + ${data.validation.count} images), alternating, median of ${repeats}`,
  );
  const ways = { two: { kernels: 'auto', threads: 2 }, one: { kernels: 'auto', threads: 1 }, tfjs: { kernels: 'tfjs', threads: 1 } } as const;
  const seconds: Record<keyof typeof ways, number[]> = { two: [], one: [], tfjs: [] };
  for (let r = 0; r < repeats; r++) {
    for (const way of Object.keys(ways) as Array<keyof typeof ways>) {
      const model = buildModel(preset.model, config.seed);
      try {
        const result = await train({ model, config, data, probes: false, ...ways[way] });
        const epoch = result.epochs[0];
        seconds[way].push(epoch.seconds);
        console.log(
          `  ${result.kernels.padEnd(13)} ${result.threads} thread(s): ${epoch.seconds.toFixed(2)} s, val accuracy ${epoch.valAccuracy?.toFixed(4)}, loss ${epoch.loss.toFixed(4)}`,
        );
      } finally {
        model.dispose();
      }
    }
  }
  const [two, one, slow] = [median(seconds.two), median(seconds.one), median(seconds.tfjs)];
  console.log(
    `  median: layerlab-simd on two threads ${two.toFixed(2)} s (${(slow / two).toFixed(2)}× faster than tfjs), ` +
      `on one ${one.toFixed(2)} s (${(slow / one).toFixed(2)}×), tfjs ${slow.toFixed(2)} s`,
  );
}

/** wat.ts's text assembled (SIMD and threads). */
export async function assembleKernels(): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const module = wabt.parseWat('layerlab-kernels.wat', kernelWat(), { simd: true, threads: true });
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

if (args.includes('--write-module')) {
  const base64 = Buffer.from(await assembleKernels()).toString('base64');
  const target = new URL('../src/core/engine/kernels/module.ts', import.meta.url);
  writeFileSync(
    target,
    `/** Generated by \`npx tsx bench/kernels.ts --write-module\` from wat.ts (its source): the assembled kernels, base64. */\n` +
      `export const KERNEL_MODULE_BASE64 =\n  '${base64}';\n`,
  );
  console.log(`wrote ${target.pathname} (${base64.length} base64 characters)`);
  process.exit(0);
}

await selectBackend('wasm');
installWasmMatMulFix();
console.log(`backend ${tf.getBackend()}`);
await gemmAlone();
await gradientSteps();
if (!args.includes('--skip-epochs')) await epochs();
