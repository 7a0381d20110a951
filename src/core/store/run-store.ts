import { architectureSummary } from '../../shared/model/architecture';
import type { BundledRun } from '../../shared/reports/bundle';
import type { Db } from './database';
import type { ModelSpec } from '../../shared/model/model-spec';
import type { TrainingConfig } from '../../shared/model/training-config';
import {
  TERMINAL_STATUSES,
  type BatchLoss,
  type DatasetInfo,
  type Environment,
  type EpochMetrics,
  type RunDetail,
  type RunPatch,
  type RunStatus,
  type RunSummary,
} from '../../shared/contract/runs';

export interface NewRun {
  name: string;
  presetId: string | null;
  datasetId: string;
  model: ModelSpec;
  config: TrainingConfig;
  host: string;
  ownerPid: number;
}

const TERMINAL_SQL = TERMINAL_STATUSES.map((s) => `'${s}'`).join(',');

interface RunRow {
  id: number;
  name: string;
  status: RunStatus;
  preset_id: string | null;
  optimizer: string;
  learning_rate: number;
  batch_size: number;
  architecture: string;
  epochs_planned: number;
  backend: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  test_loss: number | null;
  test_accuracy: number | null;
  error: string | null;
  epochs_done: number;
  best_val_accuracy: number | null;
  best_epoch: number | null;
  final_val_accuracy: number | null;
  final_val_loss: number | null;
  notes: string;
  starred: number;
  tags: string | null;
  model_path: string | null;
  host: string;
  owner_pid: number;
  trainer_pid: number | null;
  model_json: string;
  config_json: string;
  dataset_json: string | null;
  environment_json: string | null;
}

// The figures the table shows live on the run row (kept by addEpoch); tags are joined in.
const TAG_SEPARATOR = '\u001f';
const SUMMARY_COLUMNS = `r.id, r.name, r.status, r.preset_id, r.optimizer, r.learning_rate, r.batch_size, r.architecture,
  r.epochs_planned, r.backend, r.created_at, r.started_at, r.finished_at, r.test_loss, r.test_accuracy, r.error,
  r.epochs_done, r.best_val_accuracy, r.best_epoch, r.final_val_accuracy, r.final_val_loss, r.notes, r.starred, r.model_path,
  r.host, r.owner_pid, r.trainer_pid`;
const TAGS = `(SELECT group_concat(tag, char(31)) FROM run_tags t WHERE t.run_id = r.id) AS tags`;
// The runs list reads only what a row shows (10,000 runs' specs would be megabytes of JSON nobody looks at).
const SUMMARY_SELECT = `SELECT ${SUMMARY_COLUMNS}, ${TAGS} FROM runs r`;
const DETAIL_SELECT = `SELECT r.*, ${TAGS} FROM runs r`;

const now = () => new Date().toISOString();

/** Everything the app records about runs. Single writer: the process that owns the runs. */
export class RunStore {
  constructor(private readonly db: Db) {}

  createRun(run: NewRun): RunSummary {
    const c = run.config;
    const info = this.db
      .prepare(
        `INSERT INTO runs (name, status, preset_id, dataset_id, model_json, config_json, optimizer, learning_rate,
           batch_size, epochs_planned, seed, host, owner_pid, created_at, architecture)
         VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.name,
        run.presetId,
        run.datasetId,
        JSON.stringify(run.model),
        JSON.stringify(c),
        c.optimizer,
        c.learningRate,
        c.batchSize,
        c.epochs,
        c.seed,
        run.host,
        run.ownerPid,
        now(),
        architectureSummary(run.model),
      );
    return this.getSummary(Number(info.lastInsertRowid));
  }

  /** The trainer process was launched for this run. */
  markRunning(id: number, trainerPid: number | null): void {
    this.db
      .prepare(`UPDATE runs SET status = 'running', trainer_pid = ?, started_at = ? WHERE id = ? AND status = 'queued'`)
      .run(trainerPid, now(), id);
  }

  /** The trainer loaded its data and picked its backend. */
  recordEnvironment(id: number, environment: Environment, dataset: DatasetInfo): void {
    this.db
      .prepare(`UPDATE runs SET environment_json = ?, backend = ?, dataset_json = ? WHERE id = ?`)
      .run(JSON.stringify(environment), environment.backend, JSON.stringify(dataset), id);
  }

  /** Commit one finished epoch and the run's figures with it (one transaction, so a crash after it keeps both). */
  addEpoch(id: number, m: EpochMetrics): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO epochs (run_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, m.epoch, m.loss, m.accuracy, m.valLoss, m.valAccuracy, m.seconds, now());
      this.refreshFigures(id);
    })();
  }

  /** Recompute the run row's epoch figures from its epochs (best = earliest epoch with the highest validation accuracy). */
  private refreshFigures(id: number): void {
    this.db
      .prepare(
        `UPDATE runs SET
           epochs_done = (SELECT COUNT(*) FROM epochs e WHERE e.run_id = runs.id),
           best_val_accuracy = (SELECT MAX(val_accuracy) FROM epochs e WHERE e.run_id = runs.id),
           best_epoch = (SELECT epoch FROM epochs e WHERE e.run_id = runs.id AND e.val_accuracy IS NOT NULL
                         ORDER BY e.val_accuracy DESC, e.epoch ASC LIMIT 1),
           final_val_accuracy = (SELECT val_accuracy FROM epochs e WHERE e.run_id = runs.id ORDER BY epoch DESC LIMIT 1),
           final_val_loss = (SELECT val_loss FROM epochs e WHERE e.run_id = runs.id ORDER BY epoch DESC LIMIT 1)
         WHERE id = ?`,
      )
      .run(id);
  }

  /** Where the trainer saved a completed run's model. */
  setModelPath(id: number, path: string): void {
    this.db.prepare(`UPDATE runs SET model_path = ? WHERE id = ?`).run(path, id);
  }

  modelPath(id: number): string | null {
    const row = this.db.prepare(`SELECT model_path FROM runs WHERE id = ?`).get(id) as { model_path: string | null } | undefined;
    return row?.model_path ?? null;
  }

  /** Rename, annotate, tag or star a run. */
  updateRun(id: number, patch: RunPatch): RunSummary {
    this.row(id);
    this.db.transaction(() => {
      if (patch.name !== undefined) this.db.prepare(`UPDATE runs SET name = ? WHERE id = ?`).run(patch.name, id);
      if (patch.notes !== undefined) this.db.prepare(`UPDATE runs SET notes = ? WHERE id = ?`).run(patch.notes, id);
      if (patch.starred !== undefined) this.db.prepare(`UPDATE runs SET starred = ? WHERE id = ?`).run(patch.starred ? 1 : 0, id);
      if (patch.tags !== undefined) {
        this.db.prepare(`DELETE FROM run_tags WHERE run_id = ?`).run(id);
        const add = this.db.prepare(`INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)`);
        for (const tag of patch.tags) add.run(id, tag);
      }
    })();
    return this.getSummary(id);
  }

  /**
   * Add runs from a bundle as new runs (new ids; nothing existing is touched), all
   * or none. Returns the new ids in bundle order.
   */
  importRuns(runs: BundledRun[], host: string): number[] {
    const insertRun = this.db.prepare(
      `INSERT INTO runs (name, status, preset_id, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
         epochs_planned, seed, dataset_json, environment_json, backend, host, owner_pid, created_at, started_at, finished_at,
         test_loss, test_accuracy, error, notes, starred, architecture)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertEpoch = this.db.prepare(
      `INSERT INTO epochs (run_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertBatch = this.db.prepare(`INSERT OR REPLACE INTO batch_losses (run_id, epoch, batch, loss) VALUES (?, ?, ?, ?)`);
    const insertTag = this.db.prepare(`INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)`);
    return this.db.transaction(() =>
      runs.map((r) => {
        const c = r.config;
        const id = Number(
          insertRun.run(
            r.name,
            r.status,
            r.presetId,
            r.dataset?.id ?? 'fashion-mnist',
            JSON.stringify(r.model),
            JSON.stringify(c),
            c.optimizer,
            c.learningRate,
            c.batchSize,
            c.epochs,
            c.seed,
            r.dataset ? JSON.stringify(r.dataset) : null,
            r.environment ? JSON.stringify(r.environment) : null,
            r.environment?.backend ?? null,
            r.environment?.host ?? host,
            r.createdAt,
            r.startedAt,
            r.finishedAt,
            r.testLoss,
            r.testAccuracy,
            r.error,
            r.notes,
            r.starred ? 1 : 0,
            architectureSummary(r.model),
          ).lastInsertRowid,
        );
        for (const e of r.epochs) insertEpoch.run(id, e.epoch, e.loss, e.accuracy, e.valLoss, e.valAccuracy, e.seconds, r.finishedAt ?? r.createdAt);
        for (const b of r.batchLosses) insertBatch.run(id, b.epoch, b.batch, b.loss);
        for (const t of r.tags) insertTag.run(id, t);
        this.refreshFigures(id);
        return id;
      }),
    )();
  }

  /** Delete a run with its epochs, batch losses and tags. The caller decides whether it may be deleted. */
  deleteRun(id: number): void {
    this.db.prepare(`DELETE FROM runs WHERE id = ?`).run(id);
  }

  addBatchLoss(id: number, b: BatchLoss): void {
    this.db.prepare(`INSERT OR REPLACE INTO batch_losses (run_id, epoch, batch, loss) VALUES (?, ?, ?, ?)`).run(id, b.epoch, b.batch, b.loss);
  }

  recordTest(id: number, loss: number, accuracy: number): void {
    this.db.prepare(`UPDATE runs SET test_loss = ?, test_accuracy = ? WHERE id = ?`).run(loss, accuracy, id);
  }

  /**
   * End a run. A terminal status is never overwritten: returns false (and changes
   * nothing) when the run had already ended.
   */
  finish(id: number, status: RunStatus, error: string | null = null): boolean {
    const info = this.db
      .prepare(`UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status NOT IN (${TERMINAL_SQL})`)
      .run(status, error, now(), id);
    return info.changes === 1;
  }

  /**
   * Runs left unfinished by a process that is gone: a running run becomes `crashed`
   * (its epochs stay), a queued one `cancelled`. Only runs of this host are judged.
   */
  recoverOrphans(host: string, isAlive: (pid: number) => boolean): number[] {
    const rows = this.db
      .prepare(`SELECT id, status, owner_pid, trainer_pid FROM runs WHERE status IN ('queued','running') AND host = ?`)
      .all(host) as Pick<RunRow, 'id' | 'status' | 'owner_pid' | 'trainer_pid'>[];
    const recovered: number[] = [];
    for (const r of rows) {
      const ownerGone = !isAlive(r.owner_pid);
      const trainerGone = r.trainer_pid == null || !isAlive(r.trainer_pid);
      if (r.status === 'running' && ownerGone && trainerGone) {
        this.finish(r.id, 'crashed', 'The app or its trainer stopped while this run was training; the finished epochs are kept.');
        recovered.push(r.id);
      } else if (r.status === 'queued' && ownerGone) {
        this.finish(r.id, 'cancelled', 'The app closed before this run started.');
        recovered.push(r.id);
      }
    }
    return recovered;
  }

  listRuns(): RunSummary[] {
    const rows = this.db.prepare(`${SUMMARY_SELECT} ORDER BY r.created_at DESC, r.id DESC`).all() as RunRow[];
    return rows.map(toSummary);
  }

  /** Ids that exist, in the order asked. */
  existing(ids: number[]): number[] {
    const found = new Set(
      (this.db.prepare(`SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as { id: number }[]).map(
        (r) => r.id,
      ),
    );
    return ids.filter((id) => found.has(id));
  }

  getSummary(id: number): RunSummary {
    return toSummary(this.row(id));
  }

  /** null when no run has this id. */
  findRun(id: number): RunDetail | null {
    const row = this.db.prepare(`${DETAIL_SELECT} WHERE r.id = ?`).get(id) as RunRow | undefined;
    if (!row) return null;
    const epochs = this.db
      .prepare(
        `SELECT epoch, loss, accuracy, val_loss AS valLoss, val_accuracy AS valAccuracy, seconds
         FROM epochs WHERE run_id = ? ORDER BY epoch`,
      )
      .all(id) as EpochMetrics[];
    const batchLosses = this.db.prepare(`SELECT epoch, batch, loss FROM batch_losses WHERE run_id = ? ORDER BY epoch, batch`).all(id) as BatchLoss[];
    return {
      ...toSummary(row),
      model: JSON.parse(row.model_json),
      config: JSON.parse(row.config_json),
      dataset: row.dataset_json ? JSON.parse(row.dataset_json) : null,
      environment: row.environment_json ? JSON.parse(row.environment_json) : null,
      epochs,
      batchLosses,
    };
  }

  getSetting(key: string): string | null {
    const row = this.db.prepare(`SELECT value FROM settings WHERE key = ?`).get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setSetting(key: string, value: string | null): void {
    if (value === null) this.db.prepare(`DELETE FROM settings WHERE key = ?`).run(key);
    else this.db.prepare(`INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)`).run(key, value);
  }

  private row(id: number): RunRow {
    const row = this.db.prepare(`${SUMMARY_SELECT} WHERE r.id = ?`).get(id) as RunRow | undefined;
    if (!row) throw new Error(`no run ${id}`);
    return row;
  }
}

function toSummary(r: RunRow): RunSummary {
  const end = r.finished_at ? Date.parse(r.finished_at) : r.status === 'running' ? Date.now() : null;
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    presetId: r.preset_id,
    optimizer: r.optimizer,
    learningRate: r.learning_rate,
    batchSize: r.batch_size,
    architecture: r.architecture,
    epochsDone: r.epochs_done,
    epochsPlanned: r.epochs_planned,
    bestValAccuracy: r.best_val_accuracy,
    bestEpoch: r.best_epoch,
    finalValAccuracy: r.final_val_accuracy,
    finalValLoss: r.final_val_loss,
    testAccuracy: r.test_accuracy,
    testLoss: r.test_loss,
    backend: r.backend,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationSeconds: r.started_at && end !== null ? Math.max(0, (end - Date.parse(r.started_at)) / 1000) : null,
    error: r.error,
    notes: r.notes,
    tags: r.tags ? r.tags.split(TAG_SEPARATOR).sort((a, b) => a.localeCompare(b)) : [],
    starred: r.starred === 1,
    hasModel: r.model_path !== null,
  };
}
