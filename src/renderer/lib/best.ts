/** The best epoch in words: by validation loss (Keras's EarlyStopping default), and by accuracy where that differs. */
import type { RunSummary } from '../../shared/contract/runs';
import { formatAccuracy, formatLoss } from './format';

type Best = Pick<RunSummary, 'bestEpoch' | 'bestValLoss' | 'bestAccuracyEpoch' | 'bestValAccuracy'>;

/** "best epoch 10 (lowest validation loss 0.321); highest validation accuracy 0.886 at epoch 18", or null before any validation. */
export function bestText(run: Best): string | null {
  const byLoss =
    run.bestEpoch !== null && run.bestValLoss !== null ? `best epoch ${run.bestEpoch} (lowest validation loss ${formatLoss(run.bestValLoss)})` : null;
  const byAccuracy =
    run.bestAccuracyEpoch !== null && run.bestValAccuracy !== null
      ? `highest validation accuracy ${formatAccuracy(run.bestValAccuracy)} at epoch ${run.bestAccuracyEpoch}`
      : null;
  if (byLoss && byAccuracy && run.bestAccuracyEpoch !== run.bestEpoch) return `${byLoss}; ${byAccuracy}`;
  if (byLoss && byAccuracy)
    return `best epoch ${run.bestEpoch} (lowest validation loss ${formatLoss(run.bestValLoss)}, accuracy ${formatAccuracy(run.bestValAccuracy)})`;
  return byLoss ?? byAccuracy;
}
