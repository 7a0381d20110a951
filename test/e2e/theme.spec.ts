/**
 * Light and dark as a user sees them (browser mode, Debian Chromium): with the OS
 * set to dark or light, every main view's visible text reaches WCAG AA contrast on
 * what is actually behind it; the Theme setting (System / Light / Dark) changes the
 * page and the charts' frame, and is still chosen after a reload.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { serveLayerlab, type Served } from './serve';
import { setUpRun } from './train-form';

/** The page-side functions (page-colours.js), sent with each call so a reload doesn't lose them. */
const PAGE_COLOURS = readFileSync(new URL('./page-colours.js', import.meta.url), 'utf8');
const inPage = <T>(page: Page, call: string): Promise<T> => page.evaluate(`${PAGE_COLOURS}\n${call}`) as Promise<T>;

interface Offender {
  text: string;
  selector: string;
  ratio: number;
  needed: number;
  color: string;
  background: string;
}

let served: Served;
test.beforeAll(async ({ browser }) => {
  served = await serveLayerlab();
  // Two short runs that differ in optimizer: a run's detail and a comparison to look at.
  const page = await browser.newPage();
  await page.goto(served.url);
  for (const [n, optimizer] of [
    [1, 'adam'],
    [2, 'sgd'],
  ] as const) {
    await setUpRun(page, { images: 600, epochs: 2, optimizer });
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect(page.locator('#current-run-heading')).toContainText(`Run #${n}`);
    await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toContainText(/test accuracy \d/, { timeout: 120_000 });
  }
  await page.close();
});
test.afterAll(async () => {
  await served?.stop();
});

/** The lowest ratio in the page, for the report; and the offenders, named, when there are any. */
async function expectReadable(page: Page, where: string) {
  // Let the view settle (fonts, charts, lazy sections) before reading colours.
  await page.waitForLoadState('networkidle');
  const { offenders, checked, lowest } = await inPage<{ offenders: Offender[]; checked: number; lowest: number }>(
    page,
    'layerlabColours.lowContrastText()',
  );
  test.info().annotations.push({ type: 'contrast', description: `${where}: ${checked} text elements, lowest ${lowest.toFixed(2)}:1` });
  // Not a vacuous pass: the view's text was there to read.
  expect(checked, `text elements checked in ${where}`).toBeGreaterThan(10);
  const lines = offenders.map((o) => `  "${o.text}" at ${o.selector}: ${o.ratio}:1 < ${o.needed}:1 (${o.color} on ${o.background})`);
  expect(offenders, `text under WCAG AA contrast in ${where}:\n${lines.join('\n')}`).toEqual([]);
}

/** The page's --bg token as a colour (it is a light-dark() pair, resolved by the element that wears it). */
const pageBackground = (page: Page) => inPage<string>(page, 'layerlabColours.rootBackground()');
const LIGHT_BG = 'rgb(244, 245, 247)';
const DARK_BG = 'rgb(18, 21, 25)';

async function visitEveryView(browser: Browser, colorScheme: 'light' | 'dark') {
  const context = await browser.newContext({ colorScheme });
  const page = await context.newPage();
  try {
    await page.goto(served.url);
    await expect(page.getByLabel('Preset')).toBeVisible();
    expect(await pageBackground(page)).toBe(colorScheme === 'dark' ? DARK_BG : LIGHT_BG);
    await expectReadable(page, `the Train view (${colorScheme})`);

    await page.getByRole('tab', { name: 'Runs' }).click();
    await expect(page.locator('tr[data-run-id="2"]')).toBeVisible();
    // A ticked run and the row under the pointer are shaded: their text must still read.
    await page.getByRole('checkbox', { name: /^Compare run #1 / }).check();
    await expectReadable(page, `the Runs view (${colorScheme})`);

    await page.locator('tr[data-run-id="1"]').click();
    await expect(page.getByRole('heading', { name: /^Run #1 · / })).toBeVisible();
    await expect(page.getByRole('img', { name: /loss/i }).first()).toBeVisible();
    await expectReadable(page, `run #1's detail (${colorScheme})`);

    await page.getByRole('checkbox', { name: /^Compare run #2 / }).check();
    await page.getByRole('button', { name: /^Compare \(2\)$/ }).click();
    await expect(page.getByRole('tab', { name: 'Compare' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('table', { name: 'Settings' })).toBeVisible();
    await expectReadable(page, `the Compare view (${colorScheme})`);

    // The dataset list, Fashion-MNIST's classes and its sample grid.
    await page.getByRole('tab', { name: 'Datasets' }).click();
    await expect(page.getByRole('tab', { name: 'Datasets' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByText('Fashion-MNIST').first()).toBeVisible();
    await expect(page.getByText('Ankle boot').first()).toBeVisible();
    await expectReadable(page, `the Datasets view (${colorScheme})`);
  } finally {
    await context.close();
  }
}

test('with the OS in dark mode every view is dark and its text reads at WCAG AA', async ({ browser }) => {
  await visitEveryView(browser, 'dark');
});

test('with the OS in light mode every view is light and its text reads at WCAG AA', async ({ browser }) => {
  await visitEveryView(browser, 'light');
});

/** How many pixels of a chart's canvas are exactly this colour (its grid lines are drawn in the theme's --chart-grid). */
const pixelsOf = (page: Page, chart: string, rgb: [number, number, number]): Promise<number> =>
  inPage<number>(page, `layerlabColours.canvasPixels(${JSON.stringify(chart)}, ${JSON.stringify(rgb)})`);
const LIGHT_GRID: [number, number, number] = [229, 231, 235];
const DARK_GRID: [number, number, number] = [47, 53, 62];

test('the Theme setting: System follows the OS, Light and Dark override it, the charts redraw, and the choice survives a reload', async ({
  browser,
}) => {
  const context = await browser.newContext({ colorScheme: 'light' });
  const page = await context.newPage();
  try {
    await page.goto(`${served.url}#runs`);
    await page.locator('tr[data-run-id="1"]').click();
    const lossChart = 'Loss chart';
    await expect(page.getByRole('img', { name: lossChart, exact: true })).toBeVisible();
    const setting = page.getByLabel('Theme');
    await expect(setting).toHaveValue('system');
    expect(await pageBackground(page)).toBe(LIGHT_BG);
    expect(await inPage<boolean>(page, 'layerlabColours.hasThemeAttribute()')).toBe(false);
    await expect.poll(() => pixelsOf(page, lossChart, LIGHT_GRID)).toBeGreaterThan(0);

    // Dark, chosen in a light OS: the page and the chart's grid turn dark at once.
    await setting.selectOption('Dark');
    await expect.poll(() => pageBackground(page)).toBe(DARK_BG);
    await expect.poll(() => pixelsOf(page, lossChart, DARK_GRID)).toBeGreaterThan(0);
    expect(await pixelsOf(page, lossChart, LIGHT_GRID)).toBe(0);
    await expectReadable(page, 'run #1 with the Dark setting');

    await page.reload();
    await expect(page.getByLabel('Theme')).toHaveValue('dark');
    expect(await pageBackground(page)).toBe(DARK_BG);

    // The OS turns dark while on Light: Light holds.
    await page.getByLabel('Theme').selectOption('Light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => pageBackground(page)).toBe(LIGHT_BG);

    // Back to System: it follows the (now dark) OS, and back again when the OS turns light — charts too.
    await page.getByLabel('Theme').selectOption('System');
    await expect.poll(() => pageBackground(page)).toBe(DARK_BG);
    expect(await inPage<boolean>(page, 'layerlabColours.hasThemeAttribute()')).toBe(false);
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => pageBackground(page)).toBe(LIGHT_BG);
    await page.locator('tr[data-run-id="1"]').click();
    await expect.poll(() => pixelsOf(page, lossChart, LIGHT_GRID)).toBeGreaterThan(0);
    await page.reload();
    await expect(page.getByLabel('Theme')).toHaveValue('system');
  } finally {
    await context.close();
  }
});
