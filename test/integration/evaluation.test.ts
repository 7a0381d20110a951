/**
 * Looking inside a run's predictions, on real parts: runs trained by the real trainer
 * process on real Fashion-MNIST, evaluated on the full 10,000 test images by a trainer
 * process of its own, cached in a real SQLite file.
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPreset } from '../../src/shared/model/presets';
import type { TrainingConfig } from '../../src/shared/model/training-config';
import type { RunEvaluation } from '../../src/shared/contract/evaluation';
import { openLayerlab, type Layerlab } from '../../src/core/app';
import { dispatch } from '../../src/core/dispatch';
import { readIdxFile } from '../../src/core/data/idx';
import { forkTrainer } from '../../src/core/runs/node-trainer';
import type { ToTrainer } from '../../src/core/engine/protocol';
import type { LaunchTrainer } from '../../src/core/runs/trainer-launcher';
import { SYSTEM_FASHION_MNIST, tempDir } from '../helpers';

let t: ReturnType<typeof tempDir>;
let app: Layerlab;
/** What each launched trainer process was asked to do. */
let launches: ToTrainer['type'][];

const launch: LaunchTrainer = () => {
  const handle = forkTrainer();
  return {
    ...handle,
    send(message) {
      if (message.type === 'start' || message.type === 'evaluate') launches.push(message.type);
      handle.send(message);
    },
  };
};

async function train(config: Partial<TrainingConfig>, name: string): Promise<number> {
  const preset = findPreset('seed-model-3')!;
  const run = app.runs.start({ name, presetId: preset.id, model: preset.model, config: { ...preset.config, ...config } });
  await app.runs.whenDone(run.id);
  const detail = app.runs.get(run.id);
  expect(detail.status, detail.error ?? '').toBe('completed');
  return run.id;
}

const evaluations = () => app.db.prepare(`SELECT run_id, split FROM evaluations ORDER BY run_id, split`).all();
const correct = (e: RunEvaluation) => e.confusion.reduce((sum, row, i) => sum + row[i], 0);

let full: number;
let small: number;
let other: number;

beforeAll(async () => {
  t = tempDir();
  launches = [];
  app = openLayerlab({ shell: 'browser', launchTrainer: launch, dataDir: t.dir, databasePath: join(t.dir, 'runs.db') });
  // seed-model-3 as the seed study trained it (3 epochs, all 60,000 images), and two short runs.
  full = await train({ epochs: 3, seed: 42 }, 'seed-model-3, 3 epochs');
  small = await train({ epochs: 1, limit: 3000, seed: 1 }, 'small');
  other = await train({ epochs: 1, limit: 2000, seed: 2 }, 'other');
}, 180_000);
afterAll(async () => {
  await app?.close();
  t?.cleanup();
});

describe('evaluating a completed run on the test set', () => {
  it('seed-model-3 after 3 epochs: the matrix covers the 10,000 test images, its diagonal is the recorded test accuracy, Shirt has the lowest recall', async () => {
    const before = launches.length;
    const e = await app.service.evaluateRun(full, 'test');
    expect(launches.slice(before)).toEqual(['evaluate']);
    expect(e).toMatchObject({ runId: full, split: 'test', count: 10_000 });
    expect(e.confusion).toHaveLength(10);
    expect(e.confusion.flat().reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(correct(e) / 10_000).toBe(app.runs.get(full).testAccuracy);
    expect(e.accuracy).toBe(app.runs.get(full).testAccuracy);
    expect(e.top2Accuracy).toBeGreaterThan(e.accuracy);

    // Per-class figures agree with the matrix.
    e.perClass.forEach((c, k) => {
      const support = e.confusion[k].reduce((a, b) => a + b, 0);
      const predicted = e.confusion.reduce((sum, row) => sum + row[k], 0);
      expect(c).toMatchObject({ class: k, name: e.classNames[k], support });
      expect(c.recall).toBeCloseTo(e.confusion[k][k] / support, 12);
      expect(c.precision).toBeCloseTo(e.confusion[k][k] / predicted, 12);
      expect(c.f1).toBeCloseTo((2 * c.precision * c.recall) / (c.precision + c.recall), 12);
    });
    expect(e.perClass.map((c) => c.support)).toEqual(new Array(10).fill(1000));
    const lowest = e.perClass.reduce((a, b) => (b.recall < a.recall ? b : a));
    expect(lowest).toMatchObject({ class: 6, name: 'Shirt' });

    // The most confused pairs are the largest off-diagonal cells, largest first.
    const cells = e.confusion.flatMap((row, i) => row.map((count, j) => ({ true: i, predicted: j, count }))).filter((c) => c.true !== c.predicted);
    const largest = Math.max(...cells.map((c) => c.count));
    expect(e.confusedPairs[0].count).toBe(largest);
    expect(e.confusedPairs[0].count).toBe(e.confusion[e.confusedPairs[0].true][e.confusedPairs[0].predicted]);
  });

  it('the second look is served from the cache: no trainer process is started and the figures are the same', async () => {
    const first = await app.service.evaluateRun(full, 'test');
    const before = launches.length;
    const again = await app.service.evaluateRun(full, 'test');
    expect(launches.length).toBe(before);
    expect(again).toEqual(first);
    // A new process on the same database reads it back too.
    const reopened = openLayerlab({ shell: 'browser', launchTrainer: launch, dataDir: t.dir, databasePath: join(t.dir, 'runs.db') });
    try {
      expect(await reopened.service.evaluateRun(full, 'test')).toEqual(first);
      expect(launches.length).toBe(before);
    } finally {
      await reopened.close();
    }
  });

  it('pages through the predictions: mistakes by default, most confident first; filters by true and predicted class', async () => {
    const e = await app.service.evaluateRun(full, 'test');
    const wrong = await app.service.listPredictions(full, { split: 'test', limit: 500 });
    expect(wrong.total).toBe(10_000 - correct(e));
    expect(wrong.images).toHaveLength(500);
    for (const img of wrong.images) expect(img.predicted).not.toBe(img.label);
    const confidences = wrong.images.map((i) => i.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));

    const cell = await app.service.listPredictions(full, { split: 'test', trueClass: 6, predictedClass: 0, limit: 500 });
    expect(cell.total).toBe(e.confusion[6][0]);
    for (const img of cell.images) expect(img).toMatchObject({ label: 6, predicted: 0 });

    const next = await app.service.listPredictions(full, { split: 'test', offset: 500, limit: 10 });
    expect(next.images[0].confidence).toBeLessThanOrEqual(confidences.at(-1)!);

    const all = await app.service.listPredictions(full, { split: 'test', which: 'all', sort: 'index', trueClass: 6, limit: 500 });
    expect(all.total).toBe(1000);
    const indexes = all.images.map((i) => i.index);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    const rightOnes = all.images.filter((i) => i.predicted === i.label).length;
    expect(rightOnes).toBeGreaterThan(0);

    const least = await app.service.listPredictions(full, { split: 'test', sort: 'confidence-asc', limit: 5 });
    expect(least.images[0].confidence).toBeLessThanOrEqual(least.images[4].confidence);

    // The probabilities of one image: ten, summing to 1, the largest the predicted class.
    const img = wrong.images[0];
    const p = await app.service.getProbabilities(full, 'test', img.index);
    expect(p).toMatchObject({ index: img.index, label: img.label });
    expect(p.probabilities).toHaveLength(10);
    expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(p.probabilities.indexOf(Math.max(...p.probabilities))).toBe(img.predicted);
    expect(p.probabilities[img.predicted]).toBe(img.confidence);
  });

  it('refuses bad arguments with clear messages', async () => {
    const call = (method: string, ...args: unknown[]) => dispatch(app.service, method, args);
    expect(await call('listPredictions', full, { split: 'test', limit: 501 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/at most 500/),
    });
    expect(await call('listPredictions', full, { split: 'test', trueClass: 10 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/0 to 9/),
    });
    expect(await call('evaluateRun', full, 'train')).toMatchObject({ ok: false, error: expect.stringMatching(/'test' or 'validation'/) });
    expect(await call('getProbabilities', full, 'test', 10_000)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/Image 10000 is out of range: the test set has images 0 to 9999/),
    });
    expect(await call('getImages', { split: 'test', indexes: [10_000] })).toMatchObject({ ok: false, error: expect.stringMatching(/out of range/) });
    expect(await call('getImages', { split: 'validation', indexes: [0] })).toMatchObject({ ok: false, error: expect.stringMatching(/splitSpec/) });
    expect(await call('evaluateRun', 999, 'test')).toMatchObject({ ok: false, error: 'There is no run with id 999' });
  });
});

describe('two runs side by side', () => {
  it('a run against itself: everything is both right or neither', async () => {
    const e = await app.service.evaluateRun(full, 'test');
    const d = await app.service.diffRuns(full, full, 'test');
    expect(d).toMatchObject({ runA: full, runB: full, split: 'test', bothRight: correct(e), onlyA: 0, onlyB: 0, neither: 10_000 - correct(e) });
    expect(d.perClassRecallDelta).toEqual(new Array(10).fill(0));
  });

  it('two different runs: both right + only A is A’s correct count, both right + only B is B’s; the groups page with each run’s view', async () => {
    const before = launches.length;
    const d = await app.service.diffRuns(full, small, 'test');
    // The small run had never been evaluated: it was, once.
    expect(launches.slice(before)).toEqual(['evaluate']);
    const a = await app.service.evaluateRun(full, 'test');
    const b = await app.service.evaluateRun(small, 'test');
    expect(d.bothRight + d.onlyA).toBe(correct(a));
    expect(d.bothRight + d.onlyB).toBe(correct(b));
    expect(d.bothRight + d.onlyA + d.onlyB + d.neither).toBe(10_000);
    expect(d.onlyA).toBeGreaterThan(0);
    d.perClassRecallDelta.forEach((delta, k) => expect(delta).toBeCloseTo(b.perClass[k].recall - a.perClass[k].recall, 12));

    const onlyA = await app.service.listDiffImages({ runA: full, runB: small, split: 'test', group: 'only_a', limit: 500 });
    expect(onlyA.total).toBe(d.onlyA);
    for (const img of onlyA.images) {
      expect(img.a.predicted).toBe(img.label);
      expect(img.b.predicted).not.toBe(img.label);
    }
    const neither = await app.service.listDiffImages({ runA: full, runB: small, split: 'test', group: 'neither', offset: 0, limit: 3 });
    expect(neither.total).toBe(d.neither);
    expect(neither.images.map((i) => i.index)).toEqual([...neither.images.map((i) => i.index)].sort((x, y) => x - y));
  });

  it('on the validation split only runs validated on the same images compare', async () => {
    const v = await app.service.evaluateRun(small, 'validation');
    // 3,000 images, the last 20 % held out.
    expect(v).toMatchObject({ split: 'validation', count: 600 });
    expect(v.accuracy).toBeCloseTo(app.runs.get(small).epochs.at(-1)!.valAccuracy!, 10);
    await expect(app.service.diffRuns(small, other, 'validation')).rejects.toThrow(
      `Runs #${small} and #${other} were not validated on the same images (limit 3000, validation split 0.2 against limit 2000, validation split 0.2); compare them on the test set`,
    );
    const self = await app.service.diffRuns(small, small, 'validation');
    expect(self.bothRight + self.neither).toBe(600);
  });
});

describe('runs that cannot be evaluated', () => {
  it('a missing model file: a clear message, and nothing else changes', async () => {
    const before = { launches: launches.length, evaluations: evaluations(), run: app.runs.get(other) };
    const dir = app.store.modelPath(other)!;
    renameSync(join(dir, 'model.json'), join(dir, 'model.json.away'));
    try {
      await expect(app.service.evaluateRun(other, 'test')).rejects.toThrow(
        `Run #${other}'s model file is missing (${join(dir, 'model.json')}); evaluation needs the trained model`,
      );
      await expect(app.service.diffRuns(full, other, 'test')).rejects.toThrow(/model file is missing/);
      expect(launches.length).toBe(before.launches);
      expect(evaluations()).toEqual(before.evaluations);
      expect(app.runs.get(other)).toEqual(before.run);
      // Other runs are looked at as before.
      expect((await app.service.evaluateRun(full, 'test')).count).toBe(10_000);
    } finally {
      renameSync(join(dir, 'model.json.away'), join(dir, 'model.json'));
    }
  });

  it('an unreadable model file: the trainer says so, nothing is kept', async () => {
    const dir = app.store.modelPath(other)!;
    renameSync(join(dir, 'weights.bin'), join(dir, 'weights.bin.away'));
    try {
      await expect(app.service.evaluateRun(other, 'test')).rejects.toThrow(
        new RegExp(`^Run #${other}'s model could not be read \\(.*model\\.json: .*\\); evaluation needs the trained model$`),
      );
      expect(evaluations()).not.toContainEqual({ run_id: other, split: 'test' });
    } finally {
      renameSync(join(dir, 'weights.bin.away'), join(dir, 'weights.bin'));
    }
  });

  it('a run imported from a bundle has no model; a run still training says so', async () => {
    const [imported] = app.runs.importBundle(app.runs.exportBundle([small], 'test'));
    await expect(app.service.evaluateRun(imported.id, 'test')).rejects.toThrow(
      `Run #${imported.id} was imported without its model; evaluation needs the trained model`,
    );
    const preset = findPreset('seed-model-3')!;
    const training = app.runs.start({ presetId: preset.id, model: preset.model, config: { ...preset.config, epochs: 50, limit: 2000 } });
    const end = Date.now() + 30_000;
    while (app.runs.get(training.id).status !== 'running' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await expect(app.service.evaluateRun(training.id, 'test')).rejects.toThrow(
      `Run #${training.id} is still training; evaluate it when it has completed`,
    );
    // Evaluation runs in a process of its own while another run trains.
    await expect(app.service.evaluateRun(other, 'test')).resolves.toMatchObject({ count: 10_000 });
    app.runs.cancel(training.id);
    await app.runs.whenDone(training.id);
  }, 60_000);

  it('deleting a run deletes its evaluations', async () => {
    await app.service.evaluateRun(other, 'test');
    expect(evaluations()).toContainEqual({ run_id: other, split: 'test' });
    app.runs.delete(other);
    expect(evaluations()).not.toContainEqual({ run_id: other, split: 'test' });
  });
});

describe('the dataset itself', () => {
  it('getImages returns the pixels of the IDX files, test and training (by the split spec)', async () => {
    const test = await readIdxFile(join(SYSTEM_FASHION_MNIST, 't10k-images-idx3-ubyte.gz'));
    const testLabels = await readIdxFile(join(SYSTEM_FASHION_MNIST, 't10k-labels-idx1-ubyte.gz'));
    const px = await app.service.getImages({ split: 'test', indexes: [0, 9999, 1234] });
    expect(px).toMatchObject({ split: 'test', width: 28, height: 28 });
    px.images.forEach(({ index, label, base64 }) => {
      expect(label).toBe(testLabels.data[index]);
      expect(Buffer.from(base64, 'base64').equals(Buffer.from(test.data.subarray(index * 784, (index + 1) * 784)))).toBe(true);
    });
    const train = await readIdxFile(join(SYSTEM_FASHION_MNIST, 'train-images-idx3-ubyte.gz'));
    const spec = { limit: 1000, validationSplit: 0.2 };
    const v = await app.service.getImages({ split: 'validation', indexes: [0, 199], splitSpec: spec });
    expect(Buffer.from(v.images[0].base64, 'base64').equals(Buffer.from(train.data.subarray(800 * 784, 801 * 784)))).toBe(true);
    expect(Buffer.from(v.images[1].base64, 'base64').equals(Buffer.from(train.data.subarray(999 * 784, 1000 * 784)))).toBe(true);
    await expect(app.service.getImages({ split: 'validation', indexes: [200], splitSpec: spec })).rejects.toThrow(
      'Image 200 is out of range: the validation images are numbered 0 to 199',
    );
    const tr = await app.service.getImages({ split: 'train', indexes: [799], splitSpec: spec });
    expect(Buffer.from(tr.images[0].base64, 'base64').equals(Buffer.from(train.data.subarray(799 * 784, 800 * 784)))).toBe(true);
  });

  it('the overview counts each split per class; samples page through one class in order', async () => {
    const o = await app.service.datasetOverview({ limit: null, validationSplit: 0.2 });
    expect(o.classNames[6]).toBe('Shirt');
    expect(o.splits.map((s) => [s.split, s.count])).toEqual([
      ['train', 48_000],
      ['validation', 12_000],
      ['test', 10_000],
    ]);
    expect(o.splits[2].perClass).toEqual(new Array(10).fill(1000));
    expect(o.splits[0].perClass.reduce((a, b) => a + b, 0) + o.splits[1].perClass.reduce((a, b) => a + b, 0)).toBe(60_000);

    const shirts = await app.service.listSamples({ split: 'test', classIndex: 6, offset: 10, limit: 20 });
    expect(shirts.total).toBe(1000);
    expect(shirts.indexes).toHaveLength(20);
    expect(shirts.labels).toEqual(new Array(20).fill(6));
    expect(shirts.indexes).toEqual([...shirts.indexes].sort((a, b) => a - b));
    const every = await app.service.listSamples({ split: 'train', splitSpec: { limit: 100, validationSplit: 0.5 }, limit: 500 });
    expect(every.total).toBe(50);
    expect(every.indexes).toEqual([...Array(50).keys()]);
    await expect(app.service.datasetOverview({ limit: 1, validationSplit: 0.5 })).rejects.toThrow(/leaves no images to train on/);
    expect(await dispatch(app.service, 'datasetOverview', [{ limit: 100, validationSplit: 0 }])).toMatchObject({
      ok: false,
      error: expect.stringMatching(/validation split must be above 0/),
    });
  });
});
