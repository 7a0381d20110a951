/**
 * The desktop shell: one window, a menu, the contract registered on ipcMain.
 * Everything else lives in src/core and is shared with the CLI and browser mode.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, screen } from 'electron';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { SaveFileRequest, SavePdfRequest } from '../shared/contract/requests';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { API_METHODS, UserError } from '../shared/contract/api';
import { IPC_EVENT_CHANNEL, ipcChannel } from '../shared/contract/wire';
import { openLayerlab, type Layerlab } from '../core/app';
import { dispatch } from '../core/dispatch';
import { isTrustedSender, lockDown } from './security';
import { registerAppScheme, serveAppScheme } from './app-protocol';
import { shellMode } from './app-scheme';
import { type AppLayout, sqliteBinding, sqliteBindingProblem, trainerScript, windowIcon } from './layout';
import { buildMenu } from './menu';
import { fitWindowState, MIN_WINDOW, readWindowState, writeWindowState } from './window-state';
import { utilityTrainer } from './utility-trainer';

const here = fileURLToPath(new URL('.', import.meta.url));
let win: BrowserWindow | null = null;
let layerlab: Layerlab | null = null;

/**
 * The page (`app://layerlab/index.html`, or the dev server's in an unpackaged run)
 * and whether DevTools are on (never in a packaged build).
 */
const mode = shellMode(app.isPackaged, process.env);
// Privileged schemes must be registered before the app is ready.
registerAppScheme();

/** Where this app's files are: a source checkout or a packaged app (layout.ts). */
const layout = (): AppLayout => ({
  packaged: app.isPackaged,
  appPath: app.getAppPath(),
  resourcesPath: process.resourcesPath,
  mainDir: here,
  electronVersion: process.versions.electron,
});

/** The page's background while it loads, as the theme's --bg (app.css), so a dark desktop sees no white flash. */
const windowBackground = () => (nativeTheme.shouldUseDarkColors ? '#121519' : '#f4f5f7');

function createWindow(): void {
  const stateFile = join(app.getPath('userData'), 'window-state.json');
  const state = fitWindowState(
    readWindowState(stateFile),
    screen.getAllDisplays().map((d) => d.workArea),
  );
  win = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    minWidth: MIN_WINDOW.width,
    minHeight: MIN_WINDOW.height,
    title: 'Layerlab',
    icon: windowIcon(layout()),
    backgroundColor: windowBackground(),
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
      devTools: mode.devTools,
    },
  });
  lockDown(win, mode.pageUrl);
  const shown = win;
  shown.once('ready-to-show', () => {
    if (state.maximized) shown.maximize();
    shown.show();
  });
  // Remembered when the window closes: its normal (unmaximised) bounds, and whether it was maximised.
  shown.on('close', () => {
    try {
      writeWindowState(stateFile, { ...shown.getNormalBounds(), maximized: shown.isMaximized() });
    } catch {
      // Only a convenience: the next launch opens at the default size.
    }
  });
  win.on('closed', () => (win = null));
  void win.loadURL(mode.pageUrl);
}

/** The native save dialog; the renderer never names a path itself. */
async function saveWithDialog(request: SaveFileRequest): Promise<string | null> {
  const options = {
    defaultPath: join(app.getPath('documents'), request.suggestedName),
    filters: request.extensions?.length ? [{ name: request.filterName ?? 'File', extensions: request.extensions }] : [],
  };
  const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  if (result.canceled || !result.filePath) return null;
  try {
    writeFileSync(result.filePath, request.base64 !== undefined ? Buffer.from(request.base64, 'base64') : (request.text ?? ''));
  } catch (e) {
    throw new UserError(`Cannot write ${result.filePath}: ${(e as Error).message}`);
  }
  return result.filePath;
}

/**
 * A report printed to PDF by a hidden window with scripts off (the report has none,
 * and no external references), then saved where the user chooses.
 */
async function savePdfWithDialog(request: SavePdfRequest): Promise<string | null> {
  const options = { defaultPath: join(app.getPath('documents'), request.suggestedName), filters: [{ name: 'PDF', extensions: ['pdf'] }] };
  const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
  if (result.canceled || !result.filePath) return null;
  const page = join(app.getPath('temp'), `layerlab-report-${process.pid}-${Date.now()}.html`);
  const printer = new BrowserWindow({
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, devTools: mode.devTools },
  });
  const pageUrl = pathToFileURL(page).href;
  lockDown(printer, pageUrl);
  try {
    writeFileSync(page, request.html);
    await printer.loadURL(pageUrl);
    const pdf = await printer.webContents.printToPDF({ printBackground: true, landscape: true, pageSize: 'A4' });
    writeFileSync(result.filePath, pdf);
    return result.filePath;
  } catch (e) {
    throw new UserError(`Cannot write ${result.filePath}: ${(e as Error).message}`);
  } finally {
    printer.destroy();
    rmSync(page, { force: true });
  }
}

function registerContract(l: Layerlab): void {
  for (const method of API_METHODS) {
    ipcMain.handle(ipcChannel(method), (event, ...args) => {
      if (!isTrustedSender(event, win, mode.pageUrl)) return { ok: false, error: 'Refused: the call did not come from the Layerlab window' };
      return dispatch(l.service, method, args);
    });
  }
  l.events.subscribe((event) => win?.webContents.send(IPC_EVENT_CHANNEL, event));
}

// Follow the OS theme: the page's prefers-color-scheme follows nativeTheme, the window's background too.
nativeTheme.on('updated', () => win?.setBackgroundColor(windowBackground()));

app.whenReady().then(() => {
  serveAppScheme(join(here, '../renderer'));
  const where = layout();
  app.setAboutPanelOptions({
    applicationName: 'Layerlab',
    applicationVersion: app.getVersion(),
    version: `Electron ${process.versions.electron}`,
    copyright: 'A workbench for neural-network experiments',
    iconPath: windowIcon(where),
  });
  const nativeProblem = sqliteBindingProblem(where, undefined, (file) => readFileSync(file, 'utf8'));
  if (nativeProblem) {
    dialog.showErrorBox('Layerlab cannot open its database', nativeProblem);
    app.exit(1);
    return;
  }
  try {
    layerlab = openLayerlab({
      shell: 'electron',
      dataDir: process.env.LAYERLAB_HOME || app.getPath('userData'),
      launchTrainer: utilityTrainer(trainerScript(where)),
      nativeBinding: sqliteBinding(where),
      saveFile: saveWithDialog,
      saveReportPdf: savePdfWithDialog,
    });
  } catch (e) {
    dialog.showErrorBox('Layerlab cannot open its database', (e as Error).message);
    app.exit(1);
    return;
  }
  registerContract(layerlab);
  Menu.setApplicationMenu(buildMenu({ devTools: mode.devTools }));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let closing = false;
app.on('before-quit', (event) => {
  if (closing || !layerlab) return;
  // Let a training run record itself as cancelled before the database closes.
  event.preventDefault();
  closing = true;
  void layerlab.close().finally(() => app.quit());
});
