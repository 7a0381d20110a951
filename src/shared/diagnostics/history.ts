/**
 * A run's history as the diagnostics read it: the epochs, the layer signals of each
 * probe, the layers named as the user sees them, and numbers in words.
 */
import type { EpochMetrics, LayerStat, RunStatus } from '../contract/runs';
import type { Activation, LayerSpec, ModelSpec } from '../model/model-spec';
import type { TrainingConfig } from '../model/training-config';
import { chanceLoss, NUM_CLASSES } from './thresholds';

/** What the diagnostics need of a run (a RunDetail has all of it); any prefix of a run's epochs will do. */
export interface RunHistory {
  model: ModelSpec;
  config: TrainingConfig;
  epochs: EpochMetrics[];
  /** Epoch 0, before the first step; null for runs recorded before it existed. */
  baseline: EpochMetrics | null;
  layerStats: LayerStat[];
  status: RunStatus;
  error: string | null;
  /** The dataset the run trained on: its class count sets what chance is (ten classes when absent, as Fashion-MNIST's). */
  dataset?: { classNames?: string[] } | null;
}

/** The classes a run's network chooses among. */
export const classCountOf = (run: Pick<RunHistory, 'dataset'>): number => run.dataset?.classNames?.length || NUM_CLASSES;

/** The end-of-epoch probes (epoch 0 = before the first step), each sorted from input to output. */
export function probesByEpoch(stats: LayerStat[]): Map<number, LayerStat[]> {
  const probes = new Map<number, LayerStat[]>();
  for (const s of stats) {
    if (s.batch !== null) continue;
    const probe = probes.get(s.epoch) ?? [];
    probe.push(s);
    probes.set(s.epoch, probe);
  }
  for (const probe of probes.values()) probe.sort((a, b) => a.layer - b.layer);
  return probes;
}

/** The activation a layer applies, if it applies one. */
export function activationOf(layer: LayerSpec | undefined): Activation | null {
  if (!layer) return null;
  if (layer.type === 'Dense' || layer.type === 'Conv2D' || layer.type === 'Activation') return layer.activation;
  return null;
}

/** Activations that squash their input into a bounded range, with a slope near 0 at the ends. */
export const isSquashing = (a: Activation | null) => a === 'sigmoid' || a === 'tanh';

/** Hidden layers (everything before the last) with a squashing activation, as spec indexes. */
export function squashingLayers(model: ModelSpec): number[] {
  return model.layers.flatMap((l, i) => (i < model.layers.length - 1 && isSquashing(activationOf(l)) ? [i] : []));
}

/** "layer 3 (Dense, sigmoid)": numbered from 1, as the editor shows the stack. */
export function layerLabel(model: ModelSpec, index: number): string {
  const layer = model.layers[index];
  if (!layer) return `layer ${index + 1}`;
  const activation = activationOf(layer);
  if (!activation) return `layer ${index + 1} (${layer.type})`;
  return `layer ${index + 1} (${layer.type}${layer.type === 'Activation' ? ' ' : ', '}${activation})`;
}

/** "layer 3", "layers 3–6", "layers 2, 4 and 5" for spec indexes. */
export function layerList(indexes: number[]): string {
  const numbers = [...new Set(indexes)].sort((a, b) => a - b).map((i) => i + 1);
  if (numbers.length === 0) return 'no layers';
  if (numbers.length === 1) return `layer ${numbers[0]}`;
  const contiguous = numbers.every((n, i) => i === 0 || n === numbers[i - 1] + 1);
  if (contiguous && numbers.length > 2) return `layers ${numbers[0]}–${numbers[numbers.length - 1]}`;
  return `layers ${numbers.slice(0, -1).join(', ')} and ${numbers[numbers.length - 1]}`;
}

/** √(Σ kernel² + bias²) over every layer with weights: the norm of the whole gradient; null without any. */
export function globalGradNorm(probe: LayerStat[]): number | null {
  let sum = 0;
  let any = false;
  for (const s of probe) {
    if (s.gradNorm !== null) {
      sum += s.gradNorm ** 2;
      any = true;
    }
    if (s.biasGradNorm !== null) {
      sum += s.biasGradNorm ** 2;
      any = true;
    }
  }
  return any ? Math.sqrt(sum) : null;
}

/**
 * The loss the diagnostics judge progress by: validation loss when every epoch has
 * one (measured at the end of the epoch, on images the network does not train on),
 * otherwise the training loss. `start` is its epoch-0 figure or chance, whichever is
 * lower: an untrained network often starts above chance (seed-model-1: 2.456
 * validation loss at epoch 0) and gets down to it by learning nothing but how often
 * each class occurs, which is no progress.
 */
export interface LossSeries {
  which: 'validation' | 'training';
  start: number;
  /** By epoch number. */
  at: Map<number, number>;
}

export function lossSeries(run: RunHistory): LossSeries {
  const validation = run.epochs.length > 0 && run.epochs.every((e) => e.valLoss !== null);
  const at = new Map(run.epochs.map((e) => [e.epoch, validation ? e.valLoss! : e.loss]));
  const fromBaseline = validation ? run.baseline?.valLoss : run.baseline?.loss;
  const start =
    fromBaseline !== null && fromBaseline !== undefined && Number.isFinite(fromBaseline)
      ? Math.min(fromBaseline, chanceLoss(classCountOf(run)))
      : chanceLoss(classCountOf(run));
  return { which: validation ? 'validation' : 'training', start, at };
}

/** A figure in words: three significant digits (2.30, 0.0418), no exponent for the sizes a loss or a gradient has. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '−Infinity';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs < 1e-4) return x.toExponential(1);
  return x.toPrecision(3);
}

/** A small ratio as "1/160" (two significant digits), a large one as "×160". */
export function ratio(r: number): string {
  if (r >= 1) return `×${Number(r.toPrecision(2)).toLocaleString('en-US')}`;
  return `1/${Number((1 / r).toPrecision(2)).toLocaleString('en-US')}`;
}

/** "3 %" for a fraction. */
export const percent = (f: number) => `${Math.round(f * 100)} %`;

/** "epoch 3" or "epochs 3–5". */
export const epochSpan = (from: number, to: number) => (from === to ? `epoch ${from}` : `epochs ${from}–${to}`);
