import type { Database } from 'better-sqlite3';

/**
 * Looking inside a run's predictions: its saved model evaluated on one split (the
 * test set, or its own validation split), kept so the second look is instant. The
 * figures are JSON; the predictions are blobs (labels and predicted classes one byte
 * an image, probabilities Float32 n×10 row-major), deleted with their run.
 */
export const version = 5;

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE evaluations (
      run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      split         TEXT    NOT NULL CHECK (split IN ('test','validation')),
      summary_json  TEXT    NOT NULL,
      labels        BLOB    NOT NULL,
      predicted     BLOB    NOT NULL,
      probabilities BLOB    NOT NULL,
      created_at    TEXT    NOT NULL,
      PRIMARY KEY (run_id, split)
    );
  `);
}
