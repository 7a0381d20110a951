/**
 * Run histories for the diagnostics tests. The "real" ones are the figures of actual
 * runs of this app (wasm backend, seed 42, full Fashion-MNIST, probe batch of 256),
 * rounded; the others are made up to have exactly one fault each.
 */
import type { EpochMetrics, LayerStat, RunStatus } from '../../../../src/shared/contract/runs';
import type { RunHistory } from '../../../../src/shared/diagnostics/rules';
import type { ModelSpec } from '../../../../src/shared/model/model-spec';
import { findPreset } from '../../../../src/shared/model/presets';
import type { TrainingConfig } from '../../../../src/shared/model/training-config';

type Row = [loss: number, accuracy: number, valLoss: number | null, valAccuracy: number | null];

/** Per probe (epoch 0 first): one figure per layer of that kind, input to output. */
export interface Probes {
  /** Kernel gradient norms of the layers with weights. */
  grads?: number[][];
  /** Dead fractions of the ReLU layers. */
  dead?: number[][];
  /** Saturated fractions of the sigmoid/tanh/softmax layers. */
  saturated?: number[][];
  /** NaN/Infinity counts of the layers with weights. */
  nonfinite?: number[][];
}

export interface HistoryOptions {
  model: ModelSpec;
  config: TrainingConfig;
  baseline?: Row | null;
  epochs: Row[];
  probes?: Probes;
  status?: RunStatus;
  error?: string | null;
}

const WATCHED = new Set(['Dense', 'Conv2D', 'BatchNormalization', 'Activation']);
const BOUNDED = new Set(['sigmoid', 'tanh', 'softmax']);

const metrics = ([loss, accuracy, valLoss, valAccuracy]: Row, epoch: number): EpochMetrics => ({
  epoch,
  loss,
  accuracy,
  valLoss,
  valAccuracy,
  seconds: 3,
});

/** The probe's rows as the trainer reports them: one per Dense, Conv2D, BatchNormalization and Activation layer. */
function probeRows(model: ModelSpec, epoch: number, p: Probes): LayerStat[] {
  let weighted = 0;
  let relu = 0;
  let bounded = 0;
  const rows: LayerStat[] = [];
  model.layers.forEach((layer, index) => {
    if (!WATCHED.has(layer.type)) return;
    const activation = 'activation' in layer ? layer.activation : null;
    const hasWeights = layer.type !== 'Activation';
    const w = hasWeights ? weighted++ : -1;
    const grad = hasWeights ? (p.grads?.[epoch]?.[w] ?? 0.3) : null;
    rows.push({
      epoch,
      batch: null,
      layer: index,
      name: `${layer.type} ${index + 1}${activation ? ` (${activation})` : ''}`,
      gradNorm: grad,
      biasGradNorm: grad === null ? null : grad / 5,
      weightNorm: hasWeights ? 5 : null,
      updateRatio: hasWeights && epoch > 0 ? 0.001 : null,
      actMean: 0.3,
      actStd: 0.5,
      deadFraction: activation === 'relu' ? (p.dead?.[epoch]?.[relu++] ?? 0.1) : null,
      saturatedFraction: activation && BOUNDED.has(activation) ? (p.saturated?.[epoch]?.[bounded++] ?? 0) : null,
      nonfinite: hasWeights ? (p.nonfinite?.[epoch]?.[w] ?? 0) : 0,
    });
  });
  return rows;
}

export function history(o: HistoryOptions): RunHistory {
  const epochs = o.epochs.map((row, i) => metrics(row, i + 1));
  const probes = o.probes ?? {};
  const probeCount = Math.max(probes.grads?.length ?? 0, probes.dead?.length ?? 0, probes.saturated?.length ?? 0, probes.nonfinite?.length ?? 0);
  const layerStats = Array.from({ length: probeCount }, (_, epoch) => probeRows(o.model, epoch, probes)).flat();
  return {
    model: o.model,
    config: { ...o.config, epochs: o.config.epochs },
    epochs,
    baseline: o.baseline === null ? null : metrics(o.baseline ?? [2.3, 0.1, 2.3, 0.1], 0),
    layerStats,
    status: o.status ?? 'completed',
    error: o.error ?? null,
  };
}

/** The run as it stood after `n` epochs: what the window re-diagnoses after each epoch while it trains. */
export function prefix(run: RunHistory, n: number): RunHistory {
  return {
    ...run,
    epochs: run.epochs.slice(0, n),
    layerStats: run.layerStats.filter((s) => s.epoch <= n),
    status: n < run.epochs.length ? 'running' : run.status,
    error: n < run.epochs.length ? null : run.error,
  };
}

export const seed1 = findPreset('seed-model-1')!;
export const seed2 = findPreset('seed-model-2')!;
export const seed3 = findPreset('seed-model-3')!;

/** seed-model-1 as the app trains it, the relu layer first and four sigmoids: at chance, its first layers' gradients 1/150–1/320 of the output's. */
export const SEED_MODEL_1 = history({
  model: seed1.model,
  config: { ...seed1.config, epochs: 3 },
  baseline: [2.4366, 0.117, 2.4555, 0.0983],
  epochs: [
    [2.309, 0.1009, 2.3036, 0.1003],
    [2.3034, 0.0999, 2.3033, 0.0995],
    [2.303, 0.1015, 2.3033, 0.1003],
  ],
  probes: {
    grads: [
      [0.00412, 0.00215, 0.0231, 0.116, 0.317, 0.683],
      [0.00431, 0.00178, 0.00956, 0.0473, 0.122, 0.308],
      [0.00446, 0.00179, 0.00865, 0.0424, 0.111, 0.28],
      [0.00471, 0.00189, 0.0105, 0.0531, 0.134, 0.336],
    ],
    // Its sigmoids are not saturated: each one's slope (at most 0.25) shrinks the gradient all the same.
    saturated: [0, 1, 2, 3].map(() => [0, 0, 0, 0, 0]),
    dead: [[0], [0], [0], [0]],
  },
});

/** seed-model-2 (relu, SGD lr 0.001), 5 epochs: learns, slowly. */
export const SEED_MODEL_2 = history({
  model: seed2.model,
  config: { ...seed2.config, epochs: 5 },
  baseline: [2.298, 0.0781, 2.3048, 0.0554],
  epochs: [
    [2.245, 0.186, 2.172, 0.298],
    [2.044, 0.372, 1.868, 0.422],
    [1.63, 0.487, 1.374, 0.591],
    [1.208, 0.615, 1.059, 0.644],
    [0.991, 0.654, 0.911, 0.665],
  ],
  probes: {
    grads: [
      [0.328, 0.146, 0.201, 0.193, 0.13, 0.0789],
      [0.403, 0.197, 0.26, 0.266, 0.197, 0.144],
      [0.541, 0.307, 0.37, 0.377, 0.326, 0.274],
      [0.645, 0.402, 0.488, 0.547, 0.476, 0.414],
      [0.562, 0.397, 0.537, 0.644, 0.62, 0.55],
      [0.592, 0.459, 0.69, 0.837, 0.916, 0.733],
    ],
    dead: [
      [0, 0.0156, 0.0859, 0.0547, 0.109],
      [0, 0.0234, 0.117, 0.102, 0.156],
      [0, 0.0313, 0.172, 0.156, 0.25],
      [0, 0.0391, 0.227, 0.219, 0.25],
      [0, 0.0703, 0.246, 0.234, 0.266],
      [0, 0.0703, 0.25, 0.242, 0.266],
    ],
    saturated: [[0], [0], [0], [0.09], [0.33], [0.45]],
  },
});

/** seed-model-3 (relu, Adam lr 0.001), 20 epochs: learns fast; validation loss lowest at epoch 10, then up. */
const SEED_MODEL_3_EPOCHS: Row[] = [
  [0.5591, 0.8005, 0.4374, 0.845],
  [0.3933, 0.8561, 0.409, 0.847],
  [0.3523, 0.8685, 0.3664, 0.8662],
  [0.3268, 0.8791, 0.3721, 0.8657],
  [0.3067, 0.886, 0.3469, 0.8748],
  [0.2951, 0.8905, 0.3544, 0.8731],
  [0.2841, 0.8936, 0.3545, 0.8792],
  [0.2743, 0.8982, 0.3372, 0.8811],
  [0.2614, 0.9021, 0.3424, 0.876],
  [0.2543, 0.9047, 0.327, 0.8846],
  [0.2423, 0.9079, 0.3366, 0.8812],
  [0.2387, 0.9099, 0.3553, 0.8807],
  [0.2322, 0.912, 0.3324, 0.8837],
  [0.2217, 0.9166, 0.3468, 0.8863],
  [0.2158, 0.9184, 0.3561, 0.8842],
  [0.2119, 0.9203, 0.3395, 0.8906],
  [0.2037, 0.9228, 0.3434, 0.8881],
  [0.1996, 0.9239, 0.3589, 0.8849],
  [0.1941, 0.9258, 0.3764, 0.8841],
  [0.1883, 0.9284, 0.3626, 0.8912],
];
const SEED_MODEL_3_PROBES: Probes = {
  grads: [
    [0.328, 0.146, 0.201, 0.193, 0.13, 0.0789],
    [1.09, 0.54, 0.373, 0.392, 0.731, 0.85],
    [1.22, 0.605, 0.379, 0.381, 0.65, 0.787],
    [0.81, 0.413, 0.229, 0.228, 0.377, 0.511],
    [0.981, 0.477, 0.269, 0.242, 0.413, 0.659],
    [0.533, 0.263, 0.135, 0.108, 0.161, 0.236],
    [0.88, 0.436, 0.211, 0.17, 0.267, 0.448],
    [0.541, 0.288, 0.143, 0.101, 0.157, 0.284],
    [0.636, 0.336, 0.159, 0.12, 0.192, 0.304],
    [0.759, 0.412, 0.2, 0.157, 0.305, 0.533],
    [0.565, 0.369, 0.17, 0.123, 0.188, 0.416],
    [0.643, 0.419, 0.184, 0.124, 0.222, 0.468],
    [0.776, 0.411, 0.204, 0.161, 0.218, 0.433],
    [0.522, 0.344, 0.162, 0.116, 0.156, 0.328],
    [0.573, 0.343, 0.158, 0.109, 0.172, 0.351],
    [0.624, 0.439, 0.184, 0.118, 0.152, 0.322],
    [0.553, 0.346, 0.17, 0.102, 0.134, 0.261],
    [0.434, 0.294, 0.143, 0.0849, 0.0967, 0.176],
    [0.694, 0.418, 0.183, 0.118, 0.157, 0.338],
    [0.588, 0.403, 0.197, 0.125, 0.152, 0.344],
    [0.871, 0.545, 0.255, 0.139, 0.17, 0.335],
  ],
  dead: [
    [0, 0.0156, 0.0859, 0.0547, 0.109],
    [0.141, 0.00781, 0.152, 0.242, 0.25],
    [0.141, 0, 0.133, 0.219, 0.25],
    [0.141, 0, 0.125, 0.211, 0.25],
    [0.141, 0, 0.113, 0.219, 0.219],
    [0.141, 0, 0.117, 0.211, 0.234],
    [0.141, 0, 0.117, 0.211, 0.234],
    [0.125, 0, 0.102, 0.18, 0.25],
    [0.125, 0, 0.113, 0.188, 0.234],
    [0.125, 0, 0.105, 0.164, 0.219],
    [0.125, 0, 0.0977, 0.195, 0.234],
    [0.141, 0, 0.102, 0.188, 0.281],
    [0.125, 0, 0.102, 0.164, 0.266],
    [0.141, 0, 0.0977, 0.18, 0.234],
    [0.109, 0, 0.0898, 0.164, 0.25],
    [0.109, 0, 0.082, 0.164, 0.234],
    [0.125, 0, 0.082, 0.148, 0.25],
    [0.109, 0, 0.082, 0.141, 0.266],
    [0.109, 0, 0.0859, 0.133, 0.25],
    [0.141, 0, 0.0781, 0.148, 0.25],
    [0.141, 0, 0.0664, 0.133, 0.266],
  ],
  saturated: [
    [0],
    [0.77],
    [0.81],
    [0.84],
    [0.83],
    [0.83],
    [0.84],
    [0.84],
    [0.83],
    [0.85],
    [0.85],
    [0.86],
    [0.88],
    [0.88],
    [0.86],
    [0.88],
    [0.89],
    [0.87],
    [0.88],
    [0.9],
    [0.89],
  ],
};
export const SEED_MODEL_3_20 = history({
  model: seed3.model,
  config: { ...seed3.config, epochs: 20 },
  baseline: [2.298, 0.0781, 2.3048, 0.0554],
  epochs: SEED_MODEL_3_EPOCHS,
  probes: SEED_MODEL_3_PROBES,
});
export const SEED_MODEL_3 = { ...prefix(SEED_MODEL_3_20, 3), config: { ...seed3.config, epochs: 3 }, status: 'completed' as const };

/** A small CNN (Conv 16, Conv 32, Dense 64), Adam lr 0.001, 2 epochs on the full data. */
export const SMALL_CNN_MODEL: ModelSpec = {
  inputShape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', filters: 16, kernelSize: [3, 3], activation: 'relu' },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Conv2D', filters: 32, kernelSize: [3, 3], activation: 'relu' },
    { type: 'MaxPooling2D', poolSize: [2, 2] },
    { type: 'Flatten' },
    { type: 'Dense', units: 64, activation: 'relu' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};
export const SMALL_CNN = history({
  model: SMALL_CNN_MODEL,
  config: { ...seed3.config, epochs: 2 },
  baseline: [2.288, 0.148, 2.299, 0.142],
  epochs: [
    [0.585, 0.788, 0.417, 0.85],
    [0.381, 0.861, 0.387, 0.858],
  ],
  probes: {
    grads: [
      [0.183, 0.253, 0.373, 0.0895],
      [0.856, 0.636, 0.727, 0.765],
      [1.61, 0.793, 0.687, 0.863],
    ],
    dead: [
      [0.000185, 0.0284, 0.0156],
      [0.000277, 0.000517, 0.156],
      [0.00194, 0.000258, 0.156],
    ],
    saturated: [[0], [0.77], [0.81]],
  },
});

/** seed-model-1 with relu and He initialisation in layers 3–6 (its own fix), SGD lr 0.01, 3 epochs. */
export const SEED_MODEL_1_FIXED = history({
  model: {
    ...seed1.model,
    layers: seed1.model.layers.map((l) =>
      l.type === 'Dense' && l.activation === 'sigmoid' ? { ...l, activation: 'relu', kernelInitializer: 'he_normal' } : l,
    ),
  },
  config: { ...seed1.config, epochs: 3 },
  baseline: [2.382, 0.121, 2.367, 0.108],
  epochs: [
    [0.821, 0.714, 0.584, 0.789],
    [0.511, 0.821, 0.473, 0.833],
    [0.452, 0.84, 0.435, 0.844],
  ],
  probes: {
    grads: [
      [1.51, 0.455, 0.609, 0.807, 0.504, 0.402],
      [2.02, 0.985, 1.5, 1.99, 1.68, 1.86],
      [1.81, 0.714, 0.836, 1.1, 1.03, 1.03],
      [1.77, 0.725, 0.947, 1.15, 0.88, 0.885],
    ],
    dead: [
      [0, 0.0234, 0.0352, 0.0703, 0.0781],
      [0.0156, 0.0781, 0.0898, 0.133, 0.156],
      [0.0156, 0.0703, 0.0781, 0.125, 0.156],
      [0.0156, 0.0625, 0.0703, 0.109, 0.125],
    ],
    saturated: [[0], [0.66], [0.73], [0.76]],
  },
});

/** Conv 8, Conv 16, Dense 32 on 12,000 images (9,600 to train on), Adam lr 0.001, 2 epochs: slower per epoch, as few steps make. */
export const SMALLER_CNN = history({
  model: {
    ...SMALL_CNN_MODEL,
    layers: SMALL_CNN_MODEL.layers.map((l) =>
      l.type === 'Conv2D' ? { ...l, filters: l.filters / 2 } : l.type === 'Dense' && l.units === 64 ? { ...l, units: 32 } : l,
    ),
  },
  config: { ...seed3.config, epochs: 2, limit: 12000 },
  baseline: [2.313, 0.0117, 2.319, 0.0308],
  epochs: [
    [1.146, 0.589, 0.728, 0.715],
    [0.656, 0.752, 0.589, 0.779],
  ],
  probes: {
    grads: [
      [0.152, 0.426, 0.651, 0.138],
      [0.345, 0.847, 2.71, 2.04],
      [0.201, 0.391, 0.855, 0.943],
    ],
    dead: [
      [0.000185, 0.0527, 0.125],
      [0, 0, 0.313],
      [0, 0, 0.313],
    ],
    saturated: [[0], [0.61], [0.67]],
  },
});

/** Runs a user could make that have nothing wrong with them. */
export const HEALTHY: [string, RunHistory][] = [
  ['seed-model-3, 3 epochs', SEED_MODEL_3],
  ['seed-model-3, its first 10 epochs (validation loss still at its lowest)', { ...prefix(SEED_MODEL_3_20, 10), status: 'completed' }],
  ['a small CNN, 2 epochs', SMALL_CNN],
  ['seed-model-1 with relu and He initialisation, 3 epochs', SEED_MODEL_1_FIXED],
  ['a smaller CNN (Conv 8, Conv 16, Dense 32) on 12,000 images, 2 epochs', SMALLER_CNN],
  [
    'seed-model-3 without a validation split or probes, 3 epochs',
    history({
      model: seed3.model,
      config: { ...seed3.config, epochs: 3 },
      baseline: null,
      epochs: SEED_MODEL_3_EPOCHS.slice(0, 3).map(([loss, accuracy]) => [loss, accuracy, null, null] as Row),
    }),
  ],
];
