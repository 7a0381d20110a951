import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../../src/core/engine/build-model';
import {
  type CheckpointState,
  checkCheckpointFits,
  encodeCheckpoint,
  readCheckpoint,
  tensorData,
  writeCheckpoint,
} from '../../../src/core/engine/checkpoint';
import type { ModelSpec } from '../../../src/shared/model/model-spec';
import { DEFAULT_CONFIG } from '../../../src/shared/model/training-config';
import { tempDir } from '../../helpers';

const spec: ModelSpec = {
  inputShape: [4, 4],
  layers: [
    { type: 'Flatten' },
    { type: 'Dense', units: 3, activation: 'relu' },
    { type: 'BatchNormalization' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};
const config = { ...DEFAULT_CONFIG, batchSize: 8 };

let folder: { dir: string; cleanup: () => void } | null = null;
afterEach(() => folder?.cleanup());

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function stateOf(model: tf.LayersModel): Promise<CheckpointState> {
  return {
    position: { epoch: 2, batch: 5 },
    epochs: [{ epoch: 1, loss: 1.5, accuracy: 0.25, valLoss: 1.25, valAccuracy: 0.5, seconds: 3.5, cpuSeconds: 6.25 }],
    progress: { lossSum: 0.1 + 0.2, correct: 7, seen: 40, seconds: 1.5, cpuSeconds: 2.5 },
    stopped: false,
    stopReason: null,
    stopper: { best: null, wait: 1, bestEpoch: null },
    dropoutCalls: [],
    optimizer: 'adam',
    seed: config.seed,
    batchSize: 8,
    trainCount: 100,
    adamAccumulators: [Math.fround(0.9 ** 3), Math.fround(0.999 ** 3)],
    weights: await Promise.all(model.weights.map((w) => tensorData(w.originalName, w.read()))),
    optimizerWeights: [await tensorData('iter', tf.scalar(12, 'int32'))],
    best: null,
  };
}

describe('checkpoint files', () => {
  it('round-trips every number exactly, weights of every layer included (BatchNormalization moving statistics too)', async () => {
    folder = tempDir();
    const model = buildModel(spec, 7);
    const state = await stateOf(model);
    const path = join(folder.dir, 'run.ckpt');
    await writeCheckpoint(path, state);
    expect(existsSync(`${path}.tmp`)).toBe(false);
    const read = await readCheckpoint(path);
    expect(read).toEqual(state);
    expect(read.progress.lossSum).toBe(0.1 + 0.2);
    expect(read.weights.map((w) => w.name)).toContain(model.weights.find((w) => w.name.includes('moving_mean'))!.originalName);
    expect(readFileSync(path).subarray(0, 4).toString()).toBe('LLCK');
    model.dispose();
  });

  it('a leftover temporary file from an interrupted write neither breaks reading nor the next write', async () => {
    folder = tempDir();
    const model = buildModel(spec, 7);
    const state = await stateOf(model);
    const path = join(folder.dir, 'run.ckpt');
    await writeCheckpoint(path, state);
    writeFileSync(`${path}.tmp`, 'half a checkpoint');
    expect((await readCheckpoint(path)).position).toEqual({ epoch: 2, batch: 5 });
    await writeCheckpoint(path, { ...state, position: { epoch: 3, batch: 0 } });
    expect((await readCheckpoint(path)).position).toEqual({ epoch: 3, batch: 0 });
    expect(existsSync(`${path}.tmp`)).toBe(false);
    model.dispose();
  });

  it('refuses a truncated, damaged, foreign or newer file with a message naming it', async () => {
    folder = tempDir();
    const model = buildModel(spec, 7);
    const bytes = encodeCheckpoint(await stateOf(model));
    const path = join(folder.dir, 'run.ckpt');

    writeFileSync(path, bytes.subarray(0, bytes.length - 10));
    await expect(readCheckpoint(path)).rejects.toThrow(`The checkpoint ${path} is truncated (${bytes.length - 10} of ${bytes.length} bytes)`);

    const flipped = Buffer.from(bytes);
    flipped[60] ^= 1;
    writeFileSync(path, flipped);
    await expect(readCheckpoint(path)).rejects.toThrow(`The checkpoint ${path} is damaged (its checksum does not match its contents)`);

    writeFileSync(path, '{"position": {"epoch": 1}}');
    await expect(readCheckpoint(path)).rejects.toThrow(`${path} is not a Layerlab checkpoint`);

    const newer = Buffer.from(bytes);
    newer.writeUInt32LE(2, 4);
    writeFileSync(path, newer);
    await expect(readCheckpoint(path)).rejects.toThrow(/was written by a newer Layerlab \(format 2; this version reads format 1\)/);

    await expect(readCheckpoint(join(folder.dir, 'none.ckpt'))).rejects.toThrow(/its checkpoint .*none\.ckpt does not exist/);
    model.dispose();
  });

  it('refuses a checkpoint of another network, or of the same network with other settings', async () => {
    const model = buildModel(spec, 7);
    const state = await stateOf(model);
    expect(() => checkCheckpointFits(state, model, config, 100)).not.toThrow();
    const wider = buildModel({ ...spec, layers: spec.layers.map((l) => (l.type === 'Dense' && l.units === 3 ? { ...l, units: 5 } : l)) }, 7);
    expect(() => checkCheckpointFits(state, wider, config, 100)).toThrow(
      /^The checkpoint does not belong to this network: weight 1 \(.*kernel\) is \[16, 5\] in the network and \[16, 3\] in the checkpoint$/,
    );
    const shorter = buildModel({ ...spec, layers: spec.layers.filter((l) => l.type !== 'BatchNormalization') }, 7);
    expect(() => checkCheckpointFits(state, shorter, config, 100)).toThrow(
      /^The checkpoint does not belong to this network: it holds 8 weight tensors and the network has 4$/,
    );
    expect(() => checkCheckpointFits(state, model, { ...config, batchSize: 16 }, 100)).toThrow(/other settings \(batch size 8, not 16\)/);
    for (const m of [model, wider, shorter]) m.dispose();
  });
});
