/**
 * The View menu offers DevTools only in a development run. Electron is faked:
 * its binary cannot run in plain Node, and the menu is only a template here.
 */
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({
  app: { getVersion: () => '0.0.0', getPath: () => '/tmp' },
  dialog: { showMessageBox: async () => ({ response: 0 }) },
  // The "menu" is its template, so the test can read it.
  Menu: { buildFromTemplate: (template: MenuItemConstructorOptions[]) => template },
}));

const { buildMenu } = await import('../../../src/main/menu');

/** Every role and label in the menu, submenus included. */
function items(devTools: boolean): string[] {
  const walk = (list: MenuItemConstructorOptions[]): string[] =>
    list.flatMap((item) => [
      ...(item.role ? [item.role.toLowerCase()] : []),
      ...(item.label ? [item.label] : []),
      ...(Array.isArray(item.submenu) ? walk(item.submenu) : []),
    ]);
  return walk(buildMenu({ devTools }) as unknown as MenuItemConstructorOptions[]);
}

describe('the application menu', () => {
  it('has no DevTools item (nor its shortcut) in a packaged build', () => {
    const packaged = items(false);
    expect(packaged.some((i) => /devtools/i.test(i))).toBe(false);
    expect(packaged).toContain('reload');
    expect(packaged).toContain('About Layerlab');
  });

  it('offers Toggle DevTools in a development run', () => {
    expect(items(true)).toContain('toggledevtools');
  });
});
