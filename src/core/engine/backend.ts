import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as WasmBackend from '@tensorflow/tfjs-backend-wasm';
import { unpackedPath } from './asar';
import { TrainingSetupError } from './errors';

export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface SelectedBackend {
  /** The backend tfjs actually runs on (tf.getBackend()), not merely the one asked for. */
  backend: string;
  versions: Record<string, string>;
}

const require = createRequire(import.meta.url);

// A variable specifier so neither tsc nor a bundler insists on the optional package.
const TFJS_NODE = '@tensorflow/tfjs-node';

let wasmPathSet = false;

async function tryTensorflow(): Promise<Record<string, string> | null> {
  let mod: { version?: unknown };
  try {
    mod = (await import(TFJS_NODE)) as { version?: unknown };
  } catch {
    return null; // an optional dependency: absent on most machines
  }
  if (!(await tf.setBackend('tensorflow')) || tf.getBackend() !== 'tensorflow') return null;
  const v = mod.version;
  const version = typeof v === 'string' ? v : ((v as Record<string, string> | undefined)?.['tfjs-node'] ?? 'unknown');
  return { 'tfjs-node': version };
}

async function tryWasm(): Promise<Record<string, string> | null> {
  let wasm: typeof WasmBackend;
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch {
    return null;
  }
  if (!wasmPathSet) {
    // The emscripten loader looks next to the script that loaded it, which is
    // wrong once the trainer is bundled; point it at the package's dist folder.
    try {
      // In a packaged app the .wasm files are unpacked beside app.asar (electron-builder.yml's asarUnpack).
      wasm.setWasmPaths(unpackedPath(dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))) + sep);
      wasmPathSet = true;
    } catch {
      // Already initialised (or failed) in this process: the path no longer matters.
    }
  }
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } catch {
    ok = false;
  }
  // setBackend can resolve true while the engine silently stays on another backend.
  if (!ok || tf.getBackend() !== 'wasm') return null;
  return { 'tfjs-backend-wasm': wasm.version_wasm };
}

async function tryCpu(): Promise<Record<string, string> | null> {
  if (!(await tf.setBackend('cpu')) || tf.getBackend() !== 'cpu') return null;
  return { 'tfjs-backend-cpu': tf.version_cpu ?? tf.version['tfjs-backend-cpu'] };
}

const attempts: Record<BackendName, () => Promise<Record<string, string> | null>> = {
  tensorflow: tryTensorflow,
  wasm: tryWasm,
  cpu: tryCpu,
};

const unavailable: Record<BackendName, string> = {
  tensorflow: 'the tensorflow backend needs @tensorflow/tfjs-node, which is not installed',
  wasm: 'the wasm backend could not be started (@tensorflow/tfjs-backend-wasm missing or its .wasm file not found)',
  cpu: 'the cpu backend could not be started',
};

function forced(preferred?: BackendName): BackendName | undefined {
  if (preferred) return preferred;
  const env = process.env.LAYERLAB_BACKEND?.trim();
  if (!env) return undefined;
  if (!(BACKENDS as readonly string[]).includes(env)) {
    throw new TrainingSetupError(`LAYERLAB_BACKEND=${env} is not a backend; use one of ${BACKENDS.join(', ')}`);
  }
  return env as BackendName;
}

/**
 * Picks the fastest backend that works here: tfjs-node (native TensorFlow) if
 * installed, else wasm, else the plain JS cpu backend. A backend named by the
 * argument or LAYERLAB_BACKEND is used or fails loudly: a benchmark or test
 * that asked for wasm must not quietly measure cpu.
 */
export async function selectBackend(preferred?: BackendName): Promise<SelectedBackend> {
  const want = forced(preferred);
  const order: BackendName[] = want ? [want] : [...BACKENDS];
  for (const name of order) {
    const backendVersions = await attempts[name]();
    if (backendVersions) {
      await tf.ready();
      return {
        backend: tf.getBackend(),
        versions: {
          'tfjs-core': tf.version_core,
          'tfjs-layers': tf.version_layers,
          ...backendVersions,
          node: process.versions.node,
          ...(process.versions.electron ? { electron: process.versions.electron } : {}),
        },
      };
    }
  }
  throw new TrainingSetupError(`No TensorFlow.js backend could be started: ${unavailable[order[order.length - 1]]}`);
}
