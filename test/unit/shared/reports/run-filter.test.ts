import { describe, expect, it } from 'vitest';
import { filterRuns, sortRuns } from '../../../../src/shared/reports/run-filter';
import type { RunSummary } from '../../../../src/shared/contract/runs';

function summary(id: number, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    name: `run ${id}`,
    status: 'completed',
    presetId: 'seed-model-3',
    datasetId: 'fashion-mnist',
    datasetName: 'Fashion-MNIST',
    optimizer: 'adam',
    learningRate: 0.001,
    batchSize: 64,
    architecture: 'Dense 64-128-256-128-64 relu',
    epochsDone: 20,
    epochsPlanned: 20,
    bestValAccuracy: 0.88,
    bestEpoch: 10,
    bestValLoss: 0.33,
    bestAccuracyEpoch: 12,
    finalValAccuracy: 0.87,
    finalValLoss: 0.35,
    testAccuracy: 0.87,
    testLoss: 0.36,
    backend: 'wasm',
    createdAt: '2025-03-01T10:00:00.000Z',
    startedAt: '2025-03-01T10:00:01.000Z',
    finishedAt: '2025-03-01T10:05:00.000Z',
    durationSeconds: 299,
    error: null,
    notes: '',
    tags: [],
    starred: false,
    hasModel: true,
    savedWeights: 'final',
    stopReason: null,
    parentRunId: null,
    fixFor: null,
    queuePosition: null,
    checkpoint: null,
    groupId: null,
    sweepValues: null,
    repeatIndex: null,
    named: true,
    ...over,
  };
}

const runs: RunSummary[] = [
  summary(1, { name: 'Baseline', tags: ['seed'], starred: true }),
  summary(2, {
    name: 'sigmoid stack',
    presetId: 'seed-model-1',
    optimizer: 'sgd',
    learningRate: 0.01,
    architecture: 'Dense 64-128-256-128-64 relu, sigmoid×4',
    bestValAccuracy: 0.42,
    testAccuracy: 0.41,
    tags: ['Seed', 'slow'],
    createdAt: '2025-03-02T09:00:00.000Z',
  }),
  summary(3, {
    name: 'still going',
    status: 'running',
    bestValAccuracy: 0.8,
    testAccuracy: null,
    durationSeconds: 50,
    finishedAt: null,
    createdAt: '2025-03-03T23:59:59.000Z',
  }),
  summary(4, {
    name: 'broke',
    status: 'failed',
    bestValAccuracy: null,
    testAccuracy: null,
    durationSeconds: null,
    notes: 'out of memory on the\nbig CNN',
    createdAt: '2025-02-27T08:00:00.000Z',
  }),
  summary(5, {
    name: 'custom wide',
    presetId: null,
    optimizer: 'rmsprop',
    bestValAccuracy: 0.88,
    testAccuracy: 0.9,
    createdAt: '2025-03-02T10:00:00.000Z',
  }),
];
const ids = (xs: RunSummary[]) => xs.map((r) => r.id);

describe('filterRuns', () => {
  it('with no criteria keeps every run, in order, as a new array', () => {
    const out = filterRuns(runs, {});
    expect(ids(out)).toEqual([1, 2, 3, 4, 5]);
    expect(out).not.toBe(runs);
  });

  it('matches every word of the text, case-insensitively, anywhere a user would look', () => {
    expect(ids(filterRuns(runs, { text: 'SIGMOID' }))).toEqual([2]);
    expect(ids(filterRuns(runs, { text: 'sgd seed' }))).toEqual([2]); // optimizer and tag
    expect(ids(filterRuns(runs, { text: 'memory' }))).toEqual([4]); // notes
    expect(ids(filterRuns(runs, { text: 'custom' }))).toEqual([5]); // no preset
    expect(ids(filterRuns(runs, { text: '#3' }))).toEqual([3]);
    expect(ids(filterRuns(runs, { text: 'failed' }))).toEqual([4]);
    expect(ids(filterRuns(runs, { text: '  ' }))).toEqual([1, 2, 3, 4, 5]);
  });

  it('filters by status, tag (any case), optimizer and star', () => {
    expect(ids(filterRuns(runs, { status: ['running', 'failed'] }))).toEqual([3, 4]);
    expect(ids(filterRuns(runs, { status: [] }))).toEqual([1, 2, 3, 4, 5]);
    expect(ids(filterRuns(runs, { tag: 'seed' }))).toEqual([1, 2]);
    expect(ids(filterRuns(runs, { tag: 'slo' }))).toEqual([]);
    expect(ids(filterRuns(runs, { optimizer: 'SGD' }))).toEqual([2]);
    expect(ids(filterRuns(runs, { starred: true }))).toEqual([1]);
    expect(ids(filterRuns(runs, { starred: false }))).toEqual([1, 2, 3, 4, 5]);
  });

  it('filters by creation date; a date alone means the whole day', () => {
    expect(ids(filterRuns(runs, { from: '2025-03-02' }))).toEqual([2, 3, 5]);
    expect(ids(filterRuns(runs, { to: '2025-03-01' }))).toEqual([1, 4]);
    expect(ids(filterRuns(runs, { from: '2025-03-02', to: '2025-03-02' }))).toEqual([2, 5]);
    expect(ids(filterRuns(runs, { to: '2025-03-03' }))).toContain(3);
    expect(ids(filterRuns(runs, { from: '2025-03-02T09:30:00Z' }))).toEqual([3, 5]);
  });

  it('combines criteria', () => {
    expect(ids(filterRuns(runs, { text: 'seed', status: ['completed'], optimizer: 'adam' }))).toEqual([1]);
  });
});

describe('sortRuns', () => {
  it('sorts numbers both ways with runs lacking a value last either way', () => {
    expect(ids(sortRuns(runs, 'bestValAccuracy', 'desc'))).toEqual([1, 5, 3, 2, 4]);
    expect(ids(sortRuns(runs, 'bestValAccuracy', 'asc'))).toEqual([2, 3, 1, 5, 4]);
    expect(ids(sortRuns(runs, 'testAccuracy', 'asc'))).toEqual([2, 1, 5, 3, 4]);
    expect(ids(sortRuns(runs, 'testAccuracy', 'desc'))).toEqual([5, 1, 2, 3, 4]);
  });

  it('is stable: equal values keep their order', () => {
    // 1 and 5 both have 0.88; 1 comes first in the input whichever the direction.
    const desc = ids(sortRuns(runs, 'bestValAccuracy', 'desc'));
    expect(desc.indexOf(1)).toBeLessThan(desc.indexOf(5));
    const reversed = [...runs].reverse();
    const d2 = ids(sortRuns(reversed, 'bestValAccuracy', 'desc'));
    expect(d2.indexOf(5)).toBeLessThan(d2.indexOf(1));
  });

  it('sorts names as people read them, dates by time, and by duration', () => {
    const named = [summary(1, { name: 'run 10' }), summary(2, { name: 'Run 9' }), summary(3, { name: 'alpha' })];
    expect(ids(sortRuns(named, 'name', 'asc'))).toEqual([3, 2, 1]);
    const accented = [
      summary(1, { name: 'bravo' }),
      summary(2, { name: 'Élan' }),
      summary(3, { name: 'elan' }),
      summary(4, { name: 'alpha 007' }),
      summary(5, { name: 'alpha 7b' }),
    ];
    expect(ids(sortRuns(accented, 'name', 'asc'))).toEqual([4, 5, 1, 2, 3]);
    expect(ids(sortRuns(runs, 'createdAt', 'asc'))).toEqual([4, 1, 2, 5, 3]);
    expect(ids(sortRuns(runs, 'duration', 'asc'))).toEqual([3, 1, 2, 5, 4]);
    expect(ids(sortRuns(runs, 'presetId', 'asc')).at(-1)).toBe(5);
    expect(ids(sortRuns(runs, 'starred', 'desc'))[0]).toBe(1);
  });

  it('does not change the array it was given', () => {
    const copy = [...runs];
    sortRuns(runs, 'name', 'desc');
    expect(runs).toEqual(copy);
  });

  it('handles 10,000 runs', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      summary(i + 1, { name: `run ${i}`, bestValAccuracy: i % 7 === 0 ? null : ((i * 7919) % 1000) / 1000, tags: i % 3 ? [] : ['sweep'] }),
    );
    const sorted = sortRuns(filterRuns(many, { text: 'run', tag: 'sweep' }), 'bestValAccuracy', 'desc');
    expect(sorted.length).toBe(3334);
    const values = sorted.map((r) => r.bestValAccuracy);
    const firstNull = values.indexOf(null);
    expect(values.slice(firstNull).every((v) => v === null)).toBe(true);
    const present = values.slice(0, firstNull) as number[];
    expect(present.every((v, i) => i === 0 || present[i - 1] >= v)).toBe(true);
  });
});
