/**
 * A completed run's saved model, read back from its folder and run over a whole
 * split: the class probabilities of every image, for the evaluation the main
 * side caches. tfjs's file:// loader needs tfjs-node, which is not everywhere
 * Layerlab runs, hence the small IOHandler here (the reading half of save-model.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { pixelFloats } from '../data/pixels';
import type { ImageSet } from '../data/types';
import { classCount, forwardPass, sampleShape } from './forward';
import { MODEL_JSON_FILE } from './save-model';

/** Images per forward pass: the same chunk as the test evaluation after training, so the arithmetic is the same. */
const PREDICT_CHUNK = 1000;

/** The model in `dir` cannot be read; the message is for the user. */
export class ModelFileError extends Error {
  override name = 'TrainingSetupError';
}

/** Loads model.json and the weight files it names from `dir` (what saveModel writes). */
export function modelFolderHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(join(dir, MODEL_JSON_FILE), 'utf8')) as tf.io.ModelJSON;
      if (json.modelTopology == null) throw new Error(`${MODEL_JSON_FILE} has no modelTopology`);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers: Buffer[] = [];
        for (const group of manifest) for (const path of group.paths) buffers.push(await readFile(join(dir, path)));
        const all = Buffer.concat(buffers);
        return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
      });
    },
  };
}

/** The run's saved model, or a ModelFileError saying what is wrong with its files. */
export async function loadSavedModel(runId: number, dir: string): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(modelFolderHandler(dir));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ModelFileError(
      `Run #${runId}'s model could not be read (${join(dir, MODEL_JSON_FILE)}: ${reason}); evaluation needs the trained model`,
    );
  }
}

/**
 * The class probabilities of every image of `set` (n × the model's output units, row-major), in inference
 * mode through the same forward pass as training's evaluation: the softmax of its logits.
 */
export async function predictProbabilities(model: tf.LayersModel, set: ImageSet, chunk = PREDICT_CHUNK): Promise<Float32Array> {
  const shape = sampleShape(model, set);
  const forward = forwardPass(model);
  const classes = classCount(model);
  const probabilities = new Float32Array(set.count * classes);
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    const out = tf.tidy(() => {
      const x = tf.tensor(pixelFloats(set, start, start + n), [n, ...shape]);
      const pass = forward(x, false);
      return pass.logits ? tf.softmax(pass.output) : pass.output;
    });
    const values = (await out.data()) as Float32Array;
    out.dispose();
    if (values.length !== n * classes) {
      throw new ModelFileError(`The model gives ${values.length / n} outputs per image; evaluation needs ${classes} class probabilities`);
    }
    probabilities.set(values, start * classes);
    // Keep the process responsive (IPC) during a long evaluation.
    await new Promise((r) => setImmediate(r));
  }
  return probabilities;
}
