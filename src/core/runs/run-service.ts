import { hostname } from 'node:os';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_FORMAT, BUNDLE_VERSION, validateBundle, type RunBundle } from '../../shared/reports/bundle';
import { UserError } from '../../shared/contract/api';
import { summarizeModel } from '../../shared/model/model-math';
import { findPreset } from '../../shared/model/presets';
import { checkModelForDataset, type DatasetFitTarget } from '../../shared/model/dataset-fit';
import type { ModelSpec } from '../../shared/model/model-spec';
import { DEFAULT_DATASET_ID } from '../../shared/model/training-config';
import { isTerminal, type RunDetail, type RunGroup, type RunPatch, type RunSummary } from '../../shared/contract/runs';
import type { StartGroupRequest, StartRunRequest } from '../../shared/contract/requests';
import { expandGroup, groupName, normalizedAxes } from '../../shared/model/sweep';
import type { EventHub } from '../events';
import type { DatasetRef, FromTrainer } from '../engine/protocol';
import type { RunStore } from '../store/run-store';
import type { LaunchTrainer, TrainerHandle } from './trainer-launcher';
import { processStartTime, sameProcessAlive } from './process-identity';
import { isStorageError, runStoppedMessage, storageRefusal } from './storage-errors';

/** How long a trainer may take to stop after Cancel before it is killed. */
const CANCEL_GRACE_MS = 10_000;

/** A second Train press with the same settings within this long is taken for a double press and refused. */
const DOUBLE_PRESS_MS = 10_000;

/** How often start-up looks again at a run whose trainer was still dying. */
const ORPHAN_RECHECK_MS = 250;

/** This process, as recorded on the runs it owns. */
let ownStartTime: string | null | undefined;
const ownStarted = () => (ownStartTime === undefined ? (ownStartTime = processStartTime(process.pid)) : ownStartTime);

interface ActiveRun {
  id: number;
  trainer: TrainerHandle;
  epochs: number;
  cancelRequested: boolean;
  pauseRequested: boolean;
  /** Set when the trainer said how the run ended, so its exit is not taken for a crash. */
  ended: boolean;
  trainingStartedAt: number | null;
  batchesPerEpoch: number;
  /** The last epoch the database took. */
  epochsRecorded: number;
  /** The database stopped taking this run's records: the trainer was stopped, its late messages are dropped. */
  writeFailed: boolean;
  killTimer?: NodeJS.Timeout;
  resolveDone: () => void;
}

export interface RunServiceOptions {
  store: RunStore;
  events: EventHub;
  launchTrainer: LaunchTrainer;
  /** Folder of the Fashion-MNIST files, or a UserError explaining why there is none. */
  datasetFolder: () => string;
  /** The datasets other than Fashion-MNIST; without it only Fashion-MNIST is trained on. */
  datasets?: RunDatasets;
  /** Where completed runs keep their trained models (one folder each); none kept when absent. */
  modelsDir?: string;
  /** Where runs keep their checkpoints (run-<id>.ckpt); without it runs cannot be paused or resumed. */
  checkpointsDir?: string;
  /** Layerlab's version and git commit, recorded with every run. */
  app?: { version: string; gitCommit: string | null };
}

/** What runs need to know of the datasets besides Fashion-MNIST (the catalog answers). */
export interface RunDatasets {
  /** The dataset's name, image shape and class count; a UserError when it is not known here. */
  fitTarget(id: string): DatasetFitTarget;
  /** Where the trainer finds its files; a UserError saying how to get them (download, import) when they are not here. */
  ref(id: string): DatasetRef;
}

/** Why a network cannot be trained on a dataset, in the user's words (the first problem), or null when it fits. */
export function datasetFitRefusal(model: ModelSpec, target: DatasetFitTarget): string | null {
  const { problems } = checkModelForDataset(model, target);
  return problems.length ? `This network cannot be trained on ${target.name}: ${problems[0].message}` : null;
}

/**
 * Owns the run lifecycle: a queue, one trainer process at a time (two cores do
 * not train two models faster), each epoch committed as the trainer reports it.
 */
export class RunService {
  private active: ActiveRun | null = null;
  private readonly queue: number[] = [];
  private readonly done = new Map<number, Promise<void>>();
  private readonly resolvers = new Map<number, () => void>();
  /** Recent start requests by run id, to tell a double press from a second run. */
  private readonly recentRequests = new Map<number, { key: string; at: number }>();
  private orphanTimer: NodeJS.Timeout | null = null;
  private finalWriteReported = false;

  constructor(private readonly o: RunServiceOptions) {}

  /** Mark runs left behind by a process that is gone (see RunStore.recoverOrphans). */
  /**
   * A run whose app is gone but whose trainer is still dying is looked at again every
   * ORPHAN_RECHECK_MS until it has been marked.
   */
  recover(): number[] {
    const { recovered, pending, dyingTrainers } = this.o.store.checkOrphans(hostname(), sameProcessAlive);
    for (const id of recovered) this.emitRun(id);
    // Nobody records what they train any more; they stop on their own, this only hurries them.
    for (const pid of dyingTrainers) killQuietly(pid);
    if (pending.length && !this.orphanTimer) {
      this.orphanTimer = setInterval(() => {
        try {
          const again = this.o.store.checkOrphans(hostname(), sameProcessAlive);
          for (const id of again.recovered) this.emitRun(id);
          if (again.pending.length === 0) this.stopOrphanChecks();
        } catch {
          this.stopOrphanChecks(); // the database closed under it
        }
      }, ORPHAN_RECHECK_MS);
      this.orphanTimer.unref();
    }
    return recovered;
  }

  private stopOrphanChecks(): void {
    if (this.orphanTimer) clearInterval(this.orphanTimer);
    this.orphanTimer = null;
  }

  /** A run this process neither queued nor trains: end it if its app and trainer are gone. */
  private settleIfOrphan(id: number): void {
    if (this.active?.id === id || this.queue.includes(id)) return;
    const { recovered } = this.o.store.checkOrphans(hostname(), sameProcessAlive, id);
    for (const r of recovered) this.emitRun(r);
  }

  /** What every start checks before anything is recorded; a UserError says what is wrong. */
  private checkRequest(request: StartRunRequest, models: ModelSpec[] = [request.model]): void {
    const datasetId = request.datasetId ?? DEFAULT_DATASET_ID;
    if (datasetId === DEFAULT_DATASET_ID) {
      const summary = summarizeModel(request.model);
      if (summary.problems.length) {
        throw new UserError(`This network cannot be trained: ${summary.problems.map((p) => p.message).join('; ')}`);
      }
    } else {
      const target = this.datasets().fitTarget(datasetId);
      // Every network a sweep would train must fit, not only the first.
      for (const model of models) {
        const refusal = datasetFitRefusal(model, target);
        if (refusal) throw new UserError(refusal);
      }
    }
    if (request.presetId && !findPreset(request.presetId)) {
      throw new UserError(`Unknown preset "${request.presetId}"`);
    }
    const parentRunId = request.parentRunId ?? null;
    if (parentRunId !== null && !this.o.store.existing([parentRunId]).length) {
      throw new UserError(`There is no run with id ${parentRunId} to train again from; it may have been deleted`);
    }
    this.datasetJob(datasetId); // throws a UserError now rather than inside the trainer
  }

  private datasets(): RunDatasets {
    if (!this.o.datasets) throw new UserError('This Layerlab trains on Fashion-MNIST only');
    return this.o.datasets;
  }

  /** Where a job finds its dataset: Fashion-MNIST's folder as always, or another dataset's reference; a UserError when it is not here. */
  datasetJob(datasetId: string): { datasetFolder: string; dataset?: DatasetRef } {
    if (datasetId === DEFAULT_DATASET_ID) return { datasetFolder: this.o.datasetFolder() };
    const ref = this.datasets().ref(datasetId);
    return { datasetFolder: ref.folder, dataset: ref };
  }

  start(request: StartRunRequest): RunSummary {
    this.checkRequest(request);
    this.refuseDoublePress(request);
    const c = request.config;
    const given = request.name?.trim();
    const run = this.createRun({
      name: given || `${request.presetId ?? 'custom'} · ${c.optimizer} lr=${c.learningRate}`,
      named: Boolean(given),
      presetId: request.presetId ?? null,
      datasetId: request.datasetId ?? 'fashion-mnist',
      model: request.model,
      config: c,
      host: hostname(),
      ownerPid: process.pid,
      ownerStarted: ownStarted(),
      parentRunId: request.parentRunId ?? null,
      fixFor: request.fixFor ?? null,
    });
    this.recentRequests.set(run.id, { key: requestKey(request), at: Date.now() });
    this.enqueue([run.id]);
    return this.o.store.getSummary(run.id);
  }

  /**
   * The same request again while the run it made still waits, moments later: a double
   * press, not a second run (a repeat over seeds is what trains the same settings twice).
   */
  private refuseDoublePress(request: StartRunRequest): void {
    const key = requestKey(request);
    const now = Date.now();
    for (const [id, seen] of this.recentRequests) {
      if (now - seen.at > DOUBLE_PRESS_MS) this.recentRequests.delete(id);
    }
    for (const [id, seen] of this.recentRequests) {
      if (seen.key === key && (this.queue.includes(id) || this.active?.id === id)) {
        throw new UserError(
          `These settings were queued a moment ago as run ${id}; it was not queued twice. To train the same settings over several seeds, use Repeat.`,
        );
      }
    }
  }

  /** Runs just created join the end of the queue (in order) and the first may start. */
  private enqueue(ids: number[]): void {
    for (const id of ids) {
      this.done.set(id, new Promise((resolve) => this.resolvers.set(id, resolve)));
      this.queue.push(id);
    }
    this.saveQueueOrder();
    for (const id of ids) this.emitRun(id);
    this.pump();
  }

  private saveQueueOrder(): void {
    this.o.store.setQueueOrder(this.queue, process.pid);
  }

  /**
   * A repeat (the same settings over N seeds) or a sweep (every combination of the axes'
   * values, each N times) as one group: every run is checked before any is recorded.
   */
  startGroup(request: StartGroupRequest): { group: RunGroup; runs: RunSummary[] } {
    let planned: ReturnType<typeof expandGroup>;
    try {
      planned = expandGroup(request);
    } catch (e) {
      this.checkRequest(request.run);
      throw new UserError((e as Error).message);
    }
    this.checkRequest(request.run, [request.run.model, ...planned.map((p) => p.model)]);
    const base = request.run;
    const groupId = this.o.store.createGroup({
      kind: request.axes.length ? 'sweep' : 'repeat',
      name: request.name?.trim() || groupName(request),
      repeat: request.repeat,
      seed: base.config.seed,
      // As the runs have them ("1e-3" is stored as 0.001).
      axes: normalizedAxes(request),
    });
    const ids = planned.map(
      (p) =>
        this.createRun({
          name: p.name,
          named: p.named,
          presetId: base.presetId ?? null,
          datasetId: base.datasetId ?? 'fashion-mnist',
          model: p.model,
          config: p.config,
          host: hostname(),
          ownerPid: process.pid,
          ownerStarted: ownStarted(),
          groupId,
          sweepValues: p.sweepValues,
          repeatIndex: p.repeatIndex,
        }).id,
    );
    const group = this.o.store.findGroup(groupId)!;
    this.o.events.emit({ type: 'group-updated', group });
    this.enqueue(ids);
    return { group, runs: ids.map((id) => this.o.store.getSummary(id)) };
  }

  listGroups(): RunGroup[] {
    return this.o.store.listGroups();
  }

  /**
   * Pause a running run at the end of its current batch (the trainer writes a checkpoint,
   * then the run is `paused`); a queued run leaves the queue as `paused` at once.
   */
  pause(id: number): RunSummary {
    this.settleIfOrphan(id);
    const run = this.get(id);
    if (run.status === 'paused') return run;
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.o.store.markPaused(id);
      this.saveQueueOrder();
      this.resolvers.get(id)?.();
      this.emitQueue();
      this.emitRun(id);
    } else if (this.active?.id === id) {
      if (!this.o.checkpointsDir) throw new UserError('This Layerlab keeps no checkpoints, so a run cannot be paused here; cancel it instead.');
      if (!this.active.pauseRequested && !this.active.cancelRequested) {
        this.active.pauseRequested = true;
        this.active.trainer.send({ type: 'pause' });
      }
    } else if (run.status === 'running' || run.status === 'queued') {
      throw new UserError(`Run ${id} "${run.name}" is ${run.status} in another Layerlab process (pid ${this.o.store.ownerPid(id)}); pause it there.`);
    } else {
      throw new UserError(`Run ${id} "${run.name}" is ${run.status}; only a training or queued run can be paused.`);
    }
    return this.o.store.getSummary(id);
  }

  /**
   * Queue a paused run (or a crashed one with a checkpoint) again: it continues from its
   * checkpoint exactly, keeping the epochs recorded before it.
   */
  resume(id: number): RunSummary {
    this.settleIfOrphan(id);
    const run = this.get(id);
    if (run.status !== 'paused' && run.status !== 'crashed') {
      throw new UserError(`Run ${id} "${run.name}" is ${run.status}; only a paused run, or a crashed one with a checkpoint, can be resumed.`);
    }
    const position = this.o.store.checkpointOf(id);
    if (position) {
      const file = this.checkpointFile(id);
      if (!file || !existsSync(file)) {
        throw new UserError(
          `Run ${id} "${run.name}" cannot be resumed: its checkpoint file ${file ?? '(none kept here)'} is missing. Train it again instead.`,
        );
      }
    } else if (run.status === 'crashed') {
      throw new UserError(
        `Run ${id} "${run.name}" crashed before its first epoch ended, so there is no checkpoint to resume from. Train it again instead.`,
      );
    }
    this.datasetJob(this.o.store.datasetIdOf(id));
    if (!this.o.store.requeue(id, process.pid, ownStarted())) return this.o.store.getSummary(id);
    this.enqueue([id]);
    return this.o.store.getSummary(id);
  }

  /** Move a queued run to `position` in the queue (1 = trains next); the queued runs in their new order. */
  moveQueued(id: number, position: number): RunSummary[] {
    const from = this.queue.indexOf(id);
    if (from < 0) {
      const run = this.get(id);
      throw new UserError(`Run ${id} "${run.name}" is ${run.status}, not waiting in this queue; only queued runs can be moved.`);
    }
    this.queue.splice(from, 1);
    this.queue.splice(Math.min(Math.max(0, position - 1), this.queue.length), 0, id);
    this.saveQueueOrder();
    this.emitQueue();
    return this.queue.map((q) => this.o.store.getSummary(q));
  }

  /** The queued runs in order. */
  queued(): RunSummary[] {
    return this.queue.map((q) => this.o.store.getSummary(q));
  }

  /** Every queued run's place changed: each window hears its new position. */
  private emitQueue(): void {
    for (const q of this.queue) this.emitRun(q);
  }

  private checkpointFile(id: number): string | null {
    return this.o.checkpointsDir ? join(this.o.checkpointsDir, `run-${id}.ckpt`) : null;
  }

  /** A run that can no longer be resumed lets go of its checkpoint. */
  private dropCheckpoint(id: number): void {
    const file = this.checkpointFile(id);
    if (file) {
      rmSync(file, { force: true });
      rmSync(`${file}.tmp`, { force: true });
    }
  }

  /** A database that cannot take the new run refuses it in the user's words (nothing was recorded). */
  private createRun(run: Parameters<RunStore['createRun']>[0]): RunSummary {
    try {
      return this.o.store.createRun(run);
    } catch (e) {
      if (isStorageError(e)) throw new UserError(storageRefusal(e, 'the run could not be recorded'));
      throw e;
    }
  }

  cancel(id: number): RunSummary {
    this.settleIfOrphan(id);
    const run = this.get(id);
    if (isTerminal(run.status)) return run;
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.saveQueueOrder();
      this.end(id, 'cancelled', null);
      this.emitQueue();
    } else if (run.status === 'paused') {
      this.end(id, 'cancelled', null);
    } else if (this.active?.id === id && !this.active.cancelRequested) {
      const active = this.active;
      active.cancelRequested = true;
      active.trainer.send({ type: 'cancel' });
      active.killTimer = setTimeout(() => active.trainer.kill(), CANCEL_GRACE_MS);
    }
    return this.o.store.getSummary(id);
  }

  list(): RunSummary[] {
    return this.o.store.listRuns();
  }

  get(id: number): RunDetail {
    const run = this.o.store.findRun(id);
    if (!run) throw new UserError(`There is no run with id ${id}`);
    return run;
  }

  update(id: number, patch: RunPatch): RunSummary {
    this.get(id);
    const run = this.o.store.updateRun(id, patch);
    this.o.events.emit({ type: 'run-updated', run });
    return run;
  }

  /**
   * Delete a finished run and its metrics; a queued or training run must be cancelled
   * first. Runs trained from it stay, unlinked (each one's run-updated says so).
   */
  delete(id: number): { deleted: number } {
    this.settleIfOrphan(id);
    const run = this.get(id);
    if (!isTerminal(run.status)) {
      throw new UserError(`Run ${id} "${run.name}" is ${run.status}; cancel it before deleting it`);
    }
    const modelDir = this.o.store.modelPath(id);
    const children = this.o.store.childRunIds(id);
    this.o.store.deleteRun(id);
    // Its trained model goes with it; a folder that can't be removed is left, not a reason to fail.
    if (modelDir) rmSync(modelDir, { recursive: true, force: true });
    this.dropCheckpoint(id);
    this.o.events.emit({ type: 'run-deleted', runId: id });
    for (const child of children) this.emitRun(child);
    const group = run.groupId === null ? null : this.o.store.findGroup(run.groupId);
    if (group) this.o.events.emit({ type: 'group-updated', group });
    return { deleted: id };
  }

  /** Several runs in the order asked; an unknown id is named. */
  getMany(ids: number[]): RunDetail[] {
    return ids.map((id) => this.get(id));
  }

  exportBundle(ids: number[], app: string): RunBundle {
    const runs = ids.map((id) => {
      const r = this.get(id);
      if (!isTerminal(r.status)) throw new UserError(`Run ${id} "${r.name}" is still ${r.status}; only finished runs can be exported`);
      return {
        sourceId: r.id,
        name: r.name,
        status: r.status,
        presetId: r.presetId,
        model: r.model,
        config: r.config,
        dataset: r.dataset,
        environment: r.environment,
        createdAt: r.createdAt,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        testLoss: r.testLoss,
        testAccuracy: r.testAccuracy,
        error: r.error,
        notes: r.notes,
        tags: r.tags,
        starred: r.starred,
        epochs: r.epochs,
        batchLosses: r.batchLosses,
        baseline: r.baseline,
        layerStats: r.layerStats,
        savedWeights: r.savedWeights,
        stopReason: r.stopReason,
        parentSourceId: r.parentRunId,
        fixFor: r.fixFor,
        named: r.named,
        sweepValues: r.sweepValues,
        repeatIndex: r.repeatIndex,
        provenance: r.provenance,
      };
    });
    return { format: BUNDLE_FORMAT, version: BUNDLE_VERSION, exportedAt: new Date().toISOString(), app, runs };
  }

  /** Add a bundle's runs as new runs (all or none); messages say what is wrong with a bad bundle. */
  importBundle(data: unknown): RunSummary[] {
    let bundle: RunBundle;
    try {
      bundle = validateBundle(data);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const ids = this.o.store.importRuns(bundle.runs, hostname());
    const runs = ids.map((id) => this.o.store.getSummary(id));
    for (const run of runs) this.o.events.emit({ type: 'run-updated', run });
    return runs;
  }

  /** Resolves when the run has ended, whichever way. */
  whenDone(id: number): Promise<void> {
    return this.done.get(id) ?? Promise.resolve();
  }

  /** The id of the dataset a run trains on. */
  datasetIdOf(id: number): string {
    return this.o.store.datasetIdOf(id);
  }

  /** The run currently training, if any. */
  activeRunId(): number | null {
    return this.active?.id ?? null;
  }

  /**
   * Stop everything (app quitting): queued runs are cancelled; the training one is paused
   * (it resumes later from its checkpoint), or cancelled where no checkpoints are kept.
   */
  shutdown(): void {
    this.stopOrphanChecks();
    const queued = this.queue.length > 0;
    for (const id of this.queue.splice(0)) {
      // A resumed run still waiting keeps its checkpoint, paused; a new one is given up.
      if (this.o.store.checkpointOf(id)) {
        this.o.store.markPaused(id);
        this.emitRun(id);
        this.resolvers.get(id)?.();
      } else {
        this.end(id, 'cancelled', 'The app closed before this run started.');
      }
    }
    if (queued) this.saveQueueOrder();
    if (!this.active) return;
    if (this.o.checkpointsDir) {
      const active = this.active;
      this.pause(active.id);
      active.killTimer ??= setTimeout(() => active.trainer.kill(), CANCEL_GRACE_MS);
    } else {
      this.cancel(this.active.id);
    }
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) return;
    const id = this.queue.shift()!;
    const run = this.get(id);
    let data: { datasetFolder: string; dataset?: DatasetRef };
    try {
      data = this.datasetJob(this.o.store.datasetIdOf(id));
    } catch (e) {
      this.end(id, 'failed', (e as Error).message);
      return this.pump();
    }
    let trainer: TrainerHandle;
    try {
      trainer = this.o.launchTrainer();
    } catch (e) {
      this.end(id, 'failed', `The trainer process could not be started: ${(e as Error).message}`);
      return this.pump();
    }
    const active: ActiveRun = {
      id,
      trainer,
      epochs: run.config.epochs,
      cancelRequested: false,
      pauseRequested: false,
      ended: false,
      trainingStartedAt: null,
      batchesPerEpoch: 0,
      epochsRecorded: 0,
      writeFailed: false,
      resolveDone: this.resolvers.get(id) ?? (() => {}),
    };
    this.active = active;
    trainer.onMessage((m) => this.onTrainerMessage(active, m));
    trainer.onExit((code, signal) => this.onTrainerExit(active, code, signal));
    try {
      this.o.store.markRunning(id, trainer.pid, trainer.pid ? processStartTime(trainer.pid) : null);
      this.saveQueueOrder();
      this.emitRun(id);
      // Everyone still waiting moved up one place.
      this.emitQueue();
    } catch (e) {
      return this.writeFailed(active, e);
    }
    const modelDir = this.o.modelsDir ? join(this.o.modelsDir, `run-${id}`) : undefined;
    const checkpointPath = this.checkpointFile(id) ?? undefined;
    if (this.o.checkpointsDir) {
      try {
        mkdirSync(this.o.checkpointsDir, { recursive: true });
      } catch (e) {
        active.ended = true;
        trainer.kill();
        this.end(id, 'failed', `The checkpoint folder ${this.o.checkpointsDir} could not be made: ${(e as Error).message}`);
        return;
      }
    }
    // A paused or crashed run with a checkpoint continues from it; one paused while queued starts afresh.
    const resume = Boolean(checkpointPath && this.o.store.checkpointOf(id) && existsSync(checkpointPath));
    trainer.send({
      type: 'start',
      job: { runId: id, model: run.model, config: run.config, ...data, modelDir, checkpointPath, resume, app: this.o.app },
    });
  }

  private onTrainerMessage(a: ActiveRun, m: FromTrainer): void {
    if (a.writeFailed) return;
    try {
      this.recordTrainerMessage(a, m);
    } catch (e) {
      this.writeFailed(a, e);
    }
  }

  /**
   * The database did not take a record (full disk, I/O error, read-only…): stop the
   * trainer and end the run failed, saying what happened and what to do. The epochs
   * committed before stay. Nothing is thrown: the app goes on.
   */
  private writeFailed(a: ActiveRun, error: unknown): void {
    a.writeFailed = true;
    a.ended = true;
    a.trainer.kill();
    this.end(a.id, 'failed', runStoppedMessage(error, a.epochsRecorded));
  }

  private recordTrainerMessage(a: ActiveRun, m: FromTrainer): void {
    const store = this.o.store;
    switch (m.type) {
      case 'started':
        store.recordEnvironment(a.id, m.environment, m.dataset);
        if (m.provenance) store.recordProvenance(a.id, m.provenance);
        a.trainingStartedAt = Date.now();
        a.batchesPerEpoch = m.batchesPerEpoch;
        this.emitRun(a.id);
        break;
      case 'batch': {
        store.addBatchLoss(a.id, { epoch: m.epoch, batch: m.batch, loss: m.loss });
        const elapsed = a.trainingStartedAt ? (Date.now() - a.trainingStartedAt) / 1000 : 0;
        const doneBatches = (m.epoch - 1) * m.batches + m.batch;
        const totalBatches = a.epochs * m.batches;
        const eta = doneBatches > 0 && elapsed > 0 ? (elapsed / doneBatches) * (totalBatches - doneBatches) : null;
        this.o.events.emit({
          type: 'run-progress',
          progress: {
            runId: a.id,
            epoch: m.epoch,
            epochs: a.epochs,
            batch: m.batch,
            batches: m.batches,
            loss: m.meanLoss,
            batchLoss: m.loss,
            elapsedSeconds: elapsed,
            etaSeconds: eta,
          },
        });
        break;
      }
      case 'resuming':
        // What was recorded past the checkpoint is trained again: dropped now, so nothing is recorded twice.
        store.truncateAfter(a.id, m.position);
        a.epochsRecorded = m.position.epoch - 1;
        this.emitRun(a.id);
        break;
      case 'checkpoint':
        store.setCheckpoint(a.id, m.position);
        break;
      case 'baseline':
        store.recordBaseline(a.id, m.metrics);
        this.o.events.emit({ type: 'run-baseline', runId: a.id, baseline: m.metrics });
        break;
      case 'epoch':
        store.addEpoch(a.id, m.metrics);
        a.epochsRecorded = m.metrics.epoch;
        this.o.events.emit({ type: 'run-epoch', runId: a.id, epoch: m.metrics });
        this.emitRun(a.id);
        break;
      case 'layer-stats':
        store.addLayerStats(a.id, m.stats);
        this.o.events.emit({ type: 'run-layer-stats', runId: a.id, stats: m.stats });
        break;
      case 'test':
        store.recordTest(a.id, m.loss, m.accuracy, m.weights ?? null);
        break;
      case 'model-saved':
        store.setModelPath(a.id, m.path, m.weights ?? null);
        break;
      case 'finished':
        // Recorded before the end, so the run-updated that says "completed" says why it stopped too.
        if (m.stopReason) store.recordStopReason(a.id, m.stopReason);
        if (m.peakRssBytes) store.recordPeakRss(a.id, m.peakRssBytes);
        if (m.status === 'paused') {
          a.ended = true;
          store.markPaused(a.id);
          this.emitRun(a.id);
          a.trainer.send({ type: 'ack' });
        } else {
          this.endFromTrainer(a, m.status, null);
        }
        break;
      case 'failed':
        this.endFromTrainer(a, 'failed', m.message);
        break;
    }
  }

  /** The trainer's last message: record how the run ended, then let the trainer exit (it waits for this). */
  private endFromTrainer(a: ActiveRun, status: 'completed' | 'cancelled' | 'failed', error: string | null): void {
    a.ended = true;
    this.end(a.id, status, error);
    a.trainer.send({ type: 'ack' });
  }

  private onTrainerExit(a: ActiveRun, code: number | null, signal: string | null): void {
    clearTimeout(a.killTimer);
    if (!a.ended) {
      if (a.cancelRequested) {
        this.end(a.id, 'cancelled', null);
      } else if (a.pauseRequested && this.o.store.checkpointOf(a.id)) {
        this.end(a.id, 'crashed', `The trainer stopped before it could pause; resume continues from the checkpoint of the last finished epoch.`);
      } else {
        const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
        this.end(a.id, 'crashed', `The trainer process ${how} during training; the finished epochs are kept.`);
      }
    }
    if (this.active === a) this.active = null;
    a.resolveDone();
    this.pump();
  }

  private end(id: number, status: 'completed' | 'failed' | 'cancelled' | 'crashed', error: string | null): void {
    try {
      this.o.store.finish(id, status, error);
      // Only a crashed run may be resumed from its checkpoint.
      if (status !== 'crashed') {
        this.o.store.setCheckpoint(id, null);
        this.dropCheckpoint(id);
      }
      this.emitRun(id);
    } catch (e) {
      // Even the run's end could not be written: the app stays up, says so once, and the
      // next start-up marks the run crashed (its app will be gone by then).
      if (!this.finalWriteReported) {
        this.finalWriteReported = true;
        const said = error ? ` (${error})` : '';
        process.stderr.write(`layerlab: run ${id} ended ${status}${said}, but the database could not record it: ${(e as Error).message}\n`);
      }
    }
    if (!this.active || this.active.id !== id) {
      // Queued runs never had a trainer; their waiters resolve now.
      this.resolvers.get(id)?.();
    }
  }

  private emitRun(id: number): void {
    this.o.events.emit({ type: 'run-updated', run: this.o.store.getSummary(id) });
  }
}

/** Two start requests are the same press when everything they would train is the same. */
function requestKey(r: StartRunRequest): string {
  return JSON.stringify([r.name?.trim() ?? '', r.presetId ?? null, r.datasetId ?? null, r.model, r.config, r.parentRunId ?? null]);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
