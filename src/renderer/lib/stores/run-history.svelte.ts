/**
 * The Runs view's table state: filters, sort order, shown columns (remembered
 * in localStorage) and the runs ticked for a comparison. Filtering and sorting
 * themselves are the shared run-filter's, so the CLI and bench agree with the UI.
 */
import { filterRuns, sortRuns } from '../../../shared/reports/run-filter';
import { MAX_COMPARED_RUNS } from '../../../shared/contract/comparisons';
import type { RunStatus } from '../../../shared/contract/runs';
import { COLUMNS, DEFAULT_HIDDEN, type Column, type ColumnId } from '../run-columns';
import { runs } from './runs.svelte';

const COLUMNS_KEY = 'layerlab.runs.hiddenColumns';

export interface RunFilterValues {
  text: string;
  status: RunStatus | '';
  tag: string;
  optimizer: string;
  /** yyyy-mm-dd from the date fields; '' for open-ended. */
  from: string;
  to: string;
  starred: boolean;
}

export const EMPTY_FILTER: RunFilterValues = { text: '', status: '', tag: '', optimizer: '', from: '', to: '', starred: false };

function readHidden(): ColumnId[] {
  try {
    const raw = localStorage.getItem(COLUMNS_KEY);
    if (raw === null) return [...DEFAULT_HIDDEN];
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [...DEFAULT_HIDDEN];
    return COLUMNS.filter((c) => !c.always && parsed.includes(c.id)).map((c) => c.id);
  } catch {
    return [...DEFAULT_HIDDEN];
  }
}

/** Local midnight of a yyyy-mm-dd day, as an ISO instant; the end of the day for `to`. */
function dayBound(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split('-').map(Number);
  const t = end ? new Date(y, m - 1, d + 1).getTime() - 1 : new Date(y, m - 1, d).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

class RunHistory {
  filter = $state<RunFilterValues>({ ...EMPTY_FILTER });
  /** null: newest first, as the core lists them. */
  sortColumn = $state<ColumnId | null>(null);
  sortDir = $state<'asc' | 'desc'>('asc');
  hidden = $state<ColumnId[]>(readHidden());
  /** Runs ticked for a comparison, in the order they were ticked (it fixes their colours). */
  checked = $state<number[]>([]);

  columns = $derived(COLUMNS.filter((c) => !this.hidden.includes(c.id)));

  filtered = $derived.by(() => {
    const f = this.filter;
    return filterRuns(runs.list, {
      text: f.text.trim() || undefined,
      status: f.status ? [f.status] : undefined,
      tag: f.tag || undefined,
      optimizer: f.optimizer || undefined,
      from: dayBound(f.from, false),
      to: dayBound(f.to, true),
      starred: f.starred || undefined,
    });
  });

  visible = $derived.by(() => {
    const column = COLUMNS.find((c) => c.id === this.sortColumn);
    return column?.sortKey ? sortRuns(this.filtered, column.sortKey, this.sortDir) : this.filtered;
  });

  filtering = $derived(JSON.stringify(this.filter) !== JSON.stringify(EMPTY_FILTER));

  /** Every tag in use, for the tag filter. */
  tags = $derived([...new Set(runs.list.flatMap((r) => r.tags))].sort((a, b) => a.localeCompare(b)));
  optimizers = $derived([...new Set(runs.list.map((r) => r.optimizer))].sort());

  /** Ticked runs that still exist. */
  compareIds = $derived(this.checked.filter((id) => runs.byId(id) !== null));
  canCheckMore = $derived(this.compareIds.length < MAX_COMPARED_RUNS);

  /** Click on a header: ascending, then descending, then back to newest first. */
  sortBy(column: Column) {
    if (!column.sortKey) return;
    if (this.sortColumn !== column.id) {
      this.sortColumn = column.id;
      // Figures read best high first; words and dates A→Z / oldest first.
      this.sortDir = column.num || column.id === 'star' ? 'desc' : 'asc';
    } else if (this.sortDir === (column.num || column.id === 'star' ? 'desc' : 'asc')) {
      this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    } else {
      this.sortColumn = null;
    }
  }

  setHidden(id: ColumnId, hide: boolean) {
    this.hidden = hide ? [...new Set([...this.hidden, id])] : this.hidden.filter((x) => x !== id);
    try {
      localStorage.setItem(COLUMNS_KEY, JSON.stringify(this.hidden));
    } catch {
      // Storage full or disabled: the choice lasts this session.
    }
  }

  isChecked(id: number): boolean {
    return this.checked.includes(id);
  }

  toggleChecked(id: number) {
    if (this.checked.includes(id)) this.checked = this.checked.filter((x) => x !== id);
    else if (this.canCheckMore) this.checked = [...this.compareIds, id];
  }

  clearChecked() {
    this.checked = [];
  }

  clearFilter() {
    this.filter = { ...EMPTY_FILTER };
  }
}

export const runHistory = new RunHistory();
