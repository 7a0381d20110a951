/** How the queue and paused runs are put in words: places in line, what a run is, where it stopped. */
import type { RunSummary } from '../../shared/contract/runs';
import { formatSetting, plural } from './format';

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** What a run trains, in a few words: "seed-model-3 · adam · lr 0.001 · 5 epochs". */
export function runSettings(run: RunSummary): string {
  return `${run.presetId ?? 'custom'} · ${run.optimizer} · lr ${formatSetting(run.learningRate)} · ${plural(run.epochsPlanned, 'epoch')}`;
}

/**
 * Where a queued run stands: "2nd in line, starts after run #12". `queue` is the
 * queued runs in order, `running` the run training now.
 */
export function placeInLine(run: RunSummary, queue: RunSummary[], running: RunSummary | null): string {
  const i = queue.findIndex((r) => r.id === run.id);
  const position = run.queuePosition ?? (i === -1 ? null : i + 1);
  if (position === null) return 'in the queue';
  const ahead = i > 0 ? queue[i - 1] : position === 1 ? running : null;
  const after = ahead && ahead.id !== run.id ? `, starts after run #${ahead.id}` : position === 1 ? ', starts next' : '';
  return `${ordinal(position)} in line${after}`;
}

/** "epoch 2 of 5, batch 17 of 50": where a paused (or crashed) run stopped; the batch count when known. */
export function stoppedAt(run: RunSummary, batchesPerEpoch: number | null): string | null {
  const c = run.checkpoint;
  if (!c) return null;
  const batches = batchesPerEpoch ? ` of ${batchesPerEpoch}` : '';
  return `epoch ${c.epoch} of ${run.epochsPlanned}, batch ${c.batch}${batches}`;
}

/** The Resume button's words: "Resume from epoch 2, batch 0". */
export function resumeLabel(run: RunSummary): string {
  const c = run.checkpoint;
  return c ? `Resume from epoch ${c.epoch}, batch ${c.batch}` : 'Resume';
}

/** A paused run, or a crashed one that left a checkpoint, can continue where it stopped. */
export const canResume = (run: RunSummary) => run.status === 'paused' || (run.status === 'crashed' && run.checkpoint !== null);
