import { checkModelForDataset, type DatasetFitTarget } from './dataset-fit';
import type { Activation, ModelSpec } from './model-spec';
import { DEFAULT_CONFIG, type TrainingConfig } from './training-config';

export interface Preset {
  id: string;
  title: string;
  /** What the seed experiment observed with this model: the lesson it teaches. */
  lesson: string;
  model: ModelSpec;
  config: TrainingConfig;
}

const HIDDEN_UNITS = [64, 128, 256, 128, 64];

function seedMlp(activations: Activation[]): ModelSpec {
  return {
    inputShape: [28, 28],
    layers: [
      { type: 'Flatten' },
      ...HIDDEN_UNITS.map((units, i) => ({ type: 'Dense' as const, units, activation: activations[i] })),
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  };
}

/** The three models of the seed study (shared/SEED.md). */
export const PRESETS: readonly Preset[] = [
  {
    id: 'seed-model-1',
    title: 'Deep sigmoid stack, SGD lr 0.01',
    lesson: 'Sigmoid in a deep stack shrinks gradients layer by layer: the network learns little.',
    model: seedMlp(['relu', 'sigmoid', 'sigmoid', 'sigmoid', 'sigmoid']),
    config: { ...DEFAULT_CONFIG, optimizer: 'sgd', learningRate: 0.01 },
  },
  {
    id: 'seed-model-2',
    title: 'ReLU stack, SGD lr 0.001',
    lesson: 'ReLU learns, but plain SGD with a small learning rate converges slowly.',
    model: seedMlp(['relu', 'relu', 'relu', 'relu', 'relu']),
    config: { ...DEFAULT_CONFIG, optimizer: 'sgd', learningRate: 0.001 },
  },
  {
    id: 'seed-model-3',
    title: 'ReLU stack, Adam lr 0.001',
    lesson: 'Adam learns fast and well; watch validation accuracy for overfitting: the best epoch is not the last.',
    model: seedMlp(['relu', 'relu', 'relu', 'relu', 'relu']),
    config: { ...DEFAULT_CONFIG, optimizer: 'adam', learningRate: 0.001 },
  },
];

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** Whether the preset's network trains on the dataset as it is (no problem for that image size and class count). */
export function presetFits(preset: Preset, target: DatasetFitTarget): boolean {
  return checkModelForDataset(preset.model, target).problems.length === 0;
}
