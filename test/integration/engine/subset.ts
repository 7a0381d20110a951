/** The set-up the engine's thread and kernel tests share: seed-model-3 on the first 6,000 images, on wasm. */
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel } from '../../../src/core/engine/build-model';
import { train, type BatchInfo, type TrainOptions, type TrainResult } from '../../../src/core/engine/train';
import { installWasmMatMulFix } from '../../../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation } from '../../../src/core/data/fashion-mnist';
import type { TrainValidationSplit } from '../../../src/core/data/types';
import type { EpochMetrics } from '../../../src/shared/contract/runs';
import { findPreset } from '../../../src/shared/model/presets';
import type { TrainingConfig } from '../../../src/shared/model/training-config';
import { expect } from 'vitest';
import { SYSTEM_FASHION_MNIST } from '../../helpers';

export const seedModel3 = findPreset('seed-model-3')!;
export const subsetConfig: TrainingConfig = { ...seedModel3.config, limit: 6000, epochs: 2 };

/** The wasm backend with Layerlab's matmul, and the subset split as subsetConfig says. */
export async function wasmSubset(): Promise<TrainValidationSplit> {
  await selectBackend('wasm');
  installWasmMatMulFix();
  return splitTrainValidation((await loadFashionMnist(SYSTEM_FASHION_MNIST)).train, subsetConfig);
}

/** Everything but the wall-clock and CPU times, which are never the same twice. */
export const withoutTime = (epochs: EpochMetrics[]) => epochs.map(({ seconds: _, cpuSeconds: _c, ...rest }) => rest);

export interface SubsetRun {
  result: TrainResult;
  batches: BatchInfo[];
}

/** A fresh seed-model-3 trained on `data` with subsetConfig, no probes, every batch kept; `options` add to or override that. */
export async function trainSubset(data: TrainValidationSplit, options: Partial<TrainOptions> = {}): Promise<SubsetRun> {
  const model = buildModel(seedModel3.model, subsetConfig.seed);
  const batches: BatchInfo[] = [];
  try {
    const result = await train({ model, config: subsetConfig, data, probes: false, onBatch: (b) => batches.push(b), ...options });
    return { result, batches };
  } finally {
    model.dispose();
  }
}

/**
 * `candidate` learns as `reference` does: the same batches, the first batch's loss equal but for
 * the order of float32 sums, a validation accuracy above 0.75 after two epochs, its last epoch's
 * accuracies within `points` of the reference's, and its loss falling.
 */
export function expectLearnsAlike(reference: SubsetRun, candidate: SubsetRun, points: number): void {
  expect(candidate.batches.length).toBe(reference.batches.length);
  const [a, b] = [reference.batches[0].batchLoss, candidate.batches[0].batchLoss];
  expect(Math.abs(a - b) / a).toBeLessThan(1e-5);
  const [refLast, last] = [reference.result.epochs.at(-1)!, candidate.result.epochs.at(-1)!];
  expect(last.valAccuracy).toBeGreaterThan(0.75);
  expect(Math.abs(last.valAccuracy! - refLast.valAccuracy!)).toBeLessThan(points);
  expect(Math.abs(last.accuracy - refLast.accuracy)).toBeLessThan(points);
  expect(candidate.result.epochs[1].loss).toBeLessThan(candidate.result.epochs[0].loss);
}
