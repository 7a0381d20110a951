import { architectureSummary } from '../../shared/model/architecture';
import type { LayerStatJson } from '../../shared/reports/export-data';
import type { BundledRun } from '../../shared/reports/bundle';
import type { Db } from './database';
import type { ModelSpec } from '../../shared/model/model-spec';
import type { TrainingConfig } from '../../shared/model/training-config';
import {
  TERMINAL_STATUSES,
  type BatchLoss,
  type CheckpointPosition,
  type DatasetInfo,
  type Environment,
  type EpochMetrics,
  type FixReference,
  type LayerStat,
  type RunDetail,
  type RunGroup,
  type RunPatch,
  type RunProvenance,
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
  /** When the owning process started (see process-identity.ts); null where it cannot be told. */
  ownerStarted?: string | null;
  /** "Train again with this fix": the run it comes from (which must exist) and the finding it addresses. */
  parentRunId?: number | null;
  fixFor?: FixReference | null;
  /** The user gave the name (default true); false for a name Layerlab made up. */
  named?: boolean;
  groupId?: number | null;
  sweepValues?: Record<string, string | number> | null;
  repeatIndex?: number | null;
}

/** A group as created (its runs are added with createRun's groupId). */
export interface NewGroup {
  kind: RunGroup['kind'];
  name: string;
  repeat: number;
  seed: number;
  axes: RunGroup['axes'];
}

interface OrphanRow {
  id: number;
  status: RunStatus;
  owner_pid: number;
  owner_started: string | null;
  trainer_pid: number | null;
  trainer_started: string | null;
}

const TERMINAL_SQL = TERMINAL_STATUSES.map((s) => `'${s}'`).join(',');

interface RunRow {
  id: number;
  name: string;
  status: RunStatus;
  preset_id: string | null;
  dataset_id: string | null;
  /** The runs list's: the name in dataset_json (which it does not read). */
  dataset_name?: string | null;
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
  best_val_loss: number | null;
  best_accuracy_epoch: number | null;
  saved_weights: 'final' | 'best' | null;
  stop_reason: string | null;
  parent_run_id: number | null;
  fix_kind: string | null;
  fix_summary: string | null;
  baseline_loss?: number | null;
  baseline_accuracy?: number | null;
  baseline_val_loss?: number | null;
  baseline_val_accuracy?: number | null;
  baseline_seconds?: number | null;
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
  queue_position: number | null;
  checkpoint_json: string | null;
  group_id: number | null;
  sweep_values_json: string | null;
  repeat_index: number | null;
  named: number;
  provenance_json?: string | null;
}

interface GroupRow {
  id: number;
  kind: RunGroup['kind'];
  name: string;
  repeat: number;
  seed: number;
  axes_json: string;
  created_at: string;
  run_ids: string | null;
}

// The figures the table shows live on the run row (kept by addEpoch); tags are joined in.
const TAG_SEPARATOR = '\u001f';
const SUMMARY_COLUMNS = `r.id, r.name, r.status, r.preset_id, r.optimizer, r.learning_rate, r.batch_size, r.architecture,
  r.epochs_planned, r.backend, r.created_at, r.started_at, r.finished_at, r.test_loss, r.test_accuracy, r.error,
  r.epochs_done, r.best_val_accuracy, r.best_epoch, r.final_val_accuracy, r.final_val_loss, r.notes, r.starred, r.model_path,
  r.host, r.owner_pid, r.trainer_pid, r.best_val_loss, r.best_accuracy_epoch, r.saved_weights, r.stop_reason, r.parent_run_id,
  r.fix_kind, r.fix_summary, r.queue_position, r.checkpoint_json, r.group_id, r.sweep_values_json, r.repeat_index, r.named, r.dataset_id,
  CASE WHEN json_valid(r.dataset_json) THEN json_extract(r.dataset_json, '$.name') END AS dataset_name`;
const TAGS = `(SELECT group_concat(tag, char(31)) FROM run_tags t WHERE t.run_id = r.id) AS tags`;
// The runs list reads only what a row shows (10,000 runs' specs would be megabytes of JSON nobody looks at).
const SUMMARY_SELECT = `SELECT ${SUMMARY_COLUMNS}, ${TAGS} FROM runs r`;
const DETAIL_SELECT = `SELECT r.*, ${TAGS}, (SELECT json FROM run_provenance p WHERE p.run_id = r.id) AS provenance_json FROM runs r`;

const now = () => new Date().toISOString();

/** A layer_stats row: its columns are the snake_case fields files and `--json` write. */
type LayerStatRow = LayerStatJson;

const INSERT_LAYER_STAT = `INSERT OR REPLACE INTO layer_stats (run_id, epoch, batch, layer, name, grad_norm, bias_grad_norm, weight_norm,
  update_ratio, act_mean, act_std, dead_fraction, saturated_fraction, nonfinite) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const layerStatValues = (id: number, s: LayerStat) =>
  [
    id,
    s.epoch,
    s.batch,
    s.layer,
    s.name,
    s.gradNorm,
    s.biasGradNorm,
    s.weightNorm,
    s.updateRatio,
    s.actMean,
    s.actStd,
    s.deadFraction,
    s.saturatedFraction,
    s.nonfinite,
  ] as const;

/** Everything the app records about runs. Single writer: the process that owns the runs. */
export class RunStore {
  constructor(private readonly db: Db) {}

  createRun(run: NewRun): RunSummary {
    const c = run.config;
    const info = this.db
      .prepare(
        `INSERT INTO runs (name, status, preset_id, dataset_id, model_json, config_json, optimizer, learning_rate,
           batch_size, epochs_planned, seed, host, owner_pid, owner_started, created_at, architecture, parent_run_id, fix_kind,
           fix_summary, named, group_id, sweep_values_json, repeat_index)
         VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
        run.ownerStarted ?? null,
        now(),
        architectureSummary(run.model),
        run.parentRunId ?? null,
        run.fixFor?.kind ?? null,
        run.fixFor?.summary ?? null,
        run.named === false ? 0 : 1,
        run.groupId ?? null,
        run.sweepValues ? JSON.stringify(run.sweepValues) : null,
        run.repeatIndex ?? null,
      );
    return this.getSummary(Number(info.lastInsertRowid));
  }

  /** A new repeat or sweep (empty until runs name it as their group). */
  createGroup(group: NewGroup): number {
    const info = this.db
      .prepare(`INSERT INTO run_groups (kind, name, repeat, seed, axes_json, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(group.kind, group.name, group.repeat, group.seed, JSON.stringify(group.axes), now());
    return Number(info.lastInsertRowid);
  }

  /** Every group with its runs (creation order), newest group first. Groups whose runs were all deleted are left out. */
  listGroups(): RunGroup[] {
    const rows = this.db.prepare(`${GROUP_SELECT} ORDER BY g.created_at DESC, g.id DESC`).all() as GroupRow[];
    return rows.filter((r) => r.run_ids).map(toGroup);
  }

  findGroup(id: number): RunGroup | null {
    const row = this.db.prepare(`${GROUP_SELECT} WHERE g.id = ?`).get(id) as GroupRow | undefined;
    return row ? toGroup(row) : null;
  }

  /**
   * The order of the runs `ownerPid` queues: `ids[0]` trains next. Its other runs have no
   * place; runs queued by other processes keep theirs.
   */
  setQueueOrder(ids: number[], ownerPid: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE runs SET queue_position = NULL
           WHERE queue_position IS NOT NULL AND owner_pid = ? AND id NOT IN (SELECT value FROM json_each(?))`,
        )
        .run(ownerPid, JSON.stringify(ids));
      const place = this.db.prepare(`UPDATE runs SET queue_position = ? WHERE id = ?`);
      ids.forEach((id, i) => place.run(i + 1, id));
    })();
  }

  /** Queued runs of this host in their order (for a process taking over the queue). */
  queuedRunIds(): number[] {
    return this.db
      .prepare(`SELECT id FROM runs WHERE status = 'queued' ORDER BY queue_position IS NULL, queue_position, id`)
      .pluck()
      .all() as number[];
  }

  /** The process that owns a run (queues or trains it). */
  ownerPid(id: number): number | null {
    return (this.db.prepare(`SELECT owner_pid FROM runs WHERE id = ?`).pluck().get(id) as number | undefined) ?? null;
  }

  /** Where the run's last checkpoint continues; null removes it. */
  setCheckpoint(id: number, position: CheckpointPosition | null): void {
    this.db.prepare(`UPDATE runs SET checkpoint_json = ? WHERE id = ?`).run(position ? JSON.stringify(position) : null, id);
  }

  checkpointOf(id: number): CheckpointPosition | null {
    const json = this.db.prepare(`SELECT checkpoint_json FROM runs WHERE id = ?`).pluck().get(id) as string | null | undefined;
    return json ? JSON.parse(json) : null;
  }

  /** A running run stopped at a checkpoint: `paused`, no trainer, not finished. */
  markPaused(id: number): boolean {
    const info = this.db
      .prepare(
        `UPDATE runs SET status = 'paused', trainer_pid = NULL, trainer_started = NULL, queue_position = NULL, error = NULL WHERE id = ? AND status IN ('running','queued')`,
      )
      .run(id);
    return info.changes === 1;
  }

  /**
   * A paused run (or a crashed one being resumed) waits in the queue again, owned by this
   * process: its error and end time are cleared, its start time and records stay.
   */
  requeue(id: number, ownerPid: number, ownerStarted: string | null): boolean {
    const info = this.db
      .prepare(
        `UPDATE runs SET status = 'queued', error = NULL, finished_at = NULL, trainer_pid = NULL, trainer_started = NULL, owner_pid = ?,
           owner_started = ? WHERE id = ? AND status IN ('paused','crashed')`,
      )
      .run(ownerPid, ownerStarted, id);
    return info.changes === 1;
  }

  /**
   * Drop what was recorded past a checkpoint (it will be trained again): epochs from
   * `position.epoch` on, and the batch losses and layer signals after its batch.
   */
  truncateAfter(id: number, position: CheckpointPosition): void {
    const { epoch, batch } = position;
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM epochs WHERE run_id = ? AND epoch >= ?`).run(id, epoch);
      this.db.prepare(`DELETE FROM batch_losses WHERE run_id = ? AND (epoch > ? OR (epoch = ? AND batch > ?))`).run(id, epoch, epoch, batch);
      this.db
        .prepare(`DELETE FROM layer_stats WHERE run_id = ? AND (epoch > ? OR (epoch = ? AND (batch IS NULL OR batch > ?)))`)
        .run(id, epoch, epoch, batch);
      this.db.prepare(`UPDATE runs SET test_loss = NULL, test_accuracy = NULL, stop_reason = NULL WHERE id = ?`).run(id);
      this.refreshFigures(id);
    })();
  }

  /** What the run depended on besides its network and settings (the trainer's account when it started). */
  recordProvenance(id: number, provenance: RunProvenance): void {
    this.db.prepare(`INSERT OR REPLACE INTO run_provenance (run_id, json) VALUES (?, ?)`).run(id, JSON.stringify(provenance));
  }

  /** The trainer's peak resident memory over the run, kept in its provenance (the larger of this and what was there). */
  recordPeakRss(id: number, bytes: number): void {
    this.db
      .prepare(
        `UPDATE run_provenance SET json = json_set(json, '$.peakRssBytes', max(coalesce(json_extract(json, '$.peakRssBytes'), 0), ?))
         WHERE run_id = ?`,
      )
      .run(bytes, id);
  }

  /** The trainer process was launched for this run: its PID and start time say which process it is. */
  markRunning(id: number, trainerPid: number | null, trainerStarted: string | null = null): void {
    this.db
      .prepare(
        `UPDATE runs SET status = 'running', trainer_pid = ?, trainer_started = ?, started_at = coalesce(started_at, ?), queue_position = NULL
         WHERE id = ? AND status = 'queued'`,
      )
      .run(trainerPid, trainerStarted, now(), id);
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
          `INSERT OR REPLACE INTO epochs (run_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds, cpu_seconds, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, m.epoch, m.loss, m.accuracy, m.valLoss, m.valAccuracy, m.seconds, m.cpuSeconds ?? null, now());
      this.refreshFigures(id);
    })();
  }

  /** Epoch 0, evaluated before the first step: kept on the run row, so it never counts as an epoch. */
  recordBaseline(id: number, m: EpochMetrics): void {
    this.db
      .prepare(
        `UPDATE runs SET baseline_loss = ?, baseline_accuracy = ?, baseline_val_loss = ?, baseline_val_accuracy = ?, baseline_seconds = ?
         WHERE id = ?`,
      )
      .run(m.loss, m.accuracy, m.valLoss, m.valAccuracy, m.seconds, id);
  }

  /** The layer signals of one probe, all rows or none. */
  addLayerStats(id: number, stats: LayerStat[]): void {
    const insert = this.db.prepare(INSERT_LAYER_STAT);
    this.db.transaction(() => {
      for (const s of stats) insert.run(...layerStatValues(id, s));
    })();
  }

  /**
   * Recompute the run row's epoch figures from its epochs: best = earliest epoch with
   * the lowest validation loss (Keras's EarlyStopping default), and the earliest with
   * the highest validation accuracy beside it.
   */
  private refreshFigures(id: number): void {
    this.db
      .prepare(
        `UPDATE runs SET
           epochs_done = (SELECT COUNT(*) FROM epochs e WHERE e.run_id = runs.id),
           best_val_accuracy = (SELECT MAX(val_accuracy) FROM epochs e WHERE e.run_id = runs.id),
           best_val_loss = (SELECT MIN(val_loss) FROM epochs e WHERE e.run_id = runs.id),
           best_epoch = (SELECT epoch FROM epochs e WHERE e.run_id = runs.id AND e.val_loss IS NOT NULL
                         ORDER BY e.val_loss ASC, e.epoch ASC LIMIT 1),
           best_accuracy_epoch = (SELECT epoch FROM epochs e WHERE e.run_id = runs.id AND e.val_accuracy IS NOT NULL
                                  ORDER BY e.val_accuracy DESC, e.epoch ASC LIMIT 1),
           final_val_accuracy = (SELECT val_accuracy FROM epochs e WHERE e.run_id = runs.id ORDER BY epoch DESC LIMIT 1),
           final_val_loss = (SELECT val_loss FROM epochs e WHERE e.run_id = runs.id ORDER BY epoch DESC LIMIT 1)
         WHERE id = ?`,
      )
      .run(id);
  }

  /** Where the trainer saved a completed run's model, and which epoch's weights it holds. */
  setModelPath(id: number, path: string, weights: 'final' | 'best' | null = null): void {
    this.db.prepare(`UPDATE runs SET model_path = ?, saved_weights = coalesce(?, saved_weights) WHERE id = ?`).run(path, weights, id);
  }

  modelPath(id: number): string | null {
    const row = this.db.prepare(`SELECT model_path FROM runs WHERE id = ?`).get(id) as { model_path: string | null } | undefined;
    return row?.model_path ?? null;
  }

  /** Rename, annotate, tag or star a run. */
  updateRun(id: number, patch: RunPatch): RunSummary {
    this.row(id);
    this.db.transaction(() => {
      // A name the user gives is theirs: the run is called by it from now on.
      if (patch.name !== undefined) this.db.prepare(`UPDATE runs SET name = ?, named = 1 WHERE id = ?`).run(patch.name, id);
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
   * or none. Returns the new ids in bundle order. A run's parent becomes the new id
   * of the bundled run it came from; a parent that is not in the bundle is dropped
   * (the fix it applied stays).
   */
  importRuns(runs: BundledRun[], host: string): number[] {
    const insertRun = this.db.prepare(
      `INSERT INTO runs (name, status, preset_id, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
         epochs_planned, seed, dataset_json, environment_json, backend, host, owner_pid, created_at, started_at, finished_at,
         test_loss, test_accuracy, error, notes, starred, architecture, saved_weights, stop_reason, fix_kind, fix_summary, named,
         sweep_values_json, repeat_index)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertLayerStat = this.db.prepare(INSERT_LAYER_STAT);
    const setParent = this.db.prepare(`UPDATE runs SET parent_run_id = ? WHERE id = ?`);
    const insertEpoch = this.db.prepare(
      `INSERT INTO epochs (run_id, epoch, loss, accuracy, val_loss, val_accuracy, seconds, cpu_seconds, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertBatch = this.db.prepare(`INSERT OR REPLACE INTO batch_losses (run_id, epoch, batch, loss) VALUES (?, ?, ?, ?)`);
    const insertTag = this.db.prepare(`INSERT OR IGNORE INTO run_tags (run_id, tag) VALUES (?, ?)`);
    return this.db.transaction(() => {
      const ids = runs.map((r) => {
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
            r.savedWeights,
            r.stopReason,
            r.fixFor?.kind ?? null,
            r.fixFor?.summary ?? null,
            // Bundles before version 3 did not say; their names are kept as the user's.
            r.named === false ? 0 : 1,
            r.sweepValues ? JSON.stringify(r.sweepValues) : null,
            r.repeatIndex ?? null,
          ).lastInsertRowid,
        );
        for (const e of r.epochs) {
          insertEpoch.run(id, e.epoch, e.loss, e.accuracy, e.valLoss, e.valAccuracy, e.seconds, e.cpuSeconds ?? null, r.finishedAt ?? r.createdAt);
        }
        for (const b of r.batchLosses) insertBatch.run(id, b.epoch, b.batch, b.loss);
        for (const t of r.tags) insertTag.run(id, t);
        if (r.baseline) this.recordBaseline(id, r.baseline);
        if (r.provenance) this.recordProvenance(id, r.provenance);
        for (const s of r.layerStats) insertLayerStat.run(...layerStatValues(id, s));
        this.refreshFigures(id);
        return id;
      });
      // Parents by the ids they had where they came from (the first run of that id, never the run itself).
      const newIdOf = new Map<number, number>();
      runs.forEach((r, i) => {
        if (!newIdOf.has(r.sourceId)) newIdOf.set(r.sourceId, ids[i]);
      });
      runs.forEach((r, i) => {
        const parent = r.parentSourceId === null ? undefined : newIdOf.get(r.parentSourceId);
        if (parent !== undefined && parent !== ids[i]) setParent.run(parent, ids[i]);
      });
      return ids;
    })();
  }

  /**
   * Delete a run with its epochs, batch losses, layer signals and tags; runs trained
   * from it keep everything but the link. The caller decides whether it may be deleted.
   */
  deleteRun(id: number): void {
    this.db.prepare(`DELETE FROM runs WHERE id = ?`).run(id);
  }

  /** The runs trained from this one with a fix. */
  childRunIds(id: number): number[] {
    return (this.db.prepare(`SELECT id FROM runs WHERE parent_run_id = ? ORDER BY id`).all(id) as { id: number }[]).map((r) => r.id);
  }

  addBatchLoss(id: number, b: BatchLoss): void {
    this.db.prepare(`INSERT OR REPLACE INTO batch_losses (run_id, epoch, batch, loss) VALUES (?, ?, ?, ?)`).run(id, b.epoch, b.batch, b.loss);
  }

  /** The test figures, and which epoch's weights they were measured with. */
  recordTest(id: number, loss: number, accuracy: number, weights: 'final' | 'best' | null = null): void {
    this.db
      .prepare(`UPDATE runs SET test_loss = ?, test_accuracy = ?, saved_weights = coalesce(?, saved_weights) WHERE id = ?`)
      .run(loss, accuracy, weights, id);
  }

  /** Why training ended before its planned epochs ("stopped early at epoch 9 (best 6)"). */
  recordStopReason(id: number, reason: string | null): void {
    this.db.prepare(`UPDATE runs SET stop_reason = ? WHERE id = ?`).run(reason, id);
  }

  /**
   * End a run. A terminal status is never overwritten: returns false (and changes
   * nothing) when the run had already ended.
   */
  finish(id: number, status: RunStatus, error: string | null = null): boolean {
    const info = this.db
      .prepare(`UPDATE runs SET status = ?, error = ?, finished_at = ?, queue_position = NULL WHERE id = ? AND status NOT IN (${TERMINAL_SQL})`)
      .run(status, error, now(), id);
    return info.changes === 1;
  }

  /**
   * Runs left unfinished by a process that is gone: a running run becomes `crashed`
   * (its epochs stay), a queued one `cancelled`. Only runs of this host are judged,
   * and a process is judged by its PID and start time together (`isAlive`), never
   * by a PID alone. Returns the runs it ended and those still waiting on a live
   * process. Returns the runs it ended.
   */
  recoverOrphans(host: string, isAlive: (pid: number, started: string | null) => boolean): number[] {
    return this.checkOrphans(host, isAlive).recovered;
  }

  /**
   * recoverOrphans, also naming the unfinished runs still waiting on a live process
   * (`pending`: its app is gone, its trainer still dying) and those trainers' PIDs
   * when their identity is known (`dyingTrainers`); `only` judges one run.
   */
  checkOrphans(
    host: string,
    isAlive: (pid: number, started: string | null) => boolean,
    only?: number,
  ): { recovered: number[]; pending: number[]; dyingTrainers: number[] } {
    const rows = this.db
      .prepare(
        `SELECT id, status, owner_pid, owner_started, trainer_pid, trainer_started FROM runs
         WHERE status IN ('queued','running') AND host = ? AND (? IS NULL OR id = ?)`,
      )
      .all(host, only ?? null, only ?? null) as OrphanRow[];
    const recovered: number[] = [];
    const pending: number[] = [];
    const dyingTrainers: number[] = [];
    for (const r of rows) {
      const ownerGone = !isAlive(r.owner_pid, r.owner_started);
      const trainerGone = r.trainer_pid == null || !isAlive(r.trainer_pid, r.trainer_started);
      if (r.status === 'running' && ownerGone && trainerGone) {
        if (this.finish(r.id, 'crashed', 'The app or its trainer stopped while this run was training; the finished epochs are kept.')) {
          recovered.push(r.id);
        }
      } else if (r.status === 'queued' && ownerGone) {
        // A resumed run that never got going waits, paused, at its checkpoint; anything else never started.
        if (this.checkpointOf(r.id) ? this.markPaused(r.id) : this.finish(r.id, 'cancelled', 'The app closed before this run started.')) {
          recovered.push(r.id);
        }
      } else if (r.status === 'running' && ownerGone) {
        pending.push(r.id); // its trainer is still dying
        // Known by PID and start time, so it can be stopped without hitting another process.
        if (r.trainer_pid != null && r.trainer_started != null) dyingTrainers.push(r.trainer_pid);
      }
    }
    return { recovered, pending, dyingTrainers };
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
        `SELECT epoch, loss, accuracy, val_loss AS valLoss, val_accuracy AS valAccuracy, seconds, cpu_seconds AS cpuSeconds
         FROM epochs WHERE run_id = ? ORDER BY epoch`,
      )
      .all(id) as EpochMetrics[];
    // Epochs recorded before CPU time was measured have none (rather than a null in every file they reach).
    for (const e of epochs) if (e.cpuSeconds == null) delete e.cpuSeconds;
    const batchLosses = this.db.prepare(`SELECT epoch, batch, loss FROM batch_losses WHERE run_id = ? ORDER BY epoch, batch`).all(id) as BatchLoss[];
    // In the order they were taken: an epoch's finer probes by batch, then the one at its end.
    const layerStats = (
      this.db
        .prepare(
          `SELECT epoch, batch, layer, name, grad_norm, bias_grad_norm, weight_norm, update_ratio, act_mean, act_std, dead_fraction,
             saturated_fraction, nonfinite
           FROM layer_stats WHERE run_id = ? ORDER BY epoch, batch IS NULL, batch, layer`,
        )
        .all(id) as LayerStatRow[]
    ).map(toLayerStat);
    return {
      ...toSummary(row),
      model: JSON.parse(row.model_json),
      config: JSON.parse(row.config_json),
      dataset: row.dataset_json ? JSON.parse(row.dataset_json) : null,
      environment: row.environment_json ? JSON.parse(row.environment_json) : null,
      epochs,
      batchLosses,
      baseline: toBaseline(row),
      layerStats,
      provenance: row.provenance_json ? JSON.parse(row.provenance_json) : null,
      modelPath: row.model_path,
    };
  }

  /** The id of the dataset a run trains on (the dataset_id column; 'fashion-mnist' for runs recorded before there were others). */
  datasetIdOf(id: number): string {
    const row = this.db.prepare(`SELECT dataset_id FROM runs WHERE id = ?`).get(id) as { dataset_id: string | null } | undefined;
    return row?.dataset_id ?? 'fashion-mnist';
  }

  /** Every run's dataset id, by run id. */
  datasetIds(): Map<number, string> {
    const rows = this.db.prepare(`SELECT id, dataset_id FROM runs`).all() as { id: number; dataset_id: string | null }[];
    return new Map(rows.map((r) => [r.id, r.dataset_id ?? 'fashion-mnist']));
  }

  /** Runs on a dataset that are not finished (queued, running or paused), oldest first. */
  unfinishedRunsOn(datasetId: string): { id: number; name: string; status: RunStatus }[] {
    return this.db
      .prepare(`SELECT id, name, status FROM runs WHERE dataset_id = ? AND status IN ('queued', 'running', 'paused') ORDER BY id`)
      .all(datasetId) as { id: number; name: string; status: RunStatus }[];
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
    bestValLoss: r.best_val_loss,
    bestAccuracyEpoch: r.best_accuracy_epoch,
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
    savedWeights: r.saved_weights,
    stopReason: r.stop_reason,
    parentRunId: r.parent_run_id,
    fixFor: r.fix_kind !== null && r.fix_summary !== null ? { kind: r.fix_kind, summary: r.fix_summary } : null,
    queuePosition: r.status === 'queued' ? r.queue_position : null,
    // A crashed run resumes from the checkpoint of its last finished epoch; a finished one has nothing to resume.
    checkpoint: (r.status === 'paused' || r.status === 'crashed') && r.checkpoint_json ? JSON.parse(r.checkpoint_json) : null,
    groupId: r.group_id,
    sweepValues: r.sweep_values_json ? JSON.parse(r.sweep_values_json) : null,
    repeatIndex: r.repeat_index,
    named: r.named === 1,
    datasetId: r.dataset_id ?? 'fashion-mnist',
    datasetName: r.dataset_name !== undefined ? (typeof r.dataset_name === 'string' ? r.dataset_name : null) : datasetNameOf(r.dataset_json),
  };
}

const GROUP_SELECT = `SELECT g.*, (SELECT group_concat(id) FROM (SELECT id FROM runs WHERE group_id = g.id ORDER BY id)) AS run_ids FROM run_groups g`;

function toGroup(r: GroupRow): RunGroup {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    createdAt: r.created_at,
    repeat: r.repeat,
    seed: r.seed,
    axes: JSON.parse(r.axes_json),
    runIds: r.run_ids ? r.run_ids.split(',').map(Number) : [],
  };
}

function toBaseline(r: RunRow): EpochMetrics | null {
  if (r.baseline_loss == null || r.baseline_accuracy == null) return null;
  return {
    epoch: 0,
    loss: r.baseline_loss,
    accuracy: r.baseline_accuracy,
    valLoss: r.baseline_val_loss ?? null,
    valAccuracy: r.baseline_val_accuracy ?? null,
    seconds: r.baseline_seconds ?? 0,
  };
}

function toLayerStat(r: LayerStatRow): LayerStat {
  return {
    epoch: r.epoch,
    batch: r.batch,
    layer: r.layer,
    name: r.name,
    gradNorm: r.grad_norm,
    biasGradNorm: r.bias_grad_norm,
    weightNorm: r.weight_norm,
    updateRatio: r.update_ratio,
    actMean: r.act_mean,
    actStd: r.act_std,
    deadFraction: r.dead_fraction,
    saturatedFraction: r.saturated_fraction,
    nonfinite: r.nonfinite,
  };
}

/** The dataset's name in a run's dataset record (null when it has none or cannot be read). */
function datasetNameOf(json: string | null): string | null {
  if (!json) return null;
  try {
    const name = (JSON.parse(json) as { name?: unknown }).name;
    return typeof name === 'string' ? name : null;
  } catch {
    return null;
  }
}
