import { describe, expect, it } from 'vitest';
import { METRICS } from '../../../../src/shared/reports/compare';
import { chartDataJson, csvField, LAYER_STATS_CSV_HEADER, layerStatsCsv, tidyCsv } from '../../../../src/shared/reports/export-data';
import { ADAM, fixtureRun, layerStat, SGD } from './run-fixtures';
import { parseCsv } from '../../../helpers';

describe('tidy CSV', () => {
  it('has the documented header and one row per run × epoch × metric', () => {
    const rows = parseCsv(tidyCsv([ADAM(), SGD()]));
    expect(rows[0]).toEqual(['run_id', 'run', 'epoch', 'seconds', 'metric', 'value', 'smoothed']);
    const data = rows.slice(1);
    expect(data).toHaveLength(2 * 4 * 4);
    for (const runId of ['1', '2']) {
      for (const epoch of ['1', '2', '3', '4']) {
        const metrics = data.filter((r) => r[0] === runId && r[2] === epoch).map((r) => r[4]);
        expect(metrics.sort()).toEqual([...METRICS].sort());
      }
    }
    expect(new Set(data.map((r) => r[1]))).toEqual(new Set(['adam lr=0.001', 'sgd lr=0.01']));
  });

  it('writes the values exactly, seconds cumulative, smoothed equal to raw without smoothing', () => {
    const data = parseCsv(tidyCsv([ADAM()])).slice(1);
    const valAcc = data.filter((r) => r[4] === 'val_accuracy');
    expect(valAcc.map((r) => Number(r[5]))).toEqual([0.78, 0.84, 0.86, 0.85]);
    expect(valAcc.map((r) => r[6])).toEqual(valAcc.map((r) => r[5]));
    expect(valAcc.map((r) => Number(r[3]))).toEqual([10, 21, 30, 40]);
  });

  it('fills the smoothed column with the moving average when smoothing is on', () => {
    const data = parseCsv(tidyCsv([SGD()], { smoothing: 0.9 })).slice(1);
    const loss = data.filter((r) => r[4] === 'loss');
    expect(Number(loss[0][6])).toBeCloseTo(2.2, 10);
    expect(Number(loss[3][6])).toBeGreaterThan(Number(loss[3][5]));
  });

  it('leaves a value that was not recorded empty', () => {
    const r = fixtureRun({ id: 7, epochs: [[1, 0.5, null, null, 3]] });
    const data = parseCsv(tidyCsv([r])).slice(1);
    expect(data.find((x) => x[4] === 'val_loss')!.slice(5)).toEqual(['', '']);
  });

  it('quotes names with commas, quotes and line breaks so they read back intact', () => {
    const a = fixtureRun({ id: 1, name: 'big, "wide"\nnet', epochs: [[1, 0.5, 1, 0.5, 3]] });
    const b = fixtureRun({ id: 2, name: 'plain', epochs: [[1, 0.5, 1, 0.5, 3]] });
    const rows = parseCsv(tidyCsv([a, b])).slice(1);
    expect(rows.every((r) => r.length === 7)).toBe(true);
    expect(rows[0][1]).toBe('big, "wide"\nnet');
  });

  it('keeps epochs 1..n unless the baseline is asked for; then epoch 0 comes first and leaves the other rows as they were', () => {
    expect(ADAM().baseline).not.toBeNull();
    const plain = parseCsv(tidyCsv([ADAM(), SGD()], { smoothing: 0.6 })).slice(1);
    expect(plain.some((r) => r[2] === '0')).toBe(false);
    const withBaseline = parseCsv(tidyCsv([ADAM(), SGD()], { smoothing: 0.6, baseline: true })).slice(1);
    // SGD recorded no baseline: four more rows, all ADAM's.
    const zero = withBaseline.filter((r) => r[2] === '0');
    expect(zero.map((r) => [r[0], r[3], r[4], r[5], r[6]])).toEqual([
      ['1', '0', 'loss', '2.31', '2.31'],
      ['1', '0', 'accuracy', '0.09', '0.09'],
      ['1', '0', 'val_loss', '2.3', '2.3'],
      ['1', '0', 'val_accuracy', '0.1', '0.1'],
    ]);
    expect(withBaseline.filter((r) => r[2] !== '0')).toEqual(plain);
    expect(withBaseline.indexOf(zero[0])).toBe(0);
  });

  it('never lets a spreadsheet run a name as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField(-0.5)).toBe('-0.5');
  });
});

describe('layer signals CSV', () => {
  it('has the documented header and one row per run × probe × layer, figures exact, empty where a figure does not apply', () => {
    const rows = parseCsv(layerStatsCsv([ADAM(), SGD()]));
    expect(rows[0]).toEqual([...LAYER_STATS_CSV_HEADER]);
    expect(rows[0]).toEqual([
      'run_id',
      'run',
      'epoch',
      'batch',
      'layer',
      'name',
      'grad_norm',
      'bias_grad_norm',
      'weight_norm',
      'update_ratio',
      'act_mean',
      'act_std',
      'dead_fraction',
      'saturated_fraction',
      'nonfinite',
    ]);
    const data = rows.slice(1);
    // ADAM: two layers at epochs 0–4; SGD recorded none.
    expect(data).toHaveLength(10);
    expect(data.every((r) => r[0] === '1' && r[1] === 'adam lr=0.001')).toBe(true);
    expect(data.map((r) => r[2])).toEqual(['0', '0', '1', '1', '2', '2', '3', '3', '4', '4']);
    const [first, output] = data;
    const s = layerStat(0, 1, 'Dense 1 (relu)');
    expect(first).toEqual([
      '1',
      'adam lr=0.001',
      '0',
      '',
      '1',
      'Dense 1 (relu)',
      String(s.gradNorm),
      String(s.biasGradNorm),
      '8',
      '',
      '0.4',
      '0.6',
      '0.02',
      '',
      '0',
    ]);
    expect(output[5]).toBe('Dense 6 (softmax)');
    expect(output[12]).toBe(''); // no dead units in a softmax layer
    expect(data[9][13]).toBe('0.4');
  });

  it('writes a finer probe’s batch, and leaves a non-finite figure empty beside its count', () => {
    const run = fixtureRun({
      id: 5,
      epochs: [[1, 0.5, 1, 0.5, 3]],
      layerStats: [layerStat(1, 2, 'Dense 2 (relu)', { batch: 50, gradNorm: Infinity, nonfinite: 4 })],
    });
    const [, row] = parseCsv(layerStatsCsv([run]));
    expect([row[3], row[6], row[14]]).toEqual(['50', '', '4']);
  });

  it('is just the header for runs without layer signals', () => {
    expect(layerStatsCsv([SGD()])).toBe(`${LAYER_STATS_CSV_HEADER.join(',')}\n`);
  });
});

describe('chart data JSON', () => {
  it('has each run’s baseline, best epochs and layer signals in snake_case', () => {
    const data = chartDataJson([ADAM(), SGD()]);
    expect(data.runs[0].baseline).toEqual({ loss: 2.31, accuracy: 0.09, val_loss: 2.3, val_accuracy: 0.1 });
    expect(data.runs[1].baseline).toBeNull();
    expect(data.runs[0]).toMatchObject({ bestEpoch: 3, bestAccuracyEpoch: 3 });
    expect(data.runs[0].layer_stats).toHaveLength(10);
    expect(data.runs[0].layer_stats[1]).toEqual({
      epoch: 0,
      batch: null,
      layer: 6,
      name: 'Dense 6 (softmax)',
      grad_norm: 0.5,
      bias_grad_norm: 0.05,
      weight_norm: 8,
      update_ratio: null,
      act_mean: 0.4,
      act_std: 0.6,
      dead_fraction: null,
      saturated_fraction: 0,
      nonfinite: 0,
    });
    expect(data.runs[1].layer_stats).toEqual([]);
    // The epochs stay 1..n.
    expect(data.runs[0].epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
  });

  it('holds the same values as the CSV, with each run’s label, colour and settings', () => {
    const data = chartDataJson([ADAM(), SGD()], { smoothing: 0.5 });
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
    expect(data.smoothing).toBe(0.5);
    expect(data.metrics.map((m) => m.key)).toEqual([...METRICS]);
    expect(data.runs.map((r) => [r.id, r.label])).toEqual([
      [1, 'adam lr=0.001'],
      [2, 'sgd lr=0.01'],
    ]);
    expect(data.runs[1].settings).toMatchObject({ optimizer: 'sgd', learningRate: 0.01, batchSize: 64 });
    expect(data.runs[0].parameters).toBe(133386);
    expect(data.runs[0].color).not.toBe(data.runs[1].color);

    const csv = parseCsv(tidyCsv([ADAM(), SGD()], { smoothing: 0.5 })).slice(1);
    for (const run of data.runs) {
      expect(run.epochs).toHaveLength(4);
      for (const e of run.epochs) {
        for (const m of METRICS) {
          const row = csv.find((r) => r[0] === String(run.id) && r[2] === String(e.epoch) && r[4] === m)!;
          expect(Number(row[5])).toBe(e.values[m].value);
          expect(Number(row[6])).toBe(e.values[m].smoothed);
          expect(Number(row[3])).toBe(e.seconds);
        }
      }
    }
  });
});
