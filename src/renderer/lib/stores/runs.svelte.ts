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
  type RunStatus,
  type RunSummary,
} from '../../../shared/contract/runs';
import { api } from '../transport/api';
import { problems } from './errors.svelte';
import { mergeBatches, mergeEpochs, mergeLayerStats } from '../run-merge';

const statusRank = (s: RunStatus) => (s === 'queued' ? 0 : s === 'running' ? 1 : 2);

/** Of two views of the same run, the one further along (status only moves forward). */
function newer<T extends RunSummary>(a: T, b: RunSummary): boolean {
  const ra = statusRank(a.status);
  const rb = statusRank(b.status);
  if (ra !== rb) return ra > rb;
  return a.epochsDone > b.epochsDone;
}

const newestFirst = (a: RunSummary, b: RunSummary) => b.id - a.id;

const SUMMARY_KEYS: (keyof RunSummary)[] = [
  'id',
  'name',
  'status',
  'presetId',
  'optimizer',
  'learningRate',
  'batchSize',
  'architecture',
  'epochsDone',
  'epochsPlanned',
  'bestValAccuracy',
  'bestEpoch',
  'finalValAccuracy',
  'finalValLoss',
  'testAccuracy',
  'testLoss',
  'backend',
  'createdAt',
  'startedAt',
  'finishedAt',
  'durationSeconds',
  'error',
  'notes',
  'tags',
  'starred',
  'hasModel',
];

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

  /** The run training now, if any. */
  running = $derived(this.list.find((r) => r.status === 'running') ?? null);
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
    } else if (!newer(this.list[i], run)) {
      this.list = this.list.with(i, run);
    }
    const detail = this.details[run.id];
    if (detail && !newer(detail, run)) {
      for (const k of SUMMARY_KEYS) (detail as unknown as Record<string, unknown>)[k] = run[k];
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
      if (summary && newer(summary, merged)) for (const k of SUMMARY_KEYS) (merged as unknown as Record<string, unknown>)[k] = summary[k];
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
