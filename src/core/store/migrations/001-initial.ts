import type { Database } from 'better-sqlite3';

/** Runs, their per-epoch metrics and sampled batch losses, and app settings. */
export const version = 1;

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE runs (
      id               INTEGER PRIMARY KEY AUTOINCREMENT,
      name             TEXT    NOT NULL,
      status           TEXT    NOT NULL CHECK (status IN ('queued','running','completed','failed','cancelled','crashed')),
      preset_id        TEXT,
      dataset_id       TEXT    NOT NULL,
      model_json       TEXT    NOT NULL,
      config_json      TEXT    NOT NULL,
      -- Columns copied out of config_json so the runs list can sort and filter with indexes.
      optimizer        TEXT    NOT NULL,
      learning_rate    REAL    NOT NULL,
      batch_size       INTEGER NOT NULL,
      epochs_planned   INTEGER NOT NULL,
      seed             INTEGER NOT NULL,
      dataset_json     TEXT,
      environment_json TEXT,
      backend          TEXT,
      host             TEXT    NOT NULL,
      owner_pid        INTEGER NOT NULL,
      trainer_pid      INTEGER,
      created_at       TEXT    NOT NULL,
      started_at       TEXT,
      finished_at      TEXT,
      test_loss        REAL,
      test_accuracy    REAL,
      error            TEXT
    );
    CREATE INDEX runs_created_at ON runs (created_at DESC, id DESC);
    CREATE INDEX runs_status ON runs (status);

    CREATE TABLE epochs (
      run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch        INTEGER NOT NULL,
      loss         REAL    NOT NULL,
      accuracy     REAL    NOT NULL,
      val_loss     REAL,
      val_accuracy REAL,
      seconds      REAL    NOT NULL,
      finished_at  TEXT    NOT NULL,
      PRIMARY KEY (run_id, epoch)
    ) WITHOUT ROWID;

    CREATE TABLE batch_losses (
      run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch  INTEGER NOT NULL,
      batch  INTEGER NOT NULL,
      loss   REAL    NOT NULL,
      PRIMARY KEY (run_id, epoch, batch)
    ) WITHOUT ROWID;

    CREATE TABLE settings (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) WITHOUT ROWID;
  `);
}
