import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, makeOptimizer } from '../../../src/core/engine/build-model';
import { selectBackend } from '../../../src/core/engine/backend';
import { collectProvenance } from '../../../src/core/engine/provenance';
import { gitCommitOf } from '../../../src/core/git-commit';
import type { TrainJob } from '../../../src/core/engine/protocol';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { DEFAULT_CONFIG, type TrainingConfig } from '../../../src/shared/model/training-config';
import { tempDir } from '../../helpers';

const MODEL: ModelSpec = {
  inputShape: [28, 28],
  layers: [
    { type: 'Flatten' },
    { type: 'Dense', units: 8, activation: 'relu', kernelInitializer: 'he_normal', kernelRegularizer: { l1: 0, l2: 0.01 } },
    { type: 'BatchNormalization' },
    { type: 'Dropout', rate: 0.25 },
    { type: 'Dense', units: 10, activation: 'softmax', useBias: false },
  ],
};

const job = (config: Partial<TrainingConfig>, app?: TrainJob['app']): TrainJob => ({
  runId: 1,
  model: MODEL,
  config: { ...DEFAULT_CONFIG, ...config },
  datasetFolder: '/nowhere',
  app,
});

let cleanups: (() => void)[] = [];
afterEach(() => {
  cleanups.forEach((c) => c());
  cleanups = [];
});
const temp = () => {
  const t = tempDir('layerlab-provenance-');
  cleanups.push(t.cleanup);
  return t.dir;
};

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('collectProvenance', () => {
  it('records the app, the dataset files by checksum, the loss, every layer as built and the machine', async () => {
    const dir = temp();
    const a = join(dir, 'train-images-idx3-ubyte.gz');
    const b = join(dir, 'train-labels-idx1-ubyte.gz');
    writeFileSync(a, Buffer.alloc(200_000, 7));
    writeFileSync(b, 'labels');
    const config = { optimizer: 'adam' as const, learningRate: 0.002, seed: 5 };
    const model = buildModel(MODEL, 5);
    const p = await collectProvenance({
      job: job(config, { version: '9.9.9', gitCommit: 'a'.repeat(40) }),
      model,
      optimizer: makeOptimizer({ ...DEFAULT_CONFIG, ...config }),
      backend: 'cpu',
      datasetFiles: [a, b],
    });
    model.dispose();

    expect(p.appVersion).toBe('9.9.9');
    expect(p.gitCommit).toBe('a'.repeat(40));
    expect(p.datasetFiles).toEqual([
      { file: 'train-images-idx3-ubyte.gz', sha256: createHash('sha256').update(readFileSync(a)).digest('hex') },
      { file: 'train-labels-idx1-ubyte.gz', sha256: createHash('sha256').update('labels').digest('hex') },
    ]);
    expect(p.optimizer).toMatchObject({ name: 'adam', learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(p.loss).toBe('categorical_crossentropy');

    expect(p.layers.map((l) => l.name)).toEqual(['Flatten 1', 'Dense 2 (relu)', 'BatchNormalization 3', 'Dropout 4', 'Dense 5 (softmax)']);
    expect(p.layers[1]).toMatchObject({ index: 1, kernelInitializer: 'he_normal', biasInitializer: 'zeros' });
    expect(p.layers[1].extra).toMatchObject({ kernelRegularizer: { l1: 0, l2: 0.01 }, seed: 6, useBias: true });
    // The default written out, and no bias initializer where there is no bias.
    expect(p.layers[4]).toMatchObject({ kernelInitializer: 'glorot_uniform', biasInitializer: null });
    expect(p.layers[2].extra).toMatchObject({ momentum: 0.99, epsilon: 0.001 });
    expect(p.layers[3].extra).toMatchObject({ rate: 0.25, seed: 8 });

    expect(p.machine).toEqual({
      os: `${os.type()} ${os.release()}`,
      ramBytes: os.totalmem(),
      cpus: expect.stringContaining('×'),
      threads: 1,
      simd: null,
    });
    expect(p.peakRssBytes).toBeNull();
  });

  it('writes out every hyperparameter of each optimizer, the same whether built or derived from the settings', async () => {
    const configs: Partial<TrainingConfig>[] = [
      { optimizer: 'sgd', learningRate: 0.1, momentum: 0 },
      { optimizer: 'sgd', learningRate: 0.1, momentum: 0.9 },
      { optimizer: 'rmsprop', learningRate: 0.001 },
      { optimizer: 'adagrad', learningRate: 0.01 },
      { optimizer: 'adam', learningRate: 0.001 },
    ];
    const model = buildModel(MODEL, 1);
    const seen = [];
    for (const config of configs) {
      const built = await collectProvenance({
        job: job(config),
        model,
        optimizer: makeOptimizer({ ...DEFAULT_CONFIG, ...config }),
        backend: 'cpu',
        datasetFiles: [],
      });
      const derived = await collectProvenance({ job: job(config), model, optimizer: null, backend: 'cpu', datasetFiles: [] });
      expect(derived.optimizer).toEqual(built.optimizer);
      seen.push(built.optimizer);
    }
    model.dispose();
    expect(seen[0]).toMatchObject({ name: 'sgd', learningRate: 0.1, momentum: 0, nesterov: false });
    expect(seen[1]).toMatchObject({ name: 'sgd', momentum: 0.9 });
    expect(seen[2]).toMatchObject({ name: 'rmsprop', rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
    expect(seen[3]).toMatchObject({ name: 'adagrad', initialAccumulatorValue: 0.1 });
    expect(seen[4]).toMatchObject({ name: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    // Without a git checkout behind it, no commit and the version is still there.
    const other = buildModel(MODEL, 1);
    const p = await collectProvenance({ job: job({}), model: other, optimizer: null, backend: 'tensorflow', datasetFiles: [] });
    other.dispose();
    expect(p).toMatchObject({ appVersion: 'unknown', gitCommit: null, machine: { threads: null, simd: null } });
  });

  it('refuses in words a dataset file it cannot read', async () => {
    const model = buildModel(MODEL, 1);
    await expect(
      collectProvenance({ job: job({}), model, optimizer: null, backend: 'cpu', datasetFiles: [join(temp(), 'missing.gz')] }),
    ).rejects.toThrow(/Could not read .*missing\.gz/);
    model.dispose();
  });

  it('keeps the optimizer state untouched (reading its config costs no tensors)', async () => {
    const model = buildModel(MODEL, 1);
    const before = tf.memory().numTensors;
    await collectProvenance({ job: job({}), model, optimizer: makeOptimizer(DEFAULT_CONFIG), backend: 'cpu', datasetFiles: [] });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('on the wasm backend', () => {
  it('records its thread count and whether SIMD is on', async () => {
    await selectBackend('wasm');
    try {
      const model = buildModel(MODEL, 1);
      const p = await collectProvenance({ job: job({}), model, optimizer: null, backend: tf.getBackend(), datasetFiles: [] });
      model.dispose();
      expect(tf.getBackend()).toBe('wasm');
      expect(p.machine.threads).toBeGreaterThanOrEqual(1);
      expect(typeof p.machine.simd).toBe('boolean');
    } finally {
      await selectBackend('cpu');
    }
  });
});

describe('gitCommitOf', () => {
  const A = '0123456789abcdef0123456789abcdef01234567';
  const B = 'fedcba9876543210fedcba9876543210fedcba98';

  it('follows HEAD to a loose ref', () => {
    const dir = temp();
    mkdirSync(join(dir, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), `${A}\n`);
    expect(gitCommitOf(dir)).toBe(A);
  });

  it('finds a packed ref, and a detached HEAD', () => {
    const dir = temp();
    mkdirSync(join(dir, '.git'), { recursive: true });
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/feature/x\n');
    writeFileSync(
      join(dir, '.git', 'packed-refs'),
      `# pack-refs with: peeled fully-peeled sorted\n${B} refs/heads/feature/x\n${A} refs/heads/main\n`,
    );
    expect(gitCommitOf(dir)).toBe(B);
    writeFileSync(join(dir, '.git', 'HEAD'), `${A}\n`);
    expect(gitCommitOf(dir)).toBe(A);
  });

  it('follows a .git file to a worktree and its common refs', () => {
    const dir = temp();
    const common = join(dir, 'repo', '.git');
    const wt = join(common, 'worktrees', 'wt');
    mkdirSync(join(common, 'refs', 'heads'), { recursive: true });
    mkdirSync(wt, { recursive: true });
    mkdirSync(join(dir, 'checkout'));
    writeFileSync(join(common, 'refs', 'heads', 'topic'), `${B}\n`);
    writeFileSync(join(wt, 'HEAD'), 'ref: refs/heads/topic\n');
    writeFileSync(join(wt, 'commondir'), '../..\n');
    writeFileSync(join(dir, 'checkout', '.git'), `gitdir: ${wt}\n`);
    expect(gitCommitOf(join(dir, 'checkout'))).toBe(B);
  });

  it('is null without a checkout, for an unborn branch, or a damaged HEAD', () => {
    const dir = temp();
    expect(gitCommitOf(dir)).toBeNull();
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    expect(gitCommitOf(dir)).toBeNull();
    writeFileSync(join(dir, '.git', 'HEAD'), 'garbage');
    expect(gitCommitOf(dir)).toBeNull();
    expect(gitCommitOf(join(dir, 'does-not-exist'))).toBeNull();
  });
});
