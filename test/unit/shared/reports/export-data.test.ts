import { describe, expect, it } from 'vitest';
import { METRICS } from '../../../../src/shared/reports/compare';
import { chartDataJson, csvField, tidyCsv } from '../../../../src/shared/reports/export-data';
import { ADAM, fixtureRun, SGD } from './run-fixtures';
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

  it('never lets a spreadsheet run a name as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField(-0.5)).toBe('-0.5');
  });
});

describe('chart data JSON', () => {
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
