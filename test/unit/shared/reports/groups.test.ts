import { describe, expect, it } from 'vitest';
import type { RunGroup, RunStatus } from '../../../../src/shared/contract/runs';
import { formatMeanStd, groupCurves, groupSummary, meanStd, sweepGrid, sweepRanking } from '../../../../src/shared/reports/groups';
import { repeatRuns } from './group-fixtures';
import { fixtureRun } from './run-fixtures';

/** Three seeds of one setting: [loss, accuracy, valLoss, valAccuracy, seconds] per epoch. The third stopped after 2 epochs. */
const repeat = () =>
  repeatRuns(1, 1, [
    {
      epochs: [
        [1.0, 0.6, 0.8, 0.7, 10],
        [0.6, 0.8, 0.5, 0.82, 12],
        [0.5, 0.85, 0.55, 0.84, 14],
      ],
      testAccuracy: 0.83,
    },
    {
      epochs: [
        [1.2, 0.5, 0.9, 0.6, 10],
        [0.7, 0.75, 0.6, 0.8, 10],
        [0.55, 0.8, 0.45, 0.86, 10],
      ],
      testAccuracy: 0.85,
    },
    {
      epochs: [
        [1.1, 0.55, 1.0, 0.65, 8],
        [0.8, 0.7, 0.7, 0.75, 12],
      ],
      testAccuracy: null,
    },
  ]);

describe('meanStd and formatMeanStd', () => {
  it('sample standard deviation (n − 1), nulls left out', () => {
    // mean 4; squares 4+0+4 = 8; / (3 − 1) = 4; sqrt = 2
    expect(meanStd([2, null, 4, 6])).toEqual({ mean: 4, std: 2, n: 3, min: 2, max: 6 });
    expect(meanStd([5])).toEqual({ mean: 5, std: 0, n: 1, min: 5, max: 5 });
    expect(meanStd([null, Number.NaN])).toEqual({ mean: null, std: null, n: 0, min: null, max: null });
  });

  it('prints mean ± std (n), one run without ±, none as a dash', () => {
    expect(formatMeanStd(0.87312, 0.00421, 3, 4)).toBe('0.8731 ± 0.0042 (n=3)');
    expect(formatMeanStd(0.87312, 0, 1, 4)).toBe('0.8731 (n=1)');
    expect(formatMeanStd(null, null, 0, 4)).toBe('—');
    expect(formatMeanStd(12.345, 1.5, 2, 1)).toBe('12.3 ± 1.5 (n=2)');
  });
});

describe('groupCurves', () => {
  it('per epoch over the runs that reached it', () => {
    const points = groupCurves(repeat(), 'val_accuracy');
    expect(points.map((p) => [p.epoch, p.n])).toEqual([
      [1, 3],
      [2, 3],
      [3, 2],
    ]);
    // Epoch 1: 0.7, 0.6, 0.65 → mean 0.65; deviations ±0.05, 0 → variance 0.005/2 → std 0.05
    expect(points[0].mean).toBeCloseTo(0.65, 12);
    expect(points[0].std).toBeCloseTo(0.05, 12);
    expect([points[0].min, points[0].max]).toEqual([0.6, 0.7]);
    // Epoch 3: 0.84, 0.86 → mean 0.85, std sqrt((0.0001 + 0.0001) / 1) = 0.014142…
    expect(points[2].mean).toBeCloseTo(0.85, 12);
    expect(points[2].std).toBeCloseTo(Math.SQRT2 / 100, 12);
  });

  it('one run: its own values, spread 0', () => {
    const [run] = repeat();
    expect(groupCurves([run], 'loss').map((p) => [p.mean, p.std, p.n])).toEqual([
      [1.0, 0, 1],
      [0.6, 0, 1],
      [0.5, 0, 1],
    ]);
  });

  it('epochs without the figure are left out', () => {
    const run = fixtureRun({
      id: 9,
      epochs: [
        [1, 0.5, null, null, 1],
        [0.9, 0.6, 0.8, 0.7, 1],
      ],
    });
    expect(groupCurves([run], 'val_loss').map((p) => p.epoch)).toEqual([2]);
  });
});

describe('groupSummary', () => {
  it('mean ± std and n of each figure, from each run’s epochs', () => {
    const rows = Object.fromEntries(groupSummary(repeat()).map((r) => [r.key, r]));
    // Best val accuracy per run: 0.84, 0.86, 0.75 → mean 0.8166…; deviations 0.02333, 0.04333, -0.06667
    expect(rows.bestValAccuracy.n).toBe(3);
    expect(rows.bestValAccuracy.mean).toBeCloseTo((0.84 + 0.86 + 0.75) / 3, 12);
    const m = (0.84 + 0.86 + 0.75) / 3;
    expect(rows.bestValAccuracy.std).toBeCloseTo(Math.sqrt(((0.84 - m) ** 2 + (0.86 - m) ** 2 + (0.75 - m) ** 2) / 2), 12);
    // Best val loss: 0.5, 0.45, 0.7
    expect(rows.bestValLoss.mean).toBeCloseTo(0.55, 12);
    expect([rows.bestValLoss.min, rows.bestValLoss.max]).toEqual([0.45, 0.7]);
    // Final val accuracy: 0.84, 0.86, 0.75 (the third run's last epoch is its 2nd)
    expect(rows.finalValAccuracy.mean).toBeCloseTo(m, 12);
    // Test accuracy: the third run has none → n = 2, mean 0.84, std sqrt(2 × 0.0001) = 0.01414
    expect(rows.testAccuracy.n).toBe(2);
    expect(rows.testAccuracy.mean).toBeCloseTo(0.84, 12);
    expect(rows.testAccuracy.std).toBeCloseTo(Math.SQRT2 / 100, 12);
    // Epochs: 3, 3, 2; seconds per epoch: 12, 10, 10
    expect(rows.epochs.mean).toBeCloseTo(8 / 3, 12);
    expect(rows.secondsPerEpoch.mean).toBeCloseTo(32 / 3, 12);
    expect(rows.secondsPerEpoch.label).toBe('Seconds per epoch');
  });
});

// ───────────────────────────── sweeps ─────────────────────────────

const sweepGroup: RunGroup = {
  id: 4,
  kind: 'sweep',
  name: 'Sweep lr × optimizer',
  createdAt: '2025-03-01T10:00:00.000Z',
  repeat: 2,
  seed: 42,
  axes: [
    { key: 'learningRate', values: [0.001, 0.01] },
    { key: 'optimizer', values: ['sgd', 'adam'] },
  ],
  runIds: [11, 12, 13, 14, 15, 16, 17, 18],
};

/** A run of the sweep whose best val loss is `loss` (epoch 2) and best val accuracy `acc`. */
function sweepRun(id: number, lr: number, optimizer: string, repeatIndex: number, loss: number, acc: number, status: RunStatus = 'completed') {
  const run = fixtureRun({
    id,
    config: { learningRate: lr, optimizer: optimizer as 'sgd', seed: 42 + repeatIndex },
    groupId: 4,
    sweepValues: { learningRate: lr, optimizer },
    repeatIndex,
    epochs: [
      [2, 0.3, loss + 0.5, acc - 0.1, 5],
      [1, 0.5, loss, acc, 5],
    ],
    testAccuracy: acc - 0.01,
  });
  return { ...run, status };
}

const sweepRuns = () => [
  sweepRun(11, 0.001, 'sgd', 0, 0.9, 0.6),
  sweepRun(12, 0.001, 'sgd', 1, 1.1, 0.58),
  sweepRun(13, 0.001, 'adam', 0, 0.4, 0.86),
  sweepRun(14, 0.001, 'adam', 1, 0.44, 0.84),
  sweepRun(15, 0.01, 'sgd', 0, 0.6, 0.78),
  sweepRun(16, 0.01, 'sgd', 1, 0.5, 0.8, 'running'),
  sweepRun(17, 0.01, 'adam', 0, 0.7, 0.75, 'failed'),
  sweepRun(18, 0.01, 'adam', 1, 0.7, 0.75, 'queued'),
  // Another group's run never counts.
  { ...sweepRun(19, 0.001, 'adam', 0, 0.01, 0.99), groupId: 5 },
];

describe('sweepRanking', () => {
  it('one row per setting, ranked by mean best val loss of its completed runs; settings without one last', () => {
    const rows = sweepRanking(sweepGroup, sweepRuns());
    expect(rows.map((r) => [r.label, r.rank, r.n, r.completed])).toEqual([
      ['lr=0.001 optimizer=adam', 1, 2, 2],
      ['lr=0.01 optimizer=sgd', 2, 2, 1],
      ['lr=0.001 optimizer=sgd', 3, 2, 2],
      ['lr=0.01 optimizer=adam', null, 2, 0],
    ]);
    const [adam, sgd01, sgd001, none] = rows;
    expect(adam.values).toEqual({ learningRate: 0.001, optimizer: 'adam' });
    expect(adam.runIds).toEqual([13, 14]);
    // 0.4 and 0.44: mean 0.42, std sqrt(2 × 0.02²) = 0.028284…
    expect(adam.bestValLoss.mean).toBeCloseTo(0.42, 12);
    expect(adam.bestValLoss.std).toBeCloseTo(0.02 * Math.SQRT2, 12);
    expect(adam.bestValAccuracy.mean).toBeCloseTo(0.85, 12);
    expect(adam.testAccuracy.mean).toBeCloseTo(0.84, 12);
    // The running run (16) is counted in n but not in the figures.
    expect(sgd01.bestValLoss).toMatchObject({ mean: 0.6, std: 0, n: 1 });
    expect(sgd001.bestValLoss.mean).toBeCloseTo(1.0, 12);
    expect(none.bestValLoss.mean).toBeNull();
    expect(none.runIds).toEqual([17, 18]);
  });

  it('a group that kept its axes as typed ("1e-3", "ADAM") still matches its runs', () => {
    const typed: RunGroup = {
      ...sweepGroup,
      axes: [
        { key: 'learningRate', values: ['1e-3', '0.01'] },
        { key: 'optimizer', values: ['SGD', 'adam'] },
      ],
    };
    const rows = sweepRanking(typed, sweepRuns());
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r.runIds)).toEqual([
      [13, 14],
      [15, 16],
      [11, 12],
      [17, 18],
    ]);
    expect(sweepGrid(typed, sweepRuns(), 'learningRate', 'optimizer').rows[1][0].n).toBe(2);
  });

  it('equal losses: the higher best val accuracy first', () => {
    const runs = [sweepRun(11, 0.001, 'sgd', 0, 0.5, 0.7), sweepRun(13, 0.001, 'adam', 0, 0.5, 0.8)];
    expect(sweepRanking({ ...sweepGroup, runIds: [11, 13] }, runs).map((r) => r.label.slice(0, 24))).toEqual([
      'lr=0.001 optimizer=adam',
      'lr=0.001 optimizer=sgd',
      'lr=0.01 optimizer=sgd',
      'lr=0.01 optimizer=adam',
    ]);
  });
});

describe('sweepGrid', () => {
  it('cells of mean best val loss over two swept settings, rows by y', () => {
    const grid = sweepGrid(sweepGroup, sweepRuns(), 'learningRate', 'optimizer');
    expect(grid.xValues).toEqual([0.001, 0.01]);
    expect(grid.yValues).toEqual(['sgd', 'adam']);
    const cell = (y: number, x: number) => grid.rows[y][x];
    expect(cell(0, 0)).toMatchObject({ x: 0.001, y: 'sgd', n: 2 });
    expect(cell(0, 0).mean).toBeCloseTo(1.0, 12);
    expect(cell(1, 0).mean).toBeCloseTo(0.42, 12);
    expect(cell(0, 1)).toMatchObject({ mean: 0.6, n: 1 });
    expect(cell(1, 1)).toMatchObject({ mean: null, n: 0 });
    expect(grid.min).toBeCloseTo(0.42, 12);
    expect(grid.max).toBeCloseTo(1.0, 12);
  });

  it('refuses a setting the group does not sweep', () => {
    expect(() => sweepGrid(sweepGroup, sweepRuns(), 'learningRate', 'batchSize')).toThrow('"batchSize" is not swept in this group');
    expect(() => sweepGrid(sweepGroup, sweepRuns(), 'optimizer', 'optimizer')).toThrow('two different swept settings');
  });
});
