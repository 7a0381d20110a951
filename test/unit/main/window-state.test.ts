/** The desktop window opens where and as large as the user left it, and always somewhere they can reach it. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW, fitWindowState, MIN_WINDOW, readWindowState, writeWindowState } from '../../../src/main/window-state';

const laptop = { x: 0, y: 0, width: 1920, height: 1050 };
const rightMonitor = { x: 1920, y: 0, width: 2560, height: 1400 };
const dirs: string[] = [];
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'layerlab-window-'));
  dirs.push(dir);
  return join(dir, 'window-state.json');
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the remembered window', () => {
  it('comes back with the size, place and maximised state it was saved with', () => {
    const file = tempFile();
    writeWindowState(file, { x: 2100, y: 80, width: 1500, height: 900, maximized: true });
    const state = fitWindowState(readWindowState(file), [laptop, rightMonitor]);
    expect(state).toEqual({ x: 2100, y: 80, width: 1500, height: 900, maximized: true });
  });

  it('opens centred when its monitor is gone, and shrinks to the largest display left', () => {
    const saved = { x: 2100, y: 80, width: 2400, height: 1300, maximized: false };
    expect(fitWindowState(saved, [laptop])).toEqual({ width: 1920, height: 1050, maximized: false });
    // A window whose title bar hangs off the top of every display is not reachable either.
    expect(fitWindowState({ x: 100, y: -500, width: 1200, height: 800, maximized: false }, [laptop]).x).toBeUndefined();
    // Just enough of the title bar on the display to drag it: kept.
    expect(fitWindowState({ x: 1920 - 130, y: 10, width: 1200, height: 800, maximized: false }, [laptop]).x).toBe(1790);
  });

  it('never opens smaller than the minimum the layout needs', () => {
    expect(fitWindowState({ width: 300, height: 200, maximized: false }, [laptop])).toEqual({ ...MIN_WINDOW, maximized: false });
  });

  it('falls back to the default for a missing, damaged or half-written file', () => {
    const file = tempFile();
    expect(readWindowState(file)).toEqual(DEFAULT_WINDOW);
    writeFileSync(file, '{"x": 10, "y":');
    expect(readWindowState(file)).toEqual(DEFAULT_WINDOW);
    writeFileSync(file, JSON.stringify({ x: 'left', width: 1400, height: 'tall' }));
    expect(readWindowState(file)).toEqual(DEFAULT_WINDOW);
    writeFileSync(file, JSON.stringify({ x: 'left', y: 5, width: 1400.4, height: 880 }));
    expect(readWindowState(file)).toEqual({ width: 1400, height: 880, maximized: false });
    writeWindowState(file, { width: 1111, height: 777, maximized: false });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ width: 1111, height: 777, maximized: false });
  });
});
