/**
 * Where the desktop app finds what it loads at run time, in a source checkout (`npm start`:
 * the app is the checkout, its code in out/) and in a packaged app (electron-builder: the
 * code in resources/app.asar, native files unpacked beside it in app.asar.unpacked, extra
 * resources in resources/). No electron import: index.ts hands in what `app` says, and the
 * tests lay out both kinds of folder to check every path resolves.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface AppLayout {
  /** app.isPackaged. */
  packaged: boolean;
  /** app.getAppPath(): the checkout, or …/resources/app.asar. */
  appPath: string;
  /** process.resourcesPath: …/resources in a packaged app. */
  resourcesPath: string;
  /** The folder of the main process's own script (out/main). */
  mainDir: string;
  /** process.versions.electron. */
  electronVersion: string;
}

/** Where scripts/electron-native.mjs puts better-sqlite3 built for Electron's ABI, relative to the checkout. */
export const NATIVE_FOLDER = join('.native', 'electron');
/** The file in NATIVE_FOLDER naming the Electron version it was built for. */
export const NATIVE_VERSION_FILE = 'electron-version.txt';
export const SQLITE_BINARY = 'better_sqlite3.node';

/** The file better-sqlite3 loads as its `nativeBinding` (electron-builder.yml copies it to resources/native). */
export function sqliteBinding(layout: AppLayout): string {
  return layout.packaged ? join(layout.resourcesPath, 'native', SQLITE_BINARY) : join(layout.appPath, NATIVE_FOLDER, SQLITE_BINARY);
}

/**
 * Why the Electron build of better-sqlite3 can't be used, in words for the user, or null when
 * it can. `readVersion` reads NATIVE_VERSION_FILE (a build for another Electron fails to load
 * with an ABI error no user can act on).
 */
export function sqliteBindingProblem(layout: AppLayout, exists = existsSync, readVersion?: (file: string) => string): string | null {
  const file = sqliteBinding(layout);
  if (!exists(file)) {
    return layout.packaged
      ? `This copy of Layerlab is incomplete: ${file} is missing. Reinstall Layerlab.`
      : `better-sqlite3 has no build for Electron ${layout.electronVersion} yet (${file} is missing): run \`npm run native:electron\`.`;
  }
  if (layout.packaged || !readVersion) return null;
  let built = '';
  try {
    built = readVersion(join(layout.appPath, NATIVE_FOLDER, NATIVE_VERSION_FILE)).trim();
  } catch {
    built = '';
  }
  if (built !== layout.electronVersion) {
    return `better-sqlite3 in ${file} was built for Electron ${built || 'an unknown version'}, this is Electron ${layout.electronVersion}: run \`npm run native:electron -- --force\`.`;
  }
  return null;
}

/** The trainer's entry: the CommonJS bundle (out/trainer, made by `npm run build`) where it exists, else electron-vite's out/main/trainer.js. */
export function trainerScript(layout: AppLayout, exists = existsSync): string {
  const bundle = join(layout.mainDir, '..', 'trainer', 'trainer-process.js');
  return exists(bundle) ? bundle : join(layout.mainDir, 'trainer.js');
}

/** The window and taskbar icon (PNG; macOS takes the app bundle's .icns instead). */
export function windowIcon(layout: AppLayout): string {
  return layout.packaged ? join(layout.resourcesPath, 'icon.png') : join(layout.appPath, 'resources', 'icon.png');
}
