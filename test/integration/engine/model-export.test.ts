/**
 * A completed run's trained model, exported in TensorFlow.js layers format,
 * against real parts: a real Layerlab (SQLite file, forked trainer process,
 * Fashion-MNIST), the export a user would save, and tf.loadLayersModel reading
 * those files back and predicting as the app did.
 */
import * as tf from '@tensorflow/tfjs';
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openLayerlab, type Layerlab } from '../../../src/core/app';
import { selectBackend } from '../../../src/core/engine/backend';
import { buildModel } from '../../../src/core/engine/build-model';
import type { FromTrainer, TrainJob } from '../../../src/core/engine/protocol';
import { evaluate } from '../../../src/core/engine/train';
import { installWasmMatMulFix } from '../../../src/core/engine/wasm-matmul';
import { loadFashionMnist } from '../../../src/core/data/fashion-mnist';
import { pixelFloats } from '../../../src/core/data/pixels';
import type { FashionMnist, ImageSet } from '../../../src/core/data/types';
import { forkTrainer } from '../../../src/core/runs/node-trainer';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { findPreset } from '../../../src/shared/model/presets';
import type { RunDetail } from '../../../src/shared/contract/runs';
import type { TrainingConfig } from '../../../src/shared/model/training-config';
import { SYSTEM_FASHION_MNIST, tempDir } from '../../helpers';

const preset = findPreset('seed-model-3')!;

const SMALL_CNN: ModelSpec = {
  inputShape: [28, 28],
  layers: [
    { type: 'Reshape', targetShape: [28, 28, 1] },
    { type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Flatten' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};

/** Layerlab's own seeded Dropout, BatchNormalization and a regularizer: layers whose training and inference differ. */
const MLP_WITH_DROPOUT: ModelSpec = {
  inputShape: [28, 28],
  layers: [
    { type: 'Flatten' },
    { type: 'Dense', units: 64, activation: 'relu', kernelInitializer: 'he_normal', kernelRegularizer: { l1: 0, l2: 0.001 } },
    { type: 'BatchNormalization' },
    { type: 'Dropout', rate: 0.3 },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};

let data: FashionMnist;
let t: ReturnType<typeof tempDir>;
let app: Layerlab;

beforeAll(async () => {
  // The backend the trainer picks here, so "same as the app" compares like with like.
  const { backend } = await selectBackend();
  if (backend === 'wasm') installWasmMatMulFix();
  data = await loadFashionMnist(SYSTEM_FASHION_MNIST);
});

beforeEach(() => {
  t = tempDir('layerlab-model-export-');
  app = openLayerlab({ shell: 'browser', launchTrainer: forkTrainer, dataDir: t.dir, databasePath: join(t.dir, 'x.db') });
});
afterEach(async () => {
  await app.close();
  t.cleanup();
});

async function trainToEnd(model: ModelSpec, config: Partial<TrainingConfig>): Promise<RunDetail> {
  const run = app.runs.start({ name: 'export me', model, config: { ...preset.config, ...config } });
  await app.runs.whenDone(run.id);
  const detail = app.runs.get(run.id);
  expect(detail.status, detail.error ?? '').toBe('completed');
  return detail;
}

/** What a user does with the export: write model.json and the weights file into a folder of their own. */
async function writeExport(id: number, folder: string): Promise<string> {
  const artifacts = await app.service.exportModel(id);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'model.json'), JSON.stringify(artifacts.modelJson));
  writeFileSync(join(folder, artifacts.weightsFileName), Buffer.from(artifacts.weightsBase64, 'base64'));
  return join(folder, 'model.json');
}

/**
 * A load-only IOHandler reading a model.json and the weight files its
 * manifest names from disk, as tfjs-node's file:// handler does (that handler
 * needs tfjs-node, which is not installable here).
 */
function fromFiles(modelJsonPath: string): tf.io.IOHandler {
  const folder = join(modelJsonPath, '..');
  return {
    load: () =>
      tf.io.getModelArtifactsForJSON(JSON.parse(readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = manifest
          .flatMap((group) => group.paths)
          .map((path) => {
            const bytes = readFileSync(join(folder, path));
            return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
          });
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      }),
  };
}

/** The class each image is predicted as by model.predict, in chunks, shaped to the model's input. */
async function predictClasses(model: tf.LayersModel, set: ImageSet, count = set.count): Promise<Int32Array> {
  const shape = model.inputs[0].shape.slice(1) as number[];
  const classes = new Int32Array(count);
  for (let start = 0; start < count; start += 1000) {
    const n = Math.min(1000, count - start);
    const argmax = tf.tidy(() => {
      const x = tf.tensor(pixelFloats(set, start, start + n), [n, ...shape]);
      return tf.argMax(model.predict(x) as tf.Tensor, -1);
    });
    classes.set((await argmax.data()) as Int32Array, start);
    argmax.dispose();
  }
  return classes;
}

/**
 * The class the app's own evaluation (train.ts evaluate, which the trainer
 * uses for the recorded test accuracy) predicts for each of the first `count`
 * images. evaluate() reports only accuracy, so each image is scored against
 * each of the ten labels in turn: the one label it gets right is its prediction.
 */
async function appPredictions(model: tf.LayersModel, set: ImageSet, count: number): Promise<number[]> {
  const pixels = set.rows * set.cols;
  const predictions: number[] = [];
  for (let i = 0; i < count; i++) {
    const images = set.images.slice(i * pixels, (i + 1) * pixels);
    const hits: number[] = [];
    for (let label = 0; label < 10; label++) {
      const one: ImageSet = { count: 1, rows: set.rows, cols: set.cols, images, labels: Uint8Array.of(label) };
      if ((await evaluate(model, one)).accuracy === 1) hits.push(label);
    }
    expect(hits).toHaveLength(1);
    predictions.push(hits[0]);
  }
  return predictions;
}

/** The run's network as the app builds it, carrying the weights of `loaded` (same spec, so the same weight order and shapes). */
function appModelWithWeightsOf(detail: RunDetail, loaded: tf.LayersModel): tf.LayersModel {
  const model = buildModel(detail.model, detail.config.seed);
  model.setWeights(loaded.getWeights());
  return model;
}

async function expectRoundTrip(detail: RunDetail): Promise<{ modelJson: { modelTopology: { config: { layers: { class_name: string }[] } } } }> {
  expect(detail.hasModel).toBe(true);
  expect(detail.testAccuracy).not.toBeNull();
  // Kept beside the database, one folder per run; nothing half-written left around it.
  const modelsDir = join(t.dir, 'x-models');
  expect(readdirSync(modelsDir)).toEqual([`run-${detail.id}`]);
  expect(readdirSync(join(modelsDir, `run-${detail.id}`)).sort()).toEqual(['model.json', 'weights.bin']);

  const modelJsonPath = await writeExport(detail.id, join(t.dir, 'downloads', `run-${detail.id}`));
  const modelJson = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
  expect(modelJson).toMatchObject({ format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`, convertedBy: null });
  expect(modelJson.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);

  const loaded = await tf.loadLayersModel(fromFiles(modelJsonPath));
  try {
    expect(loaded.inputs[0].shape).toEqual([null, ...detail.model.inputShape]);
    const predicted = await predictClasses(loaded, data.test);
    let correct = 0;
    for (let i = 0; i < data.test.count; i++) if (predicted[i] === data.test.labels[i]) correct++;
    expect(correct / data.test.count).toBeCloseTo(detail.testAccuracy!, 3);

    const appModel = appModelWithWeightsOf(detail, loaded);
    try {
      // The app's evaluation of these weights is the recorded one: the export holds the trained model.
      expect((await evaluate(appModel, data.test)).accuracy).toBeCloseTo(detail.testAccuracy!, 3);
      expect(Array.from(predicted.subarray(0, 20))).toEqual(await appPredictions(appModel, data.test, 20));
    } finally {
      appModel.dispose();
    }
  } finally {
    loaded.dispose();
  }
  return { modelJson };
}

const classNames = (json: { modelTopology: { config: { layers: { class_name: string }[] } } }) =>
  json.modelTopology.config.layers.map((l) => l.class_name);

describe('exporting the trained model of a completed run', () => {
  it('seed-model-3 (3000 images, 2 epochs): tf.loadLayersModel loads the export, scores the recorded test accuracy and predicts as the app', async () => {
    const detail = await trainToEnd(preset.model, { limit: 3000, epochs: 2 });
    const { modelJson } = await expectRoundTrip(detail);
    expect(modelJson.modelTopology).toMatchObject({ class_name: 'Sequential' });
    expect(classNames(modelJson)).toEqual(['Flatten', 'Dense', 'Dense', 'Dense', 'Dense', 'Dense', 'Dense']);
  });

  it('a CNN (Reshape, Conv2D, MaxPooling2D, Flatten, Dense) round-trips the same way', async () => {
    const detail = await trainToEnd(SMALL_CNN, { limit: 1000, epochs: 1 });
    const { modelJson } = await expectRoundTrip(detail);
    expect(classNames(modelJson)).toEqual(['Reshape', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense']);
  });

  it("Layerlab's seeded Dropout is saved as a standard Keras 'Dropout' (with BatchNormalization and a regularizer) and round-trips", async () => {
    const detail = await trainToEnd(MLP_WITH_DROPOUT, { limit: 1000, epochs: 1 });
    const { modelJson } = await expectRoundTrip(detail);
    expect(classNames(modelJson)).toEqual(['Flatten', 'Dense', 'BatchNormalization', 'Dropout', 'Dense']);
    const dropout = modelJson.modelTopology.config.layers[3] as unknown as { config: Record<string, unknown> };
    expect(dropout.config).toMatchObject({ rate: 0.3 });
  });

  it('a cancelled run keeps no model: the export is refused, saying only completed runs keep theirs', async () => {
    const run = app.runs.start({ model: preset.model, config: { ...preset.config, limit: 6000, epochs: 5 } });
    await new Promise<void>((resolve) => {
      const stop = app.events.subscribe((e) => {
        if (e.type === 'run-epoch' && e.runId === run.id) {
          stop();
          resolve();
        }
      });
    });
    app.runs.cancel(run.id);
    await app.runs.whenDone(run.id);
    const detail = app.runs.get(run.id);
    expect(detail.status).toBe('cancelled');
    expect(detail.hasModel).toBe(false);
    await expect(async () => app.service.exportModel(run.id)).rejects.toThrow(/only completed runs keep their trained model/);
    expect(existsSync(join(t.dir, 'x-models', `run-${run.id}`))).toBe(false);
  });

  it('a model folder deleted by hand: the export says the model is missing', async () => {
    const detail = await trainToEnd(preset.model, { limit: 1000, epochs: 1 });
    expect(detail.hasModel).toBe(true);
    rmSync(join(t.dir, 'x-models', `run-${detail.id}`), { recursive: true });
    await expect(async () => app.service.exportModel(detail.id)).rejects.toThrow(/model of run \d+ is missing/);
  });
});

/** One trainer process to its end, keeping its messages and what it wrote to stderr. */
function runTrainer(job: TrainJob): Promise<{ messages: FromTrainer[]; code: number | null; stderr: string }> {
  const child = fork('src/core/engine/trainer-process.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const messages: FromTrainer[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.on('message', (m: FromTrainer) => {
    messages.push(m);
    // As the run service does once it has recorded the end: the trainer waits for this to exit.
    if (m.type === 'finished' || m.type === 'failed') child.send({ type: 'ack' });
  });
  child.send({ type: 'start', job });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ messages, code, stderr }));
  });
}

describe('the trainer saving the model', () => {
  const job = (modelDir: string): TrainJob => ({
    runId: 7,
    model: preset.model,
    config: { ...preset.config, limit: 1000, epochs: 1 },
    datasetFolder: SYSTEM_FASHION_MNIST,
    modelDir,
  });

  it("posts 'model-saved' with the folder after 'test' and before 'finished'", async () => {
    const t2 = tempDir();
    try {
      const dir = join(t2.dir, 'deep', 'er', 'run-7');
      const { messages, code } = await runTrainer(job(dir));
      expect(code).toBe(0);
      const types = messages.map((m) => m.type);
      expect(types.slice(-3)).toEqual(['test', 'model-saved', 'finished']);
      expect(messages.find((m) => m.type === 'model-saved')).toEqual({ type: 'model-saved', path: dir, weights: 'final' });
      expect(messages.at(-1)).toEqual({ type: 'finished', status: 'completed', peakRssBytes: expect.any(Number) });
      expect(readdirSync(join(dir, '..'))).toEqual(['run-7']);
      expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    } finally {
      t2.cleanup();
    }
  });

  it('a model that cannot be saved does not fail the run: no model-saved, one line on stderr, still completed', async () => {
    const t2 = tempDir();
    try {
      // A folder inside a plain file cannot be made, not even by root.
      writeFileSync(join(t2.dir, 'not-a-folder'), 'x');
      const { messages, code, stderr } = await runTrainer(job(join(t2.dir, 'not-a-folder', 'run-7')));
      expect(code).toBe(0);
      expect(messages.some((m) => m.type === 'model-saved')).toBe(false);
      expect(messages.some((m) => m.type === 'test')).toBe(true);
      expect(messages.at(-1)).toEqual({ type: 'finished', status: 'completed', peakRssBytes: expect.any(Number) });
      const lines = stderr.split('\n').filter((l) => l.includes('could not be saved'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^Run 7: the trained model could not be saved to .*not-a-folder/);
    } finally {
      t2.cleanup();
    }
  });
});
