import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FromTrainer, TrainJob } from '../../../src/core/engine/protocol';
import { findPreset } from '../../../src/shared/model/presets';
import { FASHION_MNIST_CLASSES } from '../../../src/shared/model/training-config';

const FOLDER = '/usr/share/datasets/fashion-mnist';
const preset = findPreset('seed-model-3')!;

function job(overrides: Partial<TrainJob> = {}): TrainJob {
  return {
    runId: 1,
    model: preset.model,
    config: { ...preset.config, limit: 2000, epochs: 1 },
    datasetFolder: FOLDER,
    ...overrides,
  };
}

const isLast = (m: FromTrainer) => m.type === 'finished' || m.type === 'failed';

interface Parent {
  /** Sees every message; may answer (e.g. cancel). */
  onMessage?(m: FromTrainer, send: (m: unknown) => void, child: ChildProcess): void;
  /** Acknowledge the last message at once, as the run service does; false leaves it to onMessage. */
  ack?: boolean;
}

/** Runs one trainer process to its end, playing the main side. */
function runTrainer(start: TrainJob, parent: Parent = {}): Promise<{ messages: FromTrainer[]; code: number | null; signal: string | null }> {
  const child = fork('src/core/engine/trainer-process.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const messages: FromTrainer[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const send = (m: unknown) => {
    if (child.connected) child.send(m as object);
  };
  child.on('message', (m) => {
    messages.push(m as FromTrainer);
    parent.onMessage?.(m as FromTrainer, send, child);
    if (parent.ack !== false && isLast(m as FromTrainer)) send({ type: 'ack' });
  });
  child.send({ type: 'start', job: start });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) console.error(stderr);
      resolve({ messages, code, signal });
    });
  });
}

const ofType = <T extends FromTrainer['type']>(messages: FromTrainer[], type: T) =>
  messages.filter((m): m is Extract<FromTrainer, { type: T }> => m.type === type);

describe('trainer process (child_process.fork)', () => {
  it('trains one epoch and reports start, sampled batches, the epoch, the test score and the end, then exits 0', async () => {
    const { messages, code } = await runTrainer(job());
    expect(code).toBe(0);
    expect(messages.map((m) => m.type)[0]).toBe('started');
    expect(messages.at(-1)).toEqual({ type: 'finished', status: 'completed', peakRssBytes: expect.any(Number) });

    const [started] = ofType(messages, 'started');
    expect(started.environment.backend).toMatch(/^(tensorflow|wasm|cpu)$/);
    expect(started.environment.versions['tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(started.environment.host).not.toBe('');
    expect(started.environment.cpus).toMatch(/ × \d+$/);
    expect(started.dataset).toEqual({
      id: 'fashion-mnist',
      name: 'Fashion-MNIST',
      source: FOLDER,
      trainCount: 1600,
      validationCount: 400,
      testCount: 10_000,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      shape: [28, 28, 1],
      classNames: [...FASHION_MNIST_CLASSES],
    });
    expect(started.batchesPerEpoch).toBe(25);

    const batches = ofType(messages, 'batch');
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.length).toBeLessThanOrEqual(started.batchesPerEpoch);
    const numbers = batches.map((b) => b.batch);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers.at(-1)).toBe(25);
    expect(batches.every((b) => b.epoch === 1 && b.batches === 25 && Number.isFinite(b.loss))).toBe(true);

    const epochs = ofType(messages, 'epoch');
    expect(epochs).toHaveLength(1);
    expect(epochs[0].metrics.epoch).toBe(1);
    expect(epochs[0].metrics.valAccuracy).toBeGreaterThan(0.5);
    const [test] = ofType(messages, 'test');
    expect(test.accuracy).toBeGreaterThan(0.5);
    expect(test.weights).toBe('final');
    expect(messages.map((m) => m.type).indexOf('test')).toBeGreaterThan(messages.map((m) => m.type).indexOf('epoch'));
  });

  it('reports the epoch-0 baseline and the layer signals before the first batch, and the signals of every epoch before the epoch', async () => {
    const { messages, code } = await runTrainer(job({ config: { ...job().config, epochs: 2 } }));
    expect(code).toBe(0);
    const types = messages.map((m) => m.type);
    expect(types.slice(0, 4)).toEqual(['started', 'baseline', 'layer-stats', 'batch']);
    const [baseline] = ofType(messages, 'baseline');
    expect(baseline.metrics).toMatchObject({ epoch: 0, seconds: 0 });
    expect(baseline.metrics.valLoss!).toBeGreaterThan(2);
    const stats = ofType(messages, 'layer-stats');
    expect(stats.map((m) => m.stats[0].epoch)).toEqual([0, 1, 2]);
    expect(stats.every((m) => m.stats.length === 6 && m.stats.every((r) => r.batch === null && r.name.startsWith('Dense')))).toBe(true);
    // Each epoch's signals arrive just before the epoch itself.
    types.forEach((type, i) => {
      if (type === 'epoch') expect(types[i - 1]).toBe('layer-stats');
    });
  });

  it('stops early, restores the best epoch, and says so in the test score, the saved model and the end', async () => {
    const modelDir = join(mkdtempSync(join(tmpdir(), 'layerlab-trainer-')), 'model');
    try {
      const earlyStopping = { monitor: 'val_loss' as const, patience: 2, minDelta: 0, restoreBest: true };
      const { messages, code } = await runTrainer(job({ config: { ...job().config, epochs: 20, earlyStopping }, modelDir }));
      expect(code).toBe(0);
      const epochs = ofType(messages, 'epoch').map((m) => m.metrics);
      const stopped = epochs.length;
      expect(stopped).toBeLessThan(20);
      const losses = epochs.map((e) => e.valLoss!);
      const best = losses.indexOf(Math.min(...losses)) + 1;
      expect(messages.at(-1)).toEqual({
        type: 'finished',
        status: 'completed',
        stopReason: `stopped early at epoch ${stopped} (best ${best})`,
        peakRssBytes: expect.any(Number),
      });
      expect(ofType(messages, 'test')[0].weights).toBe('best');
      expect(ofType(messages, 'model-saved')).toEqual([{ type: 'model-saved', path: modelDir, weights: 'best' }]);
      expect(existsSync(join(modelDir, 'model.json'))).toBe(true);
      expect(ofType(messages, 'layer-stats')).toHaveLength(stopped + 1);
    } finally {
      rmSync(join(modelDir, '..'), { recursive: true, force: true });
    }
  });

  it('samples about 50 batch messages an epoch, always including the last batch', async () => {
    // 9,600 training images: 150 batches, every third one reported.
    const { messages, code } = await runTrainer(job({ config: { ...job().config, limit: 12_000 } }));
    expect(code).toBe(0);
    const numbers = ofType(messages, 'batch').map((b) => b.batch);
    expect(numbers).toHaveLength(50);
    expect(numbers[0]).toBe(3);
    expect(numbers.at(-1)).toBe(150);
  });

  it('stops on cancel and reports the run as cancelled, without a test score', async () => {
    let cancelSent = false;
    const { messages, code } = await runTrainer(job({ config: { ...job().config, epochs: 5 } }), {
      onMessage: (m, send) => {
        if (m.type === 'batch' && !cancelSent) {
          cancelSent = true;
          send({ type: 'cancel' });
        }
      },
    });
    expect(code).toBe(0);
    expect(messages.at(-1)).toEqual({ type: 'finished', status: 'cancelled', peakRssBytes: expect.any(Number) });
    expect(ofType(messages, 'test')).toHaveLength(0);
    expect(ofType(messages, 'epoch').length).toBeLessThan(5);
  });

  it('fails with a message naming the folder and the missing files when the dataset is not there', async () => {
    const { messages, code } = await runTrainer(job({ datasetFolder: '/nonexistent/fashion' }));
    expect(code).toBe(0);
    expect(messages).toHaveLength(1);
    const [failed] = ofType(messages, 'failed');
    expect(failed.message).toContain('/nonexistent/fashion');
    expect(failed.message).toContain('train-images-idx3-ubyte.gz');
    expect(failed.message).not.toMatch(/unexpected/i);
  });

  it('fails with the divergence message when the learning rate is far too high', async () => {
    const { messages, code } = await runTrainer(job({ config: { ...job().config, optimizer: 'sgd', learningRate: 1000 } }));
    expect(code).toBe(0);
    const last = messages.at(-1)!;
    expect(last.type).toBe('failed');
    expect(last.type === 'failed' && last.message).toMatch(/^Training diverged at epoch 1 /);
  });
});

describe('the last message reaches the main side before the trainer exits', () => {
  // A missing dataset fails at once: the end of a run without the cost of training.
  const failing = job({ datasetFolder: '/nonexistent/fashion' });

  it('waits for the acknowledgement: still running while the main side records the result, exits 0 once it answers', async () => {
    let aliveAtAck: boolean | null = null;
    const { messages, code } = await runTrainer(failing, {
      ack: false,
      onMessage: (m, send, child) => {
        if (!isLast(m)) return;
        // A main side busy committing the result: well under the trainer's own give-up time.
        setTimeout(() => {
          aliveAtAck = child.exitCode === null && child.signalCode === null;
          send({ type: 'ack' });
        }, 1000);
      },
    });
    expect(aliveAtAck).toBe(true);
    expect(code).toBe(0);
    expect(messages.map((m) => m.type)).toEqual(['failed']);
  });

  it('exits on its own, code 0, when the main side never acknowledges', async () => {
    const { messages, code, signal } = await runTrainer(failing, { ack: false });
    expect([code, signal]).toEqual([0, null]);
    expect(messages.map((m) => m.type)).toEqual(['failed']);
  });
});
