/** Recorded runs for the comparison tests, built from the seed presets. */
import { architectureSummary } from '../../../../src/shared/model/architecture';
import type { ModelSpec } from '../../../../src/shared/model/model-spec';
import { findPreset } from '../../../../src/shared/model/presets';
import type { EpochMetrics, LayerStat, RunDetail } from '../../../../src/shared/contract/runs';
import type { TrainingConfig } from '../../../../src/shared/model/training-config';

export interface FixtureOptions {
  id: number;
  name?: string;
  preset?: 'seed-model-1' | 'seed-model-2' | 'seed-model-3';
  model?: ModelSpec;
  config?: Partial<TrainingConfig>;
  /** Per epoch: [loss, accuracy, valLoss, valAccuracy, seconds]. */
  epochs: [number, number, number | null, number | null, number][];
  testAccuracy?: number | null;
  backend?: string | null;
  notes?: string;
  /** Epoch 0: [loss, accuracy, valLoss, valAccuracy]; none when absent. */
  baseline?: [number, number, number | null, number | null];
  layerStats?: LayerStat[];
  stopReason?: string | null;
  savedWeights?: 'final' | 'best' | null;
  parentRunId?: number | null;
  fixFor?: { kind: string; summary: string } | null;
  groupId?: number | null;
  sweepValues?: Record<string, string | number> | null;
  repeatIndex?: number | null;
  /** The user named the run (default: when `name` is given). */
  named?: boolean;
}

export function fixtureRun(o: FixtureOptions): RunDetail {
  const preset = findPreset(o.preset ?? 'seed-model-3')!;
  const model = o.model ?? preset.model;
  const config: TrainingConfig = { ...preset.config, limit: 600, ...o.config };
  config.epochs = o.config?.epochs ?? o.epochs.length;
  const epochs: EpochMetrics[] = o.epochs.map(([loss, accuracy, valLoss, valAccuracy, seconds], i) => ({
    epoch: i + 1,
    loss,
    accuracy,
    valLoss,
    valAccuracy,
    seconds,
  }));
  // As the store keeps them: best = lowest validation loss; the highest validation accuracy beside it (earliest on ties).
  const withVal = epochs.filter((e) => e.valAccuracy !== null);
  const bestAcc = withVal.reduce<EpochMetrics | null>((b, e) => (b === null || e.valAccuracy! > b.valAccuracy! ? e : b), null);
  const withLoss = epochs.filter((e) => e.valLoss !== null);
  const best = withLoss.reduce<EpochMetrics | null>((b, e) => (b === null || e.valLoss! < b.valLoss! ? e : b), null);
  const last = epochs[epochs.length - 1];
  return {
    id: o.id,
    name: o.name ?? `${o.preset ?? 'seed-model-3'} · ${config.optimizer} lr=${config.learningRate}`,
    status: 'completed',
    presetId: o.model ? null : preset.id,
    datasetId: 'fashion-mnist',
    datasetName: 'Fashion-MNIST',
    optimizer: config.optimizer,
    learningRate: config.learningRate,
    batchSize: config.batchSize,
    architecture: architectureSummary(model),
    epochsDone: epochs.length,
    epochsPlanned: config.epochs,
    bestValAccuracy: bestAcc?.valAccuracy ?? null,
    bestEpoch: best?.epoch ?? null,
    bestValLoss: best?.valLoss ?? null,
    bestAccuracyEpoch: bestAcc?.epoch ?? null,
    finalValAccuracy: last?.valAccuracy ?? null,
    finalValLoss: last?.valLoss ?? null,
    testAccuracy: o.testAccuracy === undefined ? 0.8 : o.testAccuracy,
    testLoss: 0.5,
    backend: o.backend === undefined ? 'wasm' : o.backend,
    createdAt: '2025-03-01T10:00:00.000Z',
    startedAt: '2025-03-01T10:00:01.000Z',
    finishedAt: '2025-03-01T10:01:00.000Z',
    durationSeconds: 59,
    error: null,
    notes: o.notes ?? '',
    tags: [],
    starred: false,
    hasModel: false,
    savedWeights: o.testAccuracy === null ? null : (o.savedWeights ?? 'final'),
    stopReason: o.stopReason ?? null,
    parentRunId: o.parentRunId ?? null,
    fixFor: o.fixFor ?? null,
    queuePosition: null,
    checkpoint: null,
    groupId: o.groupId ?? null,
    sweepValues: o.sweepValues ?? null,
    repeatIndex: o.repeatIndex ?? null,
    named: o.named ?? o.name !== undefined,
    model,
    config,
    dataset: { id: 'fashion-mnist', source: '/data', trainCount: 480, validationCount: 120, testCount: 10000 },
    environment: { backend: o.backend ?? 'wasm', versions: {}, host: 'h', platform: 'linux', cpus: '2' },
    epochs,
    batchLosses: [],
    baseline: o.baseline
      ? { epoch: 0, loss: o.baseline[0], accuracy: o.baseline[1], valLoss: o.baseline[2], valAccuracy: o.baseline[3], seconds: 0.5 }
      : null,
    layerStats: o.layerStats ?? [],
    provenance: null,
    modelPath: null,
  };
}

/** One layer's signals at the end of an epoch (epoch 0: before the first step), with figures that fit a healthy relu layer. */
export function layerStat(epoch: number, layer: number, name: string, over: Partial<LayerStat> = {}): LayerStat {
  return {
    epoch,
    batch: null,
    layer,
    name,
    gradNorm: 0.5 / (epoch + 1),
    biasGradNorm: 0.05 / (epoch + 1),
    weightNorm: 8 + epoch,
    updateRatio: epoch === 0 ? null : 0.001,
    actMean: 0.4,
    actStd: 0.6,
    deadFraction: 0.02,
    saturatedFraction: null,
    nonfinite: 0,
    ...over,
  };
}

/** Adam lr 0.001 learns fast and overfits after epoch 3; SGD lr 0.01 learns slowly. */
export const ADAM = () =>
  fixtureRun({
    id: 1,
    preset: 'seed-model-3',
    baseline: [2.31, 0.09, 2.3, 0.1],
    // The first hidden layer (relu) and the output layer (softmax: saturation, not dead units), epochs 0–4.
    layerStats: [0, 1, 2, 3, 4].flatMap((e) => [
      layerStat(e, 1, 'Dense 1 (relu)'),
      layerStat(e, 6, 'Dense 6 (softmax)', { deadFraction: null, saturatedFraction: 0.1 * e }),
    ]),
    epochs: [
      [0.9, 0.7, 0.6, 0.78, 10],
      [0.5, 0.82, 0.45, 0.84, 11],
      [0.4, 0.86, 0.42, 0.86, 9],
      [0.3, 0.89, 0.44, 0.85, 10],
    ],
    testAccuracy: 0.85,
  });

export const SGD = () =>
  fixtureRun({
    id: 2,
    preset: 'seed-model-2',
    config: { learningRate: 0.01 },
    epochs: [
      [2.2, 0.2, 2.1, 0.3, 8],
      [1.9, 0.4, 1.8, 0.45, 8],
      [1.5, 0.55, 1.4, 0.6, 8],
      [1.2, 0.62, 1.1, 0.66, 8],
    ],
    testAccuracy: 0.64,
  });
