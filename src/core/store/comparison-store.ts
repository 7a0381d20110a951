import { UserError } from '../../shared/contract/api';
import type { ComparisonOptions, SavedComparison } from '../../shared/contract/comparisons';
import type { Db } from './database';

interface Row {
  id: number;
  name: string;
  run_ids_json: string;
  /** NULL for a comparison saved before groups could be compared. */
  group_ids_json: string | null;
  options_json: string;
  created_at: string;
  updated_at: string;
}

const toComparison = (r: Row): SavedComparison => ({
  id: r.id,
  name: r.name,
  runIds: JSON.parse(r.run_ids_json),
  groupIds: r.group_ids_json === null ? [] : JSON.parse(r.group_ids_json),
  options: JSON.parse(r.options_json),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface ComparisonInput {
  id?: number;
  name: string;
  runIds: number[];
  /** Repeats and sweeps beside the runs; none when left out. */
  groupIds?: number[];
  options: ComparisonOptions;
}

/** Comparisons saved under a name. */
export class ComparisonStore {
  constructor(private readonly db: Db) {}

  list(): SavedComparison[] {
    return (this.db.prepare(`SELECT * FROM comparisons ORDER BY updated_at DESC, id DESC`).all() as Row[]).map(toComparison);
  }

  save(c: ComparisonInput): SavedComparison {
    const now = new Date().toISOString();
    const taken = this.db.prepare(`SELECT id, name FROM comparisons WHERE name = ?`).get(c.name) as { id: number; name: string } | undefined;
    if (taken && taken.id !== c.id) throw new UserError(`A comparison named "${taken.name}" already exists; choose another name`);
    const runIds = JSON.stringify(c.runIds);
    const groupIds = JSON.stringify(c.groupIds ?? []);
    const options = JSON.stringify(c.options);
    if (c.id === undefined) {
      const info = this.db
        .prepare(`INSERT INTO comparisons (name, run_ids_json, group_ids_json, options_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(c.name, runIds, groupIds, options, now, now);
      return this.get(Number(info.lastInsertRowid));
    }
    this.get(c.id);
    this.db
      .prepare(`UPDATE comparisons SET name = ?, run_ids_json = ?, group_ids_json = ?, options_json = ?, updated_at = ? WHERE id = ?`)
      .run(c.name, runIds, groupIds, options, now, c.id);
    return this.get(c.id);
  }

  get(id: number): SavedComparison {
    const row = this.db.prepare(`SELECT * FROM comparisons WHERE id = ?`).get(id) as Row | undefined;
    if (!row) throw new UserError(`There is no saved comparison with id ${id}`);
    return toComparison(row);
  }

  delete(id: number): { deleted: number } {
    this.get(id);
    this.db.prepare(`DELETE FROM comparisons WHERE id = ?`).run(id);
    return { deleted: id };
  }
}
