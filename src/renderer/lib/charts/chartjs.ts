/** chart.js, registered once with only the parts the run charts use, and the series they plot. */
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { BatchLoss, EpochMetrics } from '../../../shared/contract/runs';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--font-ui').trim() || 'system-ui, sans-serif';
Chart.defaults.font.size = 11;
Chart.defaults.color = '#4b5563';
Chart.defaults.borderColor = '#e5e7eb';

export { Chart };

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  label: string;
  color: string;
  points: Point[];
  /** Drawn thin and pale, without markers: the sampled batch losses. */
  faint?: boolean;
}

export const COLORS = {
  training: '#1d4ed8',
  validation: '#c2410c',
  batches: 'rgba(29, 78, 216, 0.28)',
};

const finitePoints = (epochs: EpochMetrics[], pick: (e: EpochMetrics) => number | null): Point[] =>
  epochs.flatMap((e) => {
    const y = pick(e);
    return typeof y === 'number' && Number.isFinite(y) ? [{ x: e.epoch, y }] : [];
  });

/**
 * Batch losses at fractional epochs: batch b of B in epoch k sits at k-1 + b/B.
 * B comes from the run when known, otherwise from the last batch sampled in that
 * epoch (the trainer always samples an epoch's last batch).
 */
export function batchPoints(batches: BatchLoss[], batchesPerEpoch: number | null): Point[] {
  const lastBatch = new Map<number, number>();
  if (!batchesPerEpoch) for (const b of batches) lastBatch.set(b.epoch, Math.max(lastBatch.get(b.epoch) ?? 0, b.batch));
  return batches.flatMap((b) => {
    const of = batchesPerEpoch ?? lastBatch.get(b.epoch) ?? b.batch;
    return Number.isFinite(b.loss) && of > 0 ? [{ x: b.epoch - 1 + b.batch / of, y: b.loss }] : [];
  });
}

export function lossSeries(epochs: EpochMetrics[], batches: BatchLoss[], batchesPerEpoch: number | null): Series[] {
  return [
    { label: 'Training loss', color: COLORS.training, points: finitePoints(epochs, (e) => e.loss) },
    { label: 'Validation loss', color: COLORS.validation, points: finitePoints(epochs, (e) => e.valLoss) },
    // The trainer reports, for sampled batches, the epoch's mean loss so far (as Keras's progress bar shows it).
    { label: 'Batch loss (sampled)', color: COLORS.batches, points: batchPoints(batches, batchesPerEpoch), faint: true },
  ];
}

export function accuracySeries(epochs: EpochMetrics[]): Series[] {
  return [
    { label: 'Training accuracy', color: COLORS.training, points: finitePoints(epochs, (e) => e.accuracy) },
    { label: 'Validation accuracy', color: COLORS.validation, points: finitePoints(epochs, (e) => e.valAccuracy) },
  ];
}
