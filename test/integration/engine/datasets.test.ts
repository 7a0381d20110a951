/**
 * Training on datasets other than Fashion-MNIST, with real tfjs: a folder of colour images the
 * test draws with sharp (three classes told apart by their dominant colour, PNG and JPEG),
 * imported as 16×16×3 and trained by a small CNN through the trainer process; a Dense network on
 * the same set on Layerlab's kernels; an MNIST-format IDX set the test writes; and a model whose
 * input does not fit the images.
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinDataset } from '../../../src/core/data/builtin-datasets';
import { datasetInfoOf, loadDatasetRef } from '../../../src/core/data/dataset-load';
import { splitTrainValidation } from '../../../src/core/data/fashion-mnist';
import { importImageFolder, type ImportResult } from '../../../src/core/data/image-folder';
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel } from '../../../src/core/engine/build-model';
import type { DatasetRef, EvaluateJob, FromTrainer, TrainJob } from '../../../src/core/engine/protocol';
import { argMax } from '../../../src/core/engine/forward';
import { train } from '../../../src/core/engine/train';
import { installWasmConvFilterGrad } from '../../../src/core/engine/wasm-conv-grad';
import { installWasmMatMulFix } from '../../../src/core/engine/wasm-matmul';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { DEFAULT_CONFIG, type TrainingConfig } from '../../../src/shared/model/training-config';
import { idxBytes } from '../../helpers';

const FASHION = '/usr/share/datasets/fashion-mnist';
const CLASSES = ['blue', 'green', 'red'];
const PER_CLASS = 60;

let root: string;
let imported: ImportResult;
let folderRef: DatasetRef;

/** A deterministic generator, so the images are the same on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A 24×24 image of noise whose `dominant` channel (0 red, 1 green, 2 blue) is bright and the others dim. */
function noisySquare(dominant: number, next: () => number): Buffer {
  const px = Buffer.alloc(24 * 24 * 3);
  for (let i = 0; i < 24 * 24; i++) {
    for (let c = 0; c < 3; c++) px[i * 3 + c] = c === dominant ? 150 + Math.floor(next() * 105) : Math.floor(next() * 110);
  }
  return px;
}

async function drawFolder(folder: string): Promise<void> {
  const next = random(7);
  for (const name of CLASSES) {
    const dir = join(folder, name);
    mkdirSync(dir, { recursive: true });
    const dominant = name === 'red' ? 0 : name === 'green' ? 1 : 2;
    for (let i = 0; i < PER_CLASS; i++) {
      const image = sharp(noisySquare(dominant, next), { raw: { width: 24, height: 24, channels: 3 } });
      if (i % 2 === 0) await image.png().toFile(join(dir, `${i}.png`));
      else await image.jpeg({ quality: 90 }).toFile(join(dir, `${i}.jpg`));
    }
  }
}

const CNN: ModelSpec = {
  inputShape: [16, 16, 3],
  layers: [
    { type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'softmax' },
  ],
};

const MLP: ModelSpec = {
  inputShape: [16, 16, 3],
  layers: [{ type: 'Flatten' }, { type: 'Dense', units: 16, activation: 'relu' }, { type: 'Dense', units: 3, activation: 'softmax' }],
};

const config = (overrides: Partial<TrainingConfig> = {}): TrainingConfig => ({
  ...DEFAULT_CONFIG,
  learningRate: 0.01,
  batchSize: 16,
  epochs: 6,
  validationSplit: 0.1,
  ...overrides,
});

const ofType = <T extends FromTrainer['type']>(messages: FromTrainer[], type: T) =>
  messages.filter((m): m is Extract<FromTrainer, { type: T }> => m.type === type);

/** One trainer process, from 'start' to its exit, the main side played here. */
function runTrainer(job: TrainJob | EvaluateJob): Promise<{ messages: FromTrainer[]; code: number | null }> {
  const child = fork('src/core/engine/trainer-process.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const messages: FromTrainer[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.on('message', (m) => {
    const message = m as FromTrainer;
    messages.push(message);
    if ((message.type === 'finished' || message.type === 'failed') && child.connected) child.send({ type: 'ack' });
  });
  child.send('split' in job ? { type: 'evaluate', job } : { type: 'start', job });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) console.error(stderr);
      resolve({ messages, code });
    });
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'layerlab-datasets-'));
  const folder = join(root, 'colours');
  await drawFolder(folder);
  imported = await importImageFolder({ folder, name: 'Colours', size: [16, 16], channels: 3, testSplit: 0.25, outDir: join(root, 'datasets') });
  folderRef = { id: imported.meta.id, kind: 'folder', folder: imported.dir };
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('training on other datasets', () => {
  it('trains a CNN on an imported colour folder through the trainer process, records what the dataset is, and evaluates the saved model', async () => {
    const modelDir = join(root, 'cnn-model');
    const cfg = config({ epochs: 8 });
    const { messages, code } = await runTrainer({ runId: 1, model: CNN, config: cfg, datasetFolder: FASHION, dataset: folderRef, modelDir });
    expect(code).toBe(0);
    expect(ofType(messages, 'failed')).toEqual([]);
    const [started] = ofType(messages, 'started');
    const trainCount = imported.meta.trainCount;
    const validation = trainCount - Math.floor(trainCount * 0.9);
    expect(started.dataset).toEqual({
      id: imported.meta.id,
      name: 'Colours',
      source: imported.dir,
      hash: imported.meta.hash,
      shape: [16, 16, 3],
      classNames: CLASSES,
      trainCount: trainCount - validation,
      validationCount: validation,
      testCount: imported.meta.testCount,
    });
    expect(imported.meta.trainCount + imported.meta.testCount).toBe(3 * PER_CLASS);
    expect(started.provenance?.datasetFiles.map((f) => f.file)).toEqual(['dataset.bin']);
    const [test] = ofType(messages, 'test');
    expect(test.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(messages.at(-1)).toMatchObject({ type: 'finished', status: 'completed' });

    // The saved model over the test split, as the evaluation asks for it: three probabilities an image.
    const job: EvaluateJob = { runId: 1, modelDir, datasetFolder: FASHION, dataset: folderRef, split: 'test', limit: null, validationSplit: 0.1 };
    const evaluated = await runTrainer(job);
    expect(evaluated.code).toBe(0);
    const [answer] = ofType(evaluated.messages, 'evaluated');
    expect(answer.count).toBe(imported.meta.testCount);
    const labels = Buffer.from(answer.labelsBase64, 'base64');
    const bytes = Buffer.from(answer.probabilitiesBase64, 'base64');
    const p = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(p.length).toBe(answer.count * 3);
    let right = 0;
    for (let i = 0; i < answer.count; i++) if (argMax(p, i * 3, 3) === labels[i]) right++;
    expect(right / answer.count).toBeCloseTo(test.accuracy, 5);
  }, 180_000);

  it("trains a Dense network on the colour set on Layerlab's kernels, three classes wide", async () => {
    await selectBackend('wasm');
    installWasmMatMulFix();
    installWasmConvFilterGrad();
    const dataset = await loadDatasetRef(folderRef, FASHION);
    expect(dataset.meta.hash).toBe(imported.meta.hash);
    const cfg = config({ epochs: 10 });
    const data = splitTrainValidation(dataset.train, cfg);
    const model = buildModel(MLP, cfg.seed);
    try {
      const result = await train({ model, config: cfg, data, test: dataset.test });
      expect(result.kernels).toBe('layerlab-simd');
      expect(model.outputs[0].shape).toEqual([null, 3]);
      expect(result.status).toBe('completed');
      expect(result.test!.accuracy).toBeGreaterThan(0.8);
      expect(result.epochs.at(-1)!.accuracy).toBeGreaterThan(0.8);
    } finally {
      model.dispose();
    }
  }, 120_000);

  it('trains on an MNIST-format IDX set by its built-in id, whatever its counts', async () => {
    const folder = join(root, 'mnist');
    mkdirSync(folder);
    const next = random(3);
    // Ten classes, each a bright horizontal band at its own height of a 28×28 image.
    const images = (count: number) => {
      const labels = Array.from({ length: count }, (_, i) => i % 10);
      const pixels = new Uint8Array(count * 784);
      labels.forEach((label, i) => {
        for (let p = 0; p < 784; p++) {
          const row = Math.floor(p / 28);
          pixels[i * 784 + p] = Math.floor(row / 2.8) === label ? 200 + Math.floor(next() * 55) : Math.floor(next() * 60);
        }
      });
      return { pixels, labels };
    };
    const trainSet = images(200);
    const testSet = images(50);
    writeFileSync(join(folder, 'train-images-idx3-ubyte'), idxBytes([200, 28, 28], trainSet.pixels));
    writeFileSync(join(folder, 'train-labels-idx1-ubyte'), idxBytes([200], trainSet.labels));
    writeFileSync(join(folder, 't10k-images-idx3-ubyte'), idxBytes([50, 28, 28], testSet.pixels));
    writeFileSync(join(folder, 't10k-labels-idx1-ubyte'), idxBytes([50], testSet.labels));
    const expected = await loadBuiltinDataset('mnist', folder, { anyCount: true, decodedCacheDir: null });

    const model: ModelSpec = { inputShape: [28, 28], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }] };
    const dataset: DatasetRef = { id: 'mnist', kind: 'builtin', folder };
    const { messages, code } = await runTrainer({ runId: 2, model, config: config({ epochs: 5 }), datasetFolder: FASHION, dataset });
    expect(code).toBe(0);
    const [started] = ofType(messages, 'started');
    expect(started.dataset).toEqual(datasetInfoOf(expected.meta, 180, 20, folder));
    expect(started.dataset).toMatchObject({ id: 'mnist', name: 'MNIST', shape: [28, 28, 1], testCount: 50 });
    expect(started.provenance?.datasetFiles.map((f) => f.file).sort()).toEqual([
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
    ]);
    const [test] = ofType(messages, 'test');
    expect(test.accuracy).toBeGreaterThan(0.8);
    expect(messages.at(-1)).toMatchObject({ type: 'finished', status: 'completed' });
  }, 120_000);

  it('refuses a model whose input does not fit the images, saying both shapes', async () => {
    const wrong: ModelSpec = { ...CNN, inputShape: [28, 28] };
    const { messages, code } = await runTrainer({ runId: 3, model: wrong, config: config(), datasetFolder: FASHION, dataset: folderRef });
    expect(code).toBe(0);
    expect(ofType(messages, 'started')).toEqual([]);
    const [failed] = ofType(messages, 'failed');
    expect(failed.message).toBe(
      "The model cannot be trained: This network takes 28×28 images (784 values); Colours's images are 16×16×3 (768 values); use the input shape (16, 16, 3)",
    );

    // train() itself says so too, in the images' own terms.
    await selectBackend('wasm');
    const dataset = await loadDatasetRef(folderRef, FASHION);
    const flat = buildModel({ inputShape: [28, 28], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 3, activation: 'softmax' }] }, 1);
    try {
      await expect(train({ model: flat, config: config(), data: splitTrainValidation(dataset.train, config()), probes: false })).rejects.toThrow(
        'The model expects inputs of shape (28, 28) but the images are 16×16×3',
      );
    } finally {
      flat.dispose();
    }
  }, 120_000);

  it('refuses a model with fewer outputs than the dataset has classes', async () => {
    await selectBackend('wasm');
    const dataset = await loadDatasetRef(folderRef, FASHION);
    const two = buildModel({ inputShape: [16, 16, 3], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 2, activation: 'softmax' }] }, 1);
    try {
      await expect(train({ model: two, config: config(), data: splitTrainValidation(dataset.train, config()), probes: false })).rejects.toThrow(
        "The model's output has 2 units but the images have 3 classes (labels up to 2); set the last layer to 3 units",
      );
    } finally {
      two.dispose();
    }
  });
});
