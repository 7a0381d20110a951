import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel } from '../../../src/core/engine/build-model';
import { BestWeights, EarlyStopper, stopReasonText } from '../../../src/core/engine/early-stopping';
import type { EpochMetrics } from '../../../src/shared/contract/runs';
import { DEFAULT_EARLY_STOPPING, type EarlyStopping } from '../../../src/shared/model/training-config';

/** Feeds one monitored figure per epoch until it says stop; returns each epoch's verdict as 'best', 'stop' or '-'. */
function run(settings: Partial<EarlyStopping>, figures: Array<number | null>): { verdicts: string; bestEpoch: number | null } {
  const stopper = new EarlyStopper({ ...DEFAULT_EARLY_STOPPING, ...settings });
  const monitor = settings.monitor ?? DEFAULT_EARLY_STOPPING.monitor;
  const verdicts: string[] = [];
  for (const [i, figure] of figures.entries()) {
    const metrics: EpochMetrics = {
      epoch: i + 1,
      loss: 1,
      accuracy: 0.5,
      valLoss: monitor === 'val_loss' ? figure : 0.5,
      valAccuracy: monitor === 'val_accuracy' ? figure : 0.5,
      seconds: 1,
    };
    const { improved, stop } = stopper.update(metrics);
    verdicts.push(stop ? 'stop' : improved ? 'best' : '-');
    if (stop) break;
  }
  return { verdicts: verdicts.join(' '), bestEpoch: stopper.bestEpoch };
}

describe("early stopping decides as Keras's EarlyStopping", () => {
  it('val_loss: stops once `patience` epochs pass without a lower loss, and names the lowest', () => {
    expect(run({ patience: 2 }, [1.0, 0.8, 0.85, 0.9, 0.7])).toEqual({ verdicts: 'best best - stop', bestEpoch: 2 });
    expect(run({ patience: 3 }, [1.0, 0.8, 0.85, 0.9, 0.7])).toEqual({ verdicts: 'best best - - best', bestEpoch: 5 });
  });

  it('val_accuracy: higher is better, and a tie is no improvement', () => {
    expect(run({ monitor: 'val_accuracy', patience: 2 }, [0.5, 0.6, 0.6, 0.59, 0.7])).toEqual({ verdicts: 'best best - stop', bestEpoch: 2 });
  });

  it('an improvement must beat the best by more than minDelta', () => {
    expect(run({ patience: 5, minDelta: 0.05 }, [1.0, 0.96, 0.95, 0.94])).toEqual({ verdicts: 'best - - best', bestEpoch: 4 });
    expect(run({ monitor: 'val_accuracy', patience: 5, minDelta: 0.05 }, [0.5, 0.55, 0.56])).toEqual({ verdicts: 'best - best', bestEpoch: 3 });
  });

  it('the waiting starts over after every improvement', () => {
    expect(run({ patience: 2 }, [1, 1.1, 0.9, 1.2, 0.8, 0.85, 0.86])).toEqual({ verdicts: 'best - best - best - stop', bestEpoch: 5 });
  });

  it('patience 0 stops at the first epoch that does not improve, but never after the first epoch', () => {
    expect(run({ patience: 0 }, [1, 0.9, 0.95, 0.5])).toEqual({ verdicts: 'best best stop', bestEpoch: 2 });
    expect(run({ patience: 0 }, [NaN, 1, 2])).toEqual({ verdicts: '- best stop', bestEpoch: 2 });
  });

  it('an epoch without the figure (no validation) changes nothing', () => {
    expect(run({ patience: 1 }, [1, null, null, 0.9])).toEqual({ verdicts: 'best - - best', bestEpoch: 4 });
  });

  it('says why the run ended in the words the run shows', () => {
    expect(stopReasonText(9, 6)).toBe('stopped early at epoch 9 (best 6)');
  });
});

describe('the best weights', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('are every weight of the model, BatchNormalization statistics too, written back into the same variables and then freed', async () => {
    const model = buildModel(
      {
        inputShape: [4],
        layers: [
          { type: 'Dense', units: 3, activation: 'relu' },
          { type: 'BatchNormalization' },
          { type: 'Dense', units: 10, activation: 'softmax' },
        ],
      },
      1,
    );
    const values = () => model.weights.map((w) => Array.from(w.read().dataSync()));
    const variables = model.weights.map((w) => w.read());
    const before = tf.memory().numTensors;
    const kept = values();
    const best = new BestWeights(model);
    best.keep();
    // Every weight moves, the moving mean and variance included.
    model.weights.forEach((w) => tf.tidy(() => void w.write(tf.add(w.read(), 1))));
    expect(values()).not.toEqual(kept);
    expect(best.restore()).toBe(true);
    expect(values()).toEqual(kept);
    expect(model.weights.map((w) => w.read())).toEqual(variables);
    best.release();
    expect(values()).toEqual(kept);
    expect(tf.memory().numTensors).toBe(before);
    expect(best.restore()).toBe(false);
    model.dispose();
  });
});
