import type { Database } from 'better-sqlite3';

/** Networks saved from the editor under a (unique, case-insensitive) name. */
export const version = 2;

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE designs (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      name        TEXT NOT NULL COLLATE NOCASE UNIQUE,
      model_json  TEXT NOT NULL,
      config_json TEXT NOT NULL,
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    );
    CREATE INDEX designs_updated_at ON designs (updated_at DESC);
  `);
}
