/**
 * Looking inside runs' predictions: each completed run's evaluation per split
 * (the core caches it, so the second time is instant), pages of its predictions
 * for the gallery, the ten probabilities of one image, and two runs' diff.
 */
import type { DiffGroup, EvalSplit, PredictionFilter, RunDiff, RunEvaluation } from '../../../shared/contract/evaluation';
import type { GalleryPage } from '../gallery';
import { api } from '../transport/api';
import { messageOf, problems } from './errors.svelte';

export const SPLIT_NAMES: Record<EvalSplit, string> = { test: 'test images', validation: 'validation images' };

const keyOf = (runId: number, split: EvalSplit) => `${runId}:${split}`;

class Evaluations {
  /** Evaluations by "runId:split". */
  results = $state<Record<string, RunEvaluation>>({});
  /** Evaluations under way. */
  pending = $state<string[]>([]);
  /** Why an evaluation failed (a missing model, say), shown where it was asked for. */
  failures = $state<Record<string, string>>({});

  get(runId: number, split: EvalSplit): RunEvaluation | null {
    return this.results[keyOf(runId, split)] ?? null;
  }

  isPending(runId: number, split: EvalSplit): boolean {
    return this.pending.includes(keyOf(runId, split));
  }

  failure(runId: number, split: EvalSplit): string | null {
    return this.failures[keyOf(runId, split)] ?? null;
  }

  async evaluate(runId: number, split: EvalSplit): Promise<RunEvaluation | null> {
    const key = keyOf(runId, split);
    if (this.pending.includes(key)) return null;
    this.pending.push(key);
    delete this.failures[key];
    try {
      const result = await api.evaluateRun(runId, split);
      this.results[key] = result;
      return result;
    } catch (err) {
      this.failures[key] = messageOf(err);
      problems.report(`Evaluating run #${runId} on the ${SPLIT_NAMES[split]}`, err);
      return null;
    } finally {
      this.pending = this.pending.filter((k) => k !== key);
    }
  }
}

export const evaluations = new Evaluations();

/** One page of a run's predictions for the gallery. */
export async function loadPredictions(runId: number, filter: PredictionFilter, offset: number, limit: number): Promise<GalleryPage> {
  try {
    const page = await api.listPredictions(runId, { ...filter, offset, limit });
    return {
      total: page.total,
      items: page.images.map((p) => ({ index: p.index, label: p.label, seen: { predicted: p.predicted, confidence: p.confidence } })),
    };
  } catch (err) {
    problems.report(`Loading run #${runId}'s predictions`, err);
    throw err;
  }
}

/** One page of the images of one group of two runs' diff. */
export async function loadDiffImages(
  runA: number,
  runB: number,
  split: EvalSplit,
  group: DiffGroup,
  offset: number,
  limit: number,
): Promise<GalleryPage> {
  try {
    const page = await api.listDiffImages({ runA, runB, split, group, offset, limit });
    return {
      total: page.total,
      items: page.images.map((p) => ({
        index: p.index,
        label: p.label,
        seen: { predicted: p.a.predicted, confidence: p.a.confidence },
        seenB: { predicted: p.b.predicted, confidence: p.b.confidence },
      })),
    };
  } catch (err) {
    problems.report(`Loading the images runs #${runA} and #${runB} differ on`, err);
    throw err;
  }
}

/** The ten class probabilities a run gave one image; null (reported) when they could not be had. */
export async function loadProbabilities(runId: number, split: EvalSplit, index: number): Promise<number[] | null> {
  try {
    return (await api.getProbabilities(runId, split, index)).probabilities;
  } catch (err) {
    problems.report(`Loading run #${runId}'s probabilities for image ${index}`, err);
    return null;
  }
}

/** Where two runs agree and differ; null (reported) when it could not be worked out. */
export async function diffRuns(runA: number, runB: number, split: EvalSplit): Promise<{ ok: true; diff: RunDiff } | { ok: false; message: string }> {
  try {
    return { ok: true, diff: await api.diffRuns(runA, runB, split) };
  } catch (err) {
    problems.report(`Comparing the predictions of runs #${runA} and #${runB}`, err);
    return { ok: false, message: messageOf(err) };
  }
}
