import { fork } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/core/engine/build-model';
import type { CheckpointState } from '../../../src/core/engine/checkpoint';
import type { FromTrainer } from '../../../src/core/engine/protocol';
import { parallelThreads, requestedThreads } from '../../../src/core/engine/parallel/data-parallel';
import type { train } from '../../../src/core/engine/train';
import type { TrainValidationSplit } from '../../../src/core/data/types';
import { expectLearnsAlike, seedModel3, trainSubset, wasmSubset, withoutTime, type SubsetRun } from './subset';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { SYSTEM_FASHION_MNIST } from '../../helpers';

let data: TrainValidationSplit;

beforeAll(async () => {
  data = await wasmSubset();
});

function run(threads: number, extra: Partial<Parameters<typeof train>[0]> = {}): Promise<SubsetRun> {
  return trainSubset(data, { threads, ...extra });
}

let twoThreads: Promise<SubsetRun> | null = null;
/** One uninterrupted two-thread run, shared by the tests that compare against it. */
const reference = () => (twoThreads ??= run(2));

describe('training seed-model-3 on two threads', () => {
  it('learns as the single-threaded path does, within float32 rounding at the first step and 1.5 points of accuracy after two epochs', async () => {
    const one = await run(1);
    const two = await reference();
    expect(one.result.threads).toBe(1);
    expect(two.result.threads).toBe(2);
    // The same weights and images: the first batch's loss differs only in the order of the sums.
    expectLearnsAlike(one, two, 0.015);
    const [oneLast, twoLast] = [one.result.epochs.at(-1)!, two.result.epochs.at(-1)!];
    expect(Math.abs(twoLast.loss - oneLast.loss) / oneLast.loss).toBeLessThan(0.05);
  });

  it('gives the same run, figure for figure, every time, and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const first = await reference();
    const second = await run(2);
    expect(second.result.threads).toBe(2);
    expect(withoutTime(second.result.epochs)).toEqual(withoutTime(first.result.epochs));
    expect(second.batches.map((b) => b.batchLoss)).toEqual(first.batches.map((b) => b.batchLoss));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('paused mid-epoch and resumed, ends with the figures of the run that never stopped', async () => {
    const whole = await reference();
    let state: CheckpointState | null = null;
    let seen = 0;
    const paused = await run(2, {
      onBatch: () => seen++,
      shouldStop: () => (seen === 50 ? 'pause' : false),
      checkpoint: async (s, reason) => {
        if (reason === 'pause') state = s;
      },
    });
    expect(paused.result.status).toBe('paused');
    expect(state!.position).toEqual({ epoch: 1, batch: 50 });
    const resumed = await run(2, { resumeFrom: state! });
    expect(resumed.result.status).toBe('completed');
    expect(resumed.result.threads).toBe(2);
    expect(withoutTime(resumed.result.epochs)).toEqual(withoutTime(whole.result.epochs));
  });

  it('keeps models it cannot split (Dropout, BatchNormalization) and other backends on one thread', () => {
    const withDropout: ModelSpec = {
      ...seedModel3.model,
      layers: [...seedModel3.model.layers.slice(0, 2), { type: 'Dropout', rate: 0.2 }, ...seedModel3.model.layers.slice(2)],
    };
    const dropout = buildModel(withDropout, 1);
    const plain = buildModel(seedModel3.model, 1);
    try {
      expect(parallelThreads(plain, 2, 64)).toBe(2);
      expect(parallelThreads(plain, 1, 64)).toBe(1);
      expect(parallelThreads(plain, 2, 1)).toBe(1);
      expect(parallelThreads(plain, 2, 64, 'cpu')).toBe(1);
      expect(parallelThreads(dropout, 2, 64)).toBe(1);
    } finally {
      dropout.dispose();
      plain.dispose();
    }
  });

  it('reads the thread count from LAYERLAB_THREADS and refuses anything but 1 or 2', () => {
    const saved = process.env.LAYERLAB_THREADS;
    try {
      process.env.LAYERLAB_THREADS = '1';
      expect(requestedThreads(2)).toBe(1);
      process.env.LAYERLAB_THREADS = '3';
      expect(() => requestedThreads()).toThrow(/LAYERLAB_THREADS=3 is not a thread count; use 1 or 2/);
      delete process.env.LAYERLAB_THREADS;
      expect(requestedThreads(2)).toBe(2);
      expect(requestedThreads()).toBe(1);
      expect(() => requestedThreads(0)).toThrow(/1 or 2 threads, not 0/);
    } finally {
      if (saved === undefined) delete process.env.LAYERLAB_THREADS;
      else process.env.LAYERLAB_THREADS = saved;
    }
  });
});

/** The provenance's thread count and the epoch of a one-epoch trainer process run with LAYERLAB_THREADS set as given. */
function trainerRun(threads: string | undefined): Promise<{ threads: number | null; valAccuracy: number | null; status: string }> {
  const env = { ...process.env };
  if (threads === undefined) delete env.LAYERLAB_THREADS;
  else env.LAYERLAB_THREADS = threads;
  const child = fork('src/core/engine/trainer-process.ts', [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const job = { runId: 1, model: seedModel3.model, config: { ...seedModel3.config, limit: 1250, epochs: 1 }, datasetFolder: SYSTEM_FASHION_MNIST };
  let machineThreads: number | null = null;
  let valAccuracy: number | null = null;
  return new Promise((resolve, reject) => {
    child.on('message', (m: FromTrainer) => {
      if (m.type === 'started') machineThreads = m.provenance?.machine.threads ?? null;
      if (m.type === 'epoch') valAccuracy = m.metrics.valAccuracy;
      if (m.type === 'finished' || m.type === 'failed') {
        child.send({ type: 'ack' });
        resolve({ threads: machineThreads, valAccuracy, status: m.type === 'finished' ? m.status : `failed: ${m.message}` });
      }
    });
    child.on('error', reject);
    child.send({ type: 'start', job });
  });
}

describe('the trainer process', () => {
  it('trains a Dense network on both cores by default and on one with LAYERLAB_THREADS=1, and the run record says which', async () => {
    const [one, two] = await Promise.all([trainerRun('1'), trainerRun(undefined)]);
    expect(one.status).toBe('completed');
    expect(two.status).toBe('completed');
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    // Well above chance (0.1) after 16 steps (the last of 40 images), and where one thread gets.
    expect(two.valAccuracy).toBeGreaterThan(0.3);
    expect(Math.abs(two.valAccuracy! - one.valAccuracy!)).toBeLessThan(0.05);
  });
});
