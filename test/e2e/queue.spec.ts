/** The queue, pause and resume as a user works them in the window (browser mode, Debian Chromium). */
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

const trainButton = (page: Page) => page.getByRole('button', { name: 'Train', exact: true });
const queued = (page: Page) => page.getByRole('list', { name: 'Queued runs' }).getByRole('listitem');
const queueRow = (page: Page, id: number) => queued(page).filter({ hasText: `#${id} ·` });
const currentRun = (page: Page) => page.getByRole('region', { name: /^Run #\d+/ });

/** Name the next run and press Train. */
async function train(page: Page, name: string) {
  await page.getByLabel('Run name').fill(name);
  await trainButton(page).click();
}

test('three runs queued behind a training run: reordered, one cancelled, the training run paused; they train in the order shown', async ({
  page,
}) => {
  await page.goto(served.url);
  // Long enough to still be training while the queue is arranged (it is paused, then cancelled): every image, 20 epochs.
  await setUpRun(page, { images: 60000, epochs: 20 });
  await train(page, 'long');
  await expect(page.getByRole('progressbar', { name: 'Training progress' })).toHaveAttribute('aria-valuetext', /Epoch \d+ of 20 · batch/);

  await setUpRun(page, { images: 600, epochs: 1 });
  const flash = page.getByRole('status', { name: 'Message' });
  await train(page, 'B');
  await expect(flash).toContainText('Queued as run #2 — 1st in line, starts after run #1');
  // The same settings again at once is a double press: refused in words, nothing queued twice.
  await trainButton(page).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Starting the run failed' })).toContainText('as run 2');
  await page.getByRole('button', { name: 'Dismiss error' }).click();
  await train(page, 'C');
  await expect(flash).toContainText('Queued as run #3 — 2nd in line, starts after run #2');
  await train(page, 'D');
  await expect(flash).toContainText('Queued as run #4 — 3rd in line, starts after run #3');
  // The training run stays on screen; the new ones wait in the queue, in order.
  await expect(currentRun(page)).toHaveAccessibleName(/^Run #1 · long/);
  await expect(queued(page)).toHaveText([/#2 · B/, /#3 · C/, /#4 · D/]);
  await expect(queueRow(page, 3)).toContainText('seed-model-3');

  await queueRow(page, 4).getByRole('button', { name: 'Run next' }).click();
  await expect(queued(page)).toHaveText([/#4 · D/, /#2 · B/, /#3 · C/]);
  await page.getByRole('button', { name: 'Move run #3 up' }).click();
  await expect(queued(page)).toHaveText([/#4 · D/, /#3 · C/, /#2 · B/]);
  // The keyboard: Alt+↑ on the focused row, which keeps the focus.
  await queueRow(page, 2).focus();
  await page.keyboard.press('Alt+ArrowUp');
  await expect(queued(page)).toHaveText([/#4 · D/, /#2 · B/, /#3 · C/]);
  await expect(queueRow(page, 2)).toBeFocused();
  await page.getByRole('button', { name: 'Cancel queued run #4' }).click();
  await expect(queued(page)).toHaveText([/#2 · B/, /#3 · C/]);
  // Dragged by its handle onto the first row: C trains next.
  await queueRow(page, 3).getByLabel('Drag to reorder').dragTo(queueRow(page, 2), { steps: 20 });
  await expect(queued(page)).toHaveText([/#3 · C/, /#2 · B/]);

  // Pause the training run: it stops at the end of its batch and says where; the queue moves on to run #3.
  await currentRun(page).getByRole('button', { name: 'Pause', exact: true }).click();
  const current = currentRun(page);
  await expect(current.getByText('paused', { exact: true })).toBeVisible();
  await expect(current.getByRole('status').filter({ hasText: 'Paused' })).toContainText(/at epoch \d+ of 20, batch \d+ of 75/);
  await expect(current.getByRole('button', { name: /^Resume from epoch \d+, batch \d+$/ })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Paused runs' })).toContainText('#1 · long');
  await expect(queued(page)).toHaveText([/#2 · B/]);
  await expect(page.getByText('Run #3 is training and 1 is queued')).toBeVisible();

  // Given up: cancelled from the paused list, after a confirmation.
  await page.getByRole('list', { name: 'Paused runs' }).getByRole('button', { name: 'Cancel paused run #1' }).click();
  await page.getByRole('button', { name: 'Stop the run' }).click();
  await expect(page.getByRole('list', { name: 'Paused runs' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Queue' })).toHaveCount(0, { timeout: 120_000 });

  await page.getByRole('tab', { name: 'Runs' }).click();
  const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody tr');
  // Newest first: D cancelled in the queue, C and B trained, the long run cancelled while paused.
  await expect(rows).toHaveCount(4);
  await expect(rows.nth(0)).toContainText('cancelled');
  await expect(rows.nth(1)).toContainText('completed', { timeout: 120_000 });
  await expect(rows.nth(2)).toContainText('completed');
  await expect(rows.nth(3)).toContainText('cancelled');
});

test('pause a run between batches, see where it stopped, resume it from the Runs view and see it complete every epoch', async ({ page }) => {
  await page.goto(served.url);
  await setUpRun(page, { images: 60000, epochs: 3 });
  // Every image in small batches: 1,500 an epoch, so the run is surely still in its second epoch when Pause is pressed, even on a fast engine.
  await page.getByLabel('Batch size').fill('32');
  await train(page, 'paused and resumed');
  const progress = page.getByRole('progressbar', { name: 'Training progress' });
  // Paused in its second epoch, so the first epoch's curves are recorded.
  await expect(progress).toHaveAttribute('aria-valuetext', /Epoch 2 of 3 · batch/);
  const current = currentRun(page);
  await current.getByRole('button', { name: 'Pause', exact: true }).click();

  await expect(current.getByText('paused', { exact: true })).toBeVisible();
  const where = current.getByRole('status').filter({ hasText: 'Paused' });
  await expect(where).toContainText(/at epoch (2|3) of 3, batch \d+ of 1500/);
  await expect(page.getByLabel('Loss chart')).toHaveAttribute('data-points', /^[12]$/);
  const resume = current.getByRole('button', { name: /^Resume from epoch (2|3), batch \d+$/ });
  const label = (await resume.textContent())!.trim();
  const [, epoch, batch] = /epoch (\d+), batch (\d+)/.exec(label)!;
  await expect(where).toContainText(`at epoch ${epoch} of 3, batch ${batch} of 1500`);

  // Resumed from the run's header in the Runs view: it continues there and ends with every epoch.
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.getByRole('table', { name: 'Runs' }).locator('tbody tr').filter({ hasText: 'paused and resumed' }).click();
  const controls = page.getByRole('group', { name: 'Run controls' });
  await controls.getByRole('button', { name: label }).click();
  await expect(progress).toHaveAttribute('aria-valuenow', '100', { timeout: 120_000 });
  await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toContainText('3 epochs');
  await expect(controls).toHaveCount(0);
  await expect(page.getByLabel('Loss chart')).toHaveAttribute('data-points', '3');
  await expect(page.getByLabel('Accuracy chart')).toHaveAttribute('data-points', '3');
});
