/**
 * The same flow in the desktop app. Runs where Electron's binary is installed;
 * elsewhere (CI here cannot download it) it reports itself skipped with the reason.
 */
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../..', import.meta.url));

function electronBinary(): string | null {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(bin) ? bin : null;
}

const binary = electronBinary();
const nativeBuilt = existsSync(join(root, '.native', 'electron', 'better_sqlite3.node'));

const skipReason = !binary
  ? "Electron's binary is not installed (node_modules/electron/dist is missing: it could not be downloaded here)"
  : !nativeBuilt
    ? 'better-sqlite3 has no Electron build yet: run `npm run native:electron`'
    : null;
// The list reporter shows a skip without its reason; say it where CI's log shows it.
if (skipReason) console.log(`desktop app tests skipped: ${skipReason}`);

test.describe('desktop app', () => {
  test.skip(skipReason !== null, skipReason ?? '');

  test('train seed-model-3 on 3,000 images for one epoch and find the run listed', async () => {
    const home = mkdtempSync(join(tmpdir(), 'layerlab-electron-'));
    const app = await electron.launch({
      executablePath: binary!,
      args: [join(root, 'out/main/index.js'), `--user-data-dir=${home}`],
      env: { ...process.env, LAYERLAB_HOME: home },
    });
    try {
      const page = await app.firstWindow();
      // The built page comes from the privileged app:// scheme, not file://, and that scheme serves nothing outside the renderer folder.
      await expect(page).toHaveURL('app://layerlab/index.html');
      expect(await page.evaluate(() => fetch('app://layerlab/..%2f..%2fmain%2findex.js').then((r) => r.status))).toBe(403);
      expect(await page.evaluate(() => fetch('app://layerlab/index.html').then((r) => r.headers.get('content-type')))).toBe(
        'text/html; charset=utf-8',
      );
      // The sandboxed renderer sees the bridge and nothing of Node.
      expect(await page.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => typeof (globalThis as unknown as { layerlab?: unknown }).layerlab)).toBe('object');

      await page.getByLabel('Preset').selectOption('seed-model-3');
      const all = page.getByLabel('All 60,000 images');
      if (await all.isChecked()) await all.uncheck();
      await page.getByLabel('Training images').fill('3000');
      await page.getByLabel('Epochs').fill('1');
      await page.getByRole('button', { name: 'Train', exact: true }).click();
      await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', '100', { timeout: 120_000 });
      await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toContainText(/test accuracy/);
      await page.getByRole('tab', { name: 'Runs' }).click();
      await expect(page.getByRole('table', { name: 'Runs' }).locator('tbody tr').first()).toContainText('completed');
    } finally {
      await app.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
