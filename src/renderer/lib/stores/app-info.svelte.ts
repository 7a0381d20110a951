/** Version, shell and database path, asked of the core once (the status bar, saving files, the PDF export). */
import type { AppInfo } from '../../../shared/contract/api';
import { api } from '../transport/api';

class AppInfoStore {
  info = $state<AppInfo | null>(null);
  #pending: Promise<AppInfo> | null = null;

  /** The answer, asked once; a failed ask is asked again next time. */
  load(): Promise<AppInfo> {
    this.#pending ??= api.appInfo().then(
      (info) => (this.info = info),
      (err) => {
        this.#pending = null;
        throw err;
      },
    );
    return this.#pending;
  }
}

export const appInfo = new AppInfoStore();
