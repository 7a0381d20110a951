import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm 4.22 multiplies matrices with XNNPACK only when neither
 * input is transposed; with transposeA or transposeB it falls back to a plain
 * scalar loop, about eight times slower for a 64×784 · 784×64 product
 * (bench/train-epoch.ts --compare-matmul). Every Dense layer's backward pass
 * asks for exactly those products (dy·Wᵀ and xᵀ·dy), so training spends most
 * of its time there. Transposing explicitly (a cheap memory shuffle) and
 * multiplying untransposed gives the same numbers on the fast path.
 *
 * _FusedMatMul is wrapped too: Dense's forward pass never transposes, and its
 * gradient goes through plain BatchMatMul, but anyone calling
 * tf.fused.matMul with a transpose would hit the same slow loop.
 */
const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
const BACKEND = 'wasm';

const originals = new Map<string, tf.KernelConfig>();

/** Swaps the two innermost axes, leaving any batch axes in place. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

function withExplicitTransposes(original: tf.KernelConfig): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });

    const transpose = tf.getKernel('Transpose', BACKEND).kernelFunc;
    const temporaries: tf.TensorInfo[] = [];
    const flip = (x: tf.TensorInfo): tf.TensorInfo => {
      const t = transpose({ inputs: { x }, backend, attrs: { perm: swapLastTwo(x.shape.length) } }) as tf.TensorInfo;
      temporaries.push(t);
      return t;
    };
    try {
      const a = inputs.a as tf.TensorInfo;
      const b = inputs.b as tf.TensorInfo;
      return original.kernelFunc({
        inputs: { ...inputs, a: transposeA ? flip(a) : a, b: transposeB ? flip(b) : b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
    } finally {
      // Kernel-level tensors live outside the engine's bookkeeping: free them by hand.
      for (const t of temporaries) (backend as tf.KernelBackend).disposeData(t.dataId);
    }
  };
}

/**
 * Replaces the wasm matmul kernels with ones that never take the slow
 * transposed path. Idempotent. Returns false when the wasm backend's kernels
 * are not registered (nothing to fix). Works before or after the backend has
 * been initialised: the original setup function is kept for a later init.
 */
export function installWasmMatMulFix(): boolean {
  if (originals.size > 0) return true;
  const found = KERNELS.map((name) => tf.getKernel(name, BACKEND) as tf.KernelConfig | undefined);
  if (found.some((k) => k == null)) return false;
  for (const original of found as tf.KernelConfig[]) {
    originals.set(original.kernelName, original);
    tf.unregisterKernel(original.kernelName, BACKEND);
    tf.registerKernel({ ...original, kernelFunc: withExplicitTransposes(original) });
  }
  return true;
}

/** Puts the library's own kernels back (for measuring the fix against them). */
export function uninstallWasmMatMulFix(): void {
  for (const original of originals.values()) {
    tf.unregisterKernel(original.kernelName, BACKEND);
    tf.registerKernel(original);
  }
  originals.clear();
}

export function isWasmMatMulFixInstalled(): boolean {
  return originals.size > 0;
}
