import type { Database } from 'better-sqlite3';

/**
 * Explaining runs: per-layer training signals (one row per layer per probe), the
 * epoch-0 baseline on the run row (so it never counts as an epoch), the best epoch
 * by lowest validation loss (Keras's EarlyStopping default) with the accuracy one
 * beside it, which weights the saved model holds, why training stopped early, and
 * the run a "Train again with this fix" run came from.
 */
export const version = 4;

export function up(db: Database): void {
  db.exec(`
    CREATE TABLE layer_stats (
      run_id             INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      epoch              INTEGER NOT NULL,
      -- NULL: at the end of an epoch (or before the first step); else the batch of a finer probe.
      batch              INTEGER,
      layer              INTEGER NOT NULL,
      name               TEXT    NOT NULL,
      grad_norm          REAL,
      bias_grad_norm     REAL,
      weight_norm        REAL,
      update_ratio       REAL,
      act_mean           REAL,
      act_std            REAL,
      dead_fraction      REAL,
      saturated_fraction REAL,
      nonfinite          INTEGER NOT NULL DEFAULT 0
    );
    -- One row per run, probe and layer; batches are 1-based, so 0 stands for "end of epoch".
    CREATE UNIQUE INDEX layer_stats_run ON layer_stats (run_id, epoch, ifnull(batch, 0), layer);

    ALTER TABLE runs ADD COLUMN baseline_loss REAL;
    ALTER TABLE runs ADD COLUMN baseline_accuracy REAL;
    ALTER TABLE runs ADD COLUMN baseline_val_loss REAL;
    ALTER TABLE runs ADD COLUMN baseline_val_accuracy REAL;
    ALTER TABLE runs ADD COLUMN baseline_seconds REAL;
    ALTER TABLE runs ADD COLUMN best_val_loss REAL;
    ALTER TABLE runs ADD COLUMN best_accuracy_epoch INTEGER;
    ALTER TABLE runs ADD COLUMN saved_weights TEXT CHECK (saved_weights IN ('final','best'));
    ALTER TABLE runs ADD COLUMN stop_reason TEXT;
    ALTER TABLE runs ADD COLUMN parent_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL;
    ALTER TABLE runs ADD COLUMN fix_kind TEXT;
    ALTER TABLE runs ADD COLUMN fix_summary TEXT;
    CREATE INDEX runs_parent ON runs (parent_run_id);

    -- The best epoch is now the one with the lowest validation loss (earliest on a tie).
    UPDATE runs SET
      best_val_loss = (SELECT MIN(val_loss) FROM epochs e WHERE e.run_id = runs.id),
      best_epoch = (SELECT epoch FROM epochs e WHERE e.run_id = runs.id AND e.val_loss IS NOT NULL
                    ORDER BY e.val_loss ASC, e.epoch ASC LIMIT 1),
      best_accuracy_epoch = (SELECT epoch FROM epochs e WHERE e.run_id = runs.id AND e.val_accuracy IS NOT NULL
                             ORDER BY e.val_accuracy DESC, e.epoch ASC LIMIT 1);
  `);
}
