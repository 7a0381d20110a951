import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveComparisonSchema } from '../../../src/shared/contract/requests';
import { openDatabase } from '../../../src/core/store/database';
import { ComparisonStore } from '../../../src/core/store/comparison-store';
import { tempDir } from '../../helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

describe('saved comparisons with groups', () => {
  it('keeps the groups beside the runs across a reopened database, and overwrites them', () => {
    const path = join(t.dir, 'layerlab.db');
    let db = openDatabase(path);
    const saved = new ComparisonStore(db).save({ name: 'two repeats', runIds: [], groupIds: [4, 2], options: { smoothing: 0.3 } });
    expect(saved).toMatchObject({ name: 'two repeats', runIds: [], groupIds: [4, 2] });
    db.close();

    db = openDatabase(path);
    const store = new ComparisonStore(db);
    expect(store.list()).toEqual([expect.objectContaining({ id: saved.id, runIds: [], groupIds: [4, 2], options: { smoothing: 0.3 } })]);
    // Saving over it with the groups' order changed and a run added keeps exactly what was asked.
    store.save({ id: saved.id, name: 'two repeats', runIds: [9], groupIds: [2, 4], options: {} });
    expect(store.get(saved.id)).toMatchObject({ runIds: [9], groupIds: [2, 4], options: {} });
    // Saved without groups (as before groups could be compared): none come back.
    const plain = store.save({ name: 'runs only', runIds: [1, 2], options: {} });
    expect(store.get(plain.id).groupIds).toEqual([]);
    db.close();
  });
});

describe('saveComparisonSchema', () => {
  const base = { name: 'c', options: {} };
  it('takes runs and groups together, two items at least', () => {
    expect(saveComparisonSchema.parse({ ...base, runIds: [1, 2] })).toEqual({ ...base, runIds: [1, 2] });
    expect(saveComparisonSchema.parse({ ...base, runIds: [], groupIds: [3, 4] }).groupIds).toEqual([3, 4]);
    expect(saveComparisonSchema.parse({ ...base, runIds: [1], groupIds: [3] }).groupIds).toEqual([3]);
  });

  it('refuses fewer than two items, bad group ids and more than 16 groups, saying why', () => {
    const message = (v: unknown) => saveComparisonSchema.safeParse(v).error?.issues.map((i) => i.message);
    expect(message({ ...base, runIds: [1] })).toEqual(['a comparison needs at least 2 runs or groups']);
    expect(message({ ...base, runIds: [], groupIds: [1] })).toEqual(['a comparison needs at least 2 runs or groups']);
    expect(message({ ...base, runIds: [1], groupIds: [0] })).toContain('group id must be a positive whole number');
    expect(message({ ...base, runIds: [], groupIds: Array.from({ length: 17 }, (_, i) => i + 1) })).toContain('at most 16 groups side by side');
  });
});
