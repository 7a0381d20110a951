import type { Database } from 'better-sqlite3';

/**
 * Saved comparisons keep the repeats and sweeps compared beside their runs (each drawn
 * as its mean ± std). A comparison saved before has none: the column stays NULL and
 * reads back as no groups.
 */
export const version = 8;

export function up(db: Database): void {
  db.exec(`ALTER TABLE comparisons ADD COLUMN group_ids_json TEXT`);
}
