import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/engine/backend';

const saved = process.env.LAYERLAB_BACKEND;

afterEach(() => {
  if (saved === undefined) delete process.env.LAYERLAB_BACKEND;
  else process.env.LAYERLAB_BACKEND = saved;
});

/** tfjs-node is an optional dependency that this machine may or may not have. */
async function hasTfjsNode(): Promise<boolean> {
  const name = '@tensorflow/tfjs-node';
  return import(name).then(
    () => true,
    () => false,
  );
}

// Known before the tests are collected, so a test that cannot apply here is reported skipped, not passed.
const tfjsNode = await hasTfjsNode();

describe('selectBackend', () => {
  it('picks the fastest backend available and records the one tfjs really runs on, with versions', async () => {
    delete process.env.LAYERLAB_BACKEND;
    const selected = await selectBackend();
    expect(selected.backend).toBe(tfjsNode ? 'tensorflow' : 'wasm');
    expect(selected.backend).toBe(tf.getBackend());
    expect(selected.versions).toMatchObject({
      'tfjs-core': tf.version_core,
      'tfjs-layers': tf.version_layers,
      node: process.versions.node,
    });
    expect(selected.versions[tfjsNode ? 'tfjs-node' : 'tfjs-backend-wasm']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('runs the wasm backend from its .wasm file, computing real numbers', async () => {
    const { backend } = await selectBackend('wasm');
    expect(backend).toBe('wasm');
    const product = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(product.dataSync())).toEqual([11]);
  });

  it('obeys LAYERLAB_BACKEND', async () => {
    process.env.LAYERLAB_BACKEND = 'cpu';
    const selected = await selectBackend();
    expect(selected.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(selected.versions['tfjs-backend-cpu']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('refuses an unknown LAYERLAB_BACKEND, naming the valid ones', async () => {
    process.env.LAYERLAB_BACKEND = 'webgpu';
    await expect(selectBackend()).rejects.toThrow(/LAYERLAB_BACKEND=webgpu .*tensorflow, wasm, cpu/);
  });

  it.skipIf(tfjsNode)('fails loudly, not quietly elsewhere, when a forced backend is missing (here: tfjs-node)', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(/@tensorflow\/tfjs-node.*not installed/);
  });

  it.runIf(tfjsNode)('runs native TensorFlow when forced and tfjs-node is installed', async () => {
    const selected = await selectBackend('tensorflow');
    expect(selected.backend).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(Array.from(tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync())).toEqual([4, 6]);
  });
});
