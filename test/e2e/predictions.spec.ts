/**
 * Looking inside the predictions as a user does it, in browser mode in Debian
 * Chromium: train seed-model-3 briefly, open the completed run, evaluate it, read
 * the confusion matrix, open one cell's images and one image large, export the
 * matrix as PNG; train a second run and diff the two in the Compare view; browse
 * the dataset from the Train view.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { serveLayerlab, type Served } from './serve';
import { setUpRun } from './train-form';

let served: Served;
test.beforeAll(async () => {
  served = await serveLayerlab();
});
test.afterAll(async () => {
  await served?.stop();
});

/** Whether a thumbnail's canvas has been drawn (a blank canvas is fully transparent). */
const drawn = (canvas: ReturnType<Page['locator']>) =>
  // The page's canvas (the tests are typed without the DOM library).
  canvas.evaluate((c: any) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    return Array.prototype.some.call(data, (v: number, i: number) => i % 4 === 3 && v > 0) as boolean;
  });

async function trainRun(page: Page, runNumber: number, o: { images: number; epochs: number; optimizer: string; lr: string }) {
  await page.getByRole('tab', { name: 'Train' }).click();
  await setUpRun(page, { images: o.images, epochs: o.epochs, optimizer: o.optimizer, learningRate: o.lr });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.locator('#current-run-heading')).toContainText(`Run #${runNumber}`);
  await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toContainText(/test accuracy \d/, { timeout: 150_000 });
}

test('a run’s confusion matrix, a cell’s images, the image viewer, PNG export, a diff of two runs and the dataset browser', async ({ page }) => {
  test.setTimeout(420_000);
  await page.goto(served.url);
  await trainRun(page, 1, { images: 3000, epochs: 1, optimizer: 'adam', lr: '0.001' });

  // Open the completed run and evaluate it on the test images.
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.getByRole('table', { name: 'Runs' }).locator('tbody tr').first().click();
  const section = page.getByRole('region', { name: 'Predictions' });
  await section.getByRole('button', { name: 'Evaluate', exact: true }).click();
  const matrix = section.locator('table.matrix');
  await expect(matrix).toHaveAttribute('data-total', '10000', { timeout: 120_000 });
  await expect(matrix.locator('tbody tr')).toHaveCount(10);
  const cells = matrix.locator('button[data-count]');
  await expect(cells).toHaveCount(100);
  const counts = await cells.evaluateAll((bs) =>
    bs.map((b) => ({ t: Number(b.dataset.true), p: Number(b.dataset.predicted), n: Number(b.dataset.count) })),
  );
  expect(counts.reduce((s, c) => s + c.n, 0)).toBe(10_000);
  await expect(section.getByRole('table', { name: /Per class/ }).locator('tbody tr')).toHaveCount(10);
  await expect(section.getByTestId('eval-accuracy')).toHaveText(/\d+(\.\d+)?%/);

  // The largest off-diagonal cell: its images, labelled with both classes.
  const worst = counts.filter((c) => c.t !== c.p).sort((a, b) => b.n - a.n)[0]!;
  expect(worst.n).toBeGreaterThan(0);
  const cell = matrix.locator(`button[data-true="${worst.t}"][data-predicted="${worst.p}"]`);
  const cellName = (await cell.getAttribute('aria-label'))!;
  const [trueName, predictedName] = /^(.+) taken for (.+):/.exec(cellName)!.slice(1);
  await cell.click();
  await expect(cell).toHaveAttribute('aria-pressed', 'true');
  const gallery = section.locator('.gallery');
  await expect(gallery).toHaveAttribute('data-total', String(worst.n));
  const thumbs = gallery.locator('button.cell');
  await expect(thumbs.first()).toBeVisible();
  expect(await thumbs.count()).toBe(Math.min(worst.n, await thumbs.count()));
  const firstLabel = (await thumbs.first().getAttribute('aria-label'))!;
  expect(firstLabel).toContain(`true class ${trueName}`);
  expect(firstLabel).toContain(`predicted ${predictedName}`);
  await expect(thumbs.first()).toContainText(trueName!);
  await expect.poll(() => drawn(thumbs.first().locator('canvas'))).toBe(true);
  await expect(thumbs.first()).toContainText(predictedName!);
  // Most confident mistakes first.
  const confidences = await thumbs.evaluateAll((bs) =>
    bs.map((b) => Number(/(\d+(?:\.\d+)?)% confident/.exec(b.getAttribute('aria-label') ?? '')?.[1])),
  );
  expect(confidences).toEqual([...confidences].sort((a, b) => b - a));

  // The image large, with the run's ten probabilities; arrow keys step through.
  await thumbs.first().click();
  const viewer = page.getByRole('dialog');
  await expect(viewer).toBeVisible();
  await expect(viewer.getByTestId('viewer-true')).toHaveText(trueName!);
  await expect(viewer.getByRole('table', { name: /class probabilities/ }).locator('tbody tr')).toHaveCount(10);
  await expect(viewer).toContainText(`1 of ${worst.n.toLocaleString('en-US')}`);
  if (worst.n > 1) {
    await page.keyboard.press('ArrowRight');
    await expect(viewer).toContainText(`2 of ${worst.n.toLocaleString('en-US')}`);
  }
  await page.keyboard.press('Escape');
  await expect(viewer).toBeHidden();

  // The matrix as PNG.
  await section.getByRole('button', { name: 'Export the confusion matrix' }).click();
  const download = page.waitForEvent('download');
  await page.getByRole('menuitem', { name: 'Matrix as PNG' }).click();
  const png = await download;
  expect(png.suggestedFilename()).toBe('layerlab-run-1-test-confusion.png');
  const bytes = readFileSync((await png.path())!);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

  // The run's own validation images (the last 20% of its 3,000): 600 of them, their thumbnails drawn.
  await section.getByLabel('Images', { exact: true }).selectOption('validation');
  await section.getByRole('button', { name: 'Evaluate', exact: true }).click();
  await expect(matrix).toHaveAttribute('data-total', '600', { timeout: 120_000 });
  await expect(thumbs.first()).toBeVisible();
  await expect(thumbs.first()).toHaveAttribute('aria-label', /^validation image/);
  await expect.poll(() => drawn(thumbs.first().locator('canvas'))).toBe(true);

  // A second run, and the diff of the two in the Compare view.
  await trainRun(page, 2, { images: 3000, epochs: 1, optimizer: 'sgd', lr: '0.01' });
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.getByRole('checkbox', { name: /^Compare run #1 / }).check();
  await page.getByRole('checkbox', { name: /^Compare run #2 / }).check();
  await page.getByRole('button', { name: 'Compare (2)' }).click();
  const diff = page.getByRole('region', { name: 'Prediction diff' });
  await diff.getByRole('button', { name: 'Compare predictions' }).click();
  const groups = diff.getByRole('group', { name: 'Diff groups' });
  await expect(groups).toHaveAttribute('data-total', '10000', { timeout: 120_000 });
  const groupCounts = await groups.locator('button[data-count]').evaluateAll((bs) => bs.map((b) => Number(b.dataset.count)));
  expect(groupCounts).toHaveLength(4);
  expect(groupCounts.reduce((a, b) => a + b, 0)).toBe(10_000);
  await expect(diff.getByRole('table', { name: /Recall per class/ }).locator('tbody tr')).toHaveCount(10);
  const onlyA = groups.locator('button[data-group="only_a"]');
  await onlyA.click();
  await expect(diff.locator('.gallery')).toHaveAttribute('data-total', (await onlyA.getAttribute('data-count'))!);

  // The dataset browser from the Train view: ten classes in each split.
  await page.getByRole('tab', { name: 'Train' }).click();
  await page.getByRole('button', { name: 'Browse the dataset…' }).click();
  const browser = page.getByRole('dialog', { name: 'Fashion-MNIST' });
  const balance = browser.getByRole('table', { name: /Class balance/ });
  await expect(balance).toHaveAttribute('data-classes', '10');
  await expect(balance.locator('tbody tr')).toHaveCount(10);
  await expect(balance.locator('tfoot')).toContainText('10,000');
  await expect(browser.locator('.gallery button.cell').first()).toBeVisible();
  await browser.getByLabel('Class', { exact: true }).selectOption({ label: 'Shirt' });
  await expect(browser.locator('.gallery button.cell').first()).toContainText('Shirt');
  await browser.getByRole('button', { name: 'Close' }).first().click();
  await expect(browser).toBeHidden();
});
