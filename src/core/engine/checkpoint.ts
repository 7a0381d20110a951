/**
 * A run's checkpoint: everything training needs to continue exactly where it
 * stopped, in a new trainer process, with the same numbers as a run that never
 * stopped. One file, written atomically:
 *
 *   bytes 0–3    "LLCK"
 *   bytes 4–7    format version (uint32, little-endian)
 *   bytes 8–11   length of the JSON section in bytes (uint32)
 *   bytes 12–19  length of the binary section in bytes (uint64)
 *   bytes 20–51  SHA-256 of the JSON and binary sections
 *   then the JSON section (UTF-8) and the binary section (the tensors' values,
 *   little-endian, at the byte offsets the JSON lists).
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { CheckpointPosition, EpochMetrics } from '../../shared/contract/runs';
import type { TrainingConfig } from '../../shared/model/training-config';
import { TrainingSetupError } from './errors';

export const CHECKPOINT_MAGIC = 'LLCK';
export const CHECKPOINT_VERSION = 1;
const HEADER_BYTES = 52;

export type CheckpointDtype = 'float32' | 'int32';

/** One tensor's values, copied out of TensorFlow.js. */
export interface TensorData {
  name: string;
  shape: number[];
  dtype: CheckpointDtype;
  values: Float32Array | Int32Array;
}

/** EarlyStopper's state; `best` is null while nothing has improved yet (±Infinity, which JSON cannot hold). */
export interface StopperState {
  best: number | null;
  wait: number;
  bestEpoch: number | null;
}

/** Where an unfinished epoch stands: what its figures are made of so far. */
export interface EpochProgress {
  /** Sum over the batches done of (batch loss × images in the batch). */
  lossSum: number;
  correct: number;
  seen: number;
  /** Wall-clock and CPU seconds the epoch has taken so far (summed over every process that trained it). */
  seconds: number;
  cpuSeconds: number;
}

export interface CheckpointState {
  /**
   * Continue epoch `epoch` (1-based) having done `batch` of its batches. An epoch's end
   * is {epoch: e + 1, batch: 0}; past the last epoch means only the test evaluation is left.
   */
  position: CheckpointPosition;
  /** Every epoch completed before `position`, in order (the run's history so far). */
  epochs: EpochMetrics[];
  /** The figures of epoch `position.epoch` so far (zeros when batch is 0). */
  progress: EpochProgress;
  /** Early stopping ended training at the last completed epoch: only the end of the run is left. */
  stopped: boolean;
  stopReason: string | null;
  stopper: StopperState | null;
  /** The number of training calls each Dropout layer has made (it seeds the next mask), in layer order. */
  dropoutCalls: number[];
  /** What the run was trained with; a resume with other settings is refused. */
  optimizer: TrainingConfig['optimizer'];
  seed: number;
  batchSize: number;
  trainCount: number;
  /** FastAdam's β1ᵗ and β2ᵗ exactly as training multiplied them; null for other optimizers. */
  adamAccumulators: [number, number] | null;
  /** Every weight of the model (non-trainable ones too, as BatchNormalization's moving statistics), in model.weights order. */
  weights: TensorData[];
  /** The optimizer's getWeights(): iterations first, then its slots, in its order. */
  optimizerWeights: TensorData[];
  /** The best epoch's copy of every weight, when early stopping keeps one. */
  best: TensorData[] | null;
}

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: CheckpointDtype;
  offset: number;
  bytes: number;
}

type JsonState = Omit<CheckpointState, 'weights' | 'optimizerWeights' | 'best'> & {
  weights: TensorEntry[];
  optimizerWeights: TensorEntry[];
  best: TensorEntry[] | null;
};

/** A copy of a tensor's values (float32 or int32). */
export async function tensorData(name: string, tensor: tf.Tensor): Promise<TensorData> {
  if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') {
    throw new TrainingSetupError(`A checkpoint holds float32 and int32 tensors only (${name} is ${tensor.dtype})`);
  }
  const data = await tensor.data();
  const values = tensor.dtype === 'float32' ? Float32Array.from(data as Float32Array) : Int32Array.from(data as Int32Array);
  return { name, shape: tensor.shape.slice(), dtype: tensor.dtype, values };
}

/** A new tensor with the saved values; the caller disposes it. */
export const toTensor = (t: TensorData): tf.Tensor => tf.tensor(t.values, t.shape, t.dtype);

function layout(list: TensorData[] | null, at: { offset: number }): TensorEntry[] | null {
  if (list === null) return null;
  return list.map((t) => {
    const entry = { name: t.name, shape: t.shape, dtype: t.dtype, offset: at.offset, bytes: t.values.byteLength };
    at.offset += t.values.byteLength;
    return entry;
  });
}

/** The file's bytes for a state. */
export function encodeCheckpoint(state: CheckpointState): Buffer {
  const at = { offset: 0 };
  const json: JsonState = {
    ...state,
    weights: layout(state.weights, at)!,
    optimizerWeights: layout(state.optimizerWeights, at)!,
    best: layout(state.best, at),
  };
  const binary = Buffer.alloc(at.offset);
  let offset = 0;
  for (const t of [...state.weights, ...state.optimizerWeights, ...(state.best ?? [])]) {
    const bytes = Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength);
    // Typed arrays are little-endian on every platform Node runs on that Layerlab supports.
    bytes.copy(binary, offset);
    offset += bytes.length;
  }
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(CHECKPOINT_MAGIC, 0, 'latin1');
  header.writeUInt32LE(CHECKPOINT_VERSION, 4);
  header.writeUInt32LE(text.length, 8);
  header.writeBigUInt64LE(BigInt(binary.length), 12);
  createHash('sha256').update(text).update(binary).digest().copy(header, 20);
  return Buffer.concat([header, text, binary]);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function entriesValid(list: unknown, binaryBytes: number): list is TensorEntry[] {
  return (
    Array.isArray(list) &&
    list.every((e: Partial<TensorEntry>) => {
      if (typeof e?.name !== 'string' || !Array.isArray(e.shape) || !e.shape.every(isCount)) return false;
      if ((e.dtype !== 'float32' && e.dtype !== 'int32') || !isCount(e.offset) || !isCount(e.bytes)) return false;
      const size = e.shape.reduce((a, b) => a * b, 1);
      return e.bytes === size * 4 && e.offset % 4 === 0 && e.offset + e.bytes <= binaryBytes;
    })
  );
}

function stateValid(s: Partial<JsonState>, binaryBytes: number): s is JsonState {
  const p = s.progress;
  return (
    isCount(s.position?.epoch) &&
    s.position.epoch >= 1 &&
    isCount(s.position.batch) &&
    Array.isArray(s.epochs) &&
    p != null &&
    isNumber(p.lossSum) &&
    isCount(p.correct) &&
    isCount(p.seen) &&
    isNumber(p.seconds) &&
    isNumber(p.cpuSeconds) &&
    typeof s.stopped === 'boolean' &&
    Array.isArray(s.dropoutCalls) &&
    s.dropoutCalls.every(isCount) &&
    typeof s.optimizer === 'string' &&
    isNumber(s.seed) &&
    isCount(s.batchSize) &&
    isCount(s.trainCount) &&
    entriesValid(s.weights, binaryBytes) &&
    entriesValid(s.optimizerWeights, binaryBytes) &&
    (s.best === null || entriesValid(s.best, binaryBytes))
  );
}

/** The state a file's bytes hold; `where` names the file in the messages. */
export function decodeCheckpoint(file: Buffer, where: string): CheckpointState {
  if (file.length < 4 || file.toString('latin1', 0, 4) !== CHECKPOINT_MAGIC) {
    throw new TrainingSetupError(`${where} is not a Layerlab checkpoint`);
  }
  if (file.length < HEADER_BYTES) throw new TrainingSetupError(`The checkpoint ${where} is truncated (${file.length} bytes)`);
  const version = file.readUInt32LE(4);
  if (version > CHECKPOINT_VERSION) {
    throw new TrainingSetupError(
      `The checkpoint ${where} was written by a newer Layerlab (format ${version}; this version reads format ${CHECKPOINT_VERSION}); update Layerlab to resume it`,
    );
  }
  if (version < 1) throw new TrainingSetupError(`${where} is not a Layerlab checkpoint (format ${version})`);
  const textBytes = file.readUInt32LE(8);
  const binaryBytes = Number(file.readBigUInt64LE(12));
  const expected = HEADER_BYTES + textBytes + binaryBytes;
  if (file.length < expected) throw new TrainingSetupError(`The checkpoint ${where} is truncated (${file.length} of ${expected} bytes)`);
  if (file.length > expected)
    throw new TrainingSetupError(`The checkpoint ${where} is damaged (${file.length - expected} unexpected bytes at its end)`);
  const text = file.subarray(HEADER_BYTES, HEADER_BYTES + textBytes);
  const binary = file.subarray(HEADER_BYTES + textBytes);
  const digest = createHash('sha256').update(text).update(binary).digest();
  if (!digest.equals(file.subarray(20, HEADER_BYTES)))
    throw new TrainingSetupError(`The checkpoint ${where} is damaged (its checksum does not match its contents)`);

  let json: Partial<JsonState>;
  try {
    json = JSON.parse(text.toString('utf8')) as Partial<JsonState>;
  } catch {
    throw new TrainingSetupError(`The checkpoint ${where} is damaged (its description is not valid JSON)`);
  }
  if (!stateValid(json, binaryBytes)) throw new TrainingSetupError(`The checkpoint ${where} is damaged (its description is incomplete)`);

  // Copied out, so every array is aligned and owns its memory.
  const values = (e: TensorEntry): TensorData => {
    const bytes = Uint8Array.from(binary.subarray(e.offset, e.offset + e.bytes));
    return {
      name: e.name,
      shape: e.shape,
      dtype: e.dtype,
      values: e.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer),
    };
  };
  return { ...json, weights: json.weights.map(values), optimizerWeights: json.optimizerWeights.map(values), best: json.best?.map(values) ?? null };
}

/**
 * Writes the checkpoint so that `path` always holds a whole one: the bytes go to
 * `<path>.tmp`, are flushed to disk, and the file is renamed over `path` (then
 * the folder is flushed, where the platform allows it). A crash at any moment
 * leaves the previous checkpoint or the new one, never a mix.
 */
export async function writeCheckpoint(path: string, state: CheckpointState): Promise<void> {
  const bytes = encodeCheckpoint(state);
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  try {
    const folder = await open(dirname(path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    // Windows cannot open a folder to flush it; the rename is as durable as the platform makes it.
  }
}

/** Reads and checks a checkpoint file (a leftover `<path>.tmp` from an interrupted write is ignored). */
export async function readCheckpoint(path: string): Promise<CheckpointState> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TrainingSetupError(`The run cannot be resumed: its checkpoint ${path} does not exist`);
    throw new TrainingSetupError(`The run cannot be resumed: its checkpoint ${path} cannot be read (${(error as Error).message})`);
  }
  return decodeCheckpoint(file, path);
}

const shapeText = (shape: readonly (number | null)[]): string => `[${shape.join(', ')}]`;

/**
 * Refuses a checkpoint written for another network or other settings: every
 * weight must have the shape the model's weight at its position has.
 */
export function checkCheckpointFits(
  state: CheckpointState,
  model: tf.LayersModel,
  config: Pick<TrainingConfig, 'optimizer' | 'seed' | 'batchSize'>,
  trainCount: number,
): void {
  const weights = model.weights;
  const foreign = 'The checkpoint does not belong to this network';
  if (state.weights.length !== weights.length) {
    throw new TrainingSetupError(`${foreign}: it holds ${state.weights.length} weight tensors and the network has ${weights.length}`);
  }
  weights.forEach((w, i) => {
    const saved = state.weights[i];
    if (saved.shape.length !== w.shape.length || saved.shape.some((d, k) => d !== w.shape[k])) {
      throw new TrainingSetupError(
        `${foreign}: weight ${i + 1} (${w.originalName}) is ${shapeText(w.shape)} in the network and ${shapeText(saved.shape)} in the checkpoint`,
      );
    }
  });
  if (state.best && state.best.length !== weights.length) throw new TrainingSetupError(`${foreign}: its best-epoch weights do not match the network`);
  const settings: string[] = [];
  if (state.optimizer !== config.optimizer) settings.push(`optimizer ${state.optimizer}, not ${config.optimizer}`);
  if (state.seed !== config.seed) settings.push(`seed ${state.seed}, not ${config.seed}`);
  if (state.batchSize !== config.batchSize) settings.push(`batch size ${state.batchSize}, not ${config.batchSize}`);
  if (state.trainCount !== trainCount) settings.push(`${state.trainCount} training images, not ${trainCount}`);
  if (settings.length > 0)
    throw new TrainingSetupError(`The checkpoint was written by a run with other settings (${settings.join('; ')}); it cannot be resumed with these`);
}
