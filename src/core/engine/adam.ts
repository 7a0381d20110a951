import * as tf from '@tensorflow/tfjs';

/**
 * Adam with the same arithmetic as tfjs's AdamOptimizer but a handful of
 * kernel calls per step instead of ~15 per variable.
 *
 * tf.train.adam runs mul, add, square, div, sqrt, assign… on every variable
 * every step: for a 12-variable MLP that is close to two hundred small
 * kernels, and on the wasm backend each costs microseconds of bookkeeping
 * whatever its size. Here one pass per variable updates m, v and the weight
 * together:
 *
 *   m  ← m·β1 + g·(1−β1)          v ← v·β2 + g²·(1−β2)
 *   m̂  ← m / (1 − β1ᵗ)            v̂ ← v / (1 − β2ᵗ)
 *   w  ← (m̂ / (√v̂ + ε))·(−lr) + w
 *
 * operation by operation in float32 and in tfjs's order, with β1ᵗ and β2ᵗ
 * accumulated as float32 products as tfjs's accBeta variables are. Float32
 * +, −, ×, ÷ and √ are correctly rounded in tfjs's kernels, in wasm SIMD,
 * and as a float64 operation followed by Math.fround, so the weights come
 * out the same as tf.train.adam's, bit for bit, on the wasm and cpu backends
 * (test/unit/engine/adam.test.ts checks it).
 *
 * Where the pass runs:
 * - wasm backend: a 4-lane SIMD loop in a tiny WebAssembly module (built
 *   below, no files) that imports the backend's own memory, so it reads the
 *   gradient and the weights where tfjs keeps them, keeps m and v in buffers
 *   malloc'ed on that heap, and writes the new weights straight into a fresh
 *   output buffer: no copies, no JS arithmetic.
 * - anywhere else (cpu, tfjs-node), or if WebAssembly SIMD is unavailable: a
 *   plain JavaScript loop (Math.fround), reading with dataSync.
 *
 * The new weights always go to a new tensor that is then assign()ed, never
 * written into the variable's buffer: the wasm backend caches XNNPACK matmul
 * operators with the weights packed inside, keyed by tensor id, so an
 * in-place write would be silently ignored by every later x·W.
 *
 * Moments are matched to variables by position in the gradient list, as
 * tfjs's own Adam does, so getWeights/setWeights interchange with it.
 *
 * It reports itself as 'Adam' (getClassName), so a saved training config
 * names the standard Keras optimizer. It is deliberately not passed to
 * tf.serialization.registerClass: that registry is keyed by class name, and
 * registering would replace the global 'Adam' entry, so every model loaded
 * afterwards would deserialize its optimizer to this class.
 */
export class FastAdam extends tf.Optimizer {
  /** @nocollapse */
  static get className(): string {
    return 'Adam';
  }

  /** β1ᵗ and β2ᵗ for the next step, as tfjs keeps them: float32, multiplied step by step. */
  private accBeta1: number;
  private accBeta2: number;
  private slots: Slot[] = [];

  constructor(
    protected learningRate: number,
    protected beta1 = 0.9,
    protected beta2 = 0.999,
    protected epsilon = 1e-7,
  ) {
    super();
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list: Array<[string, tf.Tensor | undefined]> = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const registered = tf.engine().registeredVariables;
    const kernel = wasmKernel();
    const k = this.stepConstants();

    list.forEach(([name, gradient], i) => {
      const variable = registered[name];
      if (variable == null) throw new Error(`FastAdam: no variable named ${name} is registered`);
      let slot = this.slots[i];
      if (slot == null) {
        slot = { name, shape: variable.shape.slice(), size: variable.size, store: null };
        this.slots[i] = slot;
      } else if (slot.size !== variable.size) {
        throw new Error(`FastAdam: variable ${name} has ${variable.size} values but the moments at its position (${slot.name}) have ${slot.size}`);
      }
      if (gradient == null) return;
      if (variable.dtype !== 'float32' || gradient.dtype !== 'float32') {
        throw new Error(`FastAdam updates float32 variables only (${name} is ${variable.dtype})`);
      }
      const value =
        kernel && kernel.holds(variable) && kernel.holds(gradient)
          ? kernel.step(variable, gradient, onHeap(slot, kernel), k)
          : jsStep(variable, gradient, inJs(slot), k);
      variable.assign(value);
      value.dispose();
    });

    this.advanceAccumulators();
    this.incrementIterations();
  }

  /**
   * The float32 constants of the next step, in the order Layerlab's kernels read them
   * (kernels/wat.ts's adam): β1, 1−β1, β2, 1−β2, 1−β1ᵗ, 1−β2ᵗ, ε, −lr.
   */
  stepConstants(): StepConstants {
    return {
      b1: Math.fround(this.beta1),
      c1: Math.fround(1 - this.beta1),
      b2: Math.fround(this.beta2),
      c2: Math.fround(1 - this.beta2),
      d1: Math.fround(1 - this.accBeta1),
      d2: Math.fround(1 - this.accBeta2),
      eps: Math.fround(this.epsilon),
      negLr: Math.fround(-this.learningRate),
    };
  }

  /** β1ᵗ and β2ᵗ one step on, as a step advances them (float32 products). */
  advanceAccumulators(): void {
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(this.beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(this.beta2));
  }

  /** Copies of the moments, by position in the gradient list (null where no step has made them yet). */
  momentCopies(): Array<{ m: Float32Array; v: Float32Array } | null> {
    return this.slots.map((slot) => {
      if (slot?.store == null) return null;
      const { m, v } = momentsOf(slot);
      return { m: m.slice(), v: v.slice() };
    });
  }

  /**
   * Takes over the state of steps taken elsewhere with this optimizer's arithmetic (Layerlab's
   * kernels keep the moments beside the weights while an epoch trains, stepConstants and
   * advanceAccumulators once per step): the moments by position, and the steps taken so far.
   * Afterwards getWeights, checkpoints and applyGradients carry on from there.
   */
  adoptSteps(moments: ReadonlyArray<{ name: string; shape: number[]; m: Float32Array; v: Float32Array }>, iterations: number): void {
    moments.forEach(({ name, shape, m, v }, i) => {
      const slot = this.slots[i];
      if (slot?.store != null && slot.size === m.length) {
        const mine = momentsOf(slot);
        mine.m.set(m);
        mine.v.set(v);
        return;
      }
      if (slot) release(slot);
      this.slots[i] = { name, shape: shape.slice(), size: m.length, store: { kind: 'js', m: m.slice(), v: v.slice() } };
    });
    this.iterations_ = iterations;
  }

  /** Frees the moments (on the wasm heap when they live there). The optimizer holds no tensors. */
  override dispose(): void {
    for (const slot of this.slots) release(slot);
    this.slots = [];
  }

  /** [iterations, every m, every v], as tfjs's Adam orders them. The tensors are new: the caller disposes them. */
  override async getWeights(): Promise<NamedTensor[]> {
    const iterations = await this.saveIterations();
    // Copy everything out before making any tensor: a tensor may grow the wasm heap under the views.
    const copies = this.slots.map((s) => {
      const { m, v } = momentsOf(s);
      return { s, m: m.slice(), v: v.slice() };
    });
    const named = (key: 'm' | 'v') => copies.map((c) => ({ name: `${c.s.name}/${key}`, tensor: tf.tensor(c[key], c.s.shape, 'float32') }));
    return [iterations, ...named('m'), ...named('v')];
  }

  /** Accepts what getWeights (or tfjs's own Adam's getWeights) returned. Does not dispose the tensors given. */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const count = values.length / 2;
    const slots: Slot[] = [];
    for (let i = 0; i < count; i++) {
      const m = values[i];
      const v = values[count + i];
      if (m.tensor.size !== v.tensor.size) throw new Error(`FastAdam.setWeights: ${m.name} and ${v.name} differ in size`);
      slots.push({
        name: m.name.replace(/\/m$/, ''),
        shape: m.tensor.shape.slice(),
        size: m.tensor.size,
        store: {
          kind: 'js',
          m: Float32Array.from((await m.tensor.data()) as Float32Array),
          v: Float32Array.from((await v.tensor.data()) as Float32Array),
        },
      });
    }
    this.dispose();
    this.slots = slots;
    // As tfjs's Adam does on setWeights.
    this.accBeta1 = Math.fround(Math.pow(Math.fround(this.beta1), this.iterations + 1));
    this.accBeta2 = Math.fround(Math.pow(Math.fround(this.beta2), this.iterations + 1));
  }

  /**
   * β1ᵗ and β2ᵗ as the steps so far multiplied them. setWeights recomputes them with
   * Math.pow, which can differ in the last bit: a checkpoint keeps these instead.
   */
  get accumulators(): [number, number] {
    return [this.accBeta1, this.accBeta2];
  }

  /** Puts back what `accumulators` returned (after setWeights), so the next step is bit for bit the one an uninterrupted run takes. */
  restoreAccumulators([accBeta1, accBeta2]: readonly [number, number]): void {
    this.accBeta1 = Math.fround(accBeta1);
    this.accBeta2 = Math.fround(accBeta2);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  /** @nocollapse */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon);
  }
}

/**
 * Whether `optimizer` is a FastAdam. Not `instanceof`: tf.Optimizer's static Symbol.hasInstance
 * answers true for any optimizer against any optimizer class.
 */
export function isFastAdam(optimizer: tf.Optimizer | null | undefined): optimizer is FastAdam {
  return optimizer != null && Object.prototype.isPrototypeOf.call(FastAdam.prototype, optimizer);
}

/** FastAdam with Keras's defaults (β1 0.9, β2 0.999, ε 1e-7), the values makeOptimizer gives tf.train.adam. */
export function createAdam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7): FastAdam {
  return new FastAdam(learningRate, beta1, beta2, epsilon);
}

/** Whether FastAdam runs its WebAssembly SIMD pass on the current backend (false: the JavaScript loop). */
export function fastAdamUsesWasmKernel(): boolean {
  return wasmKernel() !== null;
}

/** What tfjs's optimizers pass around (tfjs-core's NamedTensor, which @tensorflow/tfjs does not re-export). */
type NamedTensor = { name: string; tensor: tf.Tensor };

interface Slot {
  /** The variable's name when the moments were made (getWeights names them after it). */
  name: string;
  shape: number[];
  size: number;
  /** null until the first gradient arrives. */
  store: JsMoments | HeapMoments | null;
}

interface JsMoments {
  kind: 'js';
  m: Float32Array;
  v: Float32Array;
}

interface HeapMoments {
  kind: 'heap';
  kernel: WasmKernel;
  /** Byte offsets of m and v on the wasm backend's heap. */
  m: number;
  v: number;
}

export interface StepConstants {
  b1: number;
  c1: number;
  b2: number;
  c2: number;
  /** 1 − β1ᵗ and 1 − β2ᵗ, float32. */
  d1: number;
  d2: number;
  eps: number;
  negLr: number;
}

function momentsOf(slot: Slot): { m: Float32Array; v: Float32Array } {
  const s = slot.store;
  if (s == null) return { m: new Float32Array(slot.size), v: new Float32Array(slot.size) };
  if (s.kind === 'js') return s;
  return { m: s.kernel.view(s.m, slot.size), v: s.kernel.view(s.v, slot.size) };
}

function release(slot: Slot): void {
  const s = slot.store;
  if (s?.kind === 'heap') {
    s.kernel.free(s.m);
    s.kernel.free(s.v);
  }
  slot.store = null;
}

/** The slot's moments as JavaScript arrays, moving them off the wasm heap if they were there. */
function inJs(slot: Slot): JsMoments {
  if (slot.store?.kind === 'js') return slot.store;
  const { m, v } = momentsOf(slot);
  const store: JsMoments = { kind: 'js', m: m.slice(), v: v.slice() };
  release(slot);
  slot.store = store;
  return store;
}

/** The slot's moments on this kernel's heap, moving them there if they were elsewhere. */
function onHeap(slot: Slot, kernel: WasmKernel): HeapMoments {
  const s = slot.store;
  if (s?.kind === 'heap' && s.kernel === kernel) return s;
  const { m, v } = momentsOf(slot);
  const copies = { m: m.slice(), v: v.slice() };
  release(slot);
  const store: HeapMoments = { kind: 'heap', kernel, m: kernel.malloc(slot.size), v: kernel.malloc(slot.size) };
  kernel.view(store.m, slot.size).set(copies.m);
  kernel.view(store.v, slot.size).set(copies.v);
  slot.store = store;
  return store;
}

/** The JavaScript pass, for any backend: one new tensor with the updated weights. */
function jsStep(variable: tf.Variable, gradient: tf.Tensor, s: JsMoments, k: StepConstants): tf.Tensor {
  // A fresh array every step: the cpu backend keeps the very array tf.tensor is given.
  const next = new Float32Array(variable.size);
  adamLoop(variable.dataSync() as Float32Array, next, gradient.dataSync() as Float32Array, s.m, s.v, 0, next.length, k);
  return tf.tensor(next, variable.shape, 'float32');
}

/** Elements [from, to) of one Adam step, exactly as tfjs's float32 kernels compute it. `out` may be `w`. */
function adamLoop(
  w: Float32Array,
  out: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  from: number,
  to: number,
  k: StepConstants,
): void {
  const f = Math.fround;
  const { b1, c1, b2, c2, d1, d2, eps, negLr } = k;
  for (let j = from; j < to; j++) {
    const gj = g[j];
    const mj = f(f(m[j] * b1) + f(gj * c1));
    const vj = f(f(v[j] * b2) + f(f(gj * gj) * c2));
    m[j] = mj;
    v[j] = vj;
    const mHat = f(mj / d1);
    const vHat = f(vj / d2);
    out[j] = f(f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * negLr) + w[j]);
  }
}

// ---------------------------------------------------------------------------
// The wasm backend's pass.

/** The parts of tfjs-backend-wasm's BackendWasm (4.22) used here. */
interface BackendWasmLike extends tf.KernelBackend {
  wasm: {
    asm?: { memory?: unknown };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  } | null;
  dataIdMap: { has(dataId: tf.DataId): boolean };
  getMemoryOffset(dataId: tf.DataId): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

interface WasmKernel {
  /** Whether this tensor's data is on this backend's heap (so the kernel can read it in place). */
  holds(t: tf.Tensor): boolean;
  step(variable: tf.Variable, gradient: tf.Tensor, moments: HeapMoments, k: StepConstants): tf.Tensor;
  malloc(floats: number): number;
  free(pointer: number): void;
  /** A view of the heap; valid until the next allocation (the heap may grow). */
  view(pointer: number, floats: number): Float32Array;
}

/** The few WebAssembly JS-API members used (the node tsconfig has no WebAssembly lib types). */
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

type AdamExport = (w: number, g: number, m: number, v: number, out: number, groups: number, ...k: number[]) => void;

/** One kernel per backend instance (a new BackendWasm has a new heap). */
const kernels = new WeakMap<tf.KernelBackend, WasmKernel | null>();

function wasmKernel(): WasmKernel | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend();
  if (!kernels.has(backend)) kernels.set(backend, makeWasmKernel(backend as BackendWasmLike));
  return kernels.get(backend) ?? null;
}

function makeWasmKernel(backend: BackendWasmLike): WasmKernel | null {
  const module = backend.wasm;
  const wasmApi = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  const memory = module?.asm?.memory;
  if (
    !module ||
    !wasmApi ||
    !(memory instanceof wasmApi.Memory) ||
    typeof backend.getMemoryOffset !== 'function' ||
    typeof backend.makeOutput !== 'function'
  ) {
    return null;
  }
  let adam: AdamExport;
  try {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const instance = new wasmApi.Instance(new wasmApi.Module(adamModuleBytes(shared)), { env: { memory } });
    adam = instance.exports.adam as AdamExport;
  } catch {
    return null; // no WebAssembly SIMD here: the JavaScript loop does the work
  }
  const view = (pointer: number, floats: number) => new Float32Array(memory.buffer, pointer, floats);
  return {
    holds: (t) => backend.dataIdMap.has(t.dataId),
    malloc(floats) {
      const pointer = module._malloc(floats * 4) >>> 0;
      view(pointer, floats).fill(0);
      return pointer;
    },
    free(pointer) {
      // A disposed backend has freed its whole heap already.
      if (backend.wasm) module._free(pointer);
    },
    view,
    step(variable, gradient, moments, k) {
      const n = variable.size;
      // Allocate first: malloc may grow the heap, which offsets survive but views do not.
      const info = backend.makeOutput(variable.shape.slice(), 'float32');
      const w = backend.getMemoryOffset(variable.dataId);
      const g = backend.getMemoryOffset(gradient.dataId);
      const out = backend.getMemoryOffset(info.dataId);
      const groups = n >>> 2;
      adam(w, g, moments.m, moments.v, out, groups, k.b1, k.c1, k.b2, k.c2, k.d1, k.d2, k.eps, k.negLr);
      const tail = groups * 4;
      if (tail < n) {
        adamLoop(view(w, n), view(out, n), view(g, n), view(moments.m, n), view(moments.v, n), tail, n, k);
      }
      return tf.engine().makeTensorFromTensorInfo(info);
    },
  };
}

/**
 * A WebAssembly module, assembled here, exporting
 *   adam(w, g, m, v, out, groups: i32, b1, c1, b2, c2, d1, d2, eps, negLr: f32)
 * which runs adamLoop's arithmetic four lanes at a time over `groups`·4
 * floats at byte offsets w, g, m, v (read) and m, v, out (written) of the
 * imported memory env.memory. Its text form:
 *
 *   (func (export "adam") (param $w $g $m $v $out $groups i32)
 *         (param $b1 $c1 $b2 $c2 $d1 $d2 $eps $negLr f32)
 *     (local $i $end i32) (local $B1 … $NLR $G $M $V v128)
 *     $B1 = f32x4.splat $b1 … $NLR = f32x4.splat $negLr
 *     $end = $groups << 4
 *     (block (loop
 *       (br_if 1 (i32.ge_u $i $end))
 *       $G = v128.load ($g + $i)
 *       $M = f32x4.add (f32x4.mul (v128.load ($m + $i)) $B1) (f32x4.mul $G $C1)
 *       v128.store ($m + $i) $M
 *       $V = f32x4.add (f32x4.mul (v128.load ($v + $i)) $B2) (f32x4.mul (f32x4.mul $G $G) $C2)
 *       v128.store ($v + $i) $V
 *       v128.store ($out + $i)
 *         (f32x4.add (f32x4.mul (f32x4.div (f32x4.div $M $D1)
 *                                           (f32x4.add (f32x4.sqrt (f32x4.div $V $D2)) $EPS))
 *                               $NLR)
 *                    (v128.load ($w + $i)))
 *       $i = $i + 16
 *       (br 0))))
 */
function adamModuleBytes(sharedMemory: boolean): Uint8Array {
  const I32 = 0x7f;
  const F32 = 0x7d;
  const V128 = 0x7b;
  const uleb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n !== 0) byte |= 0x80;
      out.push(byte);
    } while (n !== 0);
    return out;
  };
  const str = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];

  // Locals: params 0..5 (i32), 6..13 (f32); then $i 14, $end 15 (i32); v128 16.. below.
  const [W, G, M, V, OUT, GROUPS] = [0, 1, 2, 3, 4, 5]; // and $b1…$negLr 6..13
  const I = 14;
  const END = 15;
  const [B1, C1, B2, C2, D1, D2, EPS, NLR, Gv, Mv, Vv] = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26];
  const get = (i: number) => [0x20, ...uleb(i)];
  const set = (i: number) => [0x21, ...uleb(i)];
  const simd = (op: number) => [0xfd, ...uleb(op)];
  const memarg = [0x00, 0x00]; // alignment hint 1 byte (any address is fine), offset 0
  const addr = (base: number) => [...get(base), ...get(I), 0x6a]; // i32.add
  const load = (base: number) => [...addr(base), ...simd(0x00), ...memarg];
  const store = (base: number, value: number[]) => [...addr(base), ...value, ...simd(0x0b), ...memarg];
  const splat = 0x13;
  const [SQRT, ADD, MUL, DIV] = [0xe3, 0xe4, 0xe6, 0xe7];
  const op = (code: number, ...args: number[][]) => [...args.flat(), ...simd(code)];

  const body: number[] = [
    ...[6, 7, 8, 9, 10, 11, 12, 13].flatMap((p, j) => [...get(p), ...simd(splat), ...set(B1 + j)]),
    ...get(GROUPS),
    0x41,
    4,
    0x74,
    ...set(END), // $end = $groups << 4
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(I),
    ...get(END),
    0x4f,
    0x0d,
    1, // br_if 1 (i >= end)
    ...load(G),
    ...set(Gv),
    ...op(ADD, op(MUL, load(M), get(B1)), op(MUL, get(Gv), get(C1))),
    ...set(Mv),
    ...store(M, get(Mv)),
    ...op(ADD, op(MUL, load(V), get(B2)), op(MUL, op(MUL, get(Gv), get(Gv)), get(C2))),
    ...set(Vv),
    ...store(V, get(Vv)),
    ...store(OUT, op(ADD, op(MUL, op(DIV, op(DIV, get(Mv), get(D1)), op(ADD, op(SQRT, op(DIV, get(Vv), get(D2))), get(EPS))), get(NLR)), load(W))),
    ...get(I),
    0x41,
    16,
    0x6a,
    ...set(I), // $i += 16
    0x0c,
    0, // br 0
    0x0b, // end loop
    0x0b, // end block
    0x0b, // end function
  ];
  const locals = vec([
    [...uleb(2), I32],
    [...uleb(11), V128],
  ]);
  const code = [...locals, ...body];

  const params = [...Array(6).fill(I32), ...Array(8).fill(F32)];
  const type = [0x60, ...uleb(params.length), ...params, 0x00];
  // Memory limits: none for a plain heap; shared memories must declare a maximum (65536 pages = 4 GiB).
  const limits = sharedMemory ? [0x03, 0x00, ...uleb(65536)] : [0x00, 0x00];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([type])),
    ...section(2, vec([[...str('env'), ...str('memory'), 0x02, ...limits]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...str('adam'), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}
