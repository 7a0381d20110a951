/**
 * Early stopping as Keras's EarlyStopping callback does it, and the copy of
 * the best epoch's weights that restoring them needs.
 */
import * as tf from '@tensorflow/tfjs';
import type { EpochMetrics } from '../../shared/contract/runs';
import type { EarlyStopping } from '../../shared/model/training-config';
import { type StopperState, type TensorData, tensorData, toTensor } from './checkpoint';

export interface EpochVerdict {
  /** This epoch is the best so far (by more than minDelta). */
  improved: boolean;
  /** `patience` epochs have passed without an improvement: training should end after this epoch. */
  stop: boolean;
}

/**
 * Keras's EarlyStopping.on_epoch_end: an epoch improves when its monitored
 * figure beats the best so far by more than minDelta (val_loss lower,
 * val_accuracy higher); training stops once `patience` epochs in a row have
 * not improved, never after the first epoch. An epoch without the figure
 * (no validation) is skipped, as Keras skips it with a warning.
 */
export class EarlyStopper {
  private best: number;
  private wait = 0;
  /** 1-based epoch of the best figure so far; null before the first improvement. */
  bestEpoch: number | null = null;

  constructor(private readonly settings: EarlyStopping) {
    this.best = settings.monitor === 'val_loss' ? Infinity : -Infinity;
  }

  update(metrics: EpochMetrics): EpochVerdict {
    const current = this.settings.monitor === 'val_loss' ? metrics.valLoss : metrics.valAccuracy;
    if (current === null) return { improved: false, stop: false };
    const delta = Math.abs(this.settings.minDelta);
    const improved = this.settings.monitor === 'val_loss' ? current + delta < this.best : current - delta > this.best;
    this.wait += 1;
    if (improved) {
      this.best = current;
      this.bestEpoch = metrics.epoch;
      this.wait = 0;
      return { improved, stop: false };
    }
    return { improved, stop: this.wait >= this.settings.patience && metrics.epoch > 1 };
  }

  /** What a checkpoint keeps of it. */
  state(): StopperState {
    return { best: Number.isFinite(this.best) ? this.best : null, wait: this.wait, bestEpoch: this.bestEpoch };
  }

  /** Continues from a saved state(). */
  restore(state: StopperState): void {
    this.best = state.best ?? (this.settings.monitor === 'val_loss' ? Infinity : -Infinity);
    this.wait = state.wait;
    this.bestEpoch = state.bestEpoch;
  }
}

/** The reason a completed run shows when early stopping ended it before its planned epochs. */
export const stopReasonText = (epoch: number, bestEpoch: number | null): string =>
  `stopped early at epoch ${epoch}${bestEpoch === null ? '' : ` (best ${bestEpoch})`}`;

/**
 * A copy of every weight of a model (BatchNormalization's moving statistics
 * too, as Keras's get_weights), taken when an epoch improves and written back
 * at the end of training.
 */
export class BestWeights {
  private copies: tf.Tensor[] | null = null;

  constructor(private readonly model: tf.LayersModel) {}

  keep(): void {
    this.release();
    this.copies = this.model.weights.map((w) => tf.clone(w.read()));
  }

  /** Writes the kept weights into the model; false when none were kept. */
  restore(): boolean {
    if (!this.copies) return false;
    // write() assigns the copy's values to the same variables: everything holding them (the optimizer, the forward pass) sees the restored weights.
    this.model.weights.forEach((w, i) => w.write(this.copies![i]));
    return true;
  }

  /** The kept copy's values (for a checkpoint); null when none is kept. */
  async save(): Promise<TensorData[] | null> {
    if (!this.copies) return null;
    const copies = this.copies;
    return Promise.all(this.model.weights.map((w, i) => tensorData(w.originalName, copies[i])));
  }

  /** Keeps the saved values as the best epoch's copy. */
  load(saved: TensorData[]): void {
    this.release();
    this.copies = saved.map(toTensor);
  }

  release(): void {
    if (this.copies) tf.dispose(this.copies);
    this.copies = null;
  }
}
