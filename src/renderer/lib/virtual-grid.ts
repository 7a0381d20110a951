/** Which cells of a long grid are on screen: the virtualised gallery draws only those (plus a row or two around them). */

export interface GridWindow {
  /** Positions [first, end) to draw. */
  first: number;
  end: number;
  columns: number;
  rows: number;
}

export function gridWindow(o: {
  total: number;
  width: number;
  cellWidth: number;
  rowHeight: number;
  scrollTop: number;
  viewportHeight: number;
  overscanRows?: number;
}): GridWindow {
  const columns = Math.max(1, Math.floor(o.width / o.cellWidth));
  const rows = Math.ceil(o.total / columns);
  const overscan = o.overscanRows ?? 2;
  const firstRow = Math.max(0, Math.floor(o.scrollTop / o.rowHeight) - overscan);
  const lastRow = Math.min(rows, Math.ceil((o.scrollTop + o.viewportHeight) / o.rowHeight) + overscan);
  return { first: Math.min(o.total, firstRow * columns), end: Math.min(o.total, lastRow * columns), columns, rows };
}

/** The pages (of `pageSize` positions) that hold positions [first, end). */
export function pagesFor(first: number, end: number, pageSize: number): number[] {
  if (end <= first) return [];
  const pages: number[] = [];
  for (let p = Math.floor(first / pageSize); p <= Math.floor((end - 1) / pageSize); p++) pages.push(p);
  return pages;
}

/** "97%" for a probability; "99.9%" near certainty so it does not read as 100%. */
export function formatConfidence(p: number): string {
  if (p >= 0.995 && p < 1) return `${(Math.floor(p * 1000) / 10).toFixed(1)}%`;
  return `${Math.round(p * 100)}%`;
}
