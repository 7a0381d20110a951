/**
 * Why training stopped, in words for the user. Errors Layerlab raises on
 * purpose carry their own message; anything else comes from deep inside
 * TensorFlow.js (or Node) and its text was never meant for the user.
 */

/** What was asked cannot be trained here (the network, the settings or the backend); the message is for the user. */
export class TrainingSetupError extends Error {
  override name = 'TrainingSetupError';
}

/** The loss became NaN or Infinity; the message says where and what to change. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

/**
 * Errors whose messages were written for the user, by name: the data module's
 * classes are not imported here, and a name survives a duplicated module.
 */
const USER_ERRORS = new Set(['IdxError', 'DatasetError', 'TrainingSetupError', 'TrainingDivergedError']);

// What running out of memory looks like on each backend: V8 refusing a typed
// array, the wasm heap unable to grow (or a failed malloc dereferenced), and
// native TensorFlow's allocator.
const OUT_OF_MEMORY = [
  /out of memory/i,
  /\bOOM\b/,
  /Array buffer allocation failed/i,
  /Invalid typed array length/i,
  /memory access out of bounds/i,
  /Cannot enlarge memory/i,
  /could not allocate memory/i,
  /Resource exhausted/i,
];

const textOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const isOutOfMemory = (error: unknown): boolean => OUT_OF_MEMORY.some((pattern) => pattern.test(textOf(error)));

/**
 * The message a failed run shows. `backend` is the TensorFlow.js backend once
 * the model is being built and trained, null before: an error then is not
 * TensorFlow's. The original text stays in the message (in brackets for
 * memory) so the run's record keeps it.
 */
export function failureMessage(error: unknown, backend: string | null): string {
  if (error instanceof Error && USER_ERRORS.has(error.name)) return error.message;
  const text = textOf(error);
  if (backend === null) return `Training stopped on an unexpected error: ${text}`;
  if (isOutOfMemory(error)) {
    return `Training ran out of memory on the ${backend} backend (${text}). Try a smaller batch size or a network with fewer parameters.`;
  }
  return `Training failed inside TensorFlow.js (${backend}): ${text}`;
}
