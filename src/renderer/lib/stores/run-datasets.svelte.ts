/**
 * Which dataset each run trained on, for the runs table. The run list does not
 * carry it (a run's dataset record is part of its detail), so the rows on screen
 * ask for theirs, a few dozen at once, and the answer is kept: a run's dataset
 * never changes once it is queued.
 */
import type { DatasetInfo } from '../../../shared/contract/runs';
import { api } from '../transport/api';
import { problems } from './errors.svelte';
import { runs } from './runs.svelte';

const BATCH = 40;

class RunDatasets {
  /** Per run id: its dataset record (null: recorded without one, i.e. Fashion-MNIST). */
  known = $state<Record<number, DatasetInfo | null>>({});
  #waiting = new Set<number>();
  #asked = new Set<number>();
  #scheduled = false;

  /** The record of a run's dataset, asked for when not known yet (undefined until it arrives). */
  of(id: number): DatasetInfo | null | undefined {
    if (id in this.known) return this.known[id];
    const detail = runs.details[id];
    if (detail) return detail.dataset;
    if (!this.#asked.has(id)) {
      this.#asked.add(id);
      this.#waiting.add(id);
      if (!this.#scheduled) {
        this.#scheduled = true;
        setTimeout(() => void this.#flush(), 30);
      }
    }
    return undefined;
  }

  async #flush() {
    this.#scheduled = false;
    const ids = [...this.#waiting];
    this.#waiting.clear();
    for (let i = 0; i < ids.length; i += BATCH) {
      const chunk = ids.slice(i, i + BATCH).filter((id) => runs.byId(id) !== null);
      if (!chunk.length) continue;
      try {
        const details = await api.getRuns(chunk);
        const next = { ...this.known };
        for (const d of details) next[d.id] = d.dataset;
        this.known = next;
      } catch (err) {
        // Asked again when the rows are drawn next (a run deleted meanwhile, a dropped link).
        for (const id of chunk) this.#asked.delete(id);
        problems.report('Reading which dataset the runs trained on', err);
      }
    }
  }
}

export const runDatasets = new RunDatasets();
