/**
 * A whole training step of a Dense network without tfjs operations: the
 * forward pass, softmax cross-entropy (from logits, the mean over the batch,
 * as forward.ts's trainingLoss computes it), and the backward pass, in the
 * WebAssembly SIMD kernels of wat.ts, on two threads (this one and a worker)
 * sharing one WebAssembly.Memory.
 *
 * The optimizer: with the run's FastAdam (Adam, the seed study's optimizer)
 * the weights and Adam's moments stay in the kernels' memory between batches
 * and each thread updates the rows whose gradient it just summed (wat.ts's
 * adam: FastAdam's float32 arithmetic, bit for bit); `settle()` hands the
 * weights to the tfjs variables and the moments and step count to the
 * optimizer before anything reads them (the end of an epoch, a probe, a
 * pause, a cancel, the end of training). With any other optimizer the
 * gradients go to optimizer.applyGradients and the weights are read back from
 * the tfjs variables at the start of every step. Either way the model and its
 * optimizer are the truth whenever the rest of the run looks: probes,
 * checkpoints, early stopping, pause and resume stay on tfjs unchanged. The
 * validation pass runs here too (`evaluate`, forward only).
 *
 * Determinism: every output element of every kernel is computed by one
 * thread, summing in a fixed order; how rows and columns are split between
 * the threads is fixed by the shapes. The same seed gives the same run, bit
 * for bit. Against tfjs the sums run in another order, so figures agree to
 * float32 rounding (the first batch's loss and gradients within 1e-5
 * relative) and then drift apart as two runs on different hardware would.
 *
 * Speed (2-core AMD EPYC): the GEMM runs at 35–39 GFLOP/s on one thread for
 * every product of a seed-model-3 step at batch 64 (XNNPACK in
 * tfjs-backend-wasm: about 20). 750 gradients of a batch of 64 take about
 * 1.04 s on one thread and 0.59 s on two. bench/train-epoch.ts, an epoch of
 * seed-model-3 on the full data (48,000 + 12,000 images, validation
 * included) in the trainer process beside PyTorch's best setup in the same
 * run: 0.97–0.99 s against 0.86–0.87 s (1.12–1.15×); in one run 1.33 s
 * against 1.33 s. The machine has slow phases in which the two threads'
 * hand-offs cost more (one run: 1.41 s against PyTorch's 0.88 s); two
 * threads that meet at barriers can then be slower than one, so DenseKernels
 * times its steps and keeps to one thread while that is faster (the figures
 * do not change).
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { TrainingSetupError } from '../errors';
import { type FastAdam, isFastAdam } from '../adam';
import { argMax, type Evaluation, imageShapeText, rowLoss } from '../forward';
import { pixelCount, scaleInto } from '../../data/pixels';
import type { ImageSet } from '../../data/types';
import { instantiate, kernelBytes, type Kernels, type SharedMemory, sharedMemory } from './assemble';
import { MODE_BIAS, MODE_DRELU, MODE_DSIGMOID, MODE_DTANH, MODE_RELU } from './wat';

/** What `kernels` (the setting and LAYERLAB_KERNELS) may name. */
export type KernelChoice = 'auto' | 'tfjs';

/** The name a run's record gives these kernels. */
export const KERNELS_NAME = 'layerlab-simd';

type Activation = 'relu' | 'sigmoid' | 'tanh' | 'linear';

interface LayerPlan {
  inputs: number;
  units: number;
  activation: Activation;
  kernel: tf.Variable;
  bias: tf.Variable | null;
}

/** Why a model cannot train on these kernels, or null when it can (the last layer must end in a softmax over the classes). */
export function denseIneligibility(model: tf.LayersModel): string | null {
  const plan = planOf(model);
  return typeof plan === 'string' ? plan : null;
}

const ACTIVATIONS = new Set<string>(['relu', 'sigmoid', 'tanh', 'linear']);

function planOf(model: tf.LayersModel): LayerPlan[] | string {
  if (!(model instanceof tf.Sequential)) return 'not a Sequential model';
  const input = model.inputs[0].shape.slice(1) as number[];
  let width = input.reduce((a, b) => a * b, 1);
  let flat = input.length === 1;
  const layers: LayerPlan[] = [];
  let softmax = false;
  for (const layer of model.layers) {
    if (softmax) return 'a layer after the softmax';
    const name = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    if (!layer.trainable) return `${layer.name} is frozen`;
    if (name === 'InputLayer') continue;
    if (name === 'Flatten') {
      flat = true;
      continue;
    }
    if (name === 'Activation') {
      const last = layers.at(-1);
      const activation = String(config.activation);
      if (!last || last.activation !== 'linear') return `${layer.name} does not follow a linear Dense layer`;
      if (activation === 'softmax') softmax = true;
      else if (ACTIVATIONS.has(activation)) last.activation = activation as Activation;
      else return `${layer.name}'s activation ${activation}`;
      continue;
    }
    if (name !== 'Dense') return `a ${name} layer`;
    if (!flat) return `${layer.name} takes a multi-dimensional input`;
    for (const key of ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint']) {
      if (config[key] != null) return `${layer.name} has a ${key}`;
    }
    const activation = String(config.activation);
    const weight = (suffix: string) => layer.trainableWeights.find((w) => w.originalName.endsWith(suffix))?.read() as tf.Variable | undefined;
    const kernel = weight('/kernel');
    if (!kernel || kernel.shape.length !== 2 || kernel.shape[0] !== width) return `${layer.name}'s kernel`;
    const units = kernel.shape[1];
    const bias = weight('/bias') ?? null;
    if (layer.trainableWeights.length !== (bias ? 2 : 1)) return `${layer.name}'s weights`;
    if (activation === 'softmax') softmax = true;
    else if (!ACTIVATIONS.has(activation)) return `${layer.name}'s activation ${activation}`;
    layers.push({ inputs: width, units, activation: activation === 'softmax' ? 'linear' : (activation as Activation), kernel, bias });
    width = units;
  }
  if (!softmax || layers.length === 0) return 'the model does not end in a softmax';
  if (width < 2) return `the output has ${width} unit, not one per class`;
  const covered = new Set(layers.flatMap((l) => [l.kernel.name, ...(l.bias ? [l.bias.name] : [])]));
  const trainable = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  if (trainable.length !== covered.size || trainable.some((n) => !covered.has(n))) return 'weights outside the Dense layers';
  return layers;
}

const pad8 = (n: number) => Math.ceil(n / 8) * 8;
/** Where the rows of `m` split between the threads: half, in whole tiles of 4. */
const half4 = (m: number) => Math.floor(m / 8) * 4;

// Program records: an operation and 15 arguments for each thread.
const REC = 32;
const OP_GEMM = 1;
const OP_TRANSPOSE = 2;
const OP_COLSUM = 3;
const OP_BARRIER = 4;
const OP_PAUSE = 5;
const OP_END = 6;
const OP_QUIT = 7;
const OP_ADAM = 8;
const MAX_RECORDS = 512;
/** Spins before a thread sleeps at a barrier: a step's barriers are microseconds apart. */
const SPIN = 20000;
/** Steps per timing window of the adaptive choice between one thread and two, and how often (in windows) the slower is tried again. */
const ADAPT_WINDOW = 25;
const ADAPT_RETRY = 12;
/** How long the main thread waits for the worker at one barrier before it gives up. */
const BARRIER_TIMEOUT_MS = 120_000;

/** The worker's side: the same interpreter as DenseKernels.run, as CommonJS for an eval worker (no file to bundle). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, program, skip } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const i32 = new Int32Array(memory.buffer);
let mine = 0;
function barrier() {
  mine++;
  Atomics.store(i32, control + 1, mine);
  Atomics.notify(i32, control + 1);
  for (let s = 0; ; s++) {
    const theirs = Atomics.load(i32, control);
    if (theirs >= mine) return;
    if (s > ${SPIN}) Atomics.wait(i32, control, theirs, 1000);
  }
}
try {
  for (;;) {
    barrier();
    let quit = false;
    // Which program this round runs (the training step's or the evaluation's): main writes it before the barrier.
    for (let p = i32[control + 3] || program; ; p += ${REC}) {
      const op = i32[p];
      const a = p + 16;
      if (op === ${OP_GEMM}) k.gemm(i32[a], i32[a + 1], i32[a + 2], i32[a + 3], i32[a + 4], i32[a + 5], i32[a + 6], i32[a + 7], i32[a + 8], i32[a + 9], i32[a + 10], i32[a + 11], i32[a + 12], i32[a + 13], i32[a + 14]);
      else if (op === ${OP_TRANSPOSE}) k.transpose(i32[a], i32[a + 1], i32[a + 2], i32[a + 3], i32[a + 4], i32[a + 5]);
      else if (op === ${OP_COLSUM}) k.colsum(i32[a], i32[a + 1], i32[a + 2], i32[a + 3], i32[a + 4], i32[a + 5]);
      else if (op === ${OP_ADAM}) { if (i32[skip] === 0) k.adam(i32[a], i32[a + 1], i32[a + 2], i32[a + 3], i32[a + 4], i32[a + 5]); }
      else if (op === ${OP_BARRIER} || op === ${OP_PAUSE}) barrier();
      else if (op === ${OP_END}) { barrier(); break; }
      else { quit = true; break; }
    }
    if (quit) break;
  }
} catch (error) {
  Atomics.store(i32, control + 2, 1);
  Atomics.store(i32, control + 1, 0x3fffffff);
  Atomics.notify(i32, control + 1);
  throw error;
}
`;

interface LayerMemory {
  plan: LayerPlan;
  /** Padded sizes. */
  kp: number;
  np: number;
  /** Byte offsets: the weights, their transpose (not for the first layer), the bias, the layer's output, the gradient at its pre-activation, and the weights' and bias's gradients. */
  w: number;
  wt: number;
  b: number;
  out: number;
  dz: number;
  dw: number;
  db: number;
  /** Adam's moments of the weights and of the bias (same layouts), when the optimizer's steps run here. */
  mw: number;
  vw: number;
  mb: number;
  vb: number;
}

export interface StepGradients {
  /** The batch's mean cross-entropy. */
  loss: number;
  /** Images the model classified right. */
  correct: number;
  /** One array per trainable weight, in model.trainableWeights' order: views valid until the next step (copy to keep). */
  gradients: Float32Array[];
}

/**
 * Dense training steps on two threads. start() returns null when the model
 * does not qualify (denseIneligibility) or this engine lacks WebAssembly
 * SIMD or threads.
 */
export class DenseKernels {
  private readonly f32: Float32Array;
  private readonly i32: Int32Array;
  private mine = 0;
  private readonly packed: Float32Array[] = [];
  /** This thread computes both threads' parts (no worker, or the worker measured slower lately). */
  private solo: boolean;
  /** The adaptive choice between one thread and two: milliseconds per step of the latest window of each. */
  private readonly perStep = { solo: Infinity, pair: Infinity };
  private windowSpent = 0;
  private windowSteps = 0;
  private windows = 0;
  private programRows = -1;
  private evalRows = -1;
  private closed = false;
  /** Whether the weights (and resident Adam's moments) in the kernels' memory are the model's. */
  private loaded = false;
  /** Resident Adam's steps not yet handed to the model and the optimizer (settle). */
  private unsettled = 0;

  private constructor(
    private readonly kernels: Kernels,
    private readonly memory: SharedMemory,
    private readonly worker: Worker | null,
    private readonly layers: LayerMemory[],
    private readonly x: number,
    private readonly control: number,
    private readonly program: number,
    private readonly evalProgram: number,
    private readonly batchSize: number,
    private readonly order: Array<{ layer: number; bias: boolean }>,
    /** The run's Adam when its steps run here (resident weights), else null (gradients go to the optimizer). */
    private readonly adam: FastAdam | null,
    private readonly adamBlock: number,
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.solo = worker === null;
  }

  /**
   * On a busy 2-core machine two threads that meet at barriers can be slower than one (each
   * wait may last a scheduler slice). The figures are the same either way (the same work in the
   * same order, only on which thread differs), so the steps are timed in windows and the faster
   * way is kept, trying the other again now and then.
   */
  private adapt(ms: number): void {
    if (!this.worker) return;
    this.windowSpent += ms;
    if (++this.windowSteps < ADAPT_WINDOW) return;
    const mode = this.solo ? 'solo' : 'pair';
    this.perStep[mode] = this.windowSpent / this.windowSteps;
    this.windowSpent = 0;
    this.windowSteps = 0;
    this.windows++;
    const other = this.solo ? 'pair' : 'solo';
    const retry = this.perStep[other] === Infinity || this.windows % ADAPT_RETRY === 0;
    this.solo = retry ? other === 'solo' : this.perStep.solo < this.perStep.pair;
  }

  /** `threads`: 2 (a worker and this thread) or 1 (this thread alone; the same figures, bit for bit). */
  static async start(model: tf.LayersModel, batchSize: number, threads: 1 | 2 = 2, optimizer?: tf.Optimizer): Promise<DenseKernels | null> {
    const plan = planOf(model);
    const resident = isFastAdam(optimizer) ? optimizer : null;
    if (!REPLACED_BACKENDS.has(tf.getBackend())) return null;
    if (typeof plan === 'string') return null;
    const code = kernelBytes();
    let size = 0;
    const take = (floats: number) => {
      const at = size;
      size += Math.ceil(floats / 4) * 16;
      return at;
    };
    const control = take(16);
    const program = take(MAX_RECORDS * REC);
    const evalProgram = take(MAX_RECORDS * REC);
    // Adam's eight constants of the step, then a flag: 1 = leave the weights (the loss is not finite).
    const adamBlock = take(16);
    const x = take(batchSize * pad8(plan[0].inputs));
    const layers: LayerMemory[] = plan.map((p, i) => {
      const kp = pad8(p.inputs);
      const np = pad8(p.units);
      return {
        plan: p,
        kp,
        np,
        w: take(kp * np),
        wt: i === 0 ? -1 : take(np * kp),
        b: take(np),
        out: take(batchSize * np),
        dz: take(batchSize * np),
        dw: take(kp * np),
        db: take(np),
        mw: resident ? take(kp * np) : -1,
        vw: resident ? take(kp * np) : -1,
        mb: resident ? take(np) : -1,
        vb: resident ? take(np) : -1,
      };
    });
    const memory = sharedMemory(size);
    if (!memory) return null;
    const kernels = instantiate(code, memory);
    if (!kernels) return null;
    const wasm = (globalThis as { WebAssembly?: { Module: new (bytes: Uint8Array) => object } }).WebAssembly!;
    const worker =
      threads === 2
        ? new Worker(WORKER_SOURCE, {
            eval: true,
            workerData: { module: new wasm.Module(code), memory, control: control / 4, program: program / 4, skip: adamBlock / 4 + 8 },
          })
        : null;
    worker?.unref();
    // A worker that fails to start or throws is seen at the next barrier (the error flag).
    worker?.on('error', () => undefined);
    const byName = new Map<string, { layer: number; bias: boolean }>();
    plan.forEach((p, i) => {
      byName.set(p.kernel.name, { layer: i, bias: false });
      if (p.bias) byName.set(p.bias.name, { layer: i, bias: true });
    });
    const order = model.trainableWeights.map((w) => byName.get((w.read() as tf.Variable).name)!);
    return new DenseKernels(kernels, memory, worker, layers, x, control / 4, program / 4, evalProgram / 4, batchSize, order, resident, adamBlock);
  }

  /** The trainable weights, in model.trainableWeights' order (the order gradients come in). */
  get variables(): tf.Variable[] {
    return this.order.map(({ layer, bias }) => (bias ? this.layers[layer].plan.bias! : this.layers[layer].plan.kernel));
  }

  private barrier(): void {
    if (this.solo) return;
    const { i32, control } = this;
    this.mine++;
    Atomics.store(i32, control, this.mine);
    Atomics.notify(i32, control);
    const deadline = performance.now() + BARRIER_TIMEOUT_MS;
    for (let s = 0; ; s++) {
      const theirs = Atomics.load(i32, control + 1);
      if (Atomics.load(i32, control + 2) !== 0) throw new Error('The second training thread (layerlab-simd kernels) failed');
      if (theirs >= this.mine) return;
      if (s > SPIN) {
        Atomics.wait(i32, control + 1, theirs, 50);
        if (performance.now() > deadline) throw new Error('The second training thread (layerlab-simd kernels) stopped answering');
      }
    }
  }

  /** Runs the program from record `from` until a pause (returns the next record) or the end (returns -1); alone, both threads' parts. */
  private run(from: number, base = this.program): number {
    const { i32, kernels: k } = this;
    const parts = this.solo ? [1, 16] : [1];
    for (let r = from; ; r++) {
      const p = base + r * REC;
      const op = i32[p];
      for (const part of parts) {
        const a = p + part;
        if (op === OP_GEMM) {
          k.gemm(
            i32[a],
            i32[a + 1],
            i32[a + 2],
            i32[a + 3],
            i32[a + 4],
            i32[a + 5],
            i32[a + 6],
            i32[a + 7],
            i32[a + 8],
            i32[a + 9],
            i32[a + 10],
            i32[a + 11],
            i32[a + 12],
            i32[a + 13],
            i32[a + 14],
          );
        } else if (op === OP_TRANSPOSE) k.transpose(i32[a], i32[a + 1], i32[a + 2], i32[a + 3], i32[a + 4], i32[a + 5]);
        else if (op === OP_COLSUM) k.colsum(i32[a], i32[a + 1], i32[a + 2], i32[a + 3], i32[a + 4], i32[a + 5]);
        else if (op === OP_ADAM) {
          if (i32[this.adamBlock / 4 + 8] === 0) k.adam(i32[a], i32[a + 1], i32[a + 2], i32[a + 3], i32[a + 4], i32[a + 5]);
        }
      }
      if (op === OP_BARRIER) this.barrier();
      else if (op === OP_PAUSE) return r + 1;
      else if (op === OP_END) {
        this.barrier();
        return -1;
      } else if ((op < OP_GEMM || op > OP_COLSUM) && op !== OP_ADAM) throw new Error(`layerlab-simd: bad program record ${r}`);
    }
  }

  /** A writer of program records from `base` on: emit(op, first thread's arguments, second's). */
  private emitter(base: number): (op: number, t0?: number[], t1?: number[]) => void {
    const { i32 } = this;
    let r = 0;
    return (op, t0 = [], t1 = []) => {
      if (r >= MAX_RECORDS) throw new Error('layerlab-simd: the model needs too many kernel calls');
      const p = base + r * REC;
      i32.fill(0, p, p + REC);
      i32[p] = op;
      i32.set(t0, p + 1);
      i32.set(t1, p + 16);
      r++;
    };
  }

  /**
   * The forward pass of `n` images, layer by layer, half the rows on each thread (rows are
   * independent: no barrier between layers), pausing where this thread computes an activation
   * in JavaScript (sigmoid, tanh) and, when `pauseAtEnd`, after the last layer (the loss).
   */
  private emitForward(emit: ReturnType<DenseKernels['emitter']>, n: number, pauseAtEnd: boolean): void {
    const mid = half4(n);
    this.layers.forEach((l, i) => {
      const input = i === 0 ? this.x : this.layers[i - 1].out;
      const mode = (l.plan.bias ? MODE_BIAS : 0) | (l.plan.activation === 'relu' ? MODE_RELU : 0);
      const g = { a: input, b: l.w, c: l.out, bias: l.plan.bias ? l.b : 0, d: 0, K: l.kp, ars: l.kp * 4, aks: 4, ldb: l.np * 4, ldc: l.np * 4, mode };
      emit(OP_GEMM, gemmArgs({ ...g, m0: 0, m1: mid, n0: 0, n1: l.np }), gemmArgs({ ...g, m0: mid, m1: n, n0: 0, n1: l.np }));
      const last = i === this.layers.length - 1;
      if (l.plan.activation === 'sigmoid' || l.plan.activation === 'tanh' || (last && pauseAtEnd)) {
        emit(OP_BARRIER);
        emit(OP_PAUSE);
      }
    });
  }

  /** Writes the program that evaluates `n` images (forward only). */
  private writeEvalProgram(n: number): void {
    const emit = this.emitter(this.evalProgram);
    this.emitForward(emit, n, false);
    emit(OP_END);
    this.evalRows = n;
  }

  /** Writes the program of a step on `n` images (the same for every step of that size). */
  private writeProgram(n: number): void {
    const emit = this.emitter(this.program);
    // Images are independent in the forward pass and in the gradient's way back through the
    // layers: each thread takes half the batch's rows through every layer with no barrier in
    // between. Only the weights' gradients (sums over the batch) wait for both halves.
    const mid = half4(n);
    const byRows = (g: Omit<GemmArgs, 'm0' | 'm1' | 'n0' | 'n1'>, cols: number) =>
      emit(OP_GEMM, gemmArgs({ ...g, m0: 0, m1: mid, n0: 0, n1: cols }), gemmArgs({ ...g, m0: mid, m1: n, n0: 0, n1: cols }));
    const L = this.layers;
    // The transposed weights (for the way back) while the forward pass runs: nothing reads them before the loss's barrier.
    for (const l of L) {
      if (l.wt < 0) continue;
      const h = half4(l.kp);
      const part = (r0: number, r1: number) => [l.w + r0 * l.np * 4, l.wt + r0 * 4, r1 - r0, l.np, l.np * 4, l.kp * 4];
      emit(OP_TRANSPOSE, part(0, h), part(h, l.kp));
    }
    // Sigmoid and tanh (and the loss after the last layer) are computed on this thread in JavaScript.
    this.emitForward(emit, n, true);
    for (let i = L.length - 1; i > 0; i--) {
      const [l, below] = [L[i], L[i - 1]];
      const act = below.plan.activation;
      const mode = act === 'relu' ? MODE_DRELU : act === 'sigmoid' ? MODE_DSIGMOID : act === 'tanh' ? MODE_DTANH : 0;
      // dZ below = (dZ · Wᵀ) ⊙ f′, f′ from the layer below's outputs.
      byRows({ a: l.dz, b: l.wt, c: below.dz, bias: 0, d: below.out, K: l.np, ars: l.np * 4, aks: 4, ldb: l.kp * 4, ldc: l.kp * 4, mode }, l.kp);
    }
    emit(OP_BARRIER);
    L.forEach((l, i) => {
      const input = i === 0 ? this.x : L[i - 1].out;
      // dW = inputᵀ · dZ: rows of dW split between the threads; db = Σ dZ: columns split.
      const h = half4(l.kp);
      const dw = (m0: number, m1: number) =>
        gemmArgs({
          a: input,
          b: l.dz,
          c: l.dw,
          bias: 0,
          d: 0,
          m0,
          m1,
          n0: 0,
          n1: l.np,
          K: n,
          ars: 4,
          aks: l.kp * 4,
          ldb: l.np * 4,
          ldc: l.np * 4,
          mode: 0,
        });
      emit(OP_GEMM, dw(0, h), dw(h, l.kp));
      if (l.plan.bias) emit(OP_COLSUM, [l.dz, l.db, n, 0, l.np / 2, l.np * 4], [l.dz, l.db, n, l.np / 2, l.np, l.np * 4]);
      if (!this.adam) return;
      // Adam on the rows of the weights (and the columns of the bias) this thread's gradient just covered:
      // nothing reads the weights again before the step's end.
      const k = this.adamBlock;
      const rows = (r0: number, r1: number) => {
        const at = r0 * l.np * 4;
        return [l.w + at, l.dw + at, l.mw + at, l.vw + at, (r1 - r0) * l.np, k];
      };
      emit(OP_ADAM, rows(0, h), rows(h, l.kp));
      if (l.plan.bias) {
        const half = l.np / 2;
        const cols = (c0: number, c1: number) => [l.b + c0 * 4, l.db + c0 * 4, l.mb + c0 * 4, l.vb + c0 * 4, c1 - c0, k];
        emit(OP_ADAM, cols(0, half), cols(half, l.np));
      }
    });
    emit(OP_END);
    this.programRows = n;
  }

  /** The loss, the classified-right count and every gradient for the first `n` images of `x` (n × inputs floats) and one-hot `y` (n × the output's units). */
  gradients(x: Float32Array, y: Float32Array, n: number): StepGradients {
    if (this.closed) throw new Error('layerlab-simd kernels used after close');
    if (n < 1 || n > this.batchSize) throw new Error(`layerlab-simd: a batch of ${n} images (at most ${this.batchSize})`);
    const { f32, layers: L } = this;
    const started = performance.now();
    if (this.programRows !== n) this.writeProgram(n);
    // The weights, from the tfjs variables (the truth), unless they live here (resident Adam) already.
    if (!this.adam || !this.loaded) this.load();
    const adam = this.adam;
    if (adam) {
      const k = adam.stepConstants();
      f32.set([k.b1, k.c1, k.b2, k.c2, k.d1, k.d2, k.eps, k.negLr], this.adamBlock / 4);
      this.i32[this.adamBlock / 4 + 8] = 0;
    }
    const inputs = L[0].plan.inputs;
    if (inputs === L[0].kp) f32.set(x.subarray(0, n * inputs), this.x / 4);
    else for (let i = 0; i < n; i++) f32.set(x.subarray(i * inputs, (i + 1) * inputs), this.x / 4 + i * L[0].kp);

    this.i32[this.control + 3] = this.program;
    this.barrier();
    let at = this.run(0);
    let loss = 0;
    let correct = 0;
    for (let i = 0; at >= 0; i++) {
      const l = L[i];
      if (i === L.length - 1) {
        ({ loss, correct } = this.softmaxLoss(l, y, n));
        // A step whose loss is not finite leaves the weights as they were (the run stops there).
        if (adam && !Number.isFinite(loss)) this.i32[this.adamBlock / 4 + 8] = 1;
      } else if (!this.activate(l, n)) continue;
      this.barrier();
      at = this.run(at);
    }
    const gradients = this.order.map(({ layer, bias }, i) => {
      const l = L[layer];
      const { inputs: kIn, units } = l.plan;
      if (bias) return f32.subarray(l.db / 4, l.db / 4 + units);
      if (units === l.np) return f32.subarray(l.dw / 4, l.dw / 4 + kIn * units);
      // Padded columns: the gradient packed into an array of its own (kept: one per weight).
      const out = (this.packed[i] ??= new Float32Array(kIn * units));
      for (let k = 0; k < kIn; k++) out.set(f32.subarray(l.dw / 4 + k * l.np, l.dw / 4 + k * l.np + units), k * units);
      return out;
    });
    if (adam && Number.isFinite(loss)) {
      adam.advanceAccumulators();
      this.unsettled++;
    }
    this.adapt(performance.now() - started);
    return { loss, correct, gradients };
  }

  /** Sigmoid or tanh over the first `n` rows of the layer's output, here in JavaScript; false for other activations. */
  private activate(l: LayerMemory, n: number): boolean {
    const { activation, units } = l.plan;
    if (activation !== 'sigmoid' && activation !== 'tanh') return false;
    const { f32 } = this;
    for (let r = 0; r < n; r++) {
      const base = l.out / 4 + r * l.np;
      for (let j = 0; j < units; j++) {
        const z = f32[base + j];
        f32[base + j] = activation === 'tanh' ? Math.tanh(z) : 1 / (1 + Math.exp(-z));
      }
    }
    return true;
  }

  /**
   * Mean cross-entropy and accuracy of the model's current weights over a whole set, on these
   * kernels (forward only, a batch of rows at a time on both threads): what forward.ts's
   * evaluate reports for the same weights, to float32 rounding (another summation order).
   */
  async evaluate(set: ImageSet): Promise<Evaluation> {
    if (this.closed) throw new Error('layerlab-simd kernels used after close');
    const { f32, layers: L } = this;
    const inputs = L[0].plan.inputs;
    if (pixelCount(set) !== inputs) throw new TrainingSetupError(`The model expects ${inputs} inputs but the images are ${imageShapeText(set)}`);
    // With resident Adam the weights here are the model's (settle); otherwise they are read anew.
    if (!this.adam || !this.loaded) this.load();
    const last = L[L.length - 1];
    const width = last.plan.units;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0, chunk = 0; start < set.count; start += this.batchSize, chunk++) {
      const n = Math.min(this.batchSize, set.count - start);
      if (this.evalRows !== n) this.writeEvalProgram(n);
      for (let i = 0; i < n; i++) scaleInto(f32, this.x / 4 + i * L[0].kp, set.images.subarray((start + i) * inputs, (start + i + 1) * inputs));
      this.i32[this.control + 3] = this.evalProgram;
      this.barrier();
      let at = this.run(0, this.evalProgram);
      for (let i = 0; at >= 0; i++) {
        if (!this.activate(L[i], n)) continue;
        this.barrier();
        at = this.run(at, this.evalProgram);
      }
      for (let r = 0; r < n; r++) {
        const label = set.labels[start + r];
        const base = last.out / 4 + r * last.np;
        lossSum += rowLoss(f32, base, width, label, true);
        if (argMax(f32, base, width) === label) correct++;
      }
      // Keep the process responsive (messages, a cancel) during a long evaluation.
      if (chunk % 16 === 15) await new Promise((r) => setImmediate(r));
    }
    return { loss: lossSum / set.count, accuracy: correct / set.count };
  }

  /** Copies the tfjs variables (and, with resident Adam, the optimizer's moments) into the kernels' memory. */
  private load(): void {
    const { f32, layers: L } = this;
    const read = weightReader();
    const into = (values: Float32Array, at: number, l: LayerMemory, bias: boolean) => {
      const { inputs, units } = l.plan;
      if (bias || units === l.np) f32.set(values, at / 4);
      else for (let k = 0; k < inputs; k++) f32.set(values.subarray(k * units, (k + 1) * units), at / 4 + k * l.np);
    };
    for (const l of L) {
      into(read(l.plan.kernel), l.w, l, false);
      if (l.plan.bias) into(read(l.plan.bias), l.b, l, true);
    }
    if (this.adam) {
      const moments = this.adam.momentCopies();
      this.order.forEach(({ layer, bias }, i) => {
        const l = L[layer];
        const [m, v] = bias ? [l.mb, l.vb] : [l.mw, l.vw];
        const size = bias ? l.np : l.kp * l.np;
        const got = moments[i];
        if (got) {
          into(got.m, m, l, bias);
          into(got.v, v, l, bias);
        } else {
          f32.fill(0, m / 4, m / 4 + size);
          f32.fill(0, v / 4, v / 4 + size);
        }
      });
    }
    this.loaded = true;
  }

  /** The first `units` columns of a padded matrix of `rows` × `np` at byte offset `at`, packed. */
  private unpad(at: number, rows: number, units: number, np: number): Float32Array {
    const out = new Float32Array(rows * units);
    for (let r = 0; r < rows; r++) out.set(this.f32.subarray(at / 4 + r * np, at / 4 + r * np + units), r * units);
    return out;
  }

  /**
   * With resident Adam: writes the weights the steps since the last call made into the tfjs
   * variables and hands the optimizer its moments and step count, so the model and the
   * optimizer are the truth again (for validation, probes, checkpoints, the saved model).
   * Nothing to do without resident Adam, or when no step ran since.
   */
  settle(): void {
    const adam = this.adam;
    if (!adam || this.unsettled === 0 || this.closed) return;
    const L = this.layers;
    const moments = this.order.map(({ layer, bias }) => {
      const l = L[layer];
      const variable = bias ? l.plan.bias! : l.plan.kernel;
      const [w, m, v] = bias ? [l.b, l.mb, l.vb] : [l.w, l.mw, l.vw];
      const rows = bias ? 1 : l.plan.inputs;
      // A new tensor, then assign: tfjs-backend-wasm caches packed weights by tensor.
      const value = tf.tensor(this.unpad(w, rows, l.plan.units, l.np), variable.shape, 'float32');
      variable.assign(value);
      value.dispose();
      return {
        name: variable.name,
        shape: variable.shape.slice(),
        m: this.unpad(m, rows, l.plan.units, l.np),
        v: this.unpad(v, rows, l.plan.units, l.np),
      };
    });
    adam.adoptSteps(moments, adam.iterations + this.unsettled);
    this.unsettled = 0;
  }

  /** One training step: the gradients, then `optimizer`'s update of the model's variables (with resident Adam, of the weights here: settle() hands them to the model). */
  step(optimizer: tf.Optimizer, x: Float32Array, y: Float32Array, n: number): { loss: number; correct: number } {
    if (this.adam && optimizer !== this.adam) throw new Error('layerlab-simd: the kernels were started for another optimizer');
    const { loss, correct, gradients } = this.gradients(x, y, n);
    if (!Number.isFinite(loss) || this.adam) return { loss, correct };
    const variables = this.variables;
    const named = gradients.map((g, i) => ({ name: variables[i].name, tensor: tf.tensor(g, variables[i].shape) }));
    try {
      optimizer.applyGradients(named);
    } finally {
      for (const t of named) t.tensor.dispose();
    }
    return { loss, correct };
  }

  /** Softmax cross-entropy from the last layer's logits: the mean loss, and dZ = (softmax − y) / n into the layer's gradient. */
  private softmaxLoss(l: LayerMemory, y: Float32Array, n: number): { loss: number; correct: number } {
    const { f32 } = this;
    const width = l.plan.units;
    let sum = 0;
    let correct = 0;
    const e = new Float64Array(width);
    for (let r = 0; r < n; r++) {
      const base = l.out / 4 + r * l.np;
      const label = argMax(y, r * width, width);
      if (argMax(f32, base, width) === label) correct++;
      let max = -Infinity;
      for (let j = 0; j < width; j++) max = Math.max(max, f32[base + j]);
      let total = 0;
      for (let j = 0; j < width; j++) total += e[j] = Math.exp(f32[base + j] - max);
      sum += max + Math.log(total) - f32[base + label];
      const dz = l.dz / 4 + r * l.np;
      for (let j = 0; j < width; j++) f32[dz + j] = (e[j] / total - y[r * width + j]) / n;
      f32.fill(0, dz + width, dz + l.np);
    }
    return { loss: sum / n, correct };
  }

  /** The threads that compute a step. */
  get threads(): number {
    return this.worker ? 2 : 1;
  }

  /** Ends the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.worker) return;
    this.solo = false;
    this.i32[this.program] = OP_QUIT;
    this.i32[this.control + 3] = this.program;
    try {
      this.barrier();
    } catch {
      // The worker already failed: terminate below.
    }
    await this.worker.terminate();
  }
}

/** The parts of tfjs-backend-wasm's BackendWasm (4.22) read here. */
interface BackendWasmLike {
  dataIdMap?: { has(dataId: tf.DataId): boolean };
  getMemoryOffset?(dataId: tf.DataId): number;
  wasm?: { asm?: { memory?: { buffer: ArrayBuffer } } } | null;
}

/**
 * How to read a variable's values: on the wasm backend in place on its heap (a view, read
 * before the next tfjs operation), elsewhere (or if the backend is not as expected) a copy.
 */
function weightReader(): (v: tf.Variable) => Float32Array {
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as BackendWasmLike;
    const memory = backend.wasm?.asm?.memory;
    const ids = backend.dataIdMap;
    if (memory && ids && typeof backend.getMemoryOffset === 'function') {
      return (v) =>
        v.dtype === 'float32' && ids.has(v.dataId)
          ? new Float32Array(memory.buffer, backend.getMemoryOffset!(v.dataId), v.size)
          : (v.dataSync() as Float32Array);
    }
  }
  return (v) => v.dataSync() as Float32Array;
}

interface GemmArgs {
  a: number;
  b: number;
  c: number;
  bias: number;
  d: number;
  m0: number;
  m1: number;
  n0: number;
  n1: number;
  K: number;
  ars: number;
  aks: number;
  ldb: number;
  ldc: number;
  mode: number;
}

function gemmArgs(g: GemmArgs): number[] {
  return [g.a, g.b, g.c, g.bias, g.d, g.m0, g.m1, g.n0, g.n1, g.K, g.ars, g.aks, g.ldb, g.ldc, g.mode];
}

/**
 * Which kernels a run asks for: LAYERLAB_KERNELS when set ('tfjs' forces the
 * tfjs path, 'auto' lets eligible models take these kernels), else `setting`,
 * else 'auto'. An error for the user when the variable names neither.
 */
export function kernelChoice(setting?: KernelChoice): KernelChoice {
  const raw = process.env.LAYERLAB_KERNELS?.trim();
  if (raw === undefined || raw === '') return setting ?? 'auto';
  if (raw === 'tfjs' || raw === 'auto') return raw;
  throw new TrainingSetupError(`LAYERLAB_KERNELS must be 'auto' or 'tfjs' (it is '${raw}')`);
}

/** Backends whose training these kernels replace (tfjs-node's native kernels stay in charge where it runs). */
const REPLACED_BACKENDS = new Set(['wasm', 'cpu']);

/**
 * Whether a run of `model` on the current backend trains on these kernels:
 * the choice allows it, the model qualifies (denseIneligibility) and this
 * engine can run them (WebAssembly SIMD and threads).
 */
export async function denseKernelsApply(model: tf.LayersModel, choice: KernelChoice): Promise<boolean> {
  if (choice === 'tfjs' || !REPLACED_BACKENDS.has(tf.getBackend()) || denseIneligibility(model) !== null) return false;
  const code = kernelBytes();
  const memory = sharedMemory(1 << 16);
  return memory !== null && instantiate(code, memory) !== null;
}
