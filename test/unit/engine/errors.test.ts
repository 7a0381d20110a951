import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/core/engine/backend';
import { failureMessage, TrainingDivergedError, TrainingSetupError } from '../../../src/core/engine/errors';
import { splitTrainValidation } from '../../../src/core/data/fashion-mnist';
import { readIdxFile } from '../../../src/core/data/idx';
import type { ImageSet } from '../../../src/core/data/types';

/** What `run` throws: the real error, from the real library. */
async function thrown(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

const images = (count: number): ImageSet => ({ count, rows: 1, cols: 1, images: new Uint8Array(count), labels: new Uint8Array(count) });

describe('the message a failed run shows', () => {
  it('shows the errors Layerlab raises on purpose as they are, whenever they happen', async () => {
    const split = await thrown(() => splitTrainValidation(images(10), { limit: 70, validationSplit: 0.2 }));
    const idx = await thrown(() => readIdxFile('/nonexistent/train-labels-idx1-ubyte.gz'));
    const setup = new TrainingSetupError('The model cannot be trained: the stack is empty');
    const diverged = new TrainingDivergedError('Training diverged at epoch 2 (batch 5 of 38): the loss became NaN.');
    for (const backend of [null, 'wasm']) {
      expect(failureMessage(split, backend)).toBe('The image limit of 70 is more than the 10 training images');
      expect(failureMessage(idx, backend)).toBe('/nonexistent/train-labels-idx1-ubyte.gz was not found');
      expect(failureMessage(setup, backend)).toBe(setup.message);
      expect(failureMessage(diverged, backend)).toBe(diverged.message);
    }
  });

  it('names a backend that cannot be used as it is', async () => {
    const previous = process.env.LAYERLAB_BACKEND;
    process.env.LAYERLAB_BACKEND = 'webgpu';
    try {
      const error = await thrown(() => selectBackend());
      expect(failureMessage(error, null)).toBe('LAYERLAB_BACKEND=webgpu is not a backend; use one of tensorflow, wasm, cpu');
    } finally {
      if (previous === undefined) delete process.env.LAYERLAB_BACKEND;
      else process.env.LAYERLAB_BACKEND = previous;
    }
  });

  it('turns TensorFlow.js running out of memory into advice, keeping the original text', async () => {
    await selectBackend('wasm');
    // 2³¹ floats: more than the wasm heap can ever hold.
    const error = await thrown(() => tf.zeros([2 ** 31]));
    expect(error).toBeInstanceOf(RangeError);
    const message = failureMessage(error, 'wasm');
    expect(message).toMatch(
      /^Training ran out of memory on the wasm backend \(.+\)\. Try a smaller batch size or a network with fewer parameters\.$/,
    );
    expect(message).toContain((error as Error).message);
    // Emscripten's abort throws a bare string.
    expect(failureMessage('Aborted(OOM)', 'wasm')).toMatch(/^Training ran out of memory on the wasm backend \(Aborted\(OOM\)\)/);
  });

  it('says any other TensorFlow.js failure happened inside TensorFlow.js, on which backend, with its own words', async () => {
    await selectBackend('wasm');
    const shapes = await thrown(() => tf.matMul(tf.zeros([1, 2]), tf.zeros([3, 1])));
    expect(failureMessage(shapes, 'wasm')).toBe(`Training failed inside TensorFlow.js (wasm): ${(shapes as Error).message}`);
    expect((shapes as Error).message).toMatch(/inner shapes/);

    const recurse = (n: number): number => recurse(n + 1) + 1;
    const overflow = await thrown(() => recurse(0));
    expect(overflow).toBeInstanceOf(RangeError);
    expect(failureMessage(overflow, 'cpu')).toBe('Training failed inside TensorFlow.js (cpu): Maximum call stack size exceeded');
  });

  it('never passes a RangeError off as a message for the user', async () => {
    const error = await thrown(() => new Array(-1));
    expect(error).toBeInstanceOf(RangeError);
    expect(failureMessage(error, null)).toBe('Training stopped on an unexpected error: Invalid array length');
    expect(failureMessage(error, 'wasm')).toBe('Training failed inside TensorFlow.js (wasm): Invalid array length');
  });
});
