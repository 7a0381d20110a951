/**
 * The comparison on screen: which runs (in selection order, which fixes their
 * colours) and groups, the view options, the runs' details, and the saved
 * comparisons (which keep the groups too).
 * The selection and options are mirrored in the address (route.svelte.ts).
 */
import type { LayerlabEvent } from '../../../shared/contract/api';
import { MAX_COMPARED_RUNS, type SavedComparison } from '../../../shared/contract/comparisons';
import type { RunDetail, RunGroup } from '../../../shared/contract/runs';
import { api } from '../transport/api';
import { messageOf, problems } from './errors.svelte';
import { flash } from './flash.svelte';
import { groups, MAX_COMPARED_GROUPS } from './groups.svelte';
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
  /** Repeats and sweeps compared beside the runs, each as its mean ± std band (selection order: it fixes their colours after the runs'). */
  groupIds = $state.raw<number[]>([]);
  /** Each compared group and the details of its runs, in `groupIds` order, once loaded. */
  groups = $state.raw<{ group: RunGroup; runs: RunDetail[] }[]>([]);
  /** Groups the legend has hidden from the charts. */
  hiddenGroups = $state<number[]>([]);
  /** Draw each group's runs faintly behind its band. */
  showGroupRuns = $state(false);
  #groupsLoadedFor: number[] = [];
  #groupRunIds = new Set<number>();

  #refreshTimer: ReturnType<typeof setTimeout> | null = null;
  #loadedFor: number[] = [];

  /** Show these runs (at most 16) and groups (at most 8) side by side and go to the Compare view. */
  open(ids: number[], options?: Partial<CompareOptions>, savedId: number | null = null, groupIds: number[] = []) {
    const unique = [...new Set(ids)].slice(0, MAX_COMPARED_RUNS);
    if (!sameIds(unique, this.runIds)) {
      this.runIds = unique;
      this.hidden = [];
    }
    this.#setGroups(groupIds);
    if (options) this.options = cleanOptions({ ...this.options, ...options });
    this.savedId = savedId;
    nav.view = 'compare';
  }

  /** Set from the address: no view change, no saved-comparison link. */
  restore(ids: number[], options: Partial<CompareOptions>, groupIds: number[] = []) {
    const unique = [...new Set(ids)].slice(0, MAX_COMPARED_RUNS);
    if (!sameIds(unique, this.runIds)) {
      this.runIds = unique;
      this.hidden = [];
      this.savedId = null;
    }
    this.#setGroups(groupIds);
    this.options = cleanOptions(options);
  }

  removeRun(id: number) {
    this.runIds = this.runIds.filter((x) => x !== id);
    this.runs = this.runs.filter((r) => r.id !== id);
    this.#loadedFor = this.runs.map((r) => r.id);
    this.hidden = this.hidden.filter((x) => x !== id);
  }

  #setGroups(ids: number[]) {
    const unique = [...new Set(ids)].slice(0, MAX_COMPARED_GROUPS);
    if (sameIds(unique, this.groupIds)) return;
    this.groupIds = unique;
    this.hiddenGroups = [];
  }

  removeGroup(id: number) {
    this.groupIds = this.groupIds.filter((x) => x !== id);
    this.groups = this.groups.filter((g) => g.group.id !== id);
    this.#groupsLoadedFor = this.groups.map((g) => g.group.id);
    this.hiddenGroups = this.hiddenGroups.filter((x) => x !== id);
  }

  toggleHiddenGroup(id: number) {
    this.hiddenGroups = this.hiddenGroups.includes(id) ? this.hiddenGroups.filter((x) => x !== id) : [...this.hiddenGroups, id];
  }

  /**
   * Load the compared groups and their runs' details (again when `force`).
   * Groups that no longer exist are left out, with a message.
   */
  async loadGroups(force = false) {
    let ids = this.groupIds;
    if (!force && sameIds(ids, this.#groupsLoadedFor)) return;
    groups.ensure();
    if (!groups.loaded) await groups.load();
    const missing = ids.filter((id) => !groups.byId(id));
    if (missing.length && groups.loaded) {
      problems.report(
        'Opening the comparison',
        `No repeat or sweep with id ${missing.join(', ')}; ${missing.length === 1 ? 'it was' : 'they were'} left out`,
      );
      ids = ids.filter((id) => groups.byId(id));
      this.groupIds = ids;
    }
    this.#groupsLoadedFor = ids;
    const wanted = ids.map((id) => groups.byId(id)).filter((g): g is RunGroup => g !== null);
    if (wanted.length === 0) {
      this.groups = [];
      this.#groupRunIds = new Set();
      return;
    }
    this.loading = true;
    try {
      const runIds = [...new Set(wanted.flatMap((g) => g.runIds))];
      const details = runIds.length ? await api.getRuns(runIds) : [];
      const byId = new Map(details.map((d) => [d.id, d]));
      if (!sameIds(ids, this.groupIds)) return;
      this.groups = wanted.map((group) => ({ group, runs: group.runIds.map((id) => byId.get(id)).filter((d): d is RunDetail => d !== undefined) }));
      this.#groupRunIds = new Set(runIds);
    } catch (err) {
      this.#groupsLoadedFor = [];
      problems.report('Opening the comparison', err);
    } finally {
      this.loading = false;
    }
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
    if (event.type === 'group-updated' && this.groupIds.includes(event.group.id)) {
      groups.upsert(event.group);
      this.#groupsLoadedFor = [];
      if (nav.view === 'compare') void this.loadGroups(true);
      return;
    }
    const id = event.type === 'run-updated' ? event.run.id : event.type === 'run-epoch' ? event.runId : null;
    if (id === null || (!this.#loadedFor.includes(id) && !this.#groupRunIds.has(id)) || this.#refreshTimer) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      if (nav.view === 'compare') {
        void this.load(true);
        if (this.groupIds.length) void this.loadGroups(true);
      } else {
        this.#loadedFor = [];
        this.#groupsLoadedFor = [];
      }
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
   * Save the runs, groups and options under a name: over the open saved comparison
   * when the name is its own, else as a new one (the core refuses a name another comparison has).
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
        groupIds: this.groupIds,
        // An automatic smoothing (null) is saved as none: it is worked out again when the comparison is opened.
        options: { ...this.options, smoothing: this.options.smoothing ?? undefined },
      });
      this.savedId = saved.id;
      flash.show(`Saved the comparison “${saved.name}”`);
      await this.loadSaved();
      return { ok: true };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    }
  }

  /** Reopen a saved comparison; runs and groups deleted since are left out, with a message naming them. */
  openSaved(c: SavedComparison) {
    this.open(c.runIds, cleanOptions(c.options), c.id, c.groupIds);
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
