import { describe, expect, it } from 'vitest';
import type { Finding, FindingKind } from '../../../../src/shared/diagnostics/findings';
import { bestEpoch, diagnose, type RunHistory } from '../../../../src/shared/diagnostics/rules';
import { summarizeModel } from '../../../../src/shared/model/model-math';
import type { ModelSpec } from '../../../../src/shared/model/model-spec';
import { modelSpecSchema, trainingConfigSchema } from '../../../../src/shared/model/schemas';
import {
  HEALTHY,
  history,
  prefix,
  seed1,
  seed2,
  seed3,
  SEED_MODEL_1,
  SEED_MODEL_2,
  SEED_MODEL_3,
  SEED_MODEL_3_20,
  SMALL_CNN_MODEL,
} from './histories';

const kinds = (fs: Finding[]) => fs.map((f) => f.kind);
const loud = (fs: Finding[]) => fs.filter((f) => f.severity !== 'info');
const find = (run: RunHistory, kind: FindingKind) => diagnose(run).find((f) => f.kind === kind);

/** A tanh stack whose hidden layers sit at ±1 from the start (weights far too large). */
const TANH_MODEL: ModelSpec = {
  inputShape: [28, 28],
  layers: [
    { type: 'Flatten' },
    { type: 'Dense', units: 64, activation: 'tanh', kernelInitializer: 'random_normal' },
    { type: 'Dense', units: 64, activation: 'tanh' },
    { type: 'Dense', units: 10, activation: 'softmax' },
  ],
};
const SATURATED = history({
  model: TANH_MODEL,
  config: { ...seed3.config, epochs: 3 },
  epochs: [
    [1.9, 0.35, 1.8, 0.38],
    [1.7, 0.42, 1.65, 0.44],
    [1.6, 0.45, 1.6, 0.46],
  ],
  probes: {
    grads: [
      [0.2, 0.3, 0.4],
      [0.2, 0.3, 0.4],
      [0.2, 0.3, 0.4],
      [0.2, 0.3, 0.4],
    ],
    saturated: [
      [0.62, 0.2, 0],
      [0.85, 0.3, 0.5],
      [0.9, 0.35, 0.6],
      [0.92, 0.4, 0.6],
    ],
  },
});

/** seed-model-3 whose fourth layer (the 256-unit Dense) loses most of its units in the first epoch. */
const DEAD = history({
  model: seed3.model,
  config: { ...seed3.config, epochs: 3 },
  baseline: [2.298, 0.0781, 2.3048, 0.0554],
  epochs: [
    [0.62, 0.78, 0.5, 0.82],
    [0.45, 0.84, 0.45, 0.84],
    [0.41, 0.85, 0.43, 0.845],
  ],
  probes: {
    dead: [
      [0, 0.02, 0.08, 0.05, 0.1],
      [0.1, 0.05, 0.72, 0.2, 0.25],
      [0.1, 0.05, 0.8, 0.2, 0.25],
      [0.1, 0.05, 0.81, 0.2, 0.25],
    ],
  },
});

/** sgd lr 2 on seed-model-3: the global gradient norm grows by orders of magnitude and the loss climbs. */
const EXPLODING = history({
  model: seed3.model,
  config: { ...seed3.config, optimizer: 'sgd', learningRate: 2, epochs: 3 },
  epochs: [
    [2.1, 0.3, 2.0, 0.3],
    [3.5, 0.2, 4.0, 0.18],
    [6.0, 0.15, 7.5, 0.12],
  ],
  probes: {
    grads: [
      [0.33, 0.15, 0.2, 0.19, 0.13, 0.079],
      [2, 1, 1, 1, 1, 1],
      [40, 30, 30, 20, 20, 10],
      [400, 300, 300, 200, 200, 100],
    ],
  },
});

/** The same, where NaNs appeared in the weights before the loss itself broke. */
const NONFINITE = history({
  model: seed3.model,
  config: { ...seed3.config, optimizer: 'sgd', learningRate: 2, epochs: 2 },
  epochs: [
    [2.1, 0.3, 2.0, 0.3],
    [2.2, 0.25, 2.1, 0.26],
  ],
  probes: {
    nonfinite: [
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
      [0, 12, 0, 0, 0, 0],
    ],
  },
});

/** Adam at lr 1 on seed-model-3: every unit dies at once and the network sits at chance. */
const AT_CHANCE = history({
  model: seed3.model,
  config: { ...seed3.config, learningRate: 1, epochs: 3 },
  epochs: [
    [2.35, 0.1, 2.303, 0.1],
    [2.303, 0.099, 2.302, 0.1],
    [2.303, 0.1, 2.302, 0.1],
  ],
});

/** The training loss jumps up twice, falling in between: steps too large for the valley they are in. */
const UNSTABLE = history({
  model: seed3.model,
  config: { ...seed3.config, learningRate: 0.005, epochs: 6 },
  epochs: [
    [0.9, 0.7, 0.8, 0.72],
    [0.6, 0.78, 0.62, 0.77],
    [0.75, 0.74, 0.8, 0.72],
    [0.5, 0.82, 0.55, 0.8],
    [0.7, 0.76, 0.75, 0.74],
    [0.45, 0.84, 0.5, 0.82],
  ],
});

const DIVERGED_MESSAGE =
  'Training diverged at epoch 1 (batch 4 of 750): the loss became NaN. The learning rate (50) is too high for this model and optimizer; lower it and train again.';
/** sgd lr 50 on seed-model-3, as the trainer fails it: no epoch finished. */
const DIVERGED = history({
  model: seed3.model,
  config: { ...seed3.config, optimizer: 'sgd', learningRate: 50, epochs: 3 },
  epochs: [],
  probes: { grads: [[0.33, 0.15, 0.2, 0.19, 0.13, 0.079]] },
  status: 'failed',
  error: DIVERGED_MESSAGE,
});

/** Every made-up history with its one fault. */
const SICK: [FindingKind, RunHistory][] = [
  ['vanishing-gradients', SEED_MODEL_1],
  ['not-learning', SEED_MODEL_1],
  ['saturated-activations', SATURATED],
  ['dead-relu', DEAD],
  ['exploding-gradients', EXPLODING],
  ['exploding-gradients', NONFINITE],
  ['not-learning', AT_CHANCE],
  ['learning-slowly', SEED_MODEL_2],
  ['overfitting', SEED_MODEL_3_20],
  ['unstable-loss', UNSTABLE],
  ['diverged', DIVERGED],
];

describe('diagnose: healthy runs get no warning or problem', () => {
  it.each(HEALTHY)('%s: none after any of its epochs', (_, run) => {
    for (let n = 0; n <= run.epochs.length; n++) {
      expect(loud(diagnose(prefix(run, n))), `after epoch ${n}`).toEqual([]);
    }
  });

  it('nothing at all before the first epoch, and nothing from a baseline alone', () => {
    for (const [, run] of [...HEALTHY, ...SICK.filter(([k]) => k !== 'diverged')]) expect(diagnose(prefix(run, 0))).toEqual([]);
  });

  it('one epoch does not cry wolf: a slow first epoch, a first epoch at chance, an unlucky validation figure say nothing yet', () => {
    expect(diagnose(prefix(SEED_MODEL_2, 1))).toEqual([]);
    expect(diagnose(prefix(AT_CHANCE, 1))).toEqual([]);
    expect(diagnose(prefix(UNSTABLE, 1))).toEqual([]);
    expect(diagnose(prefix(DEAD, 1))).toEqual([]);
    // seed-model-1's gradients have vanished on two probes by then (epoch 0 and 1), and its loss sits at chance: that is said at once.
    expect(kinds(diagnose(prefix(SEED_MODEL_1, 1)))).toEqual(['vanishing-gradients']);
  });

  it('the output softmax being confident (most outputs near 0 or 1) is not saturation', () => {
    expect(kinds(diagnose(SEED_MODEL_3))).not.toContain('saturated-activations');
  });
});

describe('diagnose: each kind of fault is found', () => {
  it.each(SICK)('%s', (kind, run) => {
    const found = find(run, kind);
    expect(found, JSON.stringify(diagnose(run), null, 1)).toBeDefined();
    expect(found!.severity).not.toBe('info');
    expect(found!.message.length).toBeGreaterThan(40);
    expect(found!.message).toMatch(/\d/);
    expect(found!.evidence.text).toMatch(/\d/);
    const last = run.epochs.length === 0 ? 1 : run.epochs[run.epochs.length - 1].epoch;
    expect(found!.evidence.fromEpoch).toBeGreaterThanOrEqual(0);
    expect(found!.evidence.fromEpoch).toBeLessThanOrEqual(found!.evidence.toEpoch);
    expect(found!.evidence.toEpoch).toBeLessThanOrEqual(last);
    expect(found!.epoch).toBeLessThanOrEqual(last);
  });

  it('seed-model-1: vanishing gradients from epoch 1 naming the layers (numbered from 1) and by how much, then not learning from epoch 2; relu in layers 3–6 as the fix', () => {
    const findings = diagnose(SEED_MODEL_1);
    expect(findings.map((f) => [f.kind, f.severity, f.epoch])).toEqual([
      ['vanishing-gradients', 'problem', 1],
      ['not-learning', 'problem', 2],
    ]);
    const [vanishing, notLearning] = findings;
    expect(vanishing.message).toContain('layer 3 (Dense, sigmoid) gets 1/180 of the output layer');
    expect(vanishing.message).toContain('Layers 3–6 use sigmoid');
    expect(vanishing.message).toMatch(/barely moves \(2\.30 at epoch 3/);
    expect(vanishing.evidence).toMatchObject({ chart: 'gradients', fromEpoch: 0, toEpoch: 3 });
    // The four sigmoid layers (spec indexes 2–5) are in the evidence, with the layers whose gradient vanished.
    expect(vanishing.evidence.layers).toEqual(expect.arrayContaining([1, 2, 3, 4, 5]));
    expect(vanishing.suggestion!.summary).toBe('use relu in layers 3–6 (with He initialization)');
    expect(vanishing.suggestion!.model!.layers.map((l) => ('activation' in l ? l.activation : l.type))).toEqual([
      'Flatten',
      'relu',
      'relu',
      'relu',
      'relu',
      'relu',
      'softmax',
    ]);
    expect(vanishing.suggestion!.config).toBeUndefined();
    expect(notLearning.message).toContain('epochs 1–3');
    expect(notLearning.evidence).toMatchObject({ chart: 'loss', fromEpoch: 1, toEpoch: 3 });
    expect(notLearning.suggestion!.summary).toBe('use relu in layers 3–6 (with He initialization)');
  });

  it('seed-model-2: learning slowly from epoch 2, with the pace in words; switch to adam lr 0.001', () => {
    const slow = find(SEED_MODEL_2, 'learning-slowly')!;
    expect(kinds(diagnose(SEED_MODEL_2))).toEqual(['learning-slowly']);
    expect(slow.severity).toBe('warning');
    expect(slow.epoch).toBe(2);
    expect(slow.message).toContain('from 2.30 to 0.911 in 5 epochs');
    expect(slow.message).toContain('needs about 7 epochs');
    expect(slow.suggestion).toEqual({
      summary: 'switch to adam lr 0.001',
      config: { ...SEED_MODEL_2.config, optimizer: 'adam', learningRate: 0.001 },
    });
  });

  it('a slow learner that already uses Adam below its usual rate is told to raise it', () => {
    const run = { ...SEED_MODEL_2, config: { ...SEED_MODEL_2.config, optimizer: 'adam' as const, learningRate: 0.0001 } };
    expect(find(run, 'learning-slowly')!.suggestion!.summary).toBe('raise the learning rate to 0.001');
  });

  it('the pace is judged in images trained on: many short epochs on a few images are not slow, a timid optimizer on them is', () => {
    const valLosses = [1.6, 1.2, 1.0, 0.9, 0.82, 0.76, 0.72, 0.69, 0.66, 0.64];
    const fewImages = history({
      model: seed3.model,
      config: { ...seed3.config, limit: 1000, epochs: 10 },
      epochs: valLosses.map((v) => [v + 0.1, 0.7, v, 0.72]),
    });
    expect(kinds(diagnose(fewImages))).not.toContain('learning-slowly');
    // seed-model-2 on 6,000 images: 20 epochs are 1,500 steps, two epochs' worth of the full data.
    const timid = history({
      model: seed2.model,
      config: { ...seed2.config, limit: 6000, epochs: 20 },
      epochs: Array.from({ length: 20 }, (_, i) => {
        const v = 2.28 - 0.025 * (i + 1);
        return [v + 0.03, 0.2 + 0.01 * i, v, 0.22 + 0.01 * i];
      }),
    });
    expect(find(timid, 'learning-slowly')!.suggestion!.summary).toBe('switch to adam lr 0.001');
  });

  it('a loss that has levelled off far above the reachable level is not "slow": more epochs would not help', () => {
    const run = history({
      model: seed3.model,
      config: { ...seed3.config, optimizer: 'sgd', learningRate: 0.001, epochs: 5 },
      epochs: [
        [1.6, 0.5, 1.4, 0.55],
        [1.3, 0.6, 1.2, 0.6],
        [1.2, 0.62, 1.15, 0.61],
        [1.18, 0.63, 1.14, 0.61],
        [1.17, 0.63, 1.13, 0.62],
      ],
    });
    expect(kinds(diagnose(run))).not.toContain('learning-slowly');
  });

  it('seed-model-3 over 20 epochs: overfitting from epoch 14, the best epoch 10 (lowest validation loss), early stopping as the fix', () => {
    const over = find(SEED_MODEL_3_20, 'overfitting')!;
    expect(loud(diagnose(SEED_MODEL_3_20)).map((f) => f.kind)).toEqual(['overfitting']);
    expect(bestEpoch(SEED_MODEL_3_20.epochs)!.epoch).toBe(10);
    expect(over).toMatchObject({ severity: 'warning', epoch: 14, evidence: { chart: 'loss', fromEpoch: 10, toEpoch: 20 } });
    expect(over.message).toContain('The best epoch is 10 (lowest validation loss, validation accuracy 0.885)');
    expect(over.message).toContain('0.327 at epoch 10');
    expect(over.suggestion!.summary).toBe('stop early at the best epoch (early stopping on validation loss, patience 3, restore best weights)');
    expect(over.suggestion!.config!.earlyStopping).toEqual({ monitor: 'val_loss', patience: 3, minDelta: 0, restoreBest: true });
  });

  it('overfitting does not come and go with noisy epochs: once the validation loss has risen it holds until a new lowest', () => {
    const seen = Array.from({ length: 20 }, (_, i) => kinds(diagnose(prefix(SEED_MODEL_3_20, i + 1))).includes('overfitting'));
    expect(seen.indexOf(true)).toBe(13);
    expect(seen.slice(13).every(Boolean)).toBe(true);
    // A new lowest ends it: that was a bump, not overfitting.
    const recovered = {
      ...SEED_MODEL_3_20,
      epochs: [...SEED_MODEL_3_20.epochs, { ...SEED_MODEL_3_20.epochs[19], epoch: 21, valLoss: 0.32, loss: 0.18 }],
    };
    expect(kinds(diagnose(recovered))).not.toContain('overfitting');
  });

  it('with early stopping already on, overfitting is information and the fix is a Dropout after the widest layer', () => {
    const config = { ...SEED_MODEL_3_20.config, earlyStopping: { monitor: 'val_loss' as const, patience: 3, minDelta: 0, restoreBest: true } };
    const stopped = { ...prefix(SEED_MODEL_3_20, 14), config, status: 'completed' as const };
    const over = find(stopped, 'overfitting')!;
    expect(over.severity).toBe('info');
    expect(over.message).toContain('Early stopping keeps that epoch’s weights');
    expect(over.suggestion!.summary).toBe('add Dropout 0.2 after layer 4');
    expect(over.suggestion!.model!.layers[4]).toEqual({ type: 'Dropout', rate: 0.2 });
  });

  it('a training accuracy running ahead of validation while validation loss still falls is only information', () => {
    const run = history({
      model: seed3.model,
      config: { ...seed3.config, epochs: 3 },
      epochs: [
        [0.5, 0.82, 0.45, 0.8],
        [0.35, 0.9, 0.42, 0.83],
        [0.25, 0.93, 0.41, 0.84],
      ],
    });
    const over = find(run, 'overfitting')!;
    expect(over).toMatchObject({ severity: 'info', epoch: 3, evidence: { chart: 'accuracy', fromEpoch: 2, toEpoch: 3 } });
  });

  it('saturated tanh layers: the layer and its figure are named; relu is the fix', () => {
    const sat = find(SATURATED, 'saturated-activations')!;
    expect(sat).toMatchObject({ severity: 'warning', epoch: 1, evidence: { chart: 'activations', layers: [1] } });
    expect(sat.message).toContain('layer 2 (Dense, tanh) 92 %');
    expect(sat.suggestion!.summary).toBe('use relu in layers 2 and 3 (with He initialization)');
  });

  it('dead ReLUs: found once two probes agree, the layer named; elu as the fix at a sane learning rate, a lower rate when it is high', () => {
    const dead = find(DEAD, 'dead-relu')!;
    expect(dead).toMatchObject({ severity: 'warning', epoch: 2, evidence: { chart: 'activations', layers: [3] } });
    expect(dead.message).toContain('layer 4 (Dense, relu) 81 %');
    expect(dead.suggestion!.summary).toBe('use elu in layer 4 (with He initialization)');
    const high = { ...DEAD, config: { ...DEAD.config, learningRate: 0.05 } };
    expect(find(high, 'dead-relu')!.suggestion!.summary).toBe('lower the learning rate to 0.001');
  });

  it('exploding gradients: the growth of the global gradient norm in words; NaNs in the weights count at once', () => {
    const exploding = find(EXPLODING, 'exploding-gradients')!;
    expect(exploding).toMatchObject({ severity: 'problem', epoch: 2, evidence: { chart: 'gradients' } });
    expect(exploding.message).toMatch(/global gradient norm grew from 0\.4\d+ to \d+/);
    expect(exploding.suggestion!.summary).toBe('lower the learning rate to 0.01');
    const nonfinite = find(NONFINITE, 'exploding-gradients')!;
    expect(nonfinite).toMatchObject({ epoch: 2, evidence: { layers: [2] } });
    expect(nonfinite.message).toContain('layer 3 had NaN or infinite values');
  });

  it('stuck at chance without sigmoids: not learning, and the far too high learning rate comes down', () => {
    const findings = diagnose(AT_CHANCE);
    expect(kinds(findings)).toEqual(['not-learning']);
    expect(findings[0].suggestion!.summary).toBe('lower the learning rate to 0.001');
  });

  it('chance follows the dataset: a three-class run stuck at ln 3 and a third right is not learning; the same figures on ten classes are learning', () => {
    const stuck = {
      ...history({
        model: seed3.model,
        config: { ...seed3.config, epochs: 3 },
        baseline: [1.1, 0.33, 1.1, 0.33],
        epochs: [
          [1.1, 0.34, 1.099, 0.33],
          [1.099, 0.33, 1.098, 0.34],
          [1.099, 0.33, 1.098, 0.33],
        ],
      }),
      dataset: { classNames: ['red', 'green', 'blue'] },
    };
    const finding = find(stuck, 'not-learning')!;
    expect(finding.message).toContain('guessing among 3 classes gives ln 3 ≈ 1.099');
    // Among ten classes, a loss of 1.1 and a third right is far from chance (ln 10 ≈ 2.303, 10%).
    expect(find({ ...stuck, dataset: null }, 'not-learning')).toBeUndefined();
  });

  it('unstable loss: found at the second jump, each jump listed', () => {
    const unstable = find(UNSTABLE, 'unstable-loss')!;
    expect(unstable).toMatchObject({ severity: 'warning', epoch: 5, evidence: { chart: 'loss', fromEpoch: 2, toEpoch: 5 } });
    expect(unstable.message).toContain('0.600 → 0.750 at epoch 3; 0.500 → 0.700 at epoch 5');
    expect(unstable.suggestion!.summary).toBe('lower the learning rate to 0.0005');
  });

  it('diverged: from the failed run’s message, at the epoch it names, with the learning rate back to sgd’s usual 0.01', () => {
    const findings = diagnose(DIVERGED);
    expect(kinds(findings)).toEqual(['diverged']);
    expect(findings[0]).toMatchObject({
      severity: 'problem',
      epoch: 1,
      evidence: { chart: 'loss', fromEpoch: 1, toEpoch: 1, text: DIVERGED_MESSAGE },
    });
    expect(findings[0].message).toContain('the loss became NaN');
    expect(findings[0].suggestion!.summary).toBe('lower the learning rate to 0.01');
    // A failure for another reason is not divergence.
    expect(diagnose({ ...DIVERGED, error: 'The model cannot be trained: the stack is empty' })).toEqual([]);
  });

  it('diverged: from a non-finite loss in the record', () => {
    const run = history({
      model: seed3.model,
      config: { ...seed3.config, learningRate: 0.5 },
      epochs: [
        [1.5, 0.5, 1.2, 0.6],
        [NaN, 0.1, NaN, 0.1],
      ],
    });
    const found = find(run, 'diverged')!;
    expect(found).toMatchObject({ epoch: 2, severity: 'problem' });
    expect(found.message).toContain('the loss became NaN');
    expect(found.suggestion!.summary).toBe('lower the learning rate to 0.001');
  });
});

describe('diagnose: order, stability and purity', () => {
  it('orders findings by severity, then by the epoch they were first true at', () => {
    const order = { problem: 0, warning: 1, info: 2 };
    for (const [, run] of SICK) {
      const fs = diagnose(run);
      for (let i = 1; i < fs.length; i++) {
        const [a, b] = [fs[i - 1], fs[i]];
        expect(order[a.severity] < order[b.severity] || (order[a.severity] === order[b.severity] && a.epoch <= b.epoch)).toBe(true);
      }
    }
  });

  it('a finding, once raised while a run trains, stays as more epochs come in (overfitting aside, which ends at a new lowest)', () => {
    for (const [kind, run] of SICK) {
      if (kind === 'overfitting' || kind === 'diverged') continue;
      let since: number | null = null;
      for (let n = 1; n <= run.epochs.length; n++) {
        const present = kinds(diagnose(prefix(run, n))).includes(kind);
        if (since !== null) expect(present, `${kind} after epoch ${n}`).toBe(true);
        if (present && since === null) since = n;
      }
    }
  });

  it('is deterministic and leaves the run untouched', () => {
    for (const [, run] of [...SICK, ...HEALTHY]) {
      const before = structuredClone(run);
      const first = diagnose(run);
      expect(diagnose(run)).toEqual(first);
      expect(run).toEqual(before);
    }
  });

  it('takes a run’s epochs in any order', () => {
    const shuffled = { ...SEED_MODEL_2, epochs: [...SEED_MODEL_2.epochs].reverse() };
    expect(diagnose(shuffled)).toEqual(diagnose(SEED_MODEL_2));
  });
});

describe('suggestions are networks and settings the app can train', () => {
  const suggestions = [...SICK, ['overfitting', { ...SEED_MODEL_3_20, config: { ...SEED_MODEL_3_20.config, earlyStopping: null } }] as const]
    .flatMap(([, run]) => diagnose(run).map((f) => [f.kind, f.suggestion, run] as const))
    .filter(([, s]) => s !== null);

  it('there is one for every fault found here', () => {
    expect(new Set(suggestions.map(([k]) => k))).toEqual(new Set(SICK.map(([k]) => k)));
  });

  it.each(suggestions.map(([kind, s, run]) => [`${kind}: ${s!.summary}`, s!, run] as const))('%s', (_, suggestion, run) => {
    expect(suggestion.model ?? suggestion.config).toBeDefined();
    if (suggestion.model) {
      expect(modelSpecSchema.safeParse(suggestion.model).success).toBe(true);
      expect(summarizeModel(suggestion.model).problems).toEqual([]);
      expect(suggestion.model).not.toEqual(run.model);
    }
    if (suggestion.config) {
      const parsed = trainingConfigSchema.safeParse(suggestion.config);
      expect(parsed.success, parsed.error?.message).toBe(true);
      expect(suggestion.config).not.toEqual(run.config);
    }
  });

  it('a CNN with sigmoid convolutions gets relu in those layers, shapes unchanged', () => {
    const model: ModelSpec = {
      ...SMALL_CNN_MODEL,
      layers: SMALL_CNN_MODEL.layers.map((l) => (l.type === 'Conv2D' ? { ...l, activation: 'sigmoid' as const } : l)),
    };
    const run = history({
      model,
      config: { ...seed1.config, epochs: 2 },
      epochs: [
        [2.305, 0.1, 2.303, 0.1],
        [2.303, 0.1, 2.303, 0.1],
      ],
    });
    const fix = find(run, 'not-learning')!.suggestion!;
    expect(fix.summary).toBe('use relu in layers 1 and 3 (with He initialization)');
    expect(summarizeModel(fix.model!).problems).toEqual([]);
    expect(summarizeModel(fix.model!).layers.map((l) => l.outputShape)).toEqual(summarizeModel(model).layers.map((l) => l.outputShape));
  });
});
