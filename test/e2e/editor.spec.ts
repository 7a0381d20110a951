/**
 * The visual layer editor as a user drives it, in browser mode in Debian
 * Chromium: by mouse (dragging from the palette and within the stack) and by
 * keyboard only, with field checks, problems, Keras import, saved designs and
 * a CNN that trains.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { serveLayerlab, type Served } from './serve';

let served: Served;
test.beforeAll(async () => {
  served = await serveLayerlab();
});
test.afterAll(async () => {
  await served?.stop();
});

const stack = (page: Page) => page.getByRole('listbox', { name: 'Layer stack' });
const rows = (page: Page) => stack(page).getByRole('option');
const totals = (page: Page) => page.getByLabel('Parameter totals');
const trainButton = (page: Page) => page.getByRole('button', { name: 'Train', exact: true });
const announcer = (page: Page) => page.locator('#editor-announcer');
const editorMessage = (page: Page) => page.getByLabel('Editor message');

/** Drag a palette item to the end of the stack (just above the stack's bottom edge). */
async function dragToEnd(page: Page, type: string) {
  const target = stack(page);
  const box = await target.boundingBox();
  if (!box) throw new Error('the layer stack is not on screen');
  await page.getByRole('button', { name: type, exact: true }).dragTo(target, {
    targetPosition: { x: box.width / 2, y: box.height - 4 },
    steps: 20,
  });
}

/** Select a layer by clicking its row, then set text fields of the inspector. */
async function setFields(page: Page, row: number, fields: Record<string, string>) {
  await rows(page).nth(row).click();
  for (const [label, value] of Object.entries(fields)) {
    const field = page.locator('#layer-inspector').getByLabel(label, { exact: true });
    if ((await field.evaluate((el) => el.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }
}

async function setUpTraining(page: Page, images: number, epochs: number) {
  const all = page.getByLabel('All 60,000 images');
  if (await all.isChecked()) await all.uncheck();
  await page.getByLabel('Training images').fill(String(images));
  await page.getByLabel('Epochs').fill(String(epochs));
}

async function expectCompleted(page: Page) {
  await expect(page.getByRole('status').filter({ hasText: 'Completed' })).toContainText(/test accuracy \d+(\.\d+)?%/, { timeout: 150_000 });
}

/** The newest run in the Runs view, selected, with its recorded architecture. */
async function openNewestRun(page: Page): Promise<Locator> {
  await page.getByRole('tab', { name: 'Runs' }).click();
  const first = page.getByRole('table', { name: 'Runs' }).locator('tbody tr').first();
  await expect(first).toContainText('completed');
  await first.click();
  return page.getByRole('table', { name: /^Model/ });
}

/** Type into a focused text field, replacing what it holds. */
async function retype(page: Page, text: string) {
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
}

/** Press Tab until the focused element has this role, as a keyboard user would. */
async function tabToRole(page: Page, role: string) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if ((await page.locator(':focus').getAttribute('role')) === role) return;
  }
  throw new Error(`Tab never reached an element with role ${role}`);
}

test('build seed-model-3 by dragging, reorder by dragging, undo, train, and find its architecture', async ({ page }) => {
  await page.goto(served.url);
  await expect(rows(page)).toHaveCount(7); // the first preset
  await page.getByRole('button', { name: 'New empty network' }).click();
  await expect(rows(page)).toHaveCount(0);
  await expect(trainButton(page)).toBeDisabled();
  await expect(page.locator('#train-blocked')).toContainText('The stack is empty');

  await dragToEnd(page, 'Flatten');
  await expect(rows(page)).toHaveCount(1);
  for (let i = 0; i < 6; i++) await dragToEnd(page, 'Dense');
  await expect(rows(page)).toHaveCount(7);
  await expect(rows(page).first()).toContainText('Flatten');

  const units = ['64', '128', '256', '128', '64'];
  for (const [i, u] of units.entries()) await setFields(page, i + 1, { Units: u, Activation: 'relu' });
  await setFields(page, 6, { Units: '10', Activation: 'softmax' });
  await expect(totals(page)).toContainText('133,386');
  await expect(page.getByText('133,386').first()).toBeVisible();
  await expect(rows(page).nth(2)).toContainText('(None, 128)');
  await expect(rows(page).nth(2)).toContainText('8,320');

  // Drag the Dense(64) below the Dense(128): the drop line shows while dragging, shapes and counts follow.
  const source = rows(page).nth(1);
  const target = rows(page).nth(2);
  const s = (await source.boundingBox())!;
  const t = (await target.boundingBox())!;
  await page.mouse.move(s.x + 40, s.y + s.height / 2);
  await page.mouse.down();
  await page.mouse.move(t.x + 40, t.y + t.height - 3, { steps: 20 });
  await expect(stack(page).locator('.drop-after, .drop-before')).toHaveCount(1);
  await page.mouse.up();
  await expect(stack(page).locator('.drop-after, .drop-before')).toHaveCount(0);
  await expect(rows(page).nth(1)).toContainText('128, relu');
  await expect(rows(page).nth(1)).toContainText('(None, 128)');
  await expect(rows(page).nth(1)).toContainText('100,480');
  await expect(rows(page).nth(2)).toContainText('(None, 64)');
  await expect(rows(page).nth(2)).toContainText('8,256');
  await expect(totals(page)).toContainText('167,178');
  await expect(announcer(page)).toHaveText('Dense moved to position 3');

  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(rows(page).nth(1)).toContainText('64, relu');
  await expect(rows(page).nth(1)).toContainText('50,240');
  await expect(totals(page)).toContainText('133,386');
  await expect(page.getByRole('button', { name: 'Redo' })).toBeEnabled();

  await setUpTraining(page, 3000, 1);
  await expect(trainButton(page)).toBeEnabled();
  await trainButton(page).click();
  await expectCompleted(page);

  const model = await openNewestRun(page);
  await expect(model.locator('tbody tr')).toHaveCount(7);
  await expect(model.locator('tbody tr').nth(1)).toContainText('64, relu');
  await expect(model.locator('tbody tr').nth(6)).toContainText('10, softmax');
  await expect(model).toContainText('133,386');
  await expect(page.getByRole('table', { name: 'Runs' }).locator('tbody tr').first()).toContainText('custom');

  // Start again from this run: the Train view opens with its network and settings.
  await page.getByRole('button', { name: 'Edit a copy of this network' }).click();
  await expect(page.getByRole('tab', { name: 'Train' })).toHaveAttribute('aria-selected', 'true');
  await expect(editorMessage(page)).toContainText('Editing a copy of run #');
  await expect(rows(page)).toHaveCount(7);
  await expect(totals(page)).toContainText('133,386');
  await expect(page.getByLabel('Training images')).toHaveValue('3000');
  await expect(page.getByLabel('Epochs')).toHaveValue('1');
});

test('undo reaches back at least 200 steps', async ({ page }) => {
  await page.goto(served.url);
  await page.getByLabel('Preset').selectOption('seed-model-3');
  await expect(rows(page).nth(2)).toContainText('128, relu');
  await rows(page).nth(1).click();
  // 210 moves: the Dense(64) goes down and up again and again, then once more down.
  for (let i = 0; i < 210; i++) await page.keyboard.press(i % 2 === 0 ? 'Alt+ArrowDown' : 'Alt+ArrowUp');
  await page.keyboard.press('Alt+ArrowDown');
  await expect(rows(page).nth(1)).toContainText('128, relu');
  for (let i = 0; i < 211; i++) await page.keyboard.press('ControlOrMeta+Z');
  await expect(rows(page).nth(1)).toContainText('64, relu');
  await expect(rows(page).nth(2)).toContainText('128, relu');
  // One step further back undoes loading the preset.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(rows(page).nth(2)).toContainText('128, sigmoid');
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled();
  await page.keyboard.press('ControlOrMeta+Y');
  await expect(rows(page).nth(2)).toContainText('128, relu');
});

test('the same by keyboard only', async ({ page }) => {
  await page.goto(served.url);
  await expect(rows(page)).toHaveCount(7);
  await page.getByRole('button', { name: 'New empty network' }).focus();
  await page.keyboard.press('Enter');
  await expect(rows(page)).toHaveCount(0);

  // The palette: Enter adds after the selected layer; focus stays on the palette.
  await page.getByRole('button', { name: 'Flatten', exact: true }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Dense', exact: true })).toBeFocused();
  for (let i = 0; i < 6; i++) await page.keyboard.press('Enter');
  await expect(rows(page)).toHaveCount(7);
  await expect(announcer(page)).toHaveText('Dense added at position 7 of 7');

  // Into the stack, then each Dense: Enter opens its settings, Escape goes back to the layer.
  await tabToRole(page, 'option');
  await expect(rows(page).nth(6)).toBeFocused();
  await page.keyboard.press('Home');
  await expect(rows(page).first()).toBeFocused();
  const units = ['64', '128', '256', '128', '64', '10'];
  for (const [i, u] of units.entries()) {
    await page.keyboard.press('ArrowDown');
    await expect(rows(page).nth(i + 1)).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByLabel('Units', { exact: true })).toBeFocused();
    await retype(page, u);
    if (u === '10') {
      await page.keyboard.press('Tab');
      await expect(page.getByLabel('Activation', { exact: true })).toBeFocused();
      // relu → sigmoid → tanh → softmax
      for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowDown');
      await expect(page.getByLabel('Activation', { exact: true })).toHaveValue('softmax');
    }
    await page.keyboard.press('Escape');
    await expect(rows(page).nth(i + 1)).toBeFocused();
  }
  await expect(totals(page)).toContainText('133,386');

  // Alt+↑ moves the Dense(128) above the Dense(64); focus stays on it.
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(rows(page).nth(2)).toContainText('128, relu');
  await page.keyboard.press('Alt+ArrowUp');
  await expect(rows(page).nth(1)).toContainText('128, relu');
  await expect(rows(page).nth(1)).toContainText('(None, 128)');
  await expect(rows(page).nth(1)).toBeFocused();
  await expect(totals(page)).toContainText('167,178');
  await expect(announcer(page)).toHaveText('Dense moved to position 2');

  await page.keyboard.press('ControlOrMeta+Z');
  await expect(rows(page).nth(1)).toContainText('64, relu');
  await expect(rows(page).nth(2)).toContainText('128, relu');
  await expect(totals(page)).toContainText('133,386');

  // Ctrl+D duplicates (focus on the copy), Delete removes it again.
  await page.keyboard.press('ControlOrMeta+D');
  await expect(rows(page)).toHaveCount(8);
  await expect(rows(page).nth(3)).toBeFocused();
  await page.keyboard.press('Delete');
  await expect(rows(page)).toHaveCount(7);
  await expect(totals(page)).toContainText('133,386');
  await page.keyboard.press('ControlOrMeta+Z');
  await expect(rows(page)).toHaveCount(8);
  await page.keyboard.press('ControlOrMeta+Y');
  await expect(rows(page)).toHaveCount(7);
  await page.keyboard.press('ControlOrMeta+Z');
  await page.keyboard.press('ControlOrMeta+Shift+Z');
  await expect(rows(page)).toHaveCount(7);
  await expect(totals(page)).toContainText('133,386');

  // Training settings by keyboard, then Ctrl+Enter.
  await page.getByLabel('All 60,000 images').focus();
  await page.keyboard.press('Space');
  await page.getByLabel('Training images').focus();
  await retype(page, '3000');
  await page.getByLabel('Epochs').focus();
  await retype(page, '1');
  await expect(trainButton(page)).toBeEnabled();
  await page.keyboard.press('ControlOrMeta+Enter');
  await expectCompleted(page);

  await page.keyboard.press('ControlOrMeta+2');
  const first = page.getByRole('table', { name: 'Runs' }).locator('tbody tr').first();
  await expect(first).toContainText('completed');
  await first.focus();
  await page.keyboard.press('Enter');
  const model = page.getByRole('table', { name: /^Model/ });
  await expect(model.locator('tbody tr')).toHaveCount(7);
  await expect(model).toContainText('133,386');
});

test('an invalid field value is refused at the field and the network keeps its last valid value', async ({ page }) => {
  await page.goto(served.url);
  await page.getByLabel('Preset').selectOption('seed-model-3');
  await expect(totals(page)).toContainText('133,386');
  await rows(page).nth(1).click();
  const units = page.getByLabel('Units', { exact: true });

  await units.fill('0');
  await expect(units).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Units must be at least 1')).toBeVisible();
  await expect(totals(page)).toContainText('133,386');
  await expect(rows(page).nth(1)).toContainText('64, relu');

  await units.fill('abc');
  await expect(units).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Units must be a number')).toBeVisible();
  await expect(totals(page)).toContainText('133,386');
  await expect(rows(page).nth(1)).toContainText('64, relu');

  // A valid value is taken at once; going back to 64 restores the total.
  await units.fill('32');
  await expect(units).toHaveAttribute('aria-invalid', 'false');
  await expect(rows(page).nth(1)).toContainText('32, relu');
  await expect(totals(page)).not.toContainText('133,386');
  await units.fill('64');
  await expect(totals(page)).toContainText('133,386');

  // Dropout after the selected layer; a rate of 1.5 is refused.
  await page.getByRole('button', { name: 'Dropout', exact: true }).click();
  await expect(rows(page)).toHaveCount(8);
  await expect(rows(page).nth(2)).toContainText('Dropout');
  const rate = page.getByLabel('Dropout rate');
  await rate.fill('1.5');
  await expect(rate).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(/Dropout rate must be a number from 0 up to \(not including\) 1/)).toBeVisible();
  await expect(rows(page).nth(2)).toContainText('rate 0.25');
  await expect(totals(page)).toContainText('133,386');

  // Kernel size of a Conv2D: two whole numbers.
  await page.getByRole('button', { name: 'Conv2D', exact: true }).click();
  const kernel = page.getByLabel('Kernel size');
  await kernel.fill('3, x');
  await expect(kernel).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(/Kernel size must be two whole numbers/)).toBeVisible();
  await expect(rows(page).nth(3)).toContainText('3×3');
});

test('an impossible stack shows its problem on the layer and blocks Train; "Fix it" fixes the output', async ({ page }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'New empty network' }).click();
  await page.getByRole('button', { name: 'Flatten', exact: true }).click();
  await page.getByRole('button', { name: 'Conv2D', exact: true }).click();
  await expect(rows(page).nth(1)).toContainText('Conv2D needs a (rows, cols, channels) input');
  await expect(rows(page).nth(0)).not.toContainText('needs');
  await expect(trainButton(page)).toBeDisabled();
  await expect(page.locator('#train-blocked')).toContainText('Layer 2: Conv2D needs');

  // Flatten → Dense(64, relu): the output is wrong; Fix it makes it Dense(10, softmax), undoably.
  await page.getByRole('button', { name: 'New empty network' }).click();
  await page.getByRole('button', { name: 'Flatten', exact: true }).click();
  await page.getByRole('button', { name: 'Dense', exact: true }).click();
  await expect(page.locator('#train-blocked')).toContainText('must end in 10 units with softmax');
  await expect(trainButton(page)).toBeDisabled();
  await page.getByRole('button', { name: 'Fix it' }).click();
  await expect(rows(page).nth(1)).toContainText('10, softmax');
  await expect(totals(page)).toContainText('7,850');
  await expect(trainButton(page)).toBeEnabled();
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(rows(page).nth(1)).toContainText('64, relu');
  await expect(trainButton(page)).toBeDisabled();
  await page.getByRole('button', { name: 'Redo' }).click();
  await expect(trainButton(page)).toBeEnabled();

  // An absurd size is a message, not a crash.
  await rows(page).nth(1).click();
  await page.getByLabel('Units', { exact: true }).fill('100000');
  await expect(totals(page)).toContainText('78,500,000');
  await expect(page.getByText(/more than the 50,000,000 this app will train/).first()).toBeVisible();
  await expect(trainButton(page)).toBeDisabled();
});

/** seed-model-3 as Keras 3's model.to_json() writes it. */
function keras3SeedModel(): string {
  const dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const init = (cls: string, config: object = {}) => ({ module: 'keras.initializers', class_name: cls, config, registered_name: null });
  const units = [64, 128, 256, 128, 64, 10];
  const dense = (u: number, i: number) => ({
    module: 'keras.layers',
    class_name: 'Dense',
    config: {
      name: i === 0 ? 'dense' : `dense_${i}`,
      trainable: true,
      dtype,
      units: u,
      activation: u === 10 ? 'softmax' : 'relu',
      use_bias: true,
      kernel_initializer: init('GlorotUniform', { seed: null }),
      bias_initializer: init('Zeros'),
      kernel_regularizer: null,
      bias_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
    registered_name: null,
    build_config: { input_shape: [null, i === 0 ? 784 : units[i - 1]] },
  });
  return JSON.stringify({
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      trainable: true,
      dtype,
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { batch_shape: [null, 28, 28], dtype: 'float32', sparse: false, name: 'input_layer' },
          registered_name: null,
        },
        {
          module: 'keras.layers',
          class_name: 'Flatten',
          config: { name: 'flatten', trainable: true, dtype, data_format: 'channels_last' },
          registered_name: null,
          build_config: { input_shape: [null, 28, 28] },
        },
        ...units.map(dense),
      ],
      build_input_shape: [null, 28, 28],
    },
    registered_name: null,
    build_config: { input_shape: [null, 28, 28] },
    compile_config: {
      optimizer: 'adam',
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      loss_weights: null,
      weighted_metrics: null,
      run_eagerly: false,
      steps_per_execution: 1,
      jit_compile: false,
    },
  });
}

test('importing a Keras model: a malformed file changes nothing, a valid one replaces the stack', async ({ page }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'New empty network' }).click();
  await page.getByRole('button', { name: 'Flatten', exact: true }).click();
  await page.getByRole('button', { name: 'Dense', exact: true }).click();
  await page.getByRole('button', { name: 'Fix it' }).click();
  await expect(totals(page)).toContainText('7,850');

  const keras = page.getByLabel('Import Keras model');
  await keras.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"class_name": "Sequential", ') });
  await expect(editorMessage(page)).toContainText('broken.json was not imported');
  await expect(editorMessage(page)).toContainText('is not JSON');
  await expect(rows(page)).toHaveCount(2);
  await expect(totals(page)).toContainText('7,850');

  const lstm = JSON.stringify({
    class_name: 'Sequential',
    config: { name: 's', layers: [{ class_name: 'LSTM', config: { units: 8, batch_input_shape: [null, 28, 28] } }] },
  });
  await keras.setInputFiles({ name: 'rnn.json', mimeType: 'application/json', buffer: Buffer.from(lstm) });
  await expect(editorMessage(page)).toContainText('rnn.json was not imported');
  await expect(editorMessage(page)).toContainText('LSTM');
  await expect(totals(page)).toContainText('7,850');

  await keras.setInputFiles({ name: 'seed_model_3.json', mimeType: 'application/json', buffer: Buffer.from(keras3SeedModel()) });
  await expect(editorMessage(page)).toContainText('Imported seed_model_3.json: 7 layers');
  await expect(rows(page)).toHaveCount(7);
  await expect(totals(page)).toContainText('133,386');
  await expect(trainButton(page)).toBeEnabled();

  // The import is one undoable step.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(rows(page)).toHaveCount(2);
  await expect(totals(page)).toContainText('7,850');
});

test('save a design, rename it, reopen it after loading another preset, export and import it, delete it', async ({ page }) => {
  await page.goto(served.url);
  await page.getByLabel('Preset').selectOption('seed-model-3');
  await rows(page).nth(1).click();
  await page.getByLabel('Units', { exact: true }).fill('32');
  await expect(page.getByLabel('Preset')).toHaveValue('');

  await page.keyboard.press('ControlOrMeta+S');
  const saveDialog = page.getByRole('dialog', { name: 'Save design' });
  await expect(saveDialog).toBeVisible();
  await saveDialog.getByLabel('Design name').fill('narrow mlp');
  await saveDialog.getByRole('button', { name: 'Save' }).click();
  await expect(saveDialog).toBeHidden();
  await expect(
    editorMessage(page),
    'saving needs the core design methods (saveDesign): a failure here shows the server’s answer in the Save dialog',
  ).toContainText('Saved as “narrow mlp”');
  await expect(page.getByText('Design “narrow mlp”')).toBeVisible();

  // Ctrl+S again saves over it without asking.
  await page.getByLabel('Epochs').fill('3');
  await expect(page.getByText('unsaved changes')).toBeVisible();
  await page.keyboard.press('ControlOrMeta+S');
  await expect(saveDialog).toBeHidden();
  await expect(page.getByText('unsaved changes')).toBeHidden();

  // Rename in the Open dialog.
  await page.getByRole('button', { name: 'Open…' }).click();
  const open = page.getByRole('dialog', { name: 'Saved designs' });
  const list = open.getByRole('table', { name: 'Saved designs' });
  await expect(list.locator('tbody tr')).toHaveCount(1);
  await expect(list).toContainText('narrow mlp');
  await open.getByRole('button', { name: 'Rename narrow mlp' }).click();
  await open.getByLabel('New name for narrow mlp').fill('narrow relu mlp');
  await open.getByRole('button', { name: 'Rename', exact: true }).click();
  await expect(list).toContainText('narrow relu mlp');
  await open.getByRole('button', { name: 'Close' }).click();
  await expect(page.getByText('Design “narrow relu mlp”')).toBeVisible();

  // Another preset replaces it; reopening brings back the network and its settings.
  await page.getByLabel('Preset').selectOption('seed-model-1');
  await expect(rows(page).nth(2)).toContainText('sigmoid');
  await expect(page.getByLabel('Epochs')).toHaveValue('20');
  await page.getByRole('button', { name: 'Open…' }).click();
  await open.getByRole('button', { name: 'Open narrow relu mlp' }).click();
  await expect(open).toBeHidden();
  await expect(rows(page).nth(1)).toContainText('32, relu');
  await expect(rows(page).nth(2)).toContainText('128, relu');
  await expect(page.getByLabel('Epochs')).toHaveValue('3');
  await expect(page.getByText('Design “narrow relu mlp”')).toBeVisible();
  const total = (await totals(page).innerText()).match(/Total parameters\s*([\d,]+)/)?.[1];
  expect(total).toBeTruthy();

  // Export as a file, then import that file into an empty editor.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export file' }).click()]);
  expect(download.suggestedFilename()).toBe('narrow_relu_mlp.json');
  const file = JSON.parse(await streamText(await download.createReadStream()));
  expect(file).toMatchObject({ format: 'layerlab-design', version: 1, name: 'narrow relu mlp' });
  expect(file.model.layers).toHaveLength(7);
  await page.getByRole('button', { name: 'New empty network' }).click();
  await expect(rows(page)).toHaveCount(0);
  await page
    .getByLabel('Import file')
    .setInputFiles({ name: 'narrow.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) });
  await expect(rows(page)).toHaveCount(7);
  await expect(totals(page)).toContainText(total!);

  // Delete asks first.
  await page.getByRole('button', { name: 'Open…' }).click();
  await open.getByRole('button', { name: 'Delete narrow relu mlp' }).click();
  await expect(open.getByRole('alert')).toContainText('Delete “narrow relu mlp”?');
  await open.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(open.getByText('No saved designs yet')).toBeVisible();
});

test('"Show code" writes the network as Keras and TensorFlow.js scripts to copy or save', async ({ page }) => {
  await page.goto(served.url);
  await page.getByLabel('Preset').selectOption('seed-model-3');
  await page.getByRole('button', { name: 'Show code' }).click();
  const dialog = page.getByRole('dialog', { name: 'Code for this network' });
  await expect(dialog.getByRole('tab', { name: 'Keras (Python)' })).toHaveAttribute('aria-selected', 'true');
  await expect(dialog.getByRole('tabpanel')).toContainText('Dense(256');
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await expect(dialog.getByText(/Copied to the clipboard|the code is selected/)).toBeVisible();
  await dialog.getByRole('tab', { name: 'TensorFlow.js' }).click();
  await expect(dialog.getByRole('tabpanel')).toContainText('tf.layers.dense');
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: /^Save/ }).click()]);
  expect(download.suggestedFilename()).toBe('layerlab_model.mjs');
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await expect(dialog).toBeHidden();
});

test('a CNN designed in the editor trains in browser mode and its run is recorded', async ({ page }) => {
  await page.goto(served.url);
  await page.getByRole('button', { name: 'New empty network' }).click();
  for (const type of ['Reshape', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']) {
    await page.getByRole('button', { name: type, exact: true }).click();
  }
  await expect(rows(page)).toHaveCount(5);
  await expect(rows(page).nth(0)).toContainText('(None, 28, 28, 1)');
  await setFields(page, 1, { Filters: '8', 'Kernel size': '3, 3' });
  await setFields(page, 2, { 'Pool size': '2' });
  await setFields(page, 4, { Units: '10', Activation: 'softmax' });
  await expect(rows(page).nth(1)).toContainText('(None, 26, 26, 8)');
  await expect(rows(page).nth(1)).toContainText('80');
  await expect(rows(page).nth(2)).toContainText('(None, 13, 13, 8)');
  await expect(rows(page).nth(3)).toContainText('(None, 1352)');
  await expect(totals(page)).toContainText('13,610');

  await setUpTraining(page, 1000, 1);
  await expect(trainButton(page)).toBeEnabled();
  await trainButton(page).click();
  await expectCompleted(page);

  const model = await openNewestRun(page);
  await expect(model.locator('tbody tr')).toHaveCount(5);
  await expect(model).toContainText('Conv2D');
  await expect(model).toContainText('13,610');
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
