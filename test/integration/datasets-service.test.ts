/**
 * The datasets through the service, as a window calls it: importing a folder of colour images
 * with progress pushed, cancelling an import, the images, samples and class balance of an
 * imported dataset, and removing it (refused while a run waits to train on it).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLayerlab, type Layerlab } from '../../src/core/app';
import { forkTrainer } from '../../src/core/runs/node-trainer';
import type { LayerlabEvent } from '../../src/shared/contract/api';
import { findPreset } from '../../src/shared/model/presets';
import { writeColourFolder } from './dataset-images';

let root: string;
let folder: string;
let app: Layerlab;
const events: LayerlabEvent[] = [];
const spec = { limit: null, validationSplit: 0.25 };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'layerlab-datasets-service-'));
  folder = join(root, 'colours');
  await writeColourFolder(folder, 40);
  app = openLayerlab({ shell: 'browser', launchTrainer: forkTrainer, dataDir: join(root, 'data'), databasePath: join(root, 'runs.db') });
  app.events.subscribe((e) => events.push(e));
});
afterAll(async () => {
  await app?.close();
  rmSync(root, { recursive: true, force: true });
});

const importedIds = () => (existsSync(join(root, 'data', 'datasets')) ? readdirSync(join(root, 'data', 'datasets')) : []);

describe('the datasets service', () => {
  let id: string;

  it('cancelling an import mid-way answers that it was cancelled and keeps nothing', async () => {
    events.length = 0;
    let cancelled: boolean | null = null;
    const stop = app.events.subscribe((e) => {
      if (e.type === 'dataset-import-progress' && cancelled === null) cancelled = app.service.cancelImport() as boolean;
    });
    await expect(Promise.resolve(app.service.importDataset({ folder, name: 'Colours', size: [16, 16], channels: 3 }))).rejects.toThrow(
      /was cancelled; nothing of it was kept/,
    );
    stop();
    expect(cancelled).toBe(true);
    expect(importedIds().filter((n) => n.startsWith('folder-'))).toEqual([]);
    expect((await app.service.listDatasets()).map((d) => d.id)).toEqual(['fashion-mnist', 'mnist', 'kmnist', 'cifar-10']);
    expect(app.service.cancelImport()).toBe(false);
  });

  it('imports a folder, pushing progress up to every image and then the new list', async () => {
    events.length = 0;
    const result = await app.service.importDataset({ folder, name: 'Colours', size: [16, 16], channels: 3, testSplit: 0.25 });
    id = result.dataset.id;
    expect(result.dataset).toMatchObject({
      name: 'Colours',
      shape: [16, 16, 3],
      classNames: ['blue', 'green', 'red'],
      trainCount: 90,
      testCount: 30,
    });
    expect(result.skipped).toEqual([]);
    const progress = events.filter((e) => e.type === 'dataset-import-progress').map((e) => e.progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ folder, done: 120, total: 120 });
    const changed = events.filter((e) => e.type === 'datasets-changed');
    expect(changed).toHaveLength(1);
    expect(changed[0].datasets.map((d) => d.id)).toContain(id);
    expect(events.findIndex((e) => e.type === 'datasets-changed')).toBeGreaterThan(events.findLastIndex((e) => e.type === 'dataset-import-progress'));
  });

  it('gives colour pixels: three bytes a pixel, the class’s colour brightest in its square', async () => {
    const samples = await app.service.listSamples({ split: 'test', datasetId: id, limit: 500 } as never);
    const first = (cls: number) => samples.indexes[samples.labels.indexOf(cls)];
    const pixels = await app.service.getImages({ split: 'test', indexes: [first(0), first(1), first(2)], datasetId: id } as never);
    expect(pixels).toMatchObject({ width: 16, height: 16, channels: 3 });
    pixels.images.forEach((image, cls) => {
      expect(image.label).toBe(cls);
      const bytes = Buffer.from(image.base64, 'base64');
      expect(bytes.length).toBe(16 * 16 * 3);
      // The middle pixel lies in the square: blue (class 0) is channel 2, green channel 1, red channel 0.
      const at = (8 * 16 + 8) * 3;
      const rgb = [bytes[at], bytes[at + 1], bytes[at + 2]];
      expect(rgb.indexOf(Math.max(...rgb))).toBe([2, 1, 0][cls]);
    });
    // Fashion-MNIST's answers are as they were: one byte a pixel, no channels field.
    const fashion = await app.service.getImages({ split: 'test', indexes: [0] });
    expect(fashion.channels).toBeUndefined();
    expect(Buffer.from(fashion.images[0].base64, 'base64').length).toBe(784);
  });

  it('pages through one class’s samples and counts each class per split', async () => {
    const overview = await app.service.datasetOverview(spec, id);
    expect(overview.classNames).toEqual(['blue', 'green', 'red']);
    const counts = Object.fromEntries(overview.splits.map((s) => [s.split, s.count]));
    expect(counts).toEqual({ train: 67, validation: 23, test: 30 });
    expect(overview.splits.find((s) => s.split === 'test')!.perClass).toEqual([10, 10, 10]);
    const green = await app.service.listSamples({ split: 'train', classIndex: 1, splitSpec: spec, datasetId: id } as never);
    expect(green.total).toBe(overview.splits.find((s) => s.split === 'train')!.perClass[1]);
    expect(new Set(green.labels)).toEqual(new Set([1]));
    const fashion = await app.service.datasetOverview(spec);
    expect(fashion.classNames).toHaveLength(10);
  });

  it('refuses a network that does not fit the dataset, naming the problem', () => {
    const preset = findPreset('seed-model-3')!;
    expect(() => app.service.startRun({ presetId: preset.id, datasetId: id, model: preset.model, config: preset.config })).toThrow(
      /cannot be trained on Colours: .*16×16×3/,
    );
  });

  it('refuses to remove a dataset a queued run will train on, then removes it once the run is gone', async () => {
    const preset = findPreset('seed-model-3')!;
    const run = app.store.createRun({
      name: 'waiting',
      presetId: null,
      datasetId: id,
      model: preset.model,
      config: preset.config,
      host: 'h',
      ownerPid: process.pid,
    });
    await expect(Promise.resolve(app.service.deleteDataset(id))).rejects.toThrow(/Run \d+ "waiting" is queued on this dataset/);
    expect(importedIds()).toContain(id);
    app.store.finish(run.id, 'cancelled');
    events.length = 0;
    const list = await app.service.deleteDataset(id);
    expect(list.map((d) => d.id)).toEqual(['fashion-mnist', 'mnist', 'kmnist', 'cifar-10']);
    expect(importedIds()).not.toContain(id);
    expect(existsSync(join(folder, 'red'))).toBe(true);
    expect(events.some((e) => e.type === 'datasets-changed')).toBe(true);
    await expect(Promise.resolve().then(() => app.service.deleteDataset('cifar-10'))).rejects.toThrow(/CIFAR-10 is built in; it cannot be removed/);
  });
});
