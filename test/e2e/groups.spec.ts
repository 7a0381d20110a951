/**
 * Repeats and sweeps as a user runs them, in browser mode: a Repeat × 2 and a
 * sweep of two learning rates from the Train view, both as group rows in the Runs
 * view, the sweep's ranking, both groups side by side in Compare as mean ± std
 * bands with a "±" summary, exported as SVG with both bands, saved and reopened
 * from the saved list with both bands again; then a run named by hand is called by its name in the
 * comparison's legend and in the exported CSV.
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

const groupRow = (page: Page, name: RegExp | string) => page.locator('tr.group-row').filter({ hasText: name });

/** Wait until every run of the group in this row has ended (the row says "2/2 done"). */
async function waitDone(page: Page, name: RegExp | string, total: number) {
  await expect(groupRow(page, name)).toContainText(`${total}/${total} done`, { timeout: 170_000 });
}

test('a repeat and a sweep: queued from the Train view, grouped in Runs, compared as mean ± std bands; a named run keeps its name', async ({
  page,
}) => {
  test.setTimeout(420_000);
  await page.goto(served.url);
  await setUpRun(page, { images: 600, epochs: 2, optimizer: 'adam', learningRate: '0.001' });

  // Repeat × 2: two runs, seeds 42 and 43, as one group.
  await page.getByLabel('Repeats (seeds)').fill('2');
  await page.getByRole('button', { name: 'Repeat × 2' }).click();
  await expect(page.locator('#group-launcher-note')).toContainText(/Queued repeat .*2 runs \(2 seeds\)/);
  // The Train view follows the group's first run.
  await expect(page.locator('#current-run-heading')).toContainText('Run #1');

  // Sweep…: a bad value is refused with a message, then two learning rates × two batch sizes, 1 seed each.
  await page.getByRole('button', { name: 'Sweep…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sweep settings' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Setting 1').selectOption('learningRate');
  const values = dialog.getByLabel('Values of Learning rate');
  await values.fill('0.01, fast');
  await values.blur();
  await expect(dialog).toContainText('lr=fast: a learning rate is a number like 0.001.');
  await values.fill('0.003, 0.01');
  await dialog.getByRole('button', { name: 'Add a setting' }).click();
  await dialog.getByLabel('Setting 2').selectOption('batchSize');
  await dialog.getByLabel('Values of Batch size').fill('32, 64');
  await dialog.getByLabel('Sweep name').fill('lr sweep');
  await expect(dialog.locator('#sweep-preview')).toHaveText('4 runs (2 × 2 settings × 1 seed)');
  await values.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(page.locator('#group-launcher-note')).toContainText('Queued sweep “lr sweep”: 4 runs');

  // The Runs view: one row per group, each "2/2 done" once its runs have trained.
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.locator('tr.group-row')).toHaveCount(2);
  await waitDone(page, /repeat ×2/, 2);
  await waitDone(page, 'lr sweep', 4);
  await expect(groupRow(page, /repeat ×2/)).toContainText('%');
  // Collapsed, a group's runs are not rows of their own; expanded, they are listed under it.
  await expect(page.locator('tr[data-run-id]')).toHaveCount(0);
  await groupRow(page, 'lr sweep')
    .getByRole('button', { name: /Show the runs of lr sweep/ })
    .click();
  await expect(page.locator('tr.member')).toHaveCount(4);

  // The sweep's panel ranks its four settings by mean best validation loss, and maps them over the two swept settings.
  await groupRow(page, 'lr sweep').locator('td.name').click();
  const ranking = page.getByRole('table', { name: 'Settings ranked by mean best validation loss' });
  await expect(ranking.locator('tbody tr')).toHaveCount(4);
  await expect(ranking.locator('tbody tr td:first-child')).toHaveText(['1', '2', '3', '4']);
  const heatmap = page.getByRole('table', { name: 'Mean best validation loss by batch size (rows) and lr (columns)' });
  await expect(heatmap.locator('thead th')).toHaveText([/batch size/, '0.003', '0.01']);
  await expect(heatmap.locator('tbody th')).toHaveText(['32', '64']);
  await expect(heatmap.locator('tbody td')).toHaveCount(4);
  for (const cell of await heatmap.locator('tbody td').all()) await expect(cell).toHaveText(/\d\.\d{3}\s*n=1/);
  // The best cell is the ranking's first setting.
  const bestLoss = (await ranking.locator('tbody tr').first().locator('td').nth(4).innerText()).trim();
  await expect(heatmap.locator('td.best')).toHaveText(new RegExp(Number(bestLoss).toFixed(3)));

  // Both groups in Compare: a mean curve and a ± std band each, and "±" in the summary.
  await page.getByRole('checkbox', { name: /^Compare repeat / }).check();
  await page.getByRole('checkbox', { name: 'Compare sweep lr sweep' }).check();
  await page.getByRole('button', { name: 'Compare (2 groups)' }).click();
  await expect(page.getByRole('tab', { name: 'Compare' })).toHaveAttribute('aria-selected', 'true');
  expect(page.url()).toMatch(/#compare\?runs=&groups=\d+,\d+&/);
  const groupsLegend = page.getByRole('list', { name: 'Groups compared (mean ± std)' });
  await expect(groupsLegend).toContainText('lr sweep');
  await expect(groupsLegend).toContainText('mean ± std over 2 runs');
  await expect(groupsLegend).toContainText('mean ± std over 4 runs');
  const chart = page.getByRole('img', { name: 'Validation loss comparison chart', exact: true });
  await expect(chart).toHaveAttribute('data-series', '2');
  const bands = (await chart.getAttribute('data-bands'))!.split('\n');
  expect(bands).toHaveLength(2);
  expect(bands[1]).toBe('lr sweep (mean ± std)');
  expect(bands[0]).toMatch(/\(mean ± std\)$/);
  const perEpoch = page.getByRole('table', { name: 'Validation loss per epoch', exact: true });
  await expect(perEpoch.locator('tbody tr')).toHaveCount(2);
  await expect(perEpoch.locator('tbody tr').first()).toContainText(/\d\.\d+ ± \d\.\d+ \(n=2\)/);
  await expect(perEpoch.locator('tbody tr').first()).toContainText(/\d\.\d+ ± \d\.\d+ \(n=4\)/);
  // "Show runs" draws each group's runs faintly behind its band.
  await expect(chart).toHaveAttribute('data-group-runs', '0');
  await page.getByRole('switch', { name: 'Show runs' }).check();
  await expect(chart).toHaveAttribute('data-group-runs', '6');
  const summary = page.getByRole('table', { name: 'Summary' });
  await expect(summary.locator('tr[data-key="bestValAccuracy"] td.group-cell')).toHaveCount(2);
  for (const cell of await summary.locator('tr[data-key="bestValAccuracy"] td.group-cell').all()) {
    await expect(cell).toHaveText(/^\d+\.\d+% ± \d+\.\d+% \(n=[24]\)$/);
  }
  // The SVG export draws both bands.
  await page.getByRole('button', { name: 'Export Validation loss chart', exact: true }).click();
  const svgDownload = page.waitForEvent('download');
  await page.getByRole('menuitem', { name: 'SVG image' }).click();
  const svg = readFileSync((await (await svgDownload).path())!, 'utf8');
  expect(svg.match(/<polygon class="band"/g)).toHaveLength(2);
  expect(svg).toContain('lr sweep (mean ± std)');

  // Saved with both groups; one taken out, then the saved comparison reopened from the list: both bands are back.
  await page.getByRole('button', { name: 'Save comparison…' }).click();
  const saveDialog = page.getByRole('dialog', { name: 'Save comparison' });
  await expect(saveDialog).toContainText('Keeps these 2 groups');
  await saveDialog.getByLabel('Comparison name').fill('two groups');
  await saveDialog.getByRole('button', { name: 'Save' }).click();
  await expect(saveDialog).toBeHidden();
  const saved = page.getByRole('table', { name: 'Saved comparisons' });
  await expect(saved.locator('tr', { hasText: 'two groups' })).toContainText('lr sweep');
  await groupsLegend.getByRole('button', { name: 'Remove lr sweep from the comparison' }).click();
  await expect(chart).toHaveAttribute('data-bands', bands[0]);
  await page.getByRole('button', { name: 'Open comparison two groups' }).click();
  await expect(page.getByRole('heading', { name: /Comparison · two groups/ })).toBeVisible();
  await expect(chart).toHaveAttribute('data-bands', bands.join('\n'));
  await expect(groupsLegend).toContainText('mean ± std over 4 runs');

  // Hiding a group takes its band out of the charts.
  await groupsLegend.getByRole('button', { name: 'lr sweep', exact: true }).click();
  await expect(chart).toHaveAttribute('data-bands', bands[0]);

  // Name a run by hand in the Runs view; compared with another, the legend and the CSV call it by that name.
  await page.getByRole('tab', { name: 'Runs' }).click();
  // By keyboard: ← folds a group's runs away, → lists them.
  await groupRow(page, 'lr sweep').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(page.locator('tr.member')).toHaveCount(0);
  await groupRow(page, /repeat ×2/).focus();
  await page.keyboard.press('ArrowRight');
  // A repeat's panel: each figure as mean ± std over its completed runs.
  await page.keyboard.press('Enter');
  const repeatSummary = page.getByRole('table', { name: 'Repeat summary' });
  await expect(repeatSummary.locator('tr[data-key="bestValLoss"] td').first()).toHaveText(/^\d\.\d{4} ± \d\.\d{4} \(n=2\)$/);
  await expect(page.locator('tr.member')).toHaveCount(2);
  const first = page.locator('tr.member').first();
  const firstId = Number(await first.getAttribute('data-run-id'));
  await first.locator('td.name').click();
  await page.getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('New run name').fill('Baseline seed');
  await page.getByLabel('New run name').press('Enter');
  await expect(page.locator('#run-detail-heading')).toHaveText(`Run #${firstId} · Baseline seed`);
  await page.getByRole('button', { name: 'Clear selection' }).click();
  await page.getByRole('checkbox', { name: `Compare run #${firstId} Baseline seed` }).check();
  const other = page.locator('tr.member').nth(1);
  const otherId = Number(await other.getAttribute('data-run-id'));
  await page.getByRole('checkbox', { name: new RegExp(`^Compare run #${otherId} `) }).check();
  await page.getByRole('button', { name: 'Compare (2)' }).click();
  const runsLegend = page.getByRole('list', { name: 'Runs compared' });
  await expect(runsLegend.getByRole('listitem')).toHaveCount(2);
  await expect(runsLegend.getByRole('listitem').first()).toContainText('Baseline seed');
  await expect(page.getByRole('img', { name: 'Loss comparison chart', exact: true })).toHaveAttribute('data-labels', /^Baseline seed\b/);

  await page.getByRole('button', { name: 'Export Loss chart', exact: true }).click();
  const download = page.waitForEvent('download');
  await page.getByRole('menuitem', { name: 'Data as CSV' }).click();
  const csv = readFileSync((await (await download).path())!, 'utf8');
  const rows = csv.trim().split('\n');
  expect(rows.some((r) => r.includes('Baseline seed'))).toBe(true);
  expect(rows.filter((r) => r.includes('Baseline seed')).length).toBeGreaterThanOrEqual(8);
});
