/**
 * Datasets from a terminal, end to end in a temp LAYERLAB_HOME: a folder of colour images
 * (three classes, a corrupt image, a text file) imported, listed beside the built-in ones,
 * trained on by a small CNN, refused to a Fashion-MNIST preset, re-imported after it changed.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliHarness, expectRefused, json, lines } from './cli-harness';
import { writeColourFolder } from './dataset-images';

let root: string;
let home: string;
let folder: string;
const harness = cliHarness(() => home);
const cli = (...args: string[]) => harness.cli(args);

// A tf.keras model.to_json() of a small CNN for 16×16 RGB images and three classes.
const smallCnn = JSON.stringify({
  class_name: 'Sequential',
  config: {
    name: 'small_cnn',
    layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 16, 16, 3], dtype: 'float32', name: 'input_1' } },
      { class_name: 'Conv2D', config: { name: 'conv', filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu' } },
      { class_name: 'Flatten', config: { name: 'flatten' } },
      { class_name: 'Dense', config: { name: 'dense', units: 16, activation: 'relu' } },
      { class_name: 'Dense', config: { name: 'out', units: 3, activation: 'softmax' } },
    ],
  },
  keras_version: '2.15.0',
  backend: 'tensorflow',
});

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'layerlab-cli-datasets-'));
  home = join(root, 'home');
  mkdirSync(home);
  folder = join(root, 'colours');
  await writeColourFolder(folder, 12, { junk: true });
  writeFileSync(join(root, 'cnn.json'), smallCnn);
});
afterEach(harness.killLeftovers);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('layerlab dataset import, datasets, train --dataset', () => {
  let id: string;

  it('imports the folder: the summary, then each skipped file with its reason', async () => {
    const r = await cli('dataset', 'import', folder, '--name', 'Colours', '--size', '16x16', '--channels', '3', '--test-split', '0.25');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Imported "Colours" as folder-[0-9a-f]{12}: 16x16x3 images, 3 classes \(blue, green, red\), 27 train \/ 9 test/);
    expect(r.stdout).toMatch(/Skipped 2 files:/);
    expect(r.stdout).toMatch(/README\.txt: not in a class folder/);
    expect(r.stdout).toMatch(/red\/broken\.png: not an image sharp can read/);
    id = /as (folder-[0-9a-f]{12})/.exec(r.stdout)![1];
  });

  it('lists it with shape, classes and counts beside the four built-in datasets', async () => {
    const list = json<any[]>(await cli('datasets', '--json'));
    expect(list.map((d) => d.id)).toEqual(['fashion-mnist', 'mnist', 'kmnist', 'cifar-10', id]);
    const mine = list.find((d) => d.id === id);
    expect(mine).toMatchObject({
      name: 'Colours',
      source: 'folder',
      shape: [16, 16, 3],
      class_names: ['blue', 'green', 'red'],
      train_count: 27,
      test_count: 9,
      available: true,
      status: 'available',
      imported: { folder, state: 'unchanged', size: [16, 16], channels: 3, test_split: 0.25 },
    });
    expect(mine.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(list.find((d) => d.id === 'cifar-10')).toMatchObject({
      shape: [32, 32, 3],
      source: 'builtin',
      download_size: expect.stringMatching(/MB/),
    });
    const text = await cli('datasets');
    expect(text.stdout).toMatch(new RegExp(`${id}\\s+Colours\\s+16x16x3\\s+3\\s+27\\s+9\\s+available`));
  });

  it('trains a small CNN on it by name and records the dataset with the run', async () => {
    const r = await cli('train', '--keras', join(root, 'cnn.json'), '--dataset', 'colours', '--epochs', '2', '--batch-size', '8', '--json');
    expect(r.code, r.stderr).toBe(0);
    const run = json(r);
    expect(run.status).toBe('completed');
    expect(run.epochs).toHaveLength(2);
    const shown = json(await cli('show', String(run.id), '--json'));
    expect(shown.dataset).toMatchObject({ id, name: 'Colours', shape: [16, 16, 3], classNames: ['blue', 'green', 'red'], testCount: 9 });
    expect(shown.dataset.hash).toMatch(/^[0-9a-f]{64}$/);
    const runs = await cli('runs');
    expect(lines(runs.stdout)[0]).toMatch(/\bdataset\b/);
    expect(runs.stdout).toMatch(/completed\s+custom\s.*\sColours$/m);
    expect((await cli('show', String(run.id))).stdout).toMatch(/dataset\s+Colours \(folder-[0-9a-f]{12}\), 16×16×3, 3 classes/);
  });

  it('refuses a Fashion-MNIST preset on it, saying what the network takes and what the images are', async () => {
    const r = await cli('train', '--preset', 'seed-model-3', '--dataset', 'Colours');
    expectRefused(r, /cannot be trained on Colours: .*28×28.*16×16×3/);
  });

  it('says when the folder changed, and is unchanged again after a re-import', async () => {
    copyFileSync(join(folder, 'red', 'red-000.png'), join(folder, 'red', 'red-new.png'));
    const changed = json<any[]>(await cli('datasets', '--json')).find((d) => d.id === id);
    expect(changed.imported.state).toBe('changed');
    expect(changed.status).toMatch(/source changed: re-import/);
    const r = await cli('dataset', 'reimport', id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Imported again "Colours" as .*28 train \/ 9 test|Imported again "Colours" as .*27 train \/ 10 test/);
    const again = json<any[]>(await cli('datasets', '--json')).find((d) => d.id === id);
    expect(again.imported.state).toBe('unchanged');
    expect(again.train_count + again.test_count).toBe(37);
  });

  it('refuses a folder with one class, an unknown dataset, and removing a built-in one', async () => {
    const one = join(root, 'one-class');
    await writeColourFolder(one, 3, { classes: ['red'] });
    expectRefused(await cli('dataset', 'import', one, '--name', 'One'), /class/);
    expectRefused(await cli('train', '--preset', 'seed-model-3', '--dataset', 'no-such-set'), /no dataset "no-such-set".*Colours/);
    expectRefused(await cli('dataset', 'remove', 'mnist'), /MNIST is built in; it cannot be removed/);
    expectRefused(await cli('dataset', 'import', folder, '--name', 'CIFAR-10', '--size', '8x8'), /name of a built-in dataset/);
  });

  it('removes the imported dataset, leaving its source folder', async () => {
    const r = await cli('dataset', 'remove', 'Colours');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Removed "Colours"/);
    expect(json<any[]>(await cli('datasets', '--json')).map((d) => d.id)).toEqual(['fashion-mnist', 'mnist', 'kmnist', 'cifar-10']);
    expect((await cli('datasets')).stdout).not.toMatch(/Colours/);
    expect(existsSync(join(folder, 'red', 'red-000.png'))).toBe(true);
  });
});
