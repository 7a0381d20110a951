import { homedir } from 'node:os';
import { join } from 'node:path';

/** The app's name as Electron uses it for its per-user folder. */
export const APP_NAME = 'Layerlab';

/**
 * The per-user data folder, the same one Electron's app.getPath('userData') gives
 * the desktop app, so the CLI and browser mode find the same database.
 * LAYERLAB_HOME overrides it.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.LAYERLAB_HOME) return env.LAYERLAB_HOME;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
}

/** The database file: LAYERLAB_DB, else layerlab.db in the user data folder. */
export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env, dataDir = userDataDir(env)): string {
  return env.LAYERLAB_DB || join(dataDir, 'layerlab.db');
}

/** Where downloaded datasets are kept. */
export function cacheDir(dataDir: string): string {
  return join(dataDir, 'cache');
}
