import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPreset } from '../../../src/shared/model/presets';
import { openDatabase, type Db } from '../../../src/core/store/database';
import { DesignStore } from '../../../src/core/store/design-store';
import { tempDir } from '../../helpers';

let t: ReturnType<typeof tempDir>;
let db: Db;
let designs: DesignStore;
beforeEach(() => {
  t = tempDir();
  db = openDatabase(join(t.dir, 'designs.db'));
  designs = new DesignStore(db);
});
afterEach(() => {
  db.close();
  t.cleanup();
});

const preset = findPreset('seed-model-3')!;

describe('saved designs', () => {
  it('saves, lists, reopens exactly, renames and deletes', () => {
    const saved = designs.save({ name: 'Wide MLP', model: preset.model, config: { ...preset.config, epochs: 7 } });
    expect(designs.get(saved.id)).toMatchObject({ name: 'Wide MLP', model: preset.model, config: { ...preset.config, epochs: 7 } });
    expect(designs.list()).toEqual([expect.objectContaining({ id: saved.id, name: 'Wide MLP', layerCount: 7, totalParams: 133_386 })]);
    expect(designs.rename(saved.id, 'Narrow MLP').name).toBe('Narrow MLP');
    expect(designs.findByName('narrow mlp')?.id).toBe(saved.id);
    expect(designs.delete(saved.id)).toEqual({ deleted: saved.id });
    expect(designs.list()).toEqual([]);
  });

  it('overwrites a design by id, keeping its id', () => {
    const saved = designs.save({ name: 'A', model: preset.model, config: preset.config });
    const smaller = { ...preset.model, layers: preset.model.layers.filter((_, i) => i !== 3) };
    const again = designs.save({ id: saved.id, name: 'A', model: smaller, config: preset.config });
    expect(again.id).toBe(saved.id);
    expect(designs.get(saved.id).model.layers).toHaveLength(6);
    expect(designs.list()).toHaveLength(1);
  });

  it('refuses a name another design has, whatever its case, and changes nothing', () => {
    designs.save({ name: 'Baseline', model: preset.model, config: preset.config });
    const other = designs.save({ name: 'Other', model: preset.model, config: preset.config });
    expect(() => designs.save({ name: 'baseline', model: preset.model, config: preset.config })).toThrow(
      'A design named "Baseline" already exists; choose another name',
    );
    expect(() => designs.rename(other.id, 'BASELINE')).toThrow(/already exists/);
    expect(
      designs
        .list()
        .map((d) => d.name)
        .sort(),
    ).toEqual(['Baseline', 'Other']);
  });

  it('says so when a design does not exist', () => {
    expect(() => designs.get(42)).toThrow('There is no saved design with id 42');
    expect(() => designs.delete(42)).toThrow('There is no saved design with id 42');
    expect(() => designs.rename(42, 'x')).toThrow('There is no saved design with id 42');
  });
});
