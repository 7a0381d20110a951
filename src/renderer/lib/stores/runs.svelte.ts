/**
 * Every run the app knows, kept live by pushed events: the list (summaries),
 * the latest progress of running runs, and full details of the runs on screen.
 */
import { untrack } from 'svelte';
import type { LayerlabEvent, ModelArtifacts } from '../../../shared/contract/api';
import type { RunBundle } from '../../../shared/reports/bundle';
import {
  isTerminal,
  type BatchLoss,
  type EpochMetrics,
  type LayerStat,
  type RunDetail,
  type RunPatch,
  type RunProgress,
  type RunSummary,
} from '../../../shared/contract/runs';
import { api } from '../transport/api';
import { problems } from './errors.svelte';
import { flash } from './flash.svelte';
import { placeInLine } from '../queue';
import { mergeBatches, mergeEpochs, mergeLayerStats, supersedes } from '../run-merge';

const newestFirst = (a: RunSummary, b: RunSummary) => b.id - a.id;
/** Queue order: the place the core gave, then the order of creation. */
const queueOrder = (a: RunSummary, b: RunSummary) => (a.queuePosition ?? Infinity) - (b.queuePosition ?? Infinity) || a.id - b.id;

/** Every field of a summary, checked complete by the compiler: a detail takes them all from a later summary. */
const SUMMARY_FIELDS: Record<keyof RunSummary, true> = {
  id: true,
  name: true,
  status: true,
  presetId: true,
  datasetId: true,
  datasetName: true,
  optimizer: true,
  learningRate: true,
  batchSize: true,
  architecture: true,
  epochsDone: true,
  epochsPlanned: true,
  bestValAccuracy: true,
  bestEpoch: true,
  bestValLoss: true,
  bestAccuracyEpoch: true,
  finalValAccuracy: true,
  finalValLoss: true,
  testAccuracy: true,
  testLoss: true,
  backend: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  durationSeconds: true,
  error: true,
  notes: true,
  tags: true,
  starred: true,
  hasModel: true,
  savedWeights: true,
  stopReason: true,
  parentRunId: true,
  fixFor: true,
  queuePosition: true,
  checkpoint: true,
  groupId: true,
  sweepValues: true,
  repeatIndex: true,
  named: true,
};
const SUMMARY_KEYS = Object.keys(SUMMARY_FIELDS) as (keyof RunSummary)[];

function copySummary(into: RunSummary, from: RunSummary) {
  for (const k of SUMMARY_KEYS) (into as unknown as Record<string, unknown>)[k] = from[k];
}

class Runs {
  /**
   * Newest first. Raw (not deeply reactive): with 10,000 runs a proxy per row
   * costs more than it gives; every change assigns a new array.
   */
  list = $state.raw<RunSummary[]>([]);
  loaded = $state(false);
  /** Latest progress per running run. */
  progress = $state<Record<number, RunProgress>>({});
  /** Full details of runs somebody on screen is watching. */
  details = $state<Record<number, RunDetail>>({});
  /** The run selected in the Runs view. */
  selectedId = $state<number | null>(null);
  /** Ids whose cancel request is on its way. */
  cancelling = $state<number[]>([]);
  /** Running runs asked to pause: they stop at the end of the current batch, then say so. */
  pausing = $state<number[]>([]);
  /** Ids whose resume or move request is on its way. */
  resuming = $state<number[]>([]);
  moving = $state<number[]>([]);

  /** The run training now, if any. */
  running = $derived(this.list.find((r) => r.status === 'running') ?? null);
  /** The queued runs in the order they will train (first = next). */
  queue = $derived(this.list.filter((r) => r.status === 'queued').sort(queueOrder));
  /** Paused runs, oldest first: each waits for Resume. */
  paused = $derived(this.list.filter((r) => r.status === 'paused').sort((a, b) => a.id - b.id));
  #index = $derived(new Map(this.list.map((r) => [r.id, r])));

  /** Epochs and sampled batch losses pushed for active runs, kept even before their detail is loaded. */
  #liveEpochs = new Map<number, EpochMetrics[]>();
  #liveBatches = new Map<number, BatchLoss[]>();
  #liveBaseline = new Map<number, EpochMetrics>();
  #liveStats = new Map<number, LayerStat[]>();
  #watchers = new Map<number, number>();
  #fetching = new Set<number>();
  #refetch = new Set<number>();

  async load() {
    try {
      const runs = await api.listRuns();
      this.list = [...runs].sort(newestFirst);
      this.loaded = true;
    } catch (err) {
      problems.report('Loading the runs', err);
    }
  }

  byId(id: number | null): RunSummary | null {
    return id === null ? null : (this.#index.get(id) ?? null);
  }

  /** Insert or replace a run in the list, keeping newest first. */
  upsert(run: RunSummary) {
    const i = this.list.findIndex((r) => r.id === run.id);
    if (i === -1) {
      this.list = [...this.list, run].sort(newestFirst);
    } else if (supersedes(this.list[i], run)) {
      this.list = this.list.with(i, run);
    } else {
      return;
    }
    const detail = this.details[run.id];
    if (detail && supersedes(detail, run)) copySummary(detail, run);
    if (run.status !== 'running') {
      if (this.pausing.includes(run.id)) this.pausing = this.pausing.filter((x) => x !== run.id);
      delete this.progress[run.id];
    }
    if (isTerminal(run.status)) {
      delete this.progress[run.id];
      this.#forgetLive(run.id);
    }
  }

  /**
   * Keep the full detail of a run loaded and live while the caller shows it.
   * Returns the function to call when it is no longer shown.
   */
  watch(id: number): () => void {
    this.#watchers.set(id, (this.#watchers.get(id) ?? 0) + 1);
    // Called from effects: reading the cache here must not make them depend on it.
    if (!untrack(() => this.details[id])) void this.fetchDetail(id);
    return () => {
      const n = (this.#watchers.get(id) ?? 1) - 1;
      if (n <= 0) this.#watchers.delete(id);
      else this.#watchers.set(id, n);
    };
  }

  #forgetLive(id: number) {
    this.#liveEpochs.delete(id);
    this.#liveBatches.delete(id);
    this.#liveBaseline.delete(id);
    this.#liveStats.delete(id);
  }

  /** Load (or reload) one run's detail; concurrent requests collapse into one more fetch. */
  async fetchDetail(id: number) {
    if (this.#fetching.has(id)) {
      this.#refetch.add(id);
      return;
    }
    this.#fetching.add(id);
    try {
      const fetched = await api.getRun(id);
      const current = this.details[id];
      const live = { epochs: this.#liveEpochs.get(id) ?? [], batches: this.#liveBatches.get(id) ?? [] };
      const merged: RunDetail = {
        ...fetched,
        epochs: mergeEpochs(fetched.epochs, [...(current?.epochs ?? []), ...live.epochs]),
        batchLosses: mergeBatches(fetched.batchLosses, [...(current?.batchLosses ?? []), ...live.batches]),
        baseline: fetched.baseline ?? current?.baseline ?? this.#liveBaseline.get(id) ?? null,
        layerStats: mergeLayerStats(fetched.layerStats, [...(current?.layerStats ?? []), ...(this.#liveStats.get(id) ?? [])]),
      };
      const summary = this.byId(id);
      if (summary && !supersedes(summary, merged)) copySummary(merged, summary);
      this.details[id] = merged;
    } catch (err) {
      problems.report(`Loading run #${id}`, err);
    } finally {
      this.#fetching.delete(id);
      if (this.#refetch.delete(id)) void this.fetchDetail(id);
    }
  }

  /** Reload everything after a lost connection came back. */
  async reload() {
    await this.load();
    for (const id of this.#watchers.keys()) void this.fetchDetail(id);
  }

  /** Forget a run the core deleted. */
  forget(id: number) {
    if (this.byId(id)) this.list = this.list.filter((r) => r.id !== id);
    delete this.details[id];
    delete this.progress[id];
    this.#forgetLive(id);
    if (this.selectedId === id) this.selectedId = null;
  }

  /** Rename, annotate, tag or star; the answer (and the pushed event) update the list. */
  async update(id: number, patch: RunPatch): Promise<boolean> {
    try {
      this.upsert(await api.updateRun(id, patch));
      return true;
    } catch (err) {
      problems.report(`Changing run #${id}`, err);
      return false;
    }
  }

  /** Delete a finished run and its metrics; the core refuses a queued or training one, with a message. */
  async remove(id: number): Promise<boolean> {
    try {
      await api.deleteRun(id);
      this.forget(id);
      return true;
    } catch (err) {
      problems.report(`Deleting run #${id}`, err);
      return false;
    }
  }

  /** Runs as a portable bundle (network, settings, metrics), for a file. */
  exportBundle(ids: number[]): Promise<RunBundle> {
    return api.exportRuns(ids);
  }

  /** A completed run's trained model (model.json and its weights). */
  exportModel(id: number): Promise<ModelArtifacts> {
    return api.exportModel(id);
  }

  /** Add a bundle's runs under new ids; they join the list at once. Rejects with the core's message. */
  async importBundle(bundle: RunBundle): Promise<RunSummary[]> {
    const { imported } = await api.importRuns(bundle);
    for (const run of imported) this.upsert(run);
    return imported;
  }

  async cancel(id: number) {
    if (this.cancelling.includes(id)) return;
    this.cancelling.push(id);
    try {
      this.upsert(await api.cancelRun(id));
    } catch (err) {
      problems.report(`Cancelling run #${id}`, err);
    } finally {
      this.cancelling = this.cancelling.filter((x) => x !== id);
    }
  }

  /** Pause a running run at the end of its batch (it answers at once, the pause follows as an event), or hold a queued one. */
  async pause(id: number) {
    if (this.pausing.includes(id)) return;
    const before = this.byId(id);
    if (before?.status === 'running') this.pausing.push(id);
    try {
      this.upsert(await api.pauseRun(id));
    } catch (err) {
      this.pausing = this.pausing.filter((x) => x !== id);
      problems.report(`Pausing run #${id}`, err);
    }
  }

  /** Queue a paused run (or a crashed one with a checkpoint) to continue where it stopped. Resolves to the queued run, or null when refused. */
  async resume(id: number): Promise<RunSummary | null> {
    if (this.resuming.includes(id)) return null;
    this.resuming.push(id);
    try {
      const run = await api.resumeRun(id);
      this.upsert(run);
      const training = this.running;
      if (run.status === 'queued' && training && training.id !== run.id) {
        flash.show(`Run #${run.id} will continue where it stopped — ${placeInLine(run, this.queue, training)}.`);
      }
      return run;
    } catch (err) {
      problems.report(`Resuming run #${id}`, err);
      return null;
    } finally {
      this.resuming = this.resuming.filter((x) => x !== id);
    }
  }

  /** Move a queued run to a place in the queue (1 = trains next). */
  async moveInQueue(id: number, position: number) {
    if (this.moving.includes(id)) return;
    this.moving.push(id);
    try {
      for (const run of await api.moveQueuedRun(id, position)) this.upsert(run);
    } catch (err) {
      problems.report(`Moving run #${id} in the queue`, err);
    } finally {
      this.moving = this.moving.filter((x) => x !== id);
    }
  }

  handle(event: LayerlabEvent) {
    switch (event.type) {
      case 'run-updated': {
        const before = this.details[event.run.id];
        const statusBefore = before?.status;
        this.upsert(event.run);
        if (before && this.#watchers.has(event.run.id)) {
          // Dataset, environment and test results are only in the detail: fetch again when they appear.
          const changed = statusBefore !== event.run.status;
          const missing = event.run.status !== 'queued' && (before.dataset === null || before.environment === null);
          if (changed || missing) void this.fetchDetail(event.run.id);
        }
        break;
      }
      case 'run-deleted':
        this.forget(event.runId);
        break;
      case 'run-epoch': {
        const { runId, epoch } = event;
        const live = this.#liveEpochs.get(runId) ?? [];
        this.#liveEpochs.set(runId, mergeEpochs([epoch], live));
        const detail = this.details[runId];
        if (detail) {
          const i = detail.epochs.findIndex((e) => e.epoch === epoch.epoch);
          if (i === -1) detail.epochs.push(epoch);
          else detail.epochs[i] = epoch;
          if (epoch.epoch > detail.epochsDone) detail.epochsDone = epoch.epoch;
        }
        break;
      }
      case 'run-baseline': {
        this.#liveBaseline.set(event.runId, event.baseline);
        const detail = this.details[event.runId];
        if (detail) detail.baseline = event.baseline;
        break;
      }
      case 'run-layer-stats': {
        const { runId, stats } = event;
        this.#liveStats.set(runId, mergeLayerStats(this.#liveStats.get(runId) ?? [], stats));
        const detail = this.details[runId];
        if (detail) detail.layerStats = mergeLayerStats(detail.layerStats, stats);
        break;
      }
      case 'run-progress': {
        const p = event.progress;
        this.progress[p.runId] = p;
        const point: BatchLoss = { epoch: p.epoch, batch: p.batch, loss: p.batchLoss };
        const live = this.#liveBatches.get(p.runId) ?? [];
        live.push(point);
        this.#liveBatches.set(p.runId, live);
        const detail = this.details[p.runId];
        if (detail) {
          const last = detail.batchLosses[detail.batchLosses.length - 1];
          if (!last || last.epoch < p.epoch || (last.epoch === p.epoch && last.batch < p.batch)) detail.batchLosses.push(point);
        }
        break;
      }
    }
  }
}

export const runs = new Runs();
