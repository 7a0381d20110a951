/** The foundation flow as a user does it, in browser mode in Debian Chromium. */
import { expect, test } from '@playwright/test';
import { serveLayerlab, type Served } from './serve';
import { setUpRun } from './train-form';

let served: Served;
test.beforeAll(async () => {
  served = await serveLayerlab();
});
test.afterAll(async () => {
  await served?.stop();
});

test('train seed-model-3 on 3,000 images for one epoch, then cancel a second run', async ({ page }) => {
  await page.goto(served.url);
  await setUpRun(page, { images: 3000, epochs: 1 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();

  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  await expect(progress).toHaveAttribute('aria-valuenow', '100', { timeout: 120_000 });
  await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toContainText(/test accuracy \d+(\.\d+)?%/);
  await expect(page.getByLabel('Loss chart')).toHaveAttribute('data-points', '1');
  await expect(page.getByLabel('Accuracy chart')).toHaveAttribute('data-points', '1');

  // A second, longer run, cancelled while it trains.
  await setUpRun(page, { images: 6000, epochs: 20 });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuenow', /^[1-9]/);
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Cancelled' })).toBeVisible();

  await page.getByRole('tab', { name: 'Runs' }).click();
  const table = page.getByRole('table', { name: 'Runs' });
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(2);
  // Newest first: the cancelled run, then the completed one with its test accuracy.
  await expect(rows.nth(0)).toContainText('cancelled');
  await expect(rows.nth(1)).toContainText('completed');
  const testAccuracyColumn = await table
    .locator('thead th')
    .allTextContents()
    .then((h) => h.findIndex((t) => /test acc/i.test(t)));
  expect(testAccuracyColumn).toBeGreaterThan(0);
  await expect(rows.nth(1).locator('td').nth(testAccuracyColumn)).toHaveText(/^\s*\d+(\.\d+)?%\s*$/);
  await expect(rows.nth(0).locator('td').nth(testAccuracyColumn)).toHaveText(/—/);
  await expect(rows.nth(1)).toContainText('1 / 1');

  // Selecting the completed run shows what was recorded about it.
  await rows.nth(1).click();
  await expect(page.getByText('/usr/share/datasets/fashion-mnist').first()).toBeVisible();
  await expect(page.getByLabel('Loss chart')).toHaveAttribute('data-points', '1');
});

test('a bad value is refused at its field and Train stays disabled', async ({ page }) => {
  await page.goto(served.url);
  const epochs = page.getByLabel('Epochs');
  await epochs.fill('0');
  await expect(epochs).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('epochs must be at least 1').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
  await page.getByLabel('Learning rate').fill('-1');
  await expect(page.getByText('learning rate must be a number above 0').first()).toBeVisible();
  await epochs.fill('2');
  await page.getByLabel('Learning rate').fill('0.01');
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
});

test('without the token the page is refused', async ({ page }) => {
  const bare = served.url.replace(/\?token=.*/, '');
  const response = await page.goto(bare);
  expect(response?.status()).toBe(401);
});
