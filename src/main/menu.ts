import { Menu, type MenuItemConstructorOptions } from 'electron';

/**
 * The app's menu. `devTools` is false in a packaged build: the window's
 * `webPreferences.devTools` is off there too, so no item or shortcut opens them.
 */
export function buildMenu({ devTools }: { devTools: boolean }): Menu {
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ role: process.platform === 'darwin' ? 'close' : 'quit' }] },
    // No undo/redo roles: their accelerators would swallow Ctrl+Z before the page
    // sees it, and the layer editor keeps its own history (text fields still undo natively).
    { label: 'Edit', submenu: [{ role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { type: 'separator' }, { role: 'selectAll' }] },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(devTools ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: 'Help',
      // The standard About box (app.setAboutPanelOptions in index.ts: name, version, Electron's version, icon);
      // macOS shows it from the app menu.
      submenu: [{ role: 'about', label: 'About Layerlab' }],
    },
  ];
  return Menu.buildFromTemplate(template);
}
