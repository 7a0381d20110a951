/**
 * Comparing runs as a user does it, in browser mode in Debian Chromium: train
 * two short runs that differ in optimizer, tick both, open them side by side,
 * read the curves and tables, export a chart and the data, open the report
 * offline, and come back to the same comparison by its address or its name.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test, type Download, type Page } from '@playwright/test';
import { serveLayerlab, type Served } from './serve';
import { setUpRun } from './train-form';

let served: Served;
let scratch: string;
test.beforeAll(async () => {
  served = await serveLayerlab();
  scratch = mkdtempSync(join(tmpdir(), 'layerlab-compare-'));
});
test.afterAll(async () => {
  await served?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const METRIC_CHARTS = ['Loss', 'Accuracy', 'Validation loss', 'Validation accuracy'];

/** Train seed-model-3 on 1,000 images for 2 epochs with this optimizer, through the Train view. */
async function trainRun(page: Page, runNumber: number, optimizer: string, learningRate: string) {
  await page.getByRole('tab', { name: 'Train' }).click();
  await setUpRun(page, { images: 1000, epochs: 2, optimizer, learningRate });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.locator('#current-run-heading')).toContainText(`Run #${runNumber}`);
  await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toContainText(/test accuracy \d/, { timeout: 120_000 });
}

/** Pick an item of a chart's Export menu and wait for the file it downloads. */
async function exportFromChart(page: Page, chart: string, item: string): Promise<Download> {
  await page.getByRole('button', { name: `Export ${chart} chart`, exact: true }).click();
  const download = page.waitForEvent('download');
  await page.getByRole('menuitem', { name: item }).click();
  return download;
}

async function savedText(download: Download): Promise<string> {
  return readFileSync((await download.path())!, 'utf8');
}

const legend = (page: Page) => page.getByRole('list', { name: 'Runs compared' });
const settingsRows = (page: Page) => page.getByRole('table', { name: 'Settings' }).locator('tbody tr');

test('two runs side by side: curves, legends, differences, exports, report, and the same comparison again', async ({ page, browser }) => {
  await page.goto(served.url);
  await trainRun(page, 1, 'adam', '0.001');
  await trainRun(page, 2, 'sgd', '0.01');

  // Tick both in the runs table (adam first: it keeps the first colour) and open the comparison.
  await page.getByRole('tab', { name: 'Runs' }).click();
  const compareButton = page.getByRole('button', { name: /^Compare \(\d+\)$/ });
  await expect(compareButton).toBeDisabled();
  await page.getByRole('checkbox', { name: /^Compare run #1 / }).check();
  await page.getByRole('checkbox', { name: /^Compare run #2 / }).check();
  await expect(compareButton).toHaveText('Compare (2)');
  await compareButton.click();

  await expect(page.getByRole('tab', { name: 'Compare' })).toHaveAttribute('aria-selected', 'true');
  expect(page.url()).toContain('?token=');
  expect(page.url()).toMatch(/#compare\?runs=1,2&/);

  // Both curves in each chart, legends naming the difference.
  const items = legend(page).getByRole('listitem');
  await expect(items).toHaveCount(2);
  await expect(items.nth(0)).toContainText('adam lr=0.001');
  await expect(items.nth(1)).toContainText('sgd lr=0.01');
  for (const name of METRIC_CHARTS) {
    const chart = page.getByRole('img', { name: `${name} comparison chart`, exact: true });
    await expect(chart).toHaveAttribute('data-series', '2');
    await expect(chart).toHaveAttribute('data-labels', 'adam lr=0.001\nsgd lr=0.01');
    const data = page.getByRole('table', { name: `${name} per epoch`, exact: true });
    await expect(data.locator('thead th')).toHaveText(['Epoch', 'adam lr=0.001', 'sgd lr=0.01']);
    await expect(data.locator('tbody tr')).toHaveCount(2);
  }

  // "Only differences" leaves exactly the rows marked as differing.
  await expect(settingsRows(page).first()).toBeVisible();
  const everyRow = await settingsRows(page).evaluateAll((rows) =>
    rows.map((r) => ({ key: r.getAttribute('data-key'), differs: r.getAttribute('data-differs') })),
  );
  const differing = everyRow.filter((r) => r.differs === 'true').map((r) => r.key);
  expect(differing).toEqual(expect.arrayContaining(['optimizer', 'learningRate']));
  expect(differing.length).toBeLessThan(everyRow.length);
  const only = page.getByRole('switch', { name: 'Only differences' });
  await only.check();
  await expect(settingsRows(page)).toHaveCount(differing.length);
  expect(await settingsRows(page).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')))).toEqual(differing);
  await expect(page.getByRole('table', { name: 'Settings' }).getByRole('rowheader')).toContainText(['Optimizer', 'Learning rate']);
  expect(page.url()).toContain('diff=1');

  // The summary marks a best run; the architecture is the same network twice.
  await expect(page.getByRole('table', { name: 'Summary' })).toContainText('(best)');
  await expect(page.getByRole('table', { name: 'Architecture diff' }).locator('tbody tr')).toHaveCount(7);

  // PNG at a chosen size and scale: the file's header says width*scale × height*scale, and it decodes.
  await page.getByRole('button', { name: 'Export Loss chart', exact: true }).click();
  await page.getByRole('menuitem', { name: 'PNG image…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Export the Loss chart as PNG' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Width').fill('640');
  await dialog.getByLabel('Height').fill('400');
  await dialog.getByLabel('Scale').selectOption('2');
  await dialog.getByLabel('Transparent').check();
  await expect(dialog).toContainText('1280 × 800 pixels');
  const pngDownload = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Save PNG' }).click();
  let download = await pngDownload;
  expect(download.suggestedFilename()).toBe('layerlab-loss.png');
  const png = readFileSync((await download.path())!);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.readUInt32BE(16)).toBe(1280);
  expect(png.readUInt32BE(20)).toBe(800);
  const decoded = await page.evaluate(
    async (bytes) => {
      // Runs in the page: DOM globals, typed loosely here because the tests compile against Node's types.
      const page = globalThis as unknown as { createImageBitmap(b: Blob): Promise<{ width: number; height: number }> };
      const bitmap = await page.createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
      return [bitmap.width, bitmap.height];
    },
    [...png],
  );
  expect(decoded).toEqual([1280, 800]);
  await expect(dialog).toBeHidden();

  // SVG: well-formed, with both series in it.
  download = await exportFromChart(page, 'Loss', 'SVG image');
  expect(download.suggestedFilename()).toBe('layerlab-loss.svg');
  const svg = await savedText(download);
  const parsed = await page.evaluate((text) => {
    const doc = new (globalThis as any).DOMParser().parseFromString(text, 'image/svg+xml');
    return {
      error: doc.querySelector('parsererror')?.textContent ?? null,
      root: doc.documentElement.localName,
      legend: [...doc.querySelectorAll('.legend-item text')].map((t) => t.textContent),
      lines: doc.querySelectorAll('path.line').length,
    };
  }, svg);
  expect(parsed.error).toBeNull();
  expect(parsed.root).toBe('svg');
  expect(parsed.legend).toEqual(['adam lr=0.001', 'sgd lr=0.01']);
  expect(parsed.lines).toBe(2);

  // CSV: every metric of both runs for every epoch.
  download = await exportFromChart(page, 'Accuracy', 'Data as CSV');
  expect(download.suggestedFilename()).toBe('layerlab-comparison.csv');
  const [header, ...lines] = (await savedText(download)).trim().split('\n');
  expect(header).toBe('run_id,run,epoch,seconds,metric,value,smoothed');
  const cells = lines.map((l) => l.split(','));
  for (const [runId, label] of [
    ['1', 'adam lr=0.001'],
    ['2', 'sgd lr=0.01'],
  ]) {
    for (const epoch of ['1', '2']) {
      const rows = cells.filter((c) => c[0] === runId && c[2] === epoch);
      expect(rows.map((c) => c[4]).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
      expect(rows.every((c) => c[1] === label && c[5] !== '')).toBe(true);
    }
  }
  expect(cells).toHaveLength(16);

  // The Export menu works from the keyboard: arrows move, Escape closes and gives focus back.
  const exportAccuracy = page.getByRole('button', { name: 'Export Accuracy chart', exact: true });
  await exportAccuracy.focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'PNG image…' })).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('menuitem', { name: 'Data as CSV' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('menu')).toHaveCount(0);
  await expect(exportAccuracy).toBeFocused();

  // JSON: the same data with labels.
  download = await exportFromChart(page, 'Accuracy', 'Data as JSON');
  expect(download.suggestedFilename()).toBe('layerlab-comparison.json');
  const data = JSON.parse(await savedText(download));
  expect(data.runs.map((r: { label: string; epochs: unknown[] }) => [r.label, r.epochs.length])).toEqual([
    ['adam lr=0.001', 2],
    ['sgd lr=0.01', 2],
  ]);

  // The report opens from a file with the network cut off, and shows both runs.
  const reportDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Report', exact: true }).click();
  download = await reportDownload;
  expect(download.suggestedFilename()).toBe('layerlab-comparison.html');
  const reportPath = join(scratch, 'layerlab-comparison.html');
  writeFileSync(reportPath, readFileSync((await download.path())!));
  const offline = await browser.newContext({ offline: true });
  const requested: string[] = [];
  await offline.route('**', (route) => {
    if (route.request().url().startsWith('file:')) return route.continue();
    requested.push(route.request().url());
    return route.abort();
  });
  const reportPage = await offline.newPage();
  await reportPage.goto(pathToFileURL(reportPath).href);
  await expect(reportPage.locator('body')).toContainText('adam lr=0.001');
  await expect(reportPage.locator('body')).toContainText('sgd lr=0.01');
  expect(await reportPage.locator('svg').count()).toBeGreaterThanOrEqual(4);
  expect(requested).toEqual([]);
  await offline.close();

  // Ctrl+1/2/3 switch views; the comparison stays as it was.
  await page.keyboard.press('ControlOrMeta+2');
  await expect(page.getByRole('tab', { name: 'Runs' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ControlOrMeta+3');
  await expect(page.getByRole('tab', { name: 'Compare' })).toHaveAttribute('aria-selected', 'true');
  await expect(legend(page).getByRole('listitem')).toHaveCount(2);

  // Options live in the address: a reload opens the same comparison with the same options.
  await page.getByRole('switch', { name: 'Log scale' }).check();
  await page.getByLabel('Time').check();
  await expect.poll(() => page.url()).toContain('log=1');
  expect(page.url()).toContain('x=time');
  const address = page.url();
  await page.reload();
  await expect(page.getByRole('tab', { name: 'Compare' })).toHaveAttribute('aria-selected', 'true');
  expect(page.url()).toBe(address);
  await expect(legend(page).getByRole('listitem')).toHaveCount(2);
  await expect(legend(page).getByRole('listitem').nth(0)).toContainText('adam lr=0.001');
  await expect(page.getByRole('switch', { name: 'Log scale' })).toBeChecked();
  await expect(page.getByRole('switch', { name: 'Only differences' })).toBeChecked();
  await expect(page.getByLabel('Time')).toBeChecked();
  await expect(settingsRows(page)).toHaveCount(differing.length);
  await expect(page.getByRole('img', { name: 'Loss comparison chart', exact: true })).toHaveAttribute('data-series', '2');

  // Hiding a run from the legend takes it out of every chart, not out of the comparison.
  await legend(page).getByRole('button', { name: 'sgd lr=0.01' }).click();
  await expect(page.getByRole('img', { name: 'Validation loss comparison chart' })).toHaveAttribute('data-series', '1');
  await legend(page).getByRole('button', { name: 'sgd lr=0.01' }).click();
  await expect(page.getByRole('img', { name: 'Validation loss comparison chart' })).toHaveAttribute('data-series', '2');

  // Saved under a name, reopened from the list after the selection changed, then deleted.
  await page.getByRole('button', { name: 'Save comparison…' }).click();
  const saveDialog = page.getByRole('dialog', { name: 'Save comparison' });
  await saveDialog.getByLabel('Comparison name').fill('adam vs sgd');
  await saveDialog.getByRole('button', { name: 'Save' }).click();
  await expect(saveDialog).toBeHidden();
  const saved = page.getByRole('table', { name: 'Saved comparisons' });
  await expect(saved).toContainText('adam vs sgd');
  await page.getByRole('button', { name: 'Remove run #2 from the comparison' }).click();
  await expect(legend(page).getByRole('listitem')).toHaveCount(1);
  await page.getByRole('button', { name: 'Open comparison adam vs sgd' }).click();
  await expect(legend(page).getByRole('listitem')).toHaveCount(2);
  await expect(page.getByRole('heading', { name: /Comparison · adam vs sgd/ })).toBeVisible();
  await page.getByRole('button', { name: 'Delete comparison adam vs sgd' }).click();
  await saved.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByText('None yet: open a comparison')).toBeVisible();
});
