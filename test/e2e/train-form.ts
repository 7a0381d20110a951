/** Filling in the Train view's form as a user does, shared by the end-to-end specs. */
import { expect, type Page } from '@playwright/test';

export interface RunSetup {
  /** Default seed-model-3. */
  preset?: string;
  images: number;
  epochs: number;
  optimizer?: string;
  learningRate?: string;
}

/** A preset's network and settings, then the first N training images and the epochs (and optimizer) asked for. */
export async function setUpRun(page: Page, o: RunSetup): Promise<void> {
  await page.getByLabel('Preset').selectOption(o.preset ?? 'seed-model-3');
  await expect(page.getByText('133,386').first()).toBeVisible();
  const all = page.getByLabel('All 60,000 images');
  if (await all.isChecked()) await all.uncheck();
  await page.getByLabel('Training images').fill(String(o.images));
  await page.getByLabel('Epochs').fill(String(o.epochs));
  if (o.optimizer) await page.getByLabel('Optimizer').selectOption(o.optimizer);
  if (o.learningRate) await page.getByLabel('Learning rate').fill(o.learningRate);
}
