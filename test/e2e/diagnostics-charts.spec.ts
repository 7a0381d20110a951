/** The per-layer charts of a real run, in browser mode: one gradient line per layer with weights, activation health, epoch 0. */
import { expect, test } from '@playwright/test';
import { serveLayerlab, type Served } from './serve';

let served: Served;
test.beforeAll(async () => {
  served = await serveLayerlab();
});
test.afterAll(async () => {
  await served?.stop();
});

test('seed-model-1 for 2 epochs draws one gradient line per Dense layer, and its activation health, from epoch 0', async ({ page }) => {
  await page.goto(served.url);
  await page.getByLabel('Preset').selectOption('seed-model-1');
  const all = page.getByLabel('All 60,000 images');
  if (await all.isChecked()) await all.uncheck();
  await page.getByLabel('Training images').fill('3000');
  await page.getByLabel('Epochs').fill('2');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', '100', { timeout: 120_000 });

  const dense = ['Dense 2 (relu)', 'Dense 3 (sigmoid)', 'Dense 4 (sigmoid)', 'Dense 5 (sigmoid)', 'Dense 6 (sigmoid)', 'Dense 7 (softmax)'];
  const gradients = page.getByRole('img', { name: 'Gradient chart', exact: true });
  await expect(gradients).toHaveAttribute('data-series', String(dense.length));
  await expect(gradients).toHaveAttribute('data-labels', dense.join('\n'));
  const activations = page.getByRole('img', { name: 'Activation chart', exact: true });
  await expect(activations).toHaveAttribute('data-labels', [`${dense[0]} · dead`, ...dense.slice(1).map((d) => `${d} · saturated`)].join('\n'));

  // Each figure can be scrolled to by the findings panel, and holds its numbers for screen readers: epochs 0, 1 and 2.
  for (const id of ['loss', 'accuracy', 'gradients', 'activations']) await expect(page.locator(`#run-chart-${id}`)).toHaveCount(1);
  const table = page.locator('#run-chart-gradients table');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await expect(table.locator('tbody tr').first().locator('th')).toHaveText('0 (before training)');
  await expect(page.locator('#run-chart-loss table tbody tr')).toHaveCount(3);
  await expect(page.getByLabel('Loss chart')).toHaveAttribute('data-points', '2');
});
