/**
 * What the diagnostics say about a run: findings in plain words, each with the
 * evidence it rests on (where on which chart) and, where there is one, a fix as a
 * concrete change to the network or the settings.
 */
import type { ModelSpec } from '../model/model-spec';
import type { TrainingConfig } from '../model/training-config';

export const FINDING_KINDS = [
  'vanishing-gradients',
  'saturated-activations',
  'dead-relu',
  'exploding-gradients',
  'not-learning',
  'learning-slowly',
  'overfitting',
  'diverged',
  'unstable-loss',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export type Severity = 'info' | 'warning' | 'problem';

/** Which chart shows the evidence, and where on it. */
export interface Evidence {
  chart: 'loss' | 'accuracy' | 'gradients' | 'activations';
  /** Epochs the evidence spans (inclusive), for highlighting on the chart. */
  fromEpoch: number;
  toEpoch: number;
  /** Layers (indexes in the model spec) the evidence is about, when it is about layers. */
  layers: number[];
  /** The figures in words: "the first Dense layer's gradient is 1/75 of the last's at epoch 2". */
  text: string;
}

/** A fix: the run trained again with this network and these settings. */
export interface Suggestion {
  /** In words: "use relu in layers 2–5", "switch to adam lr 0.001", "stop early at epoch 10". */
  summary: string;
  /** The whole changed network, when the fix changes it. */
  model?: ModelSpec;
  /** The whole changed settings, when the fix changes them. */
  config?: TrainingConfig;
}

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  /** The epoch the finding was first true at. */
  epoch: number;
  /** One or two sentences a user reads first. */
  message: string;
  evidence: Evidence;
  suggestion: Suggestion | null;
}
