/**
 * Saving a trained model in TensorFlow.js layers format: the model.json and
 * weights.bin that tfjs-node's file:// handler writes, so
 * tf.loadLayersModel('file://…/model.json') (tfjs-node), the browser's http
 * loader, or tensorflowjs_converter read it as they read any tfjs model.
 * tfjs-node (and with it file://) is not available everywhere Layerlab runs,
 * hence this handler of our own.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';

export const MODEL_JSON_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** The model.json tfjs-node's file:// handler writes for these artifacts (same keys, same order). */
function modelJsonFor(artifacts: tf.io.ModelArtifacts): tf.io.ModelJSON {
  const topology = artifacts.modelTopology;
  if (topology == null || topology instanceof ArrayBuffer) {
    throw new Error('Only a layers model (JSON topology) can be saved, not a binary graph');
  }
  const json: tf.io.ModelJSON = {
    modelTopology: topology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
  };
  if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.signature != null) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  return json;
}

/** A sibling name in the same folder (so rename stays on one file system) that no one else uses. */
function siblingName(dir: string, what: string): string {
  return join(dirname(dir), `.${basename(dir)}.${what}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
}

/**
 * Saves `model` as `dir`/model.json + `dir`/weights.bin and returns `dir`
 * (absolute). Both files are written into a temporary sibling folder first
 * and the folder is renamed into place, so `dir` holds either a whole model
 * or nothing, whatever happens mid-save. A model already in `dir` is replaced.
 */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<string> {
  const target = resolve(dir);
  await mkdir(dirname(target), { recursive: true });
  const temp = siblingName(target, 'saving');
  await mkdir(temp);
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const json = modelJsonFor(artifacts);
        const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
        await writeFile(join(temp, MODEL_JSON_FILE), JSON.stringify(json), 'utf8');
        await writeFile(join(temp, WEIGHTS_FILE), Buffer.from(weights));
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    await moveIntoPlace(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return target;
}

/** Renames `from` to `to`; an existing `to` is moved aside first and removed once the new one is in place. */
async function moveIntoPlace(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM' && code !== 'EISDIR') throw error;
  }
  const old = siblingName(to, 'old');
  await rename(to, old);
  try {
    await rename(from, to);
  } catch (error) {
    await rename(old, to).catch(() => {});
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}
