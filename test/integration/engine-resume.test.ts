/**
 * Pause and resume: a run paused at a batch boundary and continued in a new trainer
 * process ends with the very numbers of the same run trained without a pause.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../src/core/engine/build-model';
import { type CheckpointState, readCheckpoint, writeCheckpoint } from '../../src/core/engine/checkpoint';
import type { FromTrainer, TrainJob } from '../../src/core/engine/protocol';
import { selectBackend } from '../../src/core/engine/backend';
import { train, type TrainResult } from '../../src/core/engine/train';
import { installWasmMatMulFix } from '../../src/core/engine/wasm-matmul';
import { loadFashionMnist, splitTrainValidation } from '../../src/core/data/fashion-mnist';
import type { FashionMnist } from '../../src/core/data/types';
import type { EpochMetrics } from '../../src/shared/contract/runs';
import type { ModelSpec } from '../../src/shared/model/model-spec';
import { findPreset } from '../../src/shared/model/presets';
import type { TrainingConfig } from '../../src/shared/model/training-config';
import { SYSTEM_FASHION_MNIST, tempDir } from '../helpers';

const hasDataset = existsSync(join(SYSTEM_FASHION_MNIST, 'train-images-idx3-ubyte.gz'));
const seedModel3 = findPreset('seed-model-3')!;

const isLast = (m: FromTrainer) => m.type === 'finished' || m.type === 'failed';
const ofType = <T extends FromTrainer['type']>(messages: FromTrainer[], type: T) =>
  messages.filter((m): m is Extract<FromTrainer, { type: T }> => m.type === type);

/** Runs one trainer process to its end, playing the main side; `onMessage` may answer (e.g. pause). */
function runTrainer(job: TrainJob, onMessage?: (m: FromTrainer, send: (m: object) => void) => void, alsoSend: object[] = []): Promise<FromTrainer[]> {
  const child = fork('src/core/engine/trainer-process.ts', [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const messages: FromTrainer[] = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const send = (m: object) => {
    if (child.connected) child.send(m);
  };
  child.on('message', (m) => {
    messages.push(m as FromTrainer);
    onMessage?.(m as FromTrainer, send);
    if (isLast(m as FromTrainer)) send({ type: 'ack' });
  });
  child.send({ type: 'start', job });
  alsoSend.forEach(send);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(messages) : reject(new Error(`trainer exited with ${code}: ${stderr}`))));
  });
}

/** Everything but the times, which are never the same twice. */
const figures = (epochs: EpochMetrics[]) => epochs.map(({ seconds: _s, cpuSeconds: _c, ...rest }) => rest);

let folder: { dir: string; cleanup: () => void };
beforeAll(() => {
  folder = tempDir('layerlab-resume-');
});
afterAll(() => folder?.cleanup());

describe.skipIf(!hasDataset)('pause in one trainer process, resume in another', () => {
  // 6,000 images, 4,800 trained in batches of 12: 400 batches an epoch, every 8th reported.
  const config: TrainingConfig = { ...seedModel3.config, limit: 6000, epochs: 3, batchSize: 12 };
  const job = (overrides: Partial<TrainJob> = {}): TrainJob => ({
    runId: 1,
    model: seedModel3.model,
    config,
    datasetFolder: SYSTEM_FASHION_MNIST,
    ...overrides,
  });

  it('seed-model-3 paused in epoch 1 near batch 300 ends with the same epochs, layer signals and test figures as the run without a pause', async () => {
    const whole = await runTrainer(job({ checkpointPath: join(folder.dir, 'whole.ckpt') }));
    expect(whole.at(-1)).toMatchObject({ type: 'finished', status: 'completed' });

    // Every epoch's end is checkpointed right after the epoch is reported.
    const types = whole.map((m) => m.type);
    expect(ofType(whole, 'checkpoint').map((c) => c.position)).toEqual([
      { epoch: 2, batch: 0 },
      { epoch: 3, batch: 0 },
      { epoch: 4, batch: 0 },
    ]);
    types.forEach((type, i) => {
      if (type === 'epoch') expect(types[i + 1]).toBe('checkpoint');
    });

    const path = join(folder.dir, 'paused.ckpt');
    let pauseSent = false;
    const first = await runTrainer(job({ checkpointPath: path }), (m, send) => {
      if (m.type === 'batch' && m.epoch === 1 && m.batch >= 296 && !pauseSent) {
        pauseSent = true;
        send({ type: 'pause' });
      }
    });
    const last = first.at(-1)!;
    expect(last).toMatchObject({ type: 'finished', status: 'paused' });
    expect(last.type === 'finished' && last.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    // The pause's checkpoint comes last before 'finished'; nothing of epoch 1 was completed.
    const [pauseCheckpoint] = ofType(first, 'checkpoint');
    expect(first.at(-2)).toEqual(pauseCheckpoint);
    expect(pauseCheckpoint.path).toBe(path);
    const position = pauseCheckpoint.position;
    expect(position.epoch).toBe(1);
    expect(position.batch).toBeGreaterThanOrEqual(296);
    expect(position.batch).toBeLessThan(400);
    expect(ofType(first, 'epoch')).toHaveLength(0);
    expect(ofType(first, 'test')).toHaveLength(0);
    expect(Math.max(...ofType(first, 'batch').map((b) => b.batch))).toBeLessThanOrEqual(position.batch);

    const second = await runTrainer(job({ checkpointPath: path, resume: true }));
    expect(second.slice(0, 2).map((m) => m.type)).toEqual(['started', 'resuming']);
    expect(second[1]).toEqual({ type: 'resuming', position });
    // The resumed process records its own provenance (the same settings and dataset files).
    const provenance = ofType(second, 'started')[0].provenance!;
    expect(provenance).toEqual(ofType(whole, 'started')[0].provenance);
    expect(provenance.optimizer).toMatchObject({ name: 'adam', learningRate: 0.001 });
    expect(provenance.datasetFiles.map((f) => f.file).sort()).toEqual([
      't10k-images-idx3-ubyte.gz',
      't10k-labels-idx1-ubyte.gz',
      'train-images-idx3-ubyte.gz',
      'train-labels-idx1-ubyte.gz',
    ]);
    expect(ofType(second, 'baseline')).toHaveLength(0);
    expect(second.at(-1)).toMatchObject({ type: 'finished', status: 'completed' });

    // Epoch 1 is the sum of both processes' batches; its time adds up over both.
    const epochs = ofType(whole, 'epoch').map((m) => m.metrics);
    const resumed = ofType(second, 'epoch').map((m) => m.metrics);
    expect(figures(resumed)).toEqual(figures(epochs));
    expect(resumed.every((e) => e.seconds > 0 && e.cpuSeconds! > 0)).toBe(true);
    expect(ofType(second, 'test')).toEqual(ofType(whole, 'test'));
    // The batches after the pause and the layer signals of every epoch, bit for bit.
    const after = (m: Extract<FromTrainer, { type: 'batch' }>) => m.epoch > 1 || m.batch > position.batch;
    expect(ofType(second, 'batch')).toEqual(ofType(whole, 'batch').filter(after));
    expect(ofType(second, 'layer-stats')).toEqual(ofType(whole, 'layer-stats').filter((m) => m.stats[0].epoch > 0));
    // The first process's batches, up to the pause, are the uninterrupted run's too.
    expect(ofType(first, 'batch')).toEqual(ofType(whole, 'batch').filter((m) => !after(m)));
  });

  it('a pause that arrives before training begins pauses at the first batch, after the baseline; resumed, the run is the one never paused', async () => {
    const small = job({ config: { ...config, limit: 1200, epochs: 1, batchSize: 64 } });
    const whole = await runTrainer({ ...small, checkpointPath: join(folder.dir, 'early-whole.ckpt') });
    const path = join(folder.dir, 'early.ckpt');
    const first = await runTrainer({ ...small, checkpointPath: path }, undefined, [{ type: 'pause' }]);
    expect(first.map((m) => m.type)).toEqual(['started', 'baseline', 'layer-stats', 'checkpoint', 'finished']);
    expect(first[3]).toEqual({ type: 'checkpoint', position: { epoch: 1, batch: 0 }, path });
    expect(first[4]).toMatchObject({ type: 'finished', status: 'paused' });

    const second = await runTrainer({ ...small, checkpointPath: path, resume: true });
    expect(second.map((m) => m.type).filter((t) => t !== 'batch')).toEqual([
      'started',
      'resuming',
      'layer-stats',
      'epoch',
      'checkpoint',
      'test',
      'finished',
    ]);
    expect(figures(ofType(second, 'epoch').map((m) => m.metrics))).toEqual(figures(ofType(whole, 'epoch').map((m) => m.metrics)));
    expect(ofType(second, 'test')).toEqual(ofType(whole, 'test'));
  });

  it('a checkpoint that cannot be written: an epoch end goes on without it, a pause fails the run saying why', async () => {
    const small = job({ config: { ...config, limit: 1200, epochs: 1, batchSize: 64 } });
    const path = join(folder.dir, 'no-such-folder', 'run.ckpt');
    const unsaved = await runTrainer({ ...small, checkpointPath: path });
    expect(unsaved.at(-1)).toMatchObject({ type: 'finished', status: 'completed' });
    expect(ofType(unsaved, 'checkpoint')).toHaveLength(0);
    expect(ofType(unsaved, 'epoch')).toHaveLength(1);

    const paused = await runTrainer({ ...small, checkpointPath: path }, undefined, [{ type: 'pause' }]);
    expect(paused.at(-1)!.type).toBe('failed');
    expect(ofType(paused, 'failed')[0].message).toMatch(/^The run could not be paused: its checkpoint could not be written to .*run\.ckpt \(ENOENT/);
  });

  it('refuses a damaged checkpoint and one written for another network with a clear message', async () => {
    const base = { ...config, limit: 1200, epochs: 1, batchSize: 64 };
    const path = join(folder.dir, 'other.ckpt');
    await runTrainer(job({ config: base, checkpointPath: path }));
    expect(existsSync(path)).toBe(true);

    // Another network (narrower first Dense layer) with the same settings.
    const other: ModelSpec = {
      ...seedModel3.model,
      layers: seedModel3.model.layers.map((l, i) => (i === 1 && l.type === 'Dense' ? { ...l, units: 32 } : l)),
    };
    const foreign = await runTrainer(job({ model: other, config: base, checkpointPath: path, resume: true }));
    expect(foreign.map((m) => m.type)).toEqual(['failed']);
    const [refused] = ofType(foreign, 'failed');
    expect(refused.message).toMatch(
      /^The checkpoint does not belong to this network: weight 1 \(.*kernel\) is \[784, 32\] in the network and \[784, 64\] in the checkpoint$/,
    );

    const bytes = readFileSync(path);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(path, bytes);
    const damaged = await runTrainer(job({ config: base, checkpointPath: path, resume: true }));
    expect(damaged.map((m) => m.type)).toEqual(['failed']);
    expect(ofType(damaged, 'failed')[0].message).toBe(`The checkpoint ${path} is damaged (its checksum does not match its contents)`);

    const missing = await runTrainer(job({ config: base, checkpointPath: join(folder.dir, 'none.ckpt'), resume: true }));
    expect(ofType(missing, 'failed')[0].message).toMatch(/^The run cannot be resumed: its checkpoint .*none\.ckpt does not exist$/);
  });
});

describe.skipIf(!hasDataset)('pause and resume inside train()', () => {
  let fashion: FashionMnist;
  beforeAll(async () => {
    fashion = await loadFashionMnist(SYSTEM_FASHION_MNIST);
    const { backend } = await selectBackend();
    if (backend === 'wasm') installWasmMatMulFix();
  });

  /** Trains `spec` from the start (or from `resumeFrom`), pausing whenever `pauseAt` says so; checkpoints go to `path`. */
  async function run(
    spec: ModelSpec,
    config: TrainingConfig,
    path: string,
    opts: { resumeFrom?: CheckpointState; pauseAt?: (epoch: number, batch: number) => boolean } = {},
  ) {
    const model = buildModel(spec, config.seed);
    const data = splitTrainValidation(fashion.train, config);
    const written: CheckpointState[] = [];
    let epoch = opts.resumeFrom?.position.epoch ?? 1;
    let batch = opts.resumeFrom?.position.batch ?? 0;
    const result = await train({
      model,
      config,
      data,
      test: fashion.test,
      resumeFrom: opts.resumeFrom,
      // Asked before batch `batch` (0-based) of `epoch`.
      shouldStop: () => (opts.pauseAt?.(epoch, batch) ? 'pause' : false),
      onBatch: (b) => {
        [epoch, batch] = b.batch === b.batches ? [b.epoch + 1, 0] : [b.epoch, b.batch];
      },
      checkpoint: async (state) => {
        written.push(state);
        await writeCheckpoint(path, state);
      },
    });
    model.dispose();
    return { result, written };
  }

  const sameRun = (a: TrainResult, b: TrainResult) => {
    expect(figures(a.epochs)).toEqual(figures(b.epochs));
    expect([a.test, a.stopReason, a.weights, a.bestEpoch]).toEqual([b.test, b.stopReason, b.weights, b.bestEpoch]);
  };

  it('Dropout and Adam: paused twice (mid-epoch 1 and at the start of epoch 2), the same run as without pauses', async () => {
    const spec: ModelSpec = {
      inputShape: [28, 28],
      layers: [
        { type: 'Flatten' },
        { type: 'Dense', units: 64, activation: 'relu' },
        { type: 'Dropout', rate: 0.3 },
        { type: 'BatchNormalization' },
        { type: 'Dense', units: 32, activation: 'relu' },
        { type: 'Dropout', rate: 0.2 },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    };
    const config: TrainingConfig = { ...seedModel3.config, limit: 1500, epochs: 2, batchSize: 32 };
    const tensors = tf.memory().numTensors;
    const whole = await run(spec, config, join(folder.dir, 'dropout-whole.ckpt'));
    expect(whole.result.status).toBe('completed');

    const path = join(folder.dir, 'dropout.ckpt');
    const first = await run(spec, config, path, { pauseAt: (e, b) => e === 1 && b === 17 });
    expect(first.result.status).toBe('paused');
    const paused = await readCheckpoint(path);
    expect(paused.position).toEqual({ epoch: 1, batch: 17 });
    expect(paused.dropoutCalls).toEqual([17, 17]);
    expect(paused.progress.seen).toBe(17 * 32);

    const second = await run(spec, config, path, { resumeFrom: paused, pauseAt: (e, b) => e === 2 && b === 0 });
    expect(second.result.status).toBe('paused');
    const again = await readCheckpoint(path);
    expect(again.position).toEqual({ epoch: 2, batch: 0 });

    const third = await run(spec, config, path, { resumeFrom: again });
    expect(third.result.status).toBe('completed');
    sameRun(third.result, whole.result);
    expect(third.result.baseline).toBeNull();
    // Saving and restoring leaves no tensor behind.
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('SGD with momentum and early stopping that restores the best epoch: paused, and resumed after a crash past an epoch end', async () => {
    const earlyStopping = { monitor: 'val_accuracy' as const, patience: 1, minDelta: 0.01, restoreBest: true };
    const config: TrainingConfig = {
      ...seedModel3.config,
      optimizer: 'sgd',
      momentum: 0.9,
      learningRate: 0.01,
      limit: 1500,
      epochs: 6,
      batchSize: 32,
      earlyStopping,
    };
    const tensors = tf.memory().numTensors;
    const whole = await run(seedModel3.model, config, join(folder.dir, 'sgd-whole.ckpt'));
    expect(whole.result.status).toBe('completed');
    // Settings chosen so that the run stops early and keeps an earlier epoch's weights.
    expect(whole.result.weights).toBe('best');
    expect(whole.result.stopReason).toMatch(/^stopped early/);

    const path = join(folder.dir, 'sgd.ckpt');
    const first = await run(seedModel3.model, config, path, { pauseAt: (e, b) => e === 2 && b === 20 });
    expect(first.result.status).toBe('paused');
    const paused = await readCheckpoint(path);
    expect(paused.best).not.toBeNull();
    const second = await run(seedModel3.model, config, path, { resumeFrom: paused });
    sameRun(second.result, whole.result);

    // A trainer killed after epoch 2's checkpoint: resumed from it, the epochs after are trained again, the same.
    const atEpochEnd = whole.written.find((s) => s.position.epoch === 3 && s.position.batch === 0)!;
    const crashPath = join(folder.dir, 'sgd-crash.ckpt');
    await writeCheckpoint(crashPath, atEpochEnd);
    const resumed = await run(seedModel3.model, config, crashPath, { resumeFrom: await readCheckpoint(crashPath) });
    sameRun(resumed.result, whole.result);

    // Killed after the last epoch's checkpoint: only the end of the run (restore the best, test) is left.
    const lastState = whole.written.at(-1)!;
    expect(lastState.stopped).toBe(true);
    const ending = await run(seedModel3.model, config, crashPath, { resumeFrom: lastState });
    sameRun(ending.result, whole.result);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});
