/** A run explained as it trains, a fix one click away, early stopping — in browser mode, in Debian Chromium. */
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

const currentRun = (page: Page) => page.locator('section.current');

test('seed-model-1 is explained while it trains, and its fix trains as a new run linked to it', async ({ page }) => {
  await page.goto(served.url);
  await setUpRun(page, { preset: 'seed-model-1', images: 6000, epochs: 2 });
  // Note, in the page itself, which comes first: a finding on the run, or the run's end.
  // (A script string: the DOM types are the page's, not this Node project's.)
  await page.evaluate(`
    window.seen = {};
    new MutationObserver(() => {
      if (!seen.finding && document.querySelector('section.current li[data-kind]')) seen.finding = performance.now();
      if (!seen.completed && document.querySelector('section.current .outcome.completed')) seen.completed = performance.now();
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  `);
  await page.getByRole('button', { name: 'Train', exact: true }).click();

  // A finding about the sigmoid stack appears on the run (live: re-evaluated after each epoch).
  const findings = currentRun(page).getByRole('region', { name: /Findings/ });
  const finding = findings.locator('li[data-kind]').first();
  await expect(finding).toBeVisible({ timeout: 120_000 });
  await expect(findings.locator('li[data-kind]').first()).toContainText(/sigmoid|gradient|chance|learn/i);

  await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toBeVisible({ timeout: 120_000 });
  const seen = (await page.evaluate('window.seen')) as { finding: number; completed: number };
  expect(seen.finding, 'the finding appeared while the run trained, before it completed').toBeLessThan(seen.completed);

  // One gradient line per layer with weights (the six Dense layers), activation health, epochs 0–2 in the charts' tables.
  const dense = ['Dense 2 (relu)', 'Dense 3 (sigmoid)', 'Dense 4 (sigmoid)', 'Dense 5 (sigmoid)', 'Dense 6 (sigmoid)', 'Dense 7 (softmax)'];
  const gradients = currentRun(page).getByRole('img', { name: 'Gradient chart', exact: true });
  await expect(gradients).toHaveAttribute('data-series', String(dense.length));
  await expect(gradients).toHaveAttribute('data-labels', dense.join('\n'));
  const activations = currentRun(page).getByRole('img', { name: 'Activation chart', exact: true });
  await expect(activations).toHaveAttribute('data-labels', [`${dense[0]} · dead`, ...dense.slice(1).map((d) => `${d} · saturated`)].join('\n'));
  const table = page.locator('#run-chart-gradients table');
  await expect(table.locator('tbody tr')).toHaveCount(3);
  await expect(table.locator('tbody tr').first().locator('th')).toHaveText('0 (before training)');
  await expect(page.locator('#run-chart-loss table tbody tr')).toHaveCount(3);

  // The evidence is shown on the chart it cites.
  const show = findings.getByRole('button', { name: /^Show on the/ }).first();
  await show.click();
  await expect(findings.getByRole('button', { name: 'Hide on chart' }).first()).toHaveAttribute('aria-pressed', 'true');

  // One click trains the fix as a new run.
  const withFix = findings
    .locator('li[data-kind]')
    .filter({ has: page.getByRole('button', { name: 'Train again with this fix' }) })
    .first();
  const fixSummary = (await withFix.locator('.fix').innerText())
    .replace(/Train again with this fix/, '')
    .replace(/^Fix:\s*/, '')
    .trim();
  await withFix.getByRole('button', { name: 'Train again with this fix' }).click();
  await expect(page.getByText(/Run #2 trains run #1's network again with the fix/)).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toBeVisible({ timeout: 180_000 });

  // The history reads as a story: the new run names its parent and the fix; the parent lists the fix tried.
  await page.getByRole('tab', { name: 'Runs' }).click();
  const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await rows.nth(0).click();
  await expect(page.getByTestId('run-parent')).toContainText('Trained from run #1');
  await expect(page.getByTestId('run-parent')).toContainText(fixSummary.slice(0, 20));
  await page
    .getByTestId('run-parent')
    .getByRole('button', { name: /run #1/ })
    .click();
  await expect(page.getByTestId('run-children')).toContainText('run #2');

  // Side by side: the parent's findings against the fixed run's, and each run's layer signals.
  await page.getByRole('checkbox', { name: /^Compare run #1 / }).check();
  await page.getByRole('checkbox', { name: /^Compare run #2 / }).check();
  await page.getByRole('button', { name: 'Compare (2)' }).click();
  const compared = page.getByRole('table', { name: 'Findings' });
  await expect(compared.locator('tbody tr')).toHaveCount(2);
  await expect(compared.locator('tbody tr').nth(0)).toContainText(/sigmoid|gradient|chance|learn/i);
  await expect(page.getByRole('img', { name: 'Gradient chart of run #1' })).toHaveAttribute('data-series', '6');
  await expect(page.getByRole('img', { name: 'Gradient chart of run #2' })).toHaveAttribute('data-series', '6');
});

test('early stopping: set in the form, checked at its fields, and the run says where it stopped', async ({ page }) => {
  await page.goto(served.url);
  await setUpRun(page, { preset: 'seed-model-3', images: 1000, epochs: 30 });
  await page.getByLabel('Stop early when validation stops improving').check();
  const patience = page.getByLabel('Patience');
  await patience.fill('0');
  await expect(patience).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
  await patience.fill('2');
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();
  await page.getByRole('button', { name: 'Train', exact: true }).click();

  const outcome = page.getByRole('status').filter({ hasText: 'Completed' });
  await expect(outcome).toContainText(/stopped early at epoch \d+ \(best \d+\)/, { timeout: 180_000 });
  await expect(outcome).toContainText('the best epoch’s weights');
  const epochs = Number((await outcome.innerText()).match(/(\d+) epochs? in/)?.[1]);
  expect(epochs).toBeLessThan(30);
});
