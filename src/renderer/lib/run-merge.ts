/**
 * A run's epochs and batch losses from two sources (a fetched detail and what was
 * pushed meanwhile), each kept once and in order, whichever arrived first.
 */
import type { BatchLoss, EpochMetrics, LayerStat, RunStatus, RunSummary } from '../../shared/contract/runs';

export function mergeEpochs(into: EpochMetrics[], extra: EpochMetrics[]): EpochMetrics[] {
  const byEpoch = new Map<number, EpochMetrics>();
  for (const e of into) byEpoch.set(e.epoch, e);
  for (const e of extra) if (!byEpoch.has(e.epoch)) byEpoch.set(e.epoch, e);
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

export function mergeBatches(into: BatchLoss[], extra: BatchLoss[]): BatchLoss[] {
  const key = (b: BatchLoss) => b.epoch * 1_000_000 + b.batch;
  const byKey = new Map<number, BatchLoss>();
  for (const b of into) byKey.set(key(b), b);
  for (const b of extra) if (!byKey.has(key(b))) byKey.set(key(b), b);
  return [...byKey.values()].sort((a, b) => key(a) - key(b));
}

/** Layer signals keyed by probe (epoch, batch) and layer, in probe order then layer order. */
export function mergeLayerStats(into: LayerStat[], extra: LayerStat[]): LayerStat[] {
  const key = (s: LayerStat) => `${s.epoch}:${s.batch ?? -1}:${s.layer}`;
  const byKey = new Map<string, LayerStat>();
  for (const s of into) byKey.set(key(s), s);
  for (const s of extra) if (!byKey.has(key(s))) byKey.set(key(s), s);
  // An epoch's own probe (batch null) comes after the batch probes within it.
  const order = (s: LayerStat) => s.epoch * 1e7 + (s.batch ?? 1e7 - 1);
  return [...byKey.values()].sort((a, b) => order(a) - order(b) || a.layer - b.layer);
}

/**
 * The statuses a run can go to from each status. A run now moves back and forth
 * (running → paused → queued → running), so "further along" is not a rank any more:
 * a view of a run that could not follow the one held is an answer that arrived
 * late (a startRun answer after the run began, a pauseRun answer after it paused).
 */
const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'paused', 'cancelled', 'failed', 'crashed'],
  running: ['paused', 'completed', 'failed', 'cancelled', 'crashed'],
  paused: ['queued', 'cancelled', 'failed', 'crashed'],
  // A crashed run with a checkpoint is resumed: it is queued again.
  crashed: ['queued'],
  completed: [],
  failed: [],
  cancelled: [],
};

/** Whether `incoming` is a later view of the run than `held` (and should replace it). */
export function supersedes(held: RunSummary, incoming: RunSummary): boolean {
  if (held.status === incoming.status) return incoming.epochsDone >= held.epochsDone;
  if (!NEXT[held.status].includes(incoming.status)) return false;
  // Only a crashed run with a checkpoint can be queued again (resumed).
  if (held.status === 'crashed') return held.checkpoint !== null;
  return true;
}
