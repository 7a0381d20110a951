import type { Database } from 'better-sqlite3';

/**
 * Experiments: the `paused` status, a persistent queue order, checkpoints, groups of
 * runs (repeats over seeds and sweeps), user-given names told apart from made-up
 * ones, the complete record of what a run depended on, and per-epoch CPU seconds.
 */
export const version = 7;

const OLD_CHECK = `CHECK (status IN ('queued','running','completed','failed','cancelled','crashed'))`;
const NEW_CHECK = `CHECK (status IN ('queued','running','paused','completed','failed','cancelled','crashed'))`;

export function up(db: Database): void {
  allowPausedStatus(db);
  db.exec(`
    CREATE TABLE run_groups (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      kind       TEXT    NOT NULL CHECK (kind IN ('repeat','sweep')),
      name       TEXT    NOT NULL,
      repeat     INTEGER NOT NULL,
      seed       INTEGER NOT NULL,
      axes_json  TEXT    NOT NULL,
      created_at TEXT    NOT NULL
    );
    ALTER TABLE runs ADD COLUMN queue_position INTEGER;
    ALTER TABLE runs ADD COLUMN checkpoint_json TEXT;
    ALTER TABLE runs ADD COLUMN group_id INTEGER REFERENCES run_groups (id) ON DELETE SET NULL;
    ALTER TABLE runs ADD COLUMN sweep_values_json TEXT;
    ALTER TABLE runs ADD COLUMN repeat_index INTEGER;
    ALTER TABLE runs ADD COLUMN named INTEGER NOT NULL DEFAULT 1;
    -- A table of its own: a few kilobytes per run that would otherwise be rewritten with the run row at every epoch.
    CREATE TABLE run_provenance (
      run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
      json   TEXT    NOT NULL
    );
    ALTER TABLE epochs ADD COLUMN cpu_seconds REAL;
    CREATE INDEX runs_group ON runs (group_id) WHERE group_id IS NOT NULL;
  `);
  // The name Layerlab made up for a run the user did not name (run-service's default).
  db.exec(`UPDATE runs SET named = 0 WHERE name = coalesce(preset_id, 'custom') || ' · ' || optimizer || ' lr=' || learning_rate`);
  // Queued runs keep their order: oldest first.
  const queued = db.prepare(`SELECT id FROM runs WHERE status = 'queued' ORDER BY created_at, id`).pluck().all() as number[];
  const place = db.prepare(`UPDATE runs SET queue_position = ? WHERE id = ?`);
  queued.forEach((id, i) => place.run(i + 1, id));
}

/**
 * SQLite cannot alter a CHECK constraint, and rebuilding `runs` would cascade-delete
 * every epoch (foreign keys are on and cannot be turned off inside the migration's
 * transaction). Widening a CHECK changes no stored row, so the schema text is edited
 * in place, as SQLite's documentation describes for such changes (ALTER TABLE, §7),
 * and the schema version is bumped so every connection rereads it.
 */
function allowPausedStatus(db: Database): void {
  const sql = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'`).pluck().get() as string;
  if (!sql.includes(OLD_CHECK)) throw new Error('the runs table does not have the status check this migration expects');
  const schemaVersion = db.pragma('schema_version', { simple: true }) as number;
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    db.prepare(`UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'runs'`).run(sql.replace(OLD_CHECK, NEW_CHECK));
    db.pragma(`schema_version = ${schemaVersion + 1}`);
    db.pragma('writable_schema = OFF');
  } finally {
    db.unsafeMode(false);
  }
}
