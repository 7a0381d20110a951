/**
 * The run history as a user keeps it, in browser mode in Debian Chromium:
 * rename, tag, star and annotate runs, filter, sort and choose columns, export
 * and import bundles and models, delete (and be refused while training), and a
 * table of 10,000 runs that renders only what is in view.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Download, type Page } from '@playwright/test';
import { serveLayerlab, type Served } from './serve';

const root = fileURLToPath(new URL('../..', import.meta.url));

const runsTable = (page: Page) => page.getByRole('table', { name: 'Runs' });
const runRow = (page: Page, id: number) => runsTable(page).locator(`tbody tr[data-run-id="${id}"]`);
const errors = (page: Page) => page.getByRole('region', { name: 'Errors' });

/** Train seed-model-3 through the Train view (and wait for the run to end); the answer is the new run's id. */
async function trainRun(page: Page, o: { optimizer?: string; images?: number; epochs?: number; wait?: boolean }): Promise<number> {
  await page.getByRole('tab', { name: 'Train' }).click();
  await page.getByLabel('Preset').selectOption('seed-model-3');
  const all = page.getByLabel('All 60,000 images');
  if (await all.isChecked()) await all.uncheck();
  await page.getByLabel('Training images').fill(String(o.images ?? 1000));
  await page.getByLabel('Epochs').fill(String(o.epochs ?? 1));
  if (o.optimizer) await page.getByLabel('Optimizer').selectOption(o.optimizer);
  const heading = page.locator('#current-run-heading');
  const before = (await heading.textContent()) ?? '';
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(heading).not.toHaveText(before);
  await expect(heading).toHaveText(/^Run #\d+/);
  const id = Number(/^Run #(\d+)/.exec((await heading.textContent()) ?? '')![1]);
  if (o.wait !== false) {
    await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toContainText(/test accuracy \d/, { timeout: 120_000 });
  }
  return id;
}

test.describe('one database', () => {
  let served: Served;
  let scratch: string;
  test.beforeAll(async () => {
    served = await serveLayerlab();
    scratch = mkdtempSync(join(tmpdir(), 'layerlab-history-'));
  });
  test.afterAll(async () => {
    await served?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test('rename, tags, star and notes persist; filter, sort and columns; delete asks first', async ({ page }) => {
    await page.goto(served.url);
    expect(await trainRun(page, { optimizer: 'adam' })).toBe(1);
    expect(await trainRun(page, { optimizer: 'sgd' })).toBe(2);

    await page.getByRole('tab', { name: 'Runs' }).click();
    await expect(runsTable(page).locator('tbody tr')).toHaveCount(2);
    await runRow(page, 1).click();
    await expect(page.getByRole('heading', { name: /^Run #1 · / })).toBeVisible();

    // Rename in place.
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.getByLabel('New run name').fill('baseline adam');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Run #1 · baseline adam' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Rename', exact: true })).toBeFocused();

    // Tags: added one at a time or comma-separated, removed one by one.
    const tags = page.getByRole('list', { name: 'Tags' });
    await page.getByLabel('New tag').fill('baseline');
    await page.keyboard.press('Enter');
    await expect(tags.getByRole('listitem')).toHaveText(['baseline']);
    await page.getByLabel('New tag').fill('fast, small');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await expect(tags.getByRole('listitem')).toHaveText(['baseline', 'fast', 'small']);
    await page.getByRole('button', { name: 'Remove tag small' }).click();
    await expect(tags.getByRole('listitem')).toHaveText(['baseline', 'fast']);

    // Star, and notes saved when the field is left.
    const star = page.getByRole('button', { name: 'Star', exact: true });
    await star.click();
    await expect(star).toHaveAttribute('aria-pressed', 'true');
    await page.getByLabel('Notes').fill('First try.\nAdam at its default rate.');
    await page.keyboard.press('Tab');
    await expect(page.getByText('Notes saved')).toBeVisible();

    // The table shows them at once.
    await expect(runRow(page, 1)).toContainText('baseline adam');
    await expect(runRow(page, 1)).toContainText('baselinefast');
    await expect(runRow(page, 1).getByRole('button', { name: /^Star run #1/ })).toHaveAttribute('aria-pressed', 'true');

    // All of it is in the database: a reload shows it again.
    await page.reload();
    await expect(page.getByRole('tab', { name: 'Runs' })).toHaveAttribute('aria-selected', 'true');
    await runRow(page, 1).click();
    await expect(page.getByRole('heading', { name: 'Run #1 · baseline adam' })).toBeVisible();
    await expect(page.getByRole('list', { name: 'Tags' }).getByRole('listitem')).toHaveText(['baseline', 'fast']);
    await expect(page.getByRole('button', { name: 'Star', exact: true })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByLabel('Notes')).toHaveValue('First try.\nAdam at its default rate.');

    // Notes also save with Ctrl+Enter, which must not start a training run.
    await page.getByLabel('Notes').fill('Adam, 1 epoch.');
    await page.keyboard.press('ControlOrMeta+Enter');
    await expect(page.getByText('Notes saved')).toBeVisible();
    await expect(page.getByRole('tab', { name: 'Runs' })).toHaveAttribute('aria-selected', 'true');
    await page.reload();
    await runRow(page, 1).click();
    await expect(page.getByLabel('Notes')).toHaveValue('Adam, 1 epoch.');

    // Filters: text (names, notes, tags…), starred, tag, optimizer.
    const rows = runsTable(page).locator('tbody tr');
    await page.getByLabel('Filter runs by text').fill('baseline');
    await expect(rows).toHaveCount(1);
    await page.getByLabel('Filter runs by text').fill('');
    await expect(rows).toHaveCount(2);
    await page.getByLabel('Starred only').check();
    await expect(rows).toHaveCount(1);
    await page.getByLabel('Starred only').uncheck();
    await page.getByLabel('Tag', { exact: true }).selectOption('fast');
    await expect(rows).toHaveCount(1);
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByLabel('Optimizer').selectOption('sgd');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-run-id', '2');
    await page.getByLabel('Optimizer').selectOption('');
    await expect(rows).toHaveCount(2);

    // Sort by a header: ascending and descending, with aria-sort saying which.
    const nameHeader = runsTable(page).locator('thead th').filter({ hasText: 'Name' });
    await nameHeader.getByRole('button').click();
    await expect(nameHeader).toHaveAttribute('aria-sort', 'ascending');
    await expect(rows.first()).toHaveAttribute('data-run-id', '1');
    await nameHeader.getByRole('button').click();
    await expect(nameHeader).toHaveAttribute('aria-sort', 'descending');
    await expect(rows.first()).toHaveAttribute('data-run-id', '2');
    await nameHeader.getByRole('button').click();
    await expect(nameHeader).not.toHaveAttribute('aria-sort', /./);

    // Columns: hide and show, remembered across a reload.
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('checkbox', { name: 'Preset', exact: true }).uncheck();
    await page.getByRole('checkbox', { name: 'Batch size', exact: true }).check();
    await page.keyboard.press('Escape');
    const headers = runsTable(page).locator('thead th');
    await expect(headers.filter({ hasText: 'Preset' })).toHaveCount(0);
    await expect(headers.filter({ hasText: 'Batch size' })).toHaveCount(1);
    await page.reload();
    await expect(headers.filter({ hasText: 'Batch size' })).toHaveCount(1);
    await expect(headers.filter({ hasText: 'Preset' })).toHaveCount(0);

    // The keyboard: arrows move between rows, Space ticks for comparison, Enter opens.
    await rows.first().focus();
    await page.keyboard.press('ArrowDown');
    await expect(rows.nth(1)).toBeFocused();
    await page.keyboard.press(' ');
    await expect(rows.nth(1).getByRole('checkbox')).toBeChecked();
    await expect(page.getByRole('button', { name: 'Compare (1)' })).toBeDisabled();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Run #1 · baseline adam' })).toBeVisible();

    // Delete asks first; "Keep" keeps; "Delete run" removes the run and its metrics.
    await runRow(page, 2).click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Delete run #2 / });
    await expect(dialog).toContainText('1 epoch of metrics');
    await dialog.getByRole('button', { name: 'Keep the run' }).click();
    await expect(dialog).toBeHidden();
    await expect(rows).toHaveCount(2);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await dialog.getByRole('button', { name: 'Delete run' }).click();
    await expect(rows).toHaveCount(1);
    await expect(runRow(page, 2)).toHaveCount(0);
    await expect(page.getByRole('heading', { name: /^Run #2/ })).toHaveCount(0);
    await page.reload();
    await expect(rows).toHaveCount(1);
  });

  test('export a bundle and import it; export a model; a file that is not a bundle is refused', async ({ page }) => {
    await page.goto(`${served.url}#runs`);
    await runRow(page, 1).click();
    await expect(page.getByRole('heading', { name: 'Run #1 · baseline adam' })).toBeVisible();

    // The bundle of one run, downloaded…
    const bundleDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export bundle' }).click();
    const bundlePath = join(scratch, 'bundle.json');
    await (await bundleDownload).saveAs(bundlePath);
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
    expect(bundle.format).toBe('layerlab-runs');
    expect(bundle.runs).toHaveLength(1);

    // …and imported again as a new run, nothing existing changed.
    await page.getByLabel('Import runs…').setInputFiles(bundlePath);
    await expect(page.getByRole('status', { name: 'Message' })).toContainText('Imported 1 run from bundle.json');
    const rows = runsTable(page).locator('tbody tr');
    await expect(rows).toHaveCount(2);
    const importedId = Number(await rows.first().getAttribute('data-run-id'));
    expect(importedId).toBeGreaterThan(2);
    await expect(rows.first()).toContainText('baseline adam');
    await expect(rows.first()).toContainText('baselinefast');
    await expect(runRow(page, 1)).toContainText('baseline adam');

    // The model: model.json and the weights file it names.
    await runRow(page, 1).click();
    const downloads: Promise<Download>[] = [];
    const seen = new Promise<void>((resolve) => {
      page.on('download', (d) => {
        downloads.push(Promise.resolve(d));
        if (downloads.length === 2) resolve();
      });
    });
    await page.getByRole('button', { name: 'Export model' }).click();
    await seen;
    const [modelFile, weightsFile] = await Promise.all(downloads);
    expect(modelFile.suggestedFilename()).toBe('model.json');
    const model = JSON.parse(readFileSync((await modelFile.path())!, 'utf8'));
    expect(model.modelTopology).toBeTruthy();
    expect(model.weightsManifest[0].paths[0]).toBe(weightsFile.suggestedFilename());
    const expectedBytes = model.weightsManifest[0].weights.reduce(
      (a: number, w: { shape: number[] }) => a + 4 * w.shape.reduce((x, y) => x * y, 1),
      0,
    );
    expect(readFileSync((await weightsFile.path())!).length).toBe(expectedBytes);

    // Files that are not bundles: a clear message each, nothing imported.
    await page
      .getByLabel('Import runs…')
      .setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": "world"}') });
    await expect(errors(page)).toContainText('Importing runs from notes.json failed: This file is not a Layerlab run bundle');
    await page.getByLabel('Import runs…').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some words') });
    await expect(errors(page)).toContainText('Importing runs from notes.txt failed: This file is not JSON');
    const newer = { ...bundle, version: 99 };
    writeFileSync(join(scratch, 'newer.json'), JSON.stringify(newer));
    await page.getByLabel('Import runs…').setInputFiles(join(scratch, 'newer.json'));
    await expect(errors(page)).toContainText('written by a newer version of Layerlab');
    await expect(rows).toHaveCount(2);
  });

  test('deleting a run while it trains is refused with the reason; once cancelled it can go', async ({ page }) => {
    await page.goto(served.url);
    const id = await trainRun(page, { images: 60000, epochs: 30, wait: false });
    await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', /^[1-9]/, { timeout: 60_000 });

    await page.getByRole('tab', { name: 'Runs' }).click();
    await expect(runRow(page, id)).toContainText('running');
    await runRow(page, id).click();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const dialog = page.getByRole('dialog', { name: new RegExp(`^Delete run #${id} `) });
    await expect(dialog).toContainText('It is running');
    await dialog.getByRole('button', { name: 'Delete run' }).click();
    await expect(errors(page)).toContainText(`Deleting run #${id} failed`);
    await expect(errors(page)).toContainText('cancel it before deleting it');
    await expect(runRow(page, id)).toBeVisible();

    await page.getByRole('button', { name: 'Cancel run' }).click();
    await expect(runRow(page, id)).toContainText('cancelled');
    await page.getByRole('button', { name: 'Delete…' }).click();
    await dialog.getByRole('button', { name: 'Delete run' }).click();
    await expect(runRow(page, id)).toHaveCount(0);
  });
});

test.describe('10,000 runs', () => {
  const RUNS = 10_000;
  let dir: string;
  let child: ChildProcess | null = null;
  let url: string;

  /** A database filled through `layerlab import`, then `layerlab serve` on it. */
  test.beforeAll(async () => {
    test.setTimeout(240_000);
    dir = mkdtempSync(join(tmpdir(), 'layerlab-10k-'));
    const dbPath = join(dir, 'layerlab.db');
    const start = Date.parse('2026-01-01T00:00:00Z');
    const runs = Array.from({ length: RUNS }, (_, i) => {
      const acc = 0.5 + ((i * 7919) % 4000) / 10_000;
      const createdAt = new Date(start + i * 60_000).toISOString();
      return {
        sourceId: i + 1,
        name: `sweep ${String(i + 1).padStart(5, '0')}`,
        status: 'completed',
        presetId: null,
        model: { inputShape: [28, 28], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }] },
        config: {
          optimizer: i % 2 ? 'sgd' : 'adam',
          learningRate: i % 2 ? 0.01 : 0.001,
          momentum: 0,
          epochs: 2,
          batchSize: 64,
          validationSplit: 0.2,
          limit: 1000,
          seed: i,
        },
        dataset: null,
        environment: { backend: 'wasm', versions: {}, host: 'bench', platform: 'linux', cpus: '2' },
        createdAt,
        startedAt: createdAt,
        finishedAt: new Date(Date.parse(createdAt) + 2000).toISOString(),
        testLoss: 1 - acc,
        testAccuracy: acc,
        error: null,
        notes: '',
        tags: i % 100 === 0 ? ['hundred'] : [],
        starred: false,
        epochs: [1, 2].map((epoch) => ({
          epoch,
          loss: 2 / epoch,
          accuracy: acc - 0.1 / epoch,
          valLoss: 2.1 / epoch,
          valAccuracy: acc - 0.05 / epoch,
          seconds: 1,
        })),
        batchLosses: [],
      };
    });
    const bundlePath = join(dir, 'sweep.json');
    writeFileSync(bundlePath, JSON.stringify({ format: 'layerlab-runs', version: 1, exportedAt: new Date().toISOString(), app: 'e2e', runs }));
    const imported = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'import', bundlePath, '--db', dbPath], {
      cwd: root,
      env: { ...process.env, LAYERLAB_HOME: dir },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (imported.status !== 0) throw new Error(`import failed: ${imported.stderr || imported.stdout}`);

    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--port', '0', '--db', dbPath], {
      cwd: root,
      env: { ...process.env, LAYERLAB_HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve printed no URL:\n${output}`)), 30_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child!.stdout!.on('data', onData);
      child!.stderr!.on('data', onData);
      child!.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
    });
  });

  test.afterAll(async () => {
    if (child && child.exitCode === null) {
      await new Promise<void>((done) => {
        child!.once('exit', () => done());
        child!.kill('SIGTERM');
      });
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the table renders only the rows in view, and scrolls, sorts and filters all of them', async ({ page }) => {
    await page.goto(`${url}#runs`);
    const table = runsTable(page);
    await expect(page.getByText('10,000 runs, newest first')).toBeVisible();
    await expect(table).toHaveAttribute('aria-rowcount', String(RUNS + 1));
    const rows = table.locator('tbody tr');
    await expect(rows.first()).toContainText('sweep 10000');
    expect(await rows.count()).toBeLessThan(80);

    // To the end by keyboard: the oldest run, still only a window of rows in the page.
    await rows.first().focus();
    await page.keyboard.press('End');
    const last = table.locator('tbody tr[aria-rowindex="10001"]');
    await expect(last).toBeFocused();
    await expect(last).toContainText('sweep 00001');
    expect(await rows.count()).toBeLessThan(80);

    // Scrolling the middle into view renders the middle.
    await table.locator('..').evaluate((el) => el.scrollTo(0, el.scrollHeight / 2));
    await expect(
      table
        .locator('tbody tr')
        .filter({ hasText: /sweep 0(49|50|51)\d\d/ })
        .first(),
    ).toBeVisible();

    // Sorted by test accuracy, best first, across all 10,000.
    const testHeader = table.locator('thead th').filter({ hasText: /test acc/i });
    await testHeader.getByRole('button').click();
    await expect(testHeader).toHaveAttribute('aria-sort', 'descending');
    await expect(rows.first()).toContainText('89.99%');

    // Filtered: a tag on every hundredth run; a run by its id.
    await page.getByLabel('Tag', { exact: true }).selectOption('hundred');
    await expect(page.getByText('100 of 10,000 runs')).toBeVisible();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await page.getByLabel('Filter runs by text').fill('#4321');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText('sweep 04321');
  });
});
