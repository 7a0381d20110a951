/**
 * The comparison on screen: which runs (in selection order, which fixes their
 * colours), the view options, the runs' details, and the saved comparisons.
 * The selection and options are mirrored in the address (route.svelte.ts).
 */
import type { LayerlabEvent } from '../../../shared/contract/api';
import { MAX_COMPARED_RUNS, type SavedComparison } from '../../../shared/contract/comparisons';
import type { RunDetail } from '../../../shared/contract/runs';
import { api } from '../transport/api';
import { messageOf, problems } from './errors.svelte';
import { flash } from './flash.svelte';
import { nav } from './nav.svelte';
import { runs } from './runs.svelte';
import { cleanOptions, DEFAULT_OPTIONS, type CompareOptions } from '../route';

const sameIds = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

class Comparison {
  /** Selection order: it fixes each run's colour. */
  runIds = $state.raw<number[]>([]);
  options = $state<CompareOptions>({ ...DEFAULT_OPTIONS });
  /** Details of the runs in `runIds` order, once loaded. */
  runs = $state.raw<RunDetail[]>([]);
  loading = $state(false);
  /** Runs the legend has hidden from the charts. */
  hidden = $state<number[]>([]);
  saved = $state.raw<SavedComparison[]>([]);
  savedLoaded = $state(false);
  /** The saved comparison this one was opened from (or last saved as). */
  savedId = $state<number | null>(null);

  #refreshTimer: ReturnType<typeof setTimeout> | null = null;
  #loadedFor: number[] = [];

  /** Show these runs side by side (at most 16) and go to the Compare view. */
  open(ids: number[], options?: Partial<CompareOptions>, savedId: number | null = null) {
    const unique = [...new Set(ids)].slice(0, MAX_COMPARED_RUNS);
    if (!sameIds(unique, this.runIds)) {
      this.runIds = unique;
      this.hidden = [];
    }
    if (options) this.options = cleanOptions({ ...this.options, ...options });
    this.savedId = savedId;
    nav.view = 'compare';
  }

  /** Set from the address: no view change, no saved-comparison link. */
  restore(ids: number[], options: Partial<CompareOptions>) {
    const unique = [...new Set(ids)].slice(0, MAX_COMPARED_RUNS);
    if (!sameIds(unique, this.runIds)) {
      this.runIds = unique;
      this.hidden = [];
      this.savedId = null;
    }
    this.options = cleanOptions(options);
  }

  removeRun(id: number) {
    this.runIds = this.runIds.filter((x) => x !== id);
    this.runs = this.runs.filter((r) => r.id !== id);
    this.#loadedFor = this.runs.map((r) => r.id);
    this.hidden = this.hidden.filter((x) => x !== id);
  }

  toggleHidden(id: number) {
    this.hidden = this.hidden.includes(id) ? this.hidden.filter((x) => x !== id) : [...this.hidden, id];
  }

  /**
   * Load the selected runs' details (again when `force`). Runs that no longer
   * exist are left out, with a message, rather than failing the whole comparison.
   */
  async load(force = false) {
    let ids = this.runIds;
    if (!force && sameIds(ids, this.#loadedFor)) return;
    if (runs.loaded) {
      const missing = ids.filter((id) => !runs.byId(id));
      if (missing.length) {
        problems.report('Opening the comparison', `No run with id ${missing.join(', ')}; ${missing.length === 1 ? 'it was' : 'they were'} left out`);
        ids = ids.filter((id) => runs.byId(id));
        this.runIds = ids;
      }
    }
    this.#loadedFor = ids;
    if (ids.length === 0) {
      this.runs = [];
      return;
    }
    this.loading = true;
    try {
      const details = await api.getRuns(ids);
      if (sameIds(ids, this.runIds)) this.runs = details;
    } catch (err) {
      this.#loadedFor = [];
      problems.report('Opening the comparison', err);
    } finally {
      this.loading = false;
    }
  }

  /** A compared run changed (an epoch while training, a rename): reload, at most every 1.5 s. */
  handle(event: LayerlabEvent) {
    if (event.type === 'run-deleted') {
      if (this.runIds.includes(event.runId)) this.removeRun(event.runId);
      return;
    }
    const id = event.type === 'run-updated' ? event.run.id : event.type === 'run-epoch' ? event.runId : null;
    if (id === null || !this.#loadedFor.includes(id) || this.#refreshTimer) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      if (nav.view === 'compare') void this.load(true);
      else this.#loadedFor = [];
    }, 1500);
  }

  async loadSaved() {
    try {
      this.saved = await api.listComparisons();
      this.savedLoaded = true;
    } catch (err) {
      problems.report('Listing the saved comparisons', err);
    }
  }

  /**
   * Save under a name: over the open saved comparison when the name is its own,
   * else as a new one (the core refuses a name another comparison has).
   */
  async save(name: string): Promise<{ ok: true } | { ok: false; message: string }> {
    const trimmed = name.trim();
    const current = this.saved.find((c) => c.id === this.savedId);
    const id = current && current.name === trimmed ? current.id : undefined;
    try {
      const saved = await api.saveComparison({
        ...(id !== undefined ? { id } : {}),
        name: trimmed,
        runIds: this.runIds,
        options: { ...this.options },
      });
      this.savedId = saved.id;
      flash.show(`Saved the comparison “${saved.name}”`);
      await this.loadSaved();
      return { ok: true };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    }
  }

  openSaved(c: SavedComparison) {
    this.open(c.runIds, cleanOptions(c.options), c.id);
  }

  async deleteSaved(id: number) {
    try {
      await api.deleteComparison(id);
      if (this.savedId === id) this.savedId = null;
      await this.loadSaved();
    } catch (err) {
      problems.report('Deleting the saved comparison', err);
    }
  }
}

export const comparison = new Comparison();
