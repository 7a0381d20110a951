/** Layerlab's kernels (wat.ts) as a WebAssembly module on a shared memory. */
import { KERNEL_MODULE_BASE64 } from './module';

/** The few WebAssembly JS-API members used (the node tsconfig has no WebAssembly lib types). */
interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: SharedArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

export type SharedMemory = { readonly buffer: SharedArrayBuffer };

export interface Kernels {
  gemm(
    a: number,
    b: number,
    c: number,
    bias: number,
    d: number,
    m0: number,
    m1: number,
    n0: number,
    n1: number,
    K: number,
    ars: number,
    aks: number,
    ldb: number,
    ldc: number,
    mode: number,
  ): void;
  transpose(src: number, dst: number, rows: number, cols: number, lds: number, ldd: number): void;
  colsum(src: number, dst: number, rows: number, n0: number, n1: number, ld: number): void;
  adam(w: number, g: number, m: number, v: number, count: number, k: number): void;
}

const PAGE = 65536;

function api(): WebAssemblyApi | null {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly ?? null;
}

/**
 * The module's bytes: the assembly of wat.ts's text, kept in module.ts (the trainer runs
 * without the assembler, a development tool). test/integration/engine/kernels.test.ts checks
 * that they are the assembly of the current text; `npx tsx bench/kernels.ts --write-module`
 * writes them anew after a change to wat.ts.
 */
export function kernelBytes(): Uint8Array {
  return new Uint8Array(Buffer.from(KERNEL_MODULE_BASE64, 'base64'));
}

/** A shared memory of `bytes` bytes (rounded up to whole pages); null without shared WebAssembly memory. */
export function sharedMemory(size: number): SharedMemory | null {
  const wasm = api();
  if (!wasm) return null;
  const pages = Math.max(1, Math.ceil(size / PAGE));
  try {
    return new wasm.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null;
  }
}

/** The kernels on `memory`; null when this engine has no WebAssembly SIMD or threads. */
export function instantiate(code: Uint8Array, memory: SharedMemory): Kernels | null {
  const wasm = api();
  if (!wasm) return null;
  try {
    const instance = new wasm.Instance(new wasm.Module(code), { env: { memory } });
    return instance.exports as unknown as Kernels;
  } catch {
    return null;
  }
}
