/** The set-up the engine's thread and kernel tests share: seed-model-3 on the first 6,000 images, on wasm. */
import { selectBackend } from '../../../src/core/engine/backend';
import { installWasmMatMulFix } from '../../../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation } from '../../../src/core/data/fashion-mnist';
import type { TrainValidationSplit } from '../../../src/core/data/types';
import type { EpochMetrics } from '../../../src/shared/contract/runs';
import { findPreset } from '../../../src/shared/model/presets';
import type { TrainingConfig } from '../../../src/shared/model/training-config';
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
