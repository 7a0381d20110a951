import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FromTrainer, TrainJob } from '../../../src/core/engine/protocol';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { DEFAULT_CONFIG } from '../../../src/shared/model/training-config';

const FOLDER = '/usr/share/datasets/fashion-mnist';
const TRAINER = resolve(__dirname, '../../../src/core/engine/trainer-process.ts');
// An absolute loader URL, so the child starts the same wherever the test runs from.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The CNN of issue 3 with a smaller Dense layer, to keep the test light on a shared machine. */
const SMALL_CNN: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', filters: 32, kernelSize: [3, 3], activation: 'relu' },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Conv2D', filters: 64, kernelSize: [3, 3], activation: 'relu' },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Flatten' },
    { type: 'Dense', units: 32, activation: 'relu' },
    { type: 'Dropout', rate: 0.3 },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};

/** 28×28 images reshaped for a small convolution, batch normalization and L2 regularization on the way. */
const RESHAPED: ModelSpec = {
  inputShape: [28, 28],
  layers: [
    { type: 'Reshape', targetShape: [28, 28, 1] },
    {
      type: 'Conv2D',
      filters: 8,
      kernelSize: [3, 3],
      strides: [2, 2],
      padding: 'same',
      activation: 'relu',
      kernelInitializer: 'he_normal',
      kernelRegularizer: { l1: 0, l2: 0.001 },
    },
    { type: 'BatchNormalization' },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Flatten' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};

function runTrainer(model: ModelSpec): Promise<{ messages: FromTrainer[]; code: number | null; stderr: string }> {
  // 13 batches are few for a CNN at Adam's default 0.001; a livelier rate shows learning within them.
  const job: TrainJob = { runId: 1, model, config: { ...DEFAULT_CONFIG, learningRate: 0.005, limit: 1000, epochs: 1 }, datasetFolder: FOLDER };
  const child = fork(TRAINER, [], { execArgv: ['--import', TSX], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const messages: FromTrainer[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.on('message', (m: FromTrainer) => {
    messages.push(m);
    // As the run service does once it has recorded the end: the trainer waits for this to exit.
    if (m.type === 'finished' || m.type === 'failed') child.send({ type: 'ack' });
  });
  child.send({ type: 'start', job });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code) => done({ messages, code, stderr }));
  });
}

const ofType = <T extends FromTrainer['type']>(messages: FromTrainer[], type: T) =>
  messages.filter((m): m is Extract<FromTrainer, { type: T }> => m.type === type);

describe('convolutional networks train in the trainer process', () => {
  it.each([
    ['the CNN (Conv2D, MaxPooling2D, Dense 32)', SMALL_CNN],
    ['a Reshape (28, 28) → (28, 28, 1) network with BatchNormalization and L2', RESHAPED],
  ])('%s: one epoch on 1,000 images completes with finite figures', async (_, model) => {
    const { messages, code, stderr } = await runTrainer(model);
    expect(code, stderr).toBe(0);
    expect(ofType(messages, 'failed')).toEqual([]);
    expect(messages.at(-1)).toEqual({ type: 'finished', status: 'completed', peakRssBytes: expect.any(Number) });
    const [started] = ofType(messages, 'started');
    expect(started.dataset).toMatchObject({ trainCount: 800, validationCount: 200 });
    const epochs = ofType(messages, 'epoch');
    expect(epochs).toHaveLength(1);
    const m = epochs[0].metrics;
    for (const v of [m.loss, m.accuracy, m.valLoss!, m.valAccuracy!]) expect(Number.isFinite(v)).toBe(true);
    // One epoch on 800 images is enough to be well above chance (0.1); training is seeded, so these figures repeat.
    expect(m.valAccuracy).toBeGreaterThan(0.3);
    const [test] = ofType(messages, 'test');
    expect(test.accuracy).toBeGreaterThan(0.3);
  });

  it('refuses a convolution after Flatten before loading anything, with the editor’s message', async () => {
    const { messages, code } = await runTrainer({
      inputShape: [28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'Conv2D', filters: 8, kernelSize: [3, 3], activation: 'relu' },
        { type: 'Flatten' },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    });
    expect(code).toBe(0);
    expect(messages).toEqual([
      {
        type: 'failed',
        message:
          'The model cannot be trained: Conv2D needs a (rows, cols, channels) input but gets (784); put it before Flatten, or add a Reshape to (28, 28, 1)',
      },
    ]);
  });
});
