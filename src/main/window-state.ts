/**
 * The window's size and place, remembered between launches (window-state.json in the app's
 * data folder). No electron import: index.ts hands in the displays' work areas, so the
 * rules are tested in plain Node. A place that is no longer on any display (a monitor
 * unplugged, a resolution changed) is forgotten and the window opens centred.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  /** Absent: centred on the primary display. */
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW: WindowState = { width: 1280, height: 860, maximized: false };
export const MIN_WINDOW = { width: 1024, height: 700 };
/** How much of the window must lie on one display to keep its place: enough to grab the title bar. */
const VISIBLE = { width: 120, height: 48 };

const whole = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : undefined);

/** The state saved in `file`, or the default when there is none or it is unreadable (never an error: it is only a convenience). */
export function readWindowState(file: string): WindowState {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return { ...DEFAULT_WINDOW };
  }
  const [x, y, width, height] = [whole(raw?.x), whole(raw?.y), whole(raw?.width), whole(raw?.height)];
  if (width === undefined || height === undefined) return { ...DEFAULT_WINDOW };
  return { ...(x !== undefined && y !== undefined ? { x, y } : {}), width, height, maximized: raw.maximized === true };
}

/** Writes the state (whole, or not at all: a temporary file renamed). */
export function writeWindowState(file: string, state: WindowState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/**
 * The state fitted to the displays there are now (their work areas): no larger than the
 * largest, no smaller than the minimum, and its place kept only if enough of the window's
 * top edge is on a display to drag it.
 */
export function fitWindowState(state: WindowState, displays: Rect[]): WindowState {
  const maxWidth = Math.max(MIN_WINDOW.width, ...displays.map((d) => d.width));
  const maxHeight = Math.max(MIN_WINDOW.height, ...displays.map((d) => d.height));
  const width = Math.min(Math.max(state.width, MIN_WINDOW.width), maxWidth);
  const height = Math.min(Math.max(state.height, MIN_WINDOW.height), maxHeight);
  const fitted: WindowState = { width, height, maximized: state.maximized };
  if (state.x === undefined || state.y === undefined) return fitted;
  const titleBar = { x: state.x, y: state.y, width, height: VISIBLE.height };
  const reachable = displays.some((d) => {
    const o = overlap(titleBar, d);
    return o.width >= VISIBLE.width && o.height >= VISIBLE.height;
  });
  return reachable ? { ...fitted, x: state.x, y: state.y } : fitted;
}
