/**
 * The rows of the runs table: runs, and each repeat or sweep as one row (where its
 * first run, in the table's order, would be) with its runs under it while it is
 * expanded. Pure.
 */
import type { RunGroup, RunSummary } from '../../shared/contract/runs';
import { sweepRanking } from '../../shared/reports/groups';

export type RunRow =
  | { kind: 'run'; run: RunSummary; /** Listed under its group's row. */ member: boolean }
  | {
      kind: 'group';
      group: RunGroup;
      /** Its runs that pass the filters, in the table's order. */
      shown: RunSummary[];
      /** All of its runs that still exist. */
      all: RunSummary[];
      expanded: boolean;
    };

export const rowKey = (row: RunRow) => (row.kind === 'run' ? `r${row.run.id}` : `g${row.group.id}`);

/** `visible` filtered and sorted; `all` every run (for a group's totals). */
export function runRows(visible: RunSummary[], all: RunSummary[], groups: RunGroup[], expanded: number[]): RunRow[] {
  const byId = new Map(groups.map((g) => [g.id, g]));
  const shownOf = new Map<number, RunSummary[]>();
  for (const run of visible) {
    if (run.groupId === null || !byId.has(run.groupId)) continue;
    const list = shownOf.get(run.groupId) ?? [];
    list.push(run);
    shownOf.set(run.groupId, list);
  }
  const allOf = new Map<number, RunSummary[]>();
  for (const run of all) {
    if (run.groupId === null || !shownOf.has(run.groupId)) continue;
    const list = allOf.get(run.groupId) ?? [];
    list.push(run);
    allOf.set(run.groupId, list);
  }
  const rows: RunRow[] = [];
  const placed = new Set<number>();
  for (const run of visible) {
    const group = run.groupId === null ? undefined : byId.get(run.groupId);
    if (!group) {
      rows.push({ kind: 'run', run, member: false });
      continue;
    }
    if (placed.has(group.id)) continue;
    placed.add(group.id);
    const open = expanded.includes(group.id);
    const shown = shownOf.get(group.id) ?? [];
    const members = allOf.get(group.id) ?? [];
    // The group's own order (seeds, then the grid), not the table's, so its runs read as they were planned.
    const order = new Map(group.runIds.map((id, i) => [id, i]));
    const rank = (r: RunSummary) => order.get(r.id) ?? Number.MAX_SAFE_INTEGER;
    rows.push({ kind: 'group', group, shown, all: [...members].sort((a, b) => rank(a) - rank(b) || a.id - b.id), expanded: open });
    if (open) for (const member of [...shown].sort((a, b) => rank(a) - rank(b) || a.id - b.id)) rows.push({ kind: 'run', run: member, member: true });
  }
  return rows;
}

export interface GroupFigures {
  done: number;
  total: number;
  running: number;
  /** The best setting's mean best validation accuracy (a repeat has one setting), its spread and n; null until a run completed. */
  bestValAccuracy: { mean: number; std: number; n: number; label: string } | null;
  /** Mean test accuracy of that setting's completed runs. */
  testAccuracy: { mean: number; std: number; n: number } | null;
}

const ENDED = new Set(['completed', 'failed', 'cancelled', 'crashed']);

/** What a group row shows: runs done of all, and its best setting's mean validation accuracy. */
export function groupFigures(group: RunGroup, members: RunSummary[]): GroupFigures {
  const done = members.filter((r) => ENDED.has(r.status)).length;
  const running = members.filter((r) => r.status === 'running').length;
  let best: GroupFigures['bestValAccuracy'] = null;
  let test: GroupFigures['testAccuracy'] = null;
  for (const row of sweepRanking(group, members)) {
    const s = row.bestValAccuracy;
    if (s.mean === null || s.std === null) continue;
    if (!best || s.mean > best.mean) {
      best = { mean: s.mean, std: s.std, n: s.n, label: row.label };
      const t = row.testAccuracy;
      test = t.mean === null || t.std === null ? null : { mean: t.mean, std: t.std, n: t.n };
    }
  }
  return { done, total: members.length, running, bestValAccuracy: best, testAccuracy: test };
}

/** A value every run of the group shares, or null when they differ (a swept setting). */
export function sharedValue<T>(members: RunSummary[], pick: (r: RunSummary) => T): T | null {
  if (!members.length) return null;
  const first = pick(members[0]);
  return members.every((r) => pick(r) === first) ? first : null;
}
