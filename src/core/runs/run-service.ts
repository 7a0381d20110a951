import { hostname } from 'node:os';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_FORMAT, BUNDLE_VERSION, validateBundle, type RunBundle } from '../../shared/reports/bundle';
import { UserError } from '../../shared/contract/api';
import { summarizeModel } from '../../shared/model/model-math';
import { findPreset } from '../../shared/model/presets';
import { isTerminal, type RunDetail, type RunPatch, type RunSummary } from '../../shared/contract/runs';
import type { StartRunRequest } from '../../shared/contract/requests';
import type { EventHub } from '../events';
import type { FromTrainer } from '../engine/protocol';
import type { RunStore } from '../store/run-store';
import type { LaunchTrainer, TrainerHandle } from './trainer-launcher';
import { processStartTime, sameProcessAlive } from './process-identity';
import { isStorageError, runStoppedMessage, storageRefusal } from './storage-errors';

/** How long a trainer may take to stop after Cancel before it is killed. */
const CANCEL_GRACE_MS = 10_000;

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
  /** Folder of the dataset files, or a UserError explaining why there is none. */
  datasetFolder: () => string;
  /** Where completed runs keep their trained models (one folder each); none kept when absent. */
  modelsDir?: string;
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

  start(request: StartRunRequest): RunSummary {
    const summary = summarizeModel(request.model);
    if (summary.problems.length) {
      throw new UserError(`This network cannot be trained: ${summary.problems.map((p) => p.message).join('; ')}`);
    }
    if (request.presetId && !findPreset(request.presetId)) {
      throw new UserError(`Unknown preset "${request.presetId}"`);
    }
    const parentRunId = request.parentRunId ?? null;
    if (parentRunId !== null && !this.o.store.existing([parentRunId]).length) {
      throw new UserError(`There is no run with id ${parentRunId} to train again from; it may have been deleted`);
    }
    this.o.datasetFolder(); // throws a UserError now rather than inside the trainer
    const c = request.config;
    const name = request.name?.trim() || `${request.presetId ?? 'custom'} · ${c.optimizer} lr=${c.learningRate}`;
    const run = this.createRun({
      name,
      presetId: request.presetId ?? null,
      datasetId: request.datasetId ?? 'fashion-mnist',
      model: request.model,
      config: c,
      host: hostname(),
      ownerPid: process.pid,
      ownerStarted: ownStarted(),
      parentRunId,
      fixFor: request.fixFor ?? null,
    });
    this.done.set(run.id, new Promise((resolve) => this.resolvers.set(run.id, resolve)));
    this.queue.push(run.id);
    this.o.events.emit({ type: 'run-updated', run });
    this.pump();
    return this.o.store.getSummary(run.id);
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
    this.o.events.emit({ type: 'run-deleted', runId: id });
    for (const child of children) this.emitRun(child);
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

  /** The run currently training, if any. */
  activeRunId(): number | null {
    return this.active?.id ?? null;
  }

  /** Stop everything (app quitting): queued runs are cancelled, the training one too. */
  shutdown(): void {
    this.stopOrphanChecks();
    for (const id of this.queue.splice(0)) this.end(id, 'cancelled', 'The app closed before this run started.');
    if (this.active) this.cancel(this.active.id);
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) return;
    const id = this.queue.shift()!;
    const run = this.get(id);
    let folder: string;
    try {
      folder = this.o.datasetFolder();
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
      this.emitRun(id);
    } catch (e) {
      return this.writeFailed(active, e);
    }
    const modelDir = this.o.modelsDir ? join(this.o.modelsDir, `run-${id}`) : undefined;
    trainer.send({ type: 'start', job: { runId: id, model: run.model, config: run.config, datasetFolder: folder, modelDir } });
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
        this.endFromTrainer(a, m.status, null);
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

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
