/** A run's loss and accuracy curves as the live charts (Train view, run detail) draw them. */
import type { BatchLoss, EpochMetrics } from '../../../shared/contract/runs';
import type { LinePoint, LineSeries } from '../../../shared/reports/svg-chart';
import type { LineChartSpec } from './line-chart';

const TRAINING = '#1d4ed8';
const VALIDATION = '#c2410c';

const finitePoints = (epochs: EpochMetrics[], pick: (e: EpochMetrics) => number | null): LinePoint[] =>
  epochs.flatMap((e) => {
    const y = pick(e);
    return typeof y === 'number' && Number.isFinite(y) ? [{ x: e.epoch, y }] : [];
  });

/**
 * Batch losses at fractional epochs: batch b of B in epoch k sits at k-1 + b/B.
 * B comes from the run when known, otherwise from the last batch sampled in that
 * epoch (the trainer always samples an epoch's last batch).
 */
export function batchPoints(batches: BatchLoss[], batchesPerEpoch: number | null): LinePoint[] {
  const lastBatch = new Map<number, number>();
  if (!batchesPerEpoch) for (const b of batches) lastBatch.set(b.epoch, Math.max(lastBatch.get(b.epoch) ?? 0, b.batch));
  return batches.flatMap((b) => {
    const of = batchesPerEpoch ?? lastBatch.get(b.epoch) ?? b.batch;
    return Number.isFinite(b.loss) && of > 0 ? [{ x: b.epoch - 1 + b.batch / of, y: b.loss }] : [];
  });
}

export function lossSeries(epochs: EpochMetrics[], batches: BatchLoss[], batchesPerEpoch: number | null): LineSeries[] {
  return [
    { label: 'Training loss', color: TRAINING, points: finitePoints(epochs, (e) => e.loss) },
    { label: 'Validation loss', color: VALIDATION, points: finitePoints(epochs, (e) => e.valLoss) },
    // The trainer reports, for sampled batches, the epoch's mean loss so far (as Keras's progress bar shows it).
    { label: 'Batch loss (sampled)', color: TRAINING, points: batchPoints(batches, batchesPerEpoch), faint: true },
  ];
}

export function accuracySeries(epochs: EpochMetrics[]): LineSeries[] {
  return [
    { label: 'Training accuracy', color: TRAINING, points: finitePoints(epochs, (e) => e.accuracy) },
    { label: 'Validation accuracy', color: VALIDATION, points: finitePoints(epochs, (e) => e.valAccuracy) },
  ];
}

/** The x axis spans the whole planned run, so the lines grow into it. */
export function runChartSpec(
  series: LineSeries[],
  epochsPlanned: number,
  format: (y: number | null | undefined) => string,
  yMax?: number,
): LineChartSpec {
  return {
    series,
    x: { title: 'Epoch', min: 0, max: Math.max(1, epochsPlanned) },
    y: { max: yMax, tick: format, value: format },
    hover: 'nearest',
    legend: 'top',
  };
}
