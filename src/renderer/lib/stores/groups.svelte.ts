/**
 * Repeats and sweeps: the groups the core knows (kept live by 'group-updated'),
 * starting one from the Train view, which groups the Runs view shows expanded or
 * ticked for a comparison, the group whose panel is open, and the details of a
 * group's runs for its sweep view.
 */
import type { StartGroupRequest } from '../../../shared/contract/requests';
import { isTerminal, type RunDetail, type RunGroup, type RunSummary } from '../../../shared/contract/runs';
import { api, onEvent, onReconnect } from '../transport/api';
import { problems } from './errors.svelte';
import { flash } from './flash.svelte';
import { runs } from './runs.svelte';
import { describeGroup } from '../sweep';

const newestFirst = (a: RunGroup, b: RunGroup) => b.id - a.id;

/** Most groups side by side in a comparison (each is a mean line and its band). */
export const MAX_COMPARED_GROUPS = 8;

class Groups {
  list = $state.raw<RunGroup[]>([]);
  loaded = $state(false);
  /** Groups whose runs the Runs view lists under them. */
  expanded = $state<number[]>([]);
  /** Groups ticked for a comparison, in the order they were ticked. */
  checked = $state<number[]>([]);
  /** The group whose panel (sweep view) the Runs view shows. */
  selectedId = $state<number | null>(null);
  starting = $state(false);
  /** The last group started from this window, to say what was queued. */
  lastStarted = $state<{ group: RunGroup; text: string } | null>(null);
  /** Details of the runs of groups on screen, by run id. */
  details = $state.raw<Record<number, RunDetail>>({});

  #index = $derived(new Map(this.list.map((g) => [g.id, g])));
  #subscribed = false;
  #detailTimer: ReturnType<typeof setTimeout> | null = null;
  #watched = new Set<number>();

  selected = $derived(this.selectedId === null ? null : (this.#index.get(this.selectedId) ?? null));
  compareIds = $derived(this.checked.filter((id) => this.#index.has(id)));

  byId(id: number): RunGroup | null {
    return this.#index.get(id) ?? null;
  }

  /** Load the groups once (and again after a lost connection), and follow the pushed changes. */
  ensure() {
    if (this.#subscribed) return;
    this.#subscribed = true;
    onEvent((event) => {
      if (event.type === 'group-updated') this.upsert(event.group);
      else if (event.type === 'run-updated' || event.type === 'run-epoch') {
        const id = event.type === 'run-updated' ? event.run.id : event.runId;
        if (this.#watched.has(id)) this.#refreshSoon();
      }
    });
    onReconnect(() => void this.load());
    void this.load();
  }

  async load() {
    try {
      this.list = [...(await api.listGroups())].sort(newestFirst);
      this.loaded = true;
    } catch (err) {
      problems.report('Loading the repeats and sweeps', err);
    }
  }

  upsert(group: RunGroup) {
    const i = this.list.findIndex((g) => g.id === group.id);
    this.list = i === -1 ? [...this.list, group].sort(newestFirst) : this.list.with(i, group);
  }

  /** The group's runs that still exist, in the order they were created. */
  runsOf(group: RunGroup): RunSummary[] {
    return group.runIds.map((id) => runs.byId(id)).filter((r): r is RunSummary => r !== null);
  }

  /** Queue a repeat or sweep; the runs join the list at once and a flash says what was queued. Answers the queued runs (null when refused). */
  async start(request: StartGroupRequest): Promise<RunSummary[] | null> {
    this.starting = true;
    try {
      const { group, runs: queued } = await api.startGroup(request);
      for (const run of queued) runs.upsert(run);
      this.upsert(group);
      const text = `Queued ${group.kind} “${group.name}”: ${describeGroup(group.repeat, group.axes)}, runs #${queued[0]?.id}–#${queued[queued.length - 1]?.id}`;
      this.lastStarted = { group, text };
      flash.show(text);
      return queued;
    } catch (err) {
      problems.report(`Starting the ${request.axes.length ? 'sweep' : 'repeat'}`, err);
      return null;
    } finally {
      this.starting = false;
    }
  }

  toggleExpanded(id: number, open = !this.expanded.includes(id)) {
    this.expanded = open ? [...new Set([...this.expanded, id])] : this.expanded.filter((x) => x !== id);
  }

  toggleChecked(id: number) {
    if (this.checked.includes(id)) this.checked = this.checked.filter((x) => x !== id);
    else if (this.compareIds.length < MAX_COMPARED_GROUPS) this.checked = [...this.compareIds, id];
  }

  clearChecked() {
    this.checked = [];
  }

  /**
   * Keep the details of these runs loaded (and refreshed while they train) for a
   * group's panel; returns the function to call when the panel closes.
   */
  watch(ids: number[]): () => void {
    for (const id of ids) this.#watched.add(id);
    void this.fetch(ids);
    return () => {
      for (const id of ids) this.#watched.delete(id);
    };
  }

  async fetch(ids: number[]) {
    const wanted = ids.filter((id) => runs.byId(id) !== null || !runs.loaded);
    if (!wanted.length) return;
    try {
      const fetched = await api.getRuns(wanted);
      const next = { ...this.details };
      for (const d of fetched) next[d.id] = d;
      this.details = next;
    } catch (err) {
      problems.report('Loading the runs of the group', err);
    }
  }

  #refreshSoon() {
    if (this.#detailTimer) return;
    this.#detailTimer = setTimeout(() => {
      this.#detailTimer = null;
      void this.fetch([...this.#watched]);
    }, 1500);
  }
}

export const groups = new Groups();

/** Runs done (ended in any way) out of the group's runs. */
export function progressOf(members: RunSummary[]): { done: number; total: number; active: boolean } {
  const done = members.filter((r) => isTerminal(r.status)).length;
  return { done, total: members.length, active: done < members.length };
}
