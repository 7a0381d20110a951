/** Importing a folder of colour images in the Datasets view, training on it, and finding the run by its dataset (browser mode, Debian Chromium). */
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { serveLayerlab, type Served } from './serve';

let served: Served;
let folder: string;

const CLASSES: { name: string; rgb: [number, number, number] }[] = [
  { name: 'blue', rgb: [20, 40, 220] },
  { name: 'green', rgb: [30, 200, 40] },
  { name: 'red', rgb: [220, 30, 30] },
];
const PER_CLASS = 12;

/** Three classes told apart by colour (a little noise so no two images are the same), half PNG and half JPEG; a corrupt PNG and a text file. */
async function writeImageFolder(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'layerlab-colours-'));
  const dir = join(root, 'colours');
  for (const c of CLASSES) {
    mkdirSync(join(dir, c.name), { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      const size = 24 + (i % 3) * 8;
      const pixels = Buffer.alloc(size * size * 3);
      for (let p = 0; p < size * size; p++)
        for (let k = 0; k < 3; k++) pixels[p * 3 + k] = Math.max(0, Math.min(255, c.rgb[k] + (((p * 7 + i * 13 + k * 5) % 21) - 10)));
      const image = sharp(pixels, { raw: { width: size, height: size, channels: 3 } });
      if (i % 2 === 0) await image.png().toFile(join(dir, c.name, `img${i}.png`));
      else await image.jpeg({ quality: 95 }).toFile(join(dir, c.name, `img${i}.jpg`));
    }
  }
  writeFileSync(join(dir, 'red', 'broken.png'), Buffer.from('this is not a PNG at all'));
  writeFileSync(join(dir, 'green', 'notes.txt'), 'taken on a sunny day\n');
  return dir;
}

test.beforeAll(async () => {
  folder = await writeImageFolder();
  served = await serveLayerlab();
});
test.afterAll(async () => {
  await served?.stop();
  if (folder) rmSync(join(folder, '..'), { recursive: true, force: true });
});

/** The red, green and blue of the middle pixel of the first thumbnail drawn in the gallery. */
async function firstThumbnailColour(page: Page): Promise<number[]> {
  return page
    .getByRole('list', { name: /images of colours/ })
    .locator('canvas')
    .first()
    .evaluate((element) => {
      // The node project's types have no DOM: the canvas as far as this reads it.
      const canvas = element as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
      };
      const ctx = canvas.getContext('2d');
      if (!ctx) return [0, 0, 0];
      const [r, g, b] = ctx.getImageData(Math.floor(canvas.width / 2), Math.floor(canvas.height / 2), 1, 1).data;
      return [r, g, b];
    });
}

test('import a folder of colour images, browse it, fix seed-model-3 for it, train on it and find the run by its dataset', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(served.url);
  await page.getByRole('tab', { name: 'Datasets' }).click();
  const list = page.getByRole('table', { name: 'Datasets' });
  await expect(list.locator('tbody tr').filter({ hasText: 'Fashion-MNIST' })).toContainText('28×28×1');

  // The dialog: the name follows the folder; 16×16 RGB.
  await page.getByRole('button', { name: 'Import folder…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Import a folder of images' });
  await dialog.getByLabel('Folder').fill(folder);
  await expect(dialog.getByLabel('Name')).toHaveValue('colours');
  await dialog.getByLabel('Height (pixels)').fill('16');
  await dialog.getByLabel('Width (pixels)').fill('16');
  await expect(dialog.getByLabel('Channels')).toHaveValue('3');
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();

  // The result: what was imported and what was skipped, with reasons.
  const result = dialog.getByRole('status');
  await expect(result).toContainText('colours imported: 16×16×3, 3 classes', { timeout: 60_000 });
  await expect(dialog.getByRole('progressbar', { name: 'Import progress' })).toHaveCount(0);
  const skipped = dialog.getByRole('list', { name: 'Skipped files' });
  await expect(skipped).toContainText('red/broken.png');
  await expect(skipped).toContainText('green/notes.txt');
  await expect(skipped).toContainText('not an image (.txt)');
  await dialog.getByRole('button', { name: 'Done' }).click();

  // The new dataset is listed and selected: its classes with their counts.
  const row = list.locator('tbody tr').filter({ hasText: 'colours' });
  await expect(row).toContainText('16×16×3');
  await expect(row).toContainText('Available');
  await expect(page.getByRole('heading', { name: 'colours' })).toBeVisible();
  const balance = page.getByRole('table', { name: 'Images per class' });
  await expect(balance.locator('tbody th')).toHaveText(['blue', 'green', 'red']);
  // Each class's 12 images (red's corrupt file skipped) are split between training, validation and test.
  for (const c of CLASSES) {
    const cells = balance.locator('tbody tr').filter({ hasText: c.name }).locator('td');
    const counts = (await cells.allTextContents()).map((t) => Number(t.replace(/[^\d]/g, '')));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(PER_CLASS);
    expect(counts.every((n) => n > 0)).toBe(true);
  }

  // Colour thumbnails: the red class's images are drawn red.
  await page.locator('#datasets-class').selectOption({ label: 'red' });
  await expect(page.getByRole('list', { name: 'Training images of colours (red)' }).locator('canvas').first()).toBeVisible();
  await expect
    .poll(async () => {
      const [r, g, b] = await firstThumbnailColour(page);
      return r > 150 && r > 2 * g && r > 2 * b;
    })
    .toBe(true);
  await page.locator('#datasets-class').selectOption({ label: 'green' });
  await expect
    .poll(async () => {
      const [r, g, b] = await firstThumbnailColour(page);
      return g > 150 && g > 2 * r && g > 2 * b;
    })
    .toBe(true);

  // The Train view: train on it. seed-model-3 takes 28×28 grayscale and has 10 outputs: two problems, each with a fix.
  await page.getByRole('tab', { name: 'Train' }).click();
  await page.getByLabel('Preset').selectOption('seed-model-3');
  await page.locator('#training-dataset').selectOption({ label: 'colours (16×16×3, 3 classes)' });
  const blocked = page.locator('#train-blocked');
  const trainButton = page.getByRole('button', { name: 'Train', exact: true });
  await expect(blocked).toContainText("colours's images are 16×16×3");
  await expect(trainButton).toBeDisabled();
  await blocked.locator('p').filter({ hasText: 'images are 16×16×3' }).getByRole('button', { name: 'Fix it' }).click();
  await expect(blocked).not.toContainText('images are 16×16×3');
  await expect(blocked).toContainText('colours has 3 classes');
  await blocked.locator('p').filter({ hasText: 'colours has 3 classes' }).getByRole('button', { name: 'Fix it' }).click();
  await expect(blocked).not.toContainText('3 classes');
  // The fixes are edits like any other: Undo brings the 10 outputs back, Redo fixes them again.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(blocked).toContainText('colours has 3 classes');
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(blocked).not.toContainText('3 classes');

  await page.getByLabel('Epochs').fill('2');
  await page.getByLabel('Run name').fill('colour run');
  await expect(trainButton).toBeEnabled();
  await trainButton.click();
  await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toBeVisible({ timeout: 120_000 });

  // The Runs view names the dataset; the run's detail describes it.
  await page.getByRole('tab', { name: 'Runs' }).click();
  const runRow = page.getByRole('table', { name: 'Runs' }).locator('tbody tr').filter({ hasText: 'colour run' });
  await expect(runRow).toContainText('completed');
  await expect(runRow.locator('td.dataset')).toHaveText('colours');
  await runRow.click();
  await expect(page.locator('dd.dataset-name')).toContainText('colours');
  await expect(page.locator('dd.classes')).toContainText('3: blue, green, red');
});
