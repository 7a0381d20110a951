import { describe, expect, it } from 'vitest';
import {
  architectureDiff,
  chartSeries,
  METRIC_LABELS,
  METRICS,
  onlyDifferences,
  RUN_COLORS,
  runColor,
  runLabels,
  settingsTable,
  smooth,
  summaryTable,
} from '../../../../src/shared/reports/compare';
import { findPreset } from '../../../../src/shared/model/presets';
import type { ModelSpec } from '../../../../src/shared/model/model-spec';
import { ADAM, fixtureRun, SGD } from './run-fixtures';

const epochs4: [number, number, number, number, number][] = [
  [1, 0.5, 1, 0.5, 5],
  [0.8, 0.6, 0.9, 0.6, 5],
  [0.7, 0.65, 0.85, 0.62, 5],
  [0.6, 0.7, 0.84, 0.63, 5],
];

describe('run colours', () => {
  it('offers at least 16 distinct colours, one per run of the largest comparison', () => {
    expect(RUN_COLORS.length).toBeGreaterThanOrEqual(16);
    expect(new Set(RUN_COLORS.map((c) => c.toLowerCase())).size).toBe(RUN_COLORS.length);
    for (const c of RUN_COLORS) expect(c).toMatch(/^#[0-9a-f]{6}$/i);
  });

  it('gives a run the colour of its position, the same for every metric', () => {
    expect(runColor(0)).toBe(RUN_COLORS[0]);
    expect(runColor(3)).toBe(RUN_COLORS[3]);
    expect(runColor(RUN_COLORS.length)).toBe(RUN_COLORS[0]);
    const runs = [ADAM(), SGD()];
    const colours = METRICS.map((m) => chartSeries(runs, m).map((s) => s.color));
    for (const c of colours) expect(c).toEqual([RUN_COLORS[0], RUN_COLORS[1]]);
  });
});

describe('smoothing', () => {
  it('weight 0 gives the raw values back', () => {
    const v = [0.3, 0.9, null, 0.5];
    expect(smooth(v, 0)).toEqual(v);
  });

  it('is TensorBoard’s debiased moving average: the first point is the raw value, not pulled to 0', () => {
    const s = smooth([1, 0, 1, 0], 0.5);
    expect(s[0]).toBeCloseTo(1, 12);
    // last = 0.5*0.5 + 0 = 0.25 → / (1 − 0.25) = 1/3
    expect(s[1]).toBeCloseTo(1 / 3, 12);
    // last = 0.125 + 0.5 = 0.625 → / (1 − 0.125) = 5/7
    expect(s[2]).toBeCloseTo(5 / 7, 12);
  });

  it('lets nulls through without breaking the average', () => {
    const s = smooth([1, null, 0], 0.5);
    expect(s[1]).toBeNull();
    expect(s[2]).toBeCloseTo(1 / 3, 12);
  });

  it('keeps a constant series exactly constant and smooths a noisy one', () => {
    expect(smooth([0.7, 0.7, 0.7], 0.9)).toEqual([0.7, 0.7, 0.7]);
    const noisy = [1, 0, 1, 0, 1, 0, 1, 0];
    const s = smooth(noisy, 0.8) as number[];
    const spread = (xs: number[]) => Math.max(...xs.slice(4)) - Math.min(...xs.slice(4));
    expect(spread(s)).toBeLessThan(spread(noisy) / 2);
  });
});

describe('legend labels', () => {
  it('names two runs differing in optimizer and learning rate by both', () => {
    expect(runLabels([ADAM(), SGD()])).toEqual(['adam lr=0.001', 'sgd lr=0.01']);
  });

  it('adds the hidden activation when the networks differ only in it', () => {
    const sgdSigmoid = fixtureRun({ id: 3, preset: 'seed-model-1', epochs: epochs4 }); // sgd lr 0.01, relu then sigmoid×4
    expect(runLabels([ADAM(), sgdSigmoid])).toEqual(['adam lr=0.001, relu', 'sgd lr=0.01, sigmoid']);
    const sgdRelu = fixtureRun({ id: 4, preset: 'seed-model-2', config: { learningRate: 0.01 }, epochs: epochs4 });
    expect(runLabels([sgdRelu, sgdSigmoid])).toEqual(['relu', 'sigmoid']);
  });

  it('uses a learning rate alone when the optimizer is the same', () => {
    const a = fixtureRun({ id: 5, preset: 'seed-model-2', epochs: epochs4 });
    const b = fixtureRun({ id: 6, preset: 'seed-model-2', config: { learningRate: 0.01 }, epochs: epochs4 });
    expect(runLabels([a, b])).toEqual(['lr=0.001', 'lr=0.01']);
  });

  it('uses the architecture summary when the layers differ', () => {
    const small: ModelSpec = {
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Dense', units: 32, activation: 'relu' }, { type: 'Dense', units: 10, activation: 'softmax' }],
    };
    const b = fixtureRun({ id: 7, model: small, epochs: epochs4 });
    expect(runLabels([ADAM(), b])).toEqual(['Dense 64-128-256-128-64 relu', 'Dense 32 relu']);
  });

  it('falls back to the run names when nothing differs, and stays unique', () => {
    const a = fixtureRun({ id: 8, name: 'first try', epochs: epochs4 });
    const b = fixtureRun({ id: 9, name: 'second try', epochs: epochs4 });
    expect(runLabels([a, b])).toEqual(['first try', 'second try']);
    const c = fixtureRun({ id: 10, name: 'same', epochs: epochs4 });
    const d = fixtureRun({ id: 11, name: 'same', epochs: epochs4 });
    expect(runLabels([c, d])).toEqual(['same #10', 'same #11']);
  });

  it('adds the id where two of several runs share a label', () => {
    const a = fixtureRun({ id: 12, preset: 'seed-model-2', epochs: epochs4 });
    const b = fixtureRun({ id: 13, preset: 'seed-model-2', epochs: epochs4 });
    const c = fixtureRun({ id: 14, preset: 'seed-model-2', config: { learningRate: 0.1 }, epochs: epochs4 });
    const labels = runLabels([a, b, c]);
    expect(labels).toEqual(['lr=0.001 #12', 'lr=0.001 #13', 'lr=0.1']);
  });

  it('names runs by a detail of a layer when the summary is the same', () => {
    const preset = findPreset('seed-model-3')!;
    const l2: ModelSpec = {
      ...preset.model,
      layers: preset.model.layers.map((l, i) => (i === 2 && l.type === 'Dense' ? { ...l, kernelInitializer: 'he_normal' as const } : l)),
    };
    const labels = runLabels([ADAM(), fixtureRun({ id: 15, model: l2, epochs: epochs4 })]);
    expect(labels).toEqual(['L3 kernel_initializer=glorot_uniform', 'L3 kernel_initializer=he_normal']);
  });
});

describe('settings table', () => {
  it('has a row per hyperparameter, per layer and for the parameter count', () => {
    const rows = settingsTable([ADAM(), SGD()]);
    const keys = rows.map((r) => r.key);
    for (const k of [
      'optimizer',
      'learningRate',
      'momentum',
      'epochs',
      'batchSize',
      'validationSplit',
      'limit',
      'seed',
      'dataset',
      'backend',
      'preset',
      'params',
    ]) {
      expect(keys).toContain(k);
    }
    expect(rows.filter((r) => r.key.startsWith('layer-')).map((r) => r.label)).toEqual([
      'Layer 1',
      'Layer 2',
      'Layer 3',
      'Layer 4',
      'Layer 5',
      'Layer 6',
      'Layer 7',
    ]);
    expect(rows.find((r) => r.key === 'layer-3')!.values).toEqual(['Dense 256 relu', 'Dense 256 relu']);
    expect(rows.find((r) => r.key === 'params')!.values).toEqual(['133,386', '133,386']);
    expect(rows.find((r) => r.key === 'optimizer')!.values).toEqual(['adam', 'sgd']);
  });

  it('"only differences" keeps exactly the differing rows', () => {
    const rows = settingsTable([ADAM(), SGD()]);
    expect(onlyDifferences(rows).map((r) => r.key)).toEqual(['optimizer', 'learningRate', 'preset']);
    expect(rows.filter((r) => !r.differs).length).toBe(rows.length - 3);
  });

  it('shows "—" where a run has fewer layers, and marks those rows as differing', () => {
    const short: ModelSpec = {
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Dense', units: 64, activation: 'relu' }, { type: 'Dense', units: 10, activation: 'softmax' }],
    };
    const rows = settingsTable([ADAM(), fixtureRun({ id: 3, model: short, epochs: epochs4 })]);
    const diff = onlyDifferences(rows).map((r) => r.key);
    expect(rows.find((r) => r.key === 'layer-2')!.values).toEqual(['Dense 128 relu', 'Dense 10 softmax']);
    expect(rows.find((r) => r.key === 'layer-6')!.values).toEqual(['Dense 10 softmax', '—']);
    expect(diff).toEqual(expect.arrayContaining(['layer-2', 'layer-3', 'layer-4', 'layer-5', 'layer-6', 'params', 'preset']));
    expect(diff).not.toContain('layer-0');
    expect(diff).not.toContain('layer-1');
  });
});

describe('architecture diff', () => {
  it('names the layers and parameters that differ', () => {
    const sigmoid = fixtureRun({ id: 3, preset: 'seed-model-1', epochs: epochs4 });
    const diff = architectureDiff([ADAM(), sigmoid]);
    expect(diff).toHaveLength(7);
    expect(diff.filter((d) => d.differs).map((d) => d.index)).toEqual([2, 3, 4, 5]);
    expect(diff[2]).toEqual({ index: 2, values: ['Dense 128 relu', 'Dense 128 sigmoid'], differs: true, changedFields: ['activation'] });
    expect(diff[0]).toMatchObject({ differs: false, changedFields: [] });
  });

  it('treats a default written out as equal to one left out, and a missing layer as a difference', () => {
    const preset = findPreset('seed-model-3')!;
    const explicit: ModelSpec = {
      ...preset.model,
      layers: preset.model.layers.map((l) => (l.type === 'Dense' ? { ...l, useBias: true, kernelInitializer: 'glorot_uniform' as const } : l)),
    };
    expect(architectureDiff([ADAM(), fixtureRun({ id: 3, model: explicit, epochs: epochs4 })]).some((d) => d.differs)).toBe(false);
    const longer: ModelSpec = { ...preset.model, layers: [...preset.model.layers, { type: 'Dropout', rate: 0.1 }] };
    const diff = architectureDiff([ADAM(), fixtureRun({ id: 4, model: longer, epochs: epochs4 })]);
    expect(diff[7]).toEqual({ index: 7, values: [null, 'Dropout 0.1'], differs: true, changedFields: [] });
  });

  it('says "type" when two layers at one position are of different kinds', () => {
    const a: ModelSpec = {
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Dropout', rate: 0.2 }, { type: 'Dense', units: 10, activation: 'softmax' }],
    };
    const b: ModelSpec = {
      inputShape: [28, 28],
      layers: [{ type: 'Flatten' }, { type: 'Dense', units: 32, activation: 'relu' }, { type: 'Dense', units: 10, activation: 'softmax' }],
    };
    const diff = architectureDiff([fixtureRun({ id: 1, model: a, epochs: epochs4 }), fixtureRun({ id: 2, model: b, epochs: epochs4 })]);
    expect(diff[1].changedFields).toEqual(['type']);
    expect(diff[2].differs).toBe(false);
  });
});

describe('summary table', () => {
  const rows = summaryTable([ADAM(), SGD()]);
  const row = (key: string) => rows.find((r) => r.key === key)!;

  it('reports the best validation accuracy and the epoch it happened at, not the last one', () => {
    expect(row('bestValAccuracy').values).toEqual([0.86, 0.66]);
    expect(row('bestEpoch').values).toEqual([3, 4]);
    expect(row('finalValAccuracy').values).toEqual([0.85, 0.66]);
    expect(row('bestValLoss').values).toEqual([0.42, 1.1]);
    expect(row('finalValLoss').values).toEqual([0.44, 1.1]);
    expect(row('testAccuracy').values).toEqual([0.85, 0.64]);
  });

  it('marks the better run: higher accuracy, lower loss, less time', () => {
    expect(row('bestValAccuracy').best).toBe(0);
    expect(row('bestValLoss').best).toBe(0);
    expect(row('testAccuracy').best).toBe(0);
    expect(row('secondsPerEpoch').values).toEqual([10, 8]);
    expect(row('secondsPerEpoch').best).toBe(1);
    // Neither better nor worse: no best.
    expect(row('params').values).toEqual([133386, 133386]);
    expect(row('params').best).toBeNull();
    expect(row('backend').best).toBeNull();
    expect(row('epochs').values).toEqual(['4/4', '4/4']);
  });

  it('names the epoch of lowest validation loss as the best, and the accuracy one in a row of its own where it differs', () => {
    // ADAM's validation loss and accuracy both peak at epoch 3: no extra row.
    expect(rows.map((r) => r.key)).not.toContain('bestAccuracyEpoch');
    expect(row('bestEpoch').label).toMatch(/val loss/);
    // Validation loss bottoms out at epoch 2 while accuracy creeps on to epoch 4.
    const overfits = fixtureRun({
      id: 3,
      epochs: [
        [0.9, 0.7, 0.6, 0.8, 10],
        [0.5, 0.82, 0.4, 0.84, 10],
        [0.4, 0.86, 0.45, 0.85, 10],
        [0.3, 0.89, 0.5, 0.86, 10],
      ],
    });
    const table = summaryTable([ADAM(), overfits]);
    const get = (key: string) => table.find((r) => r.key === key)!;
    expect(get('bestEpoch').values).toEqual([3, 2]);
    expect(get('bestEpoch').best).toBeNull();
    // Text, not a figure: an epoch number is not better for being higher.
    expect(get('bestAccuracyEpoch')).toMatchObject({ label: 'Best epoch by val accuracy', values: ['3', '4'], best: null });
    expect(table.map((r) => r.key).indexOf('bestAccuracyEpoch')).toBe(table.map((r) => r.key).indexOf('bestEpoch') + 1);
  });

  it('has no best when only one run has a figure', () => {
    const noTest = { ...SGD(), testAccuracy: null };
    expect(summaryTable([ADAM(), noTest]).find((r) => r.key === 'testAccuracy')!.best).toBeNull();
  });
});

describe('chart series', () => {
  it('has a label for every metric', () => {
    expect(METRICS).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    for (const m of METRICS) expect(METRIC_LABELS[m]).toBeTruthy();
  });

  it('plots every epoch of every run, raw and smoothed, labelled by what differs', () => {
    const series = chartSeries([ADAM(), SGD()], 'val_accuracy', { xAxis: 'epoch', smoothing: 0.6 });
    expect(series.map((s) => [s.runId, s.label])).toEqual([
      [1, 'adam lr=0.001'],
      [2, 'sgd lr=0.01'],
    ]);
    expect(series[0].points.map((p) => p.x)).toEqual([1, 2, 3, 4]);
    expect(series[0].points.map((p) => p.raw)).toEqual([0.78, 0.84, 0.86, 0.85]);
    expect(series[0].points[0].y).toBeCloseTo(0.78, 12);
    expect(series[0].points[3].y).not.toBeCloseTo(0.85, 3);
  });

  it('marks the best epoch: the highest accuracy, the lowest loss', () => {
    const acc = chartSeries([ADAM(), SGD()], 'val_accuracy');
    expect(acc[0].best).toEqual({ x: 3, y: 0.86 });
    expect(acc[1].best).toEqual({ x: 4, y: 0.66 });
    const loss = chartSeries([ADAM()], 'val_loss');
    expect(loss[0].best).toEqual({ x: 3, y: 0.42 });
  });

  it('puts wall-clock time on x when asked: seconds up to the end of each epoch', () => {
    const s = chartSeries([ADAM()], 'loss', { xAxis: 'time' });
    expect(s[0].points.map((p) => p.x)).toEqual([10, 21, 30, 40]);
    expect(s[0].best).toEqual({ x: 40, y: 0.3 });
  });

  it('has no best point for a run without validation values', () => {
    const r = fixtureRun({ id: 3, epochs: [[1, 0.5, null, null, 3]] });
    const s = chartSeries([r], 'val_accuracy');
    expect(s[0].points).toEqual([{ x: 1, y: null, raw: null }]);
    expect(s[0].best).toBeNull();
  });
});
