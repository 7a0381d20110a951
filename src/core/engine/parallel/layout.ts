/**
 * The memory the trainer's main thread and its helper thread share while they
 * train one model together (see data-parallel.ts): a few control words, the
 * weights the main thread broadcasts before every step, the gradient and the
 * half batch the helper works on, and room for an error message.
 */

/** Indices into the Int32 control words. */
export const CTRL = {
  /** Raised by the main thread for every job it posts (the helper waits on it). */
  job: 0,
  /** Set to the job's number by the helper when it is done (the main thread waits on it). */
  done: 1,
  /** What to do: STEP or QUIT. */
  kind: 2,
  /** Images in the helper's part of the batch. */
  rows: 3,
  /** 0 when the job went well, 1 when it failed (the message is in the error bytes). */
  status: 4,
  /** How many of the helper's images the model classified correctly. */
  correct: 5,
  /** Length in bytes of the error message. */
  errorLength: 6,
} as const;
const CTRL_WORDS = 16;

export const JOB_STEP = 1;
export const JOB_QUIT = 2;

const ERROR_BYTES = 2048;

export interface LayoutSizes {
  /** The number of values in each trainable variable, in the model's order. */
  variableSizes: number[];
  /** The most images the helper is given in one step. */
  maxRows: number;
  /** Values per image. */
  pixels: number;
  classes: number;
}

/** Views of one shared buffer; both threads build the same views from the same sizes. */
export interface SharedViews {
  buffer: SharedArrayBuffer;
  ctrl: Int32Array;
  /** [the helper's loss on its part of the batch]. */
  loss: Float64Array;
  weights: Float32Array;
  grads: Float32Array;
  x: Float32Array;
  y: Float32Array;
  error: Uint8Array;
  /** Where each variable starts in weights and grads. */
  offsets: number[];
}

export function parameterCount(sizes: LayoutSizes): number {
  return sizes.variableSizes.reduce((a, b) => a + b, 0);
}

function byteLength(sizes: LayoutSizes): number {
  const floats = 2 * parameterCount(sizes) + sizes.maxRows * (sizes.pixels + sizes.classes);
  return CTRL_WORDS * 4 + 8 + floats * 4 + ERROR_BYTES;
}

export function allocateShared(sizes: LayoutSizes): SharedViews {
  return viewsOf(new SharedArrayBuffer(byteLength(sizes)), sizes);
}

export function viewsOf(buffer: SharedArrayBuffer, sizes: LayoutSizes): SharedViews {
  const params = parameterCount(sizes);
  let at = 0;
  const take = (bytes: number) => {
    const start = at;
    at += bytes;
    return start;
  };
  const ctrl = new Int32Array(buffer, take(CTRL_WORDS * 4), CTRL_WORDS);
  const loss = new Float64Array(buffer, take(8), 1);
  const weights = new Float32Array(buffer, take(params * 4), params);
  const grads = new Float32Array(buffer, take(params * 4), params);
  const x = new Float32Array(buffer, take(sizes.maxRows * sizes.pixels * 4), sizes.maxRows * sizes.pixels);
  const y = new Float32Array(buffer, take(sizes.maxRows * sizes.classes * 4), sizes.maxRows * sizes.classes);
  const error = new Uint8Array(buffer, take(ERROR_BYTES), ERROR_BYTES);
  const offsets: number[] = [];
  let offset = 0;
  for (const size of sizes.variableSizes) {
    offsets.push(offset);
    offset += size;
  }
  return { buffer, ctrl, loss, weights, grads, x, y, error, offsets };
}

/** Leaves a message for the other thread (cut to fit). */
export function writeError(views: SharedViews, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, views.error.length);
  views.error.set(bytes);
  Atomics.store(views.ctrl, CTRL.errorLength, bytes.length);
}

export function readError(views: SharedViews): string {
  const length = Atomics.load(views.ctrl, CTRL.errorLength);
  // TextDecoder refuses views of shared memory: copy first.
  return new TextDecoder().decode(views.error.slice(0, length));
}
