/**
 * The window's repeats and sweeps, in pure parts: the Sweep dialog's settings and
 * value checks, the runs table's group rows, and the comparison chart's mean ± std
 * bands (datasets, fills, tooltip).
 */
import { describe, expect, it } from 'vitest';
import type { StartRunRequest } from '../../../src/shared/contract/requests';
import type { RunGroup, RunStatus, RunSummary } from '../../../src/shared/contract/runs';
import { findPreset } from '../../../src/shared/model/presets';
import { describeGroup, groupProblem, parseValues, sweepSettings } from '../../../src/renderer/lib/sweep';
import { groupFigures, runRows, sharedValue } from '../../../src/renderer/lib/run-rows';
import { bandSpec, groupChartSeries } from '../../../src/renderer/lib/charts/band-chart';
import { lineChartConfig, SPREADS_ID } from '../../../src/renderer/lib/charts/line-chart';
import { fixtureRun } from '../shared/reports/run-fixtures';

const preset = findPreset('seed-model-3')!;
const base: StartRunRequest = { presetId: preset.id, datasetId: 'fashion-mnist', model: preset.model, config: { ...preset.config, limit: 600 } };

describe('the Sweep dialog', () => {
  it('offers the training settings, then each layer’s single-value fields, keyed as the contract names them', () => {
    const settings = sweepSettings(base);
    expect(settings.slice(0, 5).map((s) => s.key)).toEqual(['learningRate', 'optimizer', 'batchSize', 'epochs', 'momentum']);
    const lr = settings.find((s) => s.key === 'learningRate')!;
    expect(lr.current).toBe(String(base.config.learningRate));
    const firstDense = base.model.layers.findIndex((l) => l.type === 'Dense') + 1;
    const units = settings.find((s) => s.key === `layer${firstDense}.units`)!;
    expect(units.label).toBe(`Layer ${firstDense} (Dense): units`);
    const activation = settings.find((s) => s.key === `layer${firstDense}.activation`)!;
    expect(activation.choices).toContain('relu');
    // Flatten has nothing to sweep.
    expect(settings.some((s) => s.key.startsWith('layer1.'))).toBe(base.model.layers[0].type !== 'Flatten');
  });

  it('reads comma-separated values as the core will check them, naming the first bad one', () => {
    const settings = sweepSettings(base);
    const lr = settings.find((s) => s.key === 'learningRate')!;
    expect(parseValues(base, lr, ' 0.1, 0.01 ,1e-3')).toEqual({ ok: true, values: [0.1, 0.01, 0.001] });
    expect(parseValues(base, lr, '')).toEqual({ ok: false, message: 'Type one or more values for learning rate, separated by commas.' });
    expect(parseValues(base, lr, '0.1,,0.2')).toMatchObject({ ok: false, message: expect.stringContaining('empty') });
    expect(parseValues(base, lr, '0.1, fast')).toEqual({ ok: false, message: 'lr=fast: a learning rate is a number like 0.001.' });
    expect(parseValues(base, lr, '0.1, 0.1')).toMatchObject({ ok: false, message: expect.stringContaining('twice') });
    const optimizer = settings.find((s) => s.key === 'optimizer')!;
    expect(parseValues(base, optimizer, 'Adam, sgd')).toEqual({ ok: true, values: ['adam', 'sgd'] });
    expect(parseValues(base, optimizer, 'adam, lbfgs')).toMatchObject({ ok: false, message: expect.stringContaining('“lbfgs” is not one of sgd') });
    const dense = base.model.layers.findIndex((l) => l.type === 'Dense') + 1;
    const units = settings.find((s) => s.key === `layer${dense}.units`)!;
    expect(parseValues(base, units, '64, 128')).toEqual({ ok: true, values: [64, 128] });
    expect(parseValues(base, units, '64, 0')).toMatchObject({ ok: false, message: expect.stringContaining('at least 1') });
  });

  it('says how many runs a group is, and refuses one over the limit', () => {
    expect(describeGroup(2, [{ values: [1, 2] }, { values: ['a', 'b'] }])).toBe('8 runs (2 × 2 settings × 2 seeds)');
    expect(describeGroup(3, [])).toBe('3 runs (3 seeds)');
    expect(describeGroup(1, [{ values: [1, 2, 3, 4] }])).toBe('4 runs (4 settings × 1 seed)');
    const values = Array.from({ length: 15 }, (_, i) => 32 + i);
    expect(groupProblem({ run: base, repeat: 1, axes: [{ key: 'batchSize', values }] })).toBeNull();
    expect(groupProblem({ run: base, repeat: 20, axes: [{ key: 'batchSize', values }] })).toMatch(/300 runs; at most 200/);
  });
});

function summary(id: number, groupId: number | null, status: RunStatus, bestValAccuracy: number | null, extra: Partial<RunSummary> = {}): RunSummary {
  const run = fixtureRun({ id, epochs: [[1, 0.5, 1, 0.5, 1]], groupId });
  const { model: _m, config: _c, epochs: _e, ...rest } = run;
  return {
    ...(rest as unknown as RunSummary),
    status,
    bestValAccuracy,
    bestValLoss: bestValAccuracy === null ? null : 1 - bestValAccuracy,
    ...extra,
  };
}

const repeat: RunGroup = {
  id: 1,
  kind: 'repeat',
  name: 'three seeds',
  createdAt: '2026-11-30T20:00:00Z',
  repeat: 3,
  seed: 42,
  axes: [],
  runIds: [2, 3, 4],
};

describe('group rows in the runs table', () => {
  // Newest first, as the table lists them: 5 (alone), 4, 3, 2 (the group), 1 (alone).
  const list = [
    summary(5, null, 'completed', 0.7),
    summary(4, 1, 'running', null),
    summary(3, 1, 'completed', 0.82),
    summary(2, 1, 'completed', 0.8),
    summary(1, null, 'completed', 0.6),
  ];

  it('puts a group where its first run would be, its runs under it only while expanded (in the group’s order)', () => {
    const collapsed = runRows(list, list, [repeat], []);
    expect(collapsed.map((r) => (r.kind === 'run' ? `r${r.run.id}` : `g${r.group.id}`))).toEqual(['r5', 'g1', 'r1']);
    const expanded = runRows(list, list, [repeat], [1]);
    expect(expanded.map((r) => (r.kind === 'run' ? `r${r.run.id}${r.member ? 'm' : ''}` : `g${r.group.id}`))).toEqual([
      'r5',
      'g1',
      'r2m',
      'r3m',
      'r4m',
      'r1',
    ]);
  });

  it('keeps a group while a filter leaves any of its runs, with its totals over all of them', () => {
    const filtered = list.filter((r) => r.id === 3 || r.id === 1);
    const rows = runRows(filtered, list, [repeat], [1]);
    expect(rows.map((r) => (r.kind === 'run' ? `r${r.run.id}` : `g${r.group.id}`))).toEqual(['g1', 'r3', 'r1']);
    const group = rows[0];
    expect(group.kind === 'group' && group.all.map((r) => r.id)).toEqual([2, 3, 4]);
    expect(runRows([list[0]], list, [repeat], [1]).map((r) => r.kind)).toEqual(['run']);
  });

  it('shows runs done of all, and the mean best validation accuracy ± std of the completed runs', () => {
    const f = groupFigures(repeat, list.slice(1, 4));
    expect(f).toMatchObject({ done: 2, total: 3, running: 1 });
    expect(f.bestValAccuracy!.mean).toBeCloseTo(0.81, 10);
    expect(f.bestValAccuracy!.std).toBeCloseTo(Math.sqrt(0.0002), 10);
    expect(f.bestValAccuracy!.n).toBe(2);
    expect(sharedValue(list.slice(1, 4), (r) => r.optimizer)).toBe(list[1].optimizer);
    expect(
      sharedValue(
        [summary(7, 1, 'completed', 0.8, { learningRate: 0.1 }), summary(8, 1, 'completed', 0.8, { learningRate: 0.01 })],
        (r) => r.learningRate,
      ),
    ).toBeNull();
  });
});

describe('a group in the comparison chart', () => {
  const runs = [
    fixtureRun({
      id: 1,
      epochs: [
        [2, 0.3, 1.8, 0.4, 1],
        [1.5, 0.5, 1.4, 0.55, 1],
      ],
    }),
    fixtureRun({
      id: 2,
      epochs: [
        [2.2, 0.25, 2.0, 0.36, 1],
        [1.7, 0.45, 1.6, 0.5, 1],
      ],
    }),
    fixtureRun({ id: 3, epochs: [[2.4, 0.2, 2.2, 0.3, 1]] }),
  ];

  it('draws the mean per epoch in a band one standard deviation either side, and says the spread and n in the tooltip', () => {
    const g = groupChartSeries({ id: 7, name: 'three seeds' }, runs, 'val_loss', '#0072B2', { xAxis: 'epoch', smoothing: 0 });
    expect(g.mean.label).toBe('three seeds');
    expect(g.mean.points.map((p) => p.x)).toEqual([1, 2]);
    expect(g.mean.points[0].y).toBeCloseTo(2.0, 10);
    expect(g.spread.points[0].upper).toBeCloseTo(2.2, 10);
    expect(g.spread.points[0].lower).toBeCloseTo(1.8, 10);
    // Epoch 2: only two runs reached it.
    expect(g.curve[1].n).toBe(2);
    expect(g.mean.points[1].y).toBeCloseTo(1.5, 10);
    expect(g.mean.note!(0)).toBe(' ± 0.2 (mean of 3)');
    expect(g.mean.best).toEqual({ x: 2, y: g.mean.points[1].raw });
    expect(g.runs).toHaveLength(3);
  });

  it('gives chart.js an upper and a lower edge per band, filled between, outside the legend and the tooltip', () => {
    const g = groupChartSeries({ id: 7, name: 'three seeds' }, runs, 'val_loss', '#0072B2', { xAxis: 'epoch', smoothing: 0 });
    const input = { metric: 'val_loss' as const, series: [], xAxis: 'epoch' as const, logScale: false, smoothing: 0 };
    const config = lineChartConfig(bandSpec(input, [g], false));
    const labels = config.data.datasets.map((d) => d.label);
    expect(labels).toEqual(['three seeds', 'three seeds (best)', 'three seeds (mean ± std) (mean + std)', 'three seeds (mean ± std) (mean − std)']);
    const fills = config.options!.plugins!.layerlabSpreads!.fills;
    expect(fills).toEqual([{ upper: 2, lower: 3, color: expect.stringMatching(/^#0072B2[0-9a-f]{2}$/) }]);
    expect(config.plugins!.map((p) => p.id)).toContain(SPREADS_ID);
    const legendFilter = (config.options!.plugins!.legend as { labels: { filter: (item: { datasetIndex: number }) => boolean } }).labels.filter;
    expect([0, 1, 2, 3].map((i) => legendFilter({ datasetIndex: i }))).toEqual([true, false, false, false]);
    // "Show runs": each run faint behind the band, not named in the legend.
    const withRuns = lineChartConfig(bandSpec(input, [g], true));
    expect(withRuns.data.datasets).toHaveLength(7);
    const filter = (withRuns.options!.plugins!.legend as { labels: { filter: (item: { datasetIndex: number }) => boolean } }).labels.filter;
    expect([0, 1, 2].map((i) => filter({ datasetIndex: i }))).toEqual([false, false, false]);
  });
});
