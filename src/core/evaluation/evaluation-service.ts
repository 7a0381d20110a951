/**
 * Looking inside a completed run's predictions. The trainer process predicts a split
 * with the run's saved model once; the figures and the predictions are cached in
 * SQLite, so every later look (the matrix, the gallery, a diff) is answered here
 * without spawning anything. The maths is shared/reports/evaluation.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../shared/contract/api';
import type {
  DiffPage,
  DiffPageRequest,
  EvalSplit,
  PredictedImage,
  PredictionFilter,
  PredictionPage,
  RunDiff,
  RunEvaluation,
} from '../../shared/contract/evaluation';
import type { RunDetail } from '../../shared/contract/runs';
import { DEFAULT_DATASET_ID, FASHION_MNIST_CLASSES } from '../../shared/model/training-config';
import { CLASS_COUNT, diffGroupOf, diffPredictions, predictedClasses, summarizePredictions } from '../../shared/reports/evaluation';
import type { EvaluateJob, FromTrainer } from '../engine/protocol';
import type { RunService } from '../runs/run-service';
import type { LaunchTrainer, TrainerHandle } from '../runs/trainer-launcher';
import type { EvaluationStore, StoredPredictions } from '../store/evaluation-store';

/** Predictions kept decoded in memory: a gallery pages through one or two runs at a time. */
const KEPT_IN_MEMORY = 4;
const DEFAULT_PAGE = 100;

export interface EvaluationServiceOptions {
  runs: RunService;
  evaluations: EvaluationStore;
  launchTrainer: LaunchTrainer;
  /** Folder of the Fashion-MNIST files, or a UserError explaining why there is none (other datasets: the run service says where). */
  datasetFolder: () => string;
}

const key = (id: number, split: EvalSplit) => `${id}:${split}`;
const splitWords = (s: EvalSplit) => (s === 'test' ? 'test set' : 'validation split');

/** Classes per image of stored predictions: one row of probabilities an image (Fashion-MNIST's ten when there are no images). */
const classesOf = (p: StoredPredictions) => (p.labels.length ? p.probabilities.length / p.labels.length : CLASS_COUNT);

/** The run's class names: as recorded with its dataset, Fashion-MNIST's for runs from before there were other datasets. */
function classNamesOf(run: RunDetail, classCount: number): string[] {
  const recorded = run.dataset?.classNames;
  if (recorded && recorded.length === classCount) return [...recorded];
  if (classCount === FASHION_MNIST_CLASSES.length && (run.dataset?.id ?? DEFAULT_DATASET_ID) === DEFAULT_DATASET_ID)
    return [...FASHION_MNIST_CLASSES];
  return Array.from({ length: classCount }, (_, c) => `class ${c}`);
}

function decode(base64: string): Uint8Array {
  const b = Buffer.from(base64, 'base64');
  // A copy, aligned, so a Float32Array can view it.
  return new Uint8Array(b);
}

export class EvaluationService {
  private readonly running = new Map<string, Promise<RunEvaluation>>();
  private readonly trainers = new Set<TrainerHandle>();
  private readonly memory = new Map<string, StoredPredictions>();
  private closed = false;

  constructor(private readonly o: EvaluationServiceOptions) {}

  /** The run's evaluation on a split: from the cache, or computed once by a trainer process (one at a time per run and split). */
  async evaluate(id: number, split: EvalSplit): Promise<RunEvaluation> {
    const run = this.o.runs.get(id);
    const cached = this.o.evaluations.get(id, split);
    if (cached) return cached;
    const k = key(id, split);
    let pending = this.running.get(k);
    if (!pending) {
      const job = this.jobFor(run, split);
      pending = this.compute(job, run).finally(() => this.running.delete(k));
      this.running.set(k, pending);
    }
    return pending;
  }

  /** The run's evaluation on a split if it was evaluated before; never starts one. */
  cached(id: number, split: EvalSplit): RunEvaluation | null {
    return this.o.evaluations.get(id, split);
  }

  /** One page of a run's predictions: its mistakes, most confident first, unless the filter says otherwise. */
  async predictions(id: number, filter: PredictionFilter): Promise<PredictionPage> {
    this.o.runs.get(id);
    const p = await this.stored(id, filter.split);
    const classes = classesOf(p);
    checkClass(filter.trueClass, 'true class', classes);
    checkClass(filter.predictedClass, 'predicted class', classes);
    const which = filter.which ?? 'wrong';
    const trueClass = filter.trueClass ?? null;
    const predictedClass = filter.predictedClass ?? null;
    const matching: number[] = [];
    for (let i = 0; i < p.labels.length; i++) {
      if (which === 'wrong' && p.labels[i] === p.predicted[i]) continue;
      if (trueClass !== null && p.labels[i] !== trueClass) continue;
      if (predictedClass !== null && p.predicted[i] !== predictedClass) continue;
      matching.push(i);
    }
    const sort = filter.sort ?? 'confidence-desc';
    if (sort !== 'index') {
      const confidence = (i: number) => p.probabilities[i * classes + p.predicted[i]];
      const sign = sort === 'confidence-desc' ? -1 : 1;
      // Index order among equal confidences, so pages never overlap.
      matching.sort((a, b) => sign * (confidence(a) - confidence(b)) || a - b);
    }
    const offset = filter.offset ?? 0;
    const page = matching.slice(offset, offset + (filter.limit ?? DEFAULT_PAGE));
    return { total: matching.length, images: page.map((i) => predictedImage(p, i)) };
  }

  async probabilities(id: number, split: EvalSplit, index: number): Promise<{ index: number; label: number; probabilities: number[] }> {
    const p = await this.stored(id, split);
    checkIndex(index, p.labels.length, split);
    const classes = classesOf(p);
    return { index, label: p.labels[index], probabilities: Array.from(p.probabilities.subarray(index * classes, (index + 1) * classes)) };
  }

  /** Where two runs agree and differ; both must have seen the same images (any two runs on the test set). */
  async diff(runA: number, runB: number, split: EvalSplit): Promise<RunDiff> {
    const [a, b] = await this.pair(runA, runB, split);
    return { runA, runB, split, ...diffPredictions(a.labels, a.predicted, b.predicted, classesOf(a)) };
  }

  async diffImages(request: DiffPageRequest): Promise<DiffPage> {
    const [a, b] = await this.pair(request.runA, request.runB, request.split);
    const members: number[] = [];
    for (let i = 0; i < a.labels.length; i++) {
      if (diffGroupOf(a.labels[i], a.predicted[i], b.predicted[i]) === request.group) members.push(i);
    }
    const offset = request.offset ?? 0;
    const page = members.slice(offset, offset + (request.limit ?? DEFAULT_PAGE));
    return {
      total: members.length,
      images: page.map((i) => ({ index: i, label: a.labels[i], a: predictedImage(a, i), b: predictedImage(b, i) })),
    };
  }

  /** The app is closing: stop evaluations under way (they are redone on the next ask). */
  shutdown(): void {
    this.closed = true;
    for (const t of this.trainers) t.kill();
  }

  private async pair(runA: number, runB: number, split: EvalSplit): Promise<[StoredPredictions, StoredPredictions]> {
    const a = this.o.runs.get(runA);
    const b = this.o.runs.get(runB);
    const datasetA = this.o.runs.datasetIdOf(runA);
    const datasetB = this.o.runs.datasetIdOf(runB);
    if (datasetA !== datasetB) {
      throw new UserError(
        `Runs #${runA} and #${runB} were trained on different datasets (${datasetA} and ${datasetB}); they cannot be compared image by image`,
      );
    }
    if (split === 'validation') {
      const spec = (r: RunDetail) => `limit ${r.config.limit ?? 'none'}, validation split ${r.config.validationSplit}`;
      if (a.config.limit !== b.config.limit || a.config.validationSplit !== b.config.validationSplit) {
        throw new UserError(
          `Runs #${runA} and #${runB} were not validated on the same images (${spec(a)} against ${spec(b)}); compare them on the test set`,
        );
      }
    }
    // One after the other: two trainer processes at once would only share the same cores.
    const pa = await this.stored(runA, split);
    const pb = await this.stored(runB, split);
    if (pa.labels.length !== pb.labels.length || !Buffer.from(pa.labels).equals(Buffer.from(pb.labels))) {
      throw new UserError(
        `Runs #${runA} and #${runB} were evaluated on different images of the ${splitWords(split)}; they cannot be compared image by image`,
      );
    }
    return [pa, pb];
  }

  /** A run's predictions on a split, evaluating it first if it never was. */
  private async stored(id: number, split: EvalSplit): Promise<StoredPredictions> {
    const k = key(id, split);
    const kept = this.memory.get(k);
    if (kept && this.o.evaluations.get(id, split)) return kept;
    await this.evaluate(id, split);
    const p = this.o.evaluations.predictions(id, split);
    if (!p) throw new UserError(`Run #${id}'s evaluation on the ${splitWords(split)} is gone (was the run deleted?)`);
    this.remember(k, p);
    return p;
  }

  private remember(k: string, p: StoredPredictions): void {
    this.memory.delete(k);
    this.memory.set(k, p);
    while (this.memory.size > KEPT_IN_MEMORY) this.memory.delete(this.memory.keys().next().value!);
  }

  /** What the trainer needs, or a UserError saying why this run cannot be evaluated. */
  private jobFor(run: RunDetail, split: EvalSplit): EvaluateJob {
    const id = run.id;
    if (run.status === 'running') throw new UserError(`Run #${id} is still training; evaluate it when it has completed`);
    if (run.status === 'queued') throw new UserError(`Run #${id} is queued; evaluate it when it has completed`);
    if (run.status !== 'completed') {
      throw new UserError(
        `Run #${id} ${run.status === 'crashed' ? 'crashed' : `was ${run.status}`}; only a completed run has a trained model to evaluate`,
      );
    }
    const info = this.o.evaluations.modelInfo(id);
    if (!info?.modelPath) {
      throw new UserError(
        info?.imported
          ? `Run #${id} was imported without its model; evaluation needs the trained model`
          : `Run #${id} has no saved model (it was trained before models were kept); evaluation needs the trained model`,
      );
    }
    const modelFile = join(info.modelPath, 'model.json');
    if (!existsSync(modelFile)) throw new UserError(`Run #${id}'s model file is missing (${modelFile}); evaluation needs the trained model`);
    if (split === 'validation' && run.config.validationSplit === 0) {
      throw new UserError(`Run #${id} was trained without a validation split; evaluate it on the test set`);
    }
    if (this.closed) throw new UserError('Layerlab is closing; evaluate the run when it is open again');
    // The run's own dataset: the one it recorded training on, else the one it was queued with.
    const datasetId = run.dataset?.id ?? this.o.runs.datasetIdOf(id);
    const data = datasetId === DEFAULT_DATASET_ID ? { datasetFolder: this.o.datasetFolder() } : this.o.runs.datasetJob(datasetId);
    return {
      runId: id,
      modelDir: info.modelPath,
      ...data,
      split,
      limit: run.config.limit,
      validationSplit: run.config.validationSplit,
    };
  }

  /** Runs the job in a trainer process of its own, then summarises and caches what it sends back. */
  private async compute(job: EvaluateJob, run: RunDetail): Promise<RunEvaluation> {
    const began = performance.now();
    const answer = await this.inTrainer(job);
    const labels = decode(answer.labelsBase64);
    const probabilities = new Float32Array(decode(answer.probabilitiesBase64).buffer);
    const classCount = run.dataset?.classNames?.length ?? (labels.length ? probabilities.length / labels.length : CLASS_COUNT);
    if (labels.length !== answer.count || probabilities.length !== answer.count * classCount) {
      throw new UserError(`Evaluating run #${job.runId} gave ${probabilities.length} probabilities for ${labels.length} images; nothing was kept`);
    }
    const evaluation: RunEvaluation = {
      runId: job.runId,
      split: job.split,
      ...summarizePredictions(labels, probabilities, classNamesOf(run, classCount)),
      evaluatedAt: new Date().toISOString(),
      seconds: (performance.now() - began) / 1000,
    };
    const predictions = { labels, predicted: predictedClasses(probabilities, classCount), probabilities };
    // The run may have been deleted meanwhile; then there is nothing to keep it for.
    if (!this.o.evaluations.modelInfo(job.runId)) throw new UserError(`Run #${job.runId} was deleted while it was being evaluated`);
    this.o.evaluations.save(evaluation, predictions);
    this.remember(key(job.runId, job.split), predictions);
    return evaluation;
  }

  private inTrainer(job: EvaluateJob): Promise<Extract<FromTrainer, { type: 'evaluated' }>> {
    return new Promise((resolve, reject) => {
      let trainer: TrainerHandle;
      try {
        trainer = this.o.launchTrainer();
      } catch (e) {
        return reject(new UserError(`The evaluation process could not be started: ${(e as Error).message}`));
      }
      this.trainers.add(trainer);
      let answered = false;
      trainer.onMessage((m) => {
        if (m.type === 'evaluated') {
          answered = true;
          trainer.send({ type: 'ack' });
          resolve(m);
        } else if (m.type === 'failed' || m.type === 'finished') {
          answered = true;
          trainer.send({ type: 'ack' });
          const why = m.type === 'failed' ? m.message : 'its process was stopped';
          // The model's own problems are worded for this run already.
          reject(new UserError(why.startsWith(`Run #${job.runId}`) ? why : `Run #${job.runId} could not be evaluated: ${why}`));
        }
      });
      trainer.onExit((code, signal) => {
        this.trainers.delete(trainer);
        if (answered) return;
        const how = this.closed ? 'was stopped as Layerlab closed' : signal ? `was killed (${signal})` : `exited with code ${code}`;
        reject(new UserError(`The evaluation of run #${job.runId} did not finish: its process ${how}`));
      });
      trainer.send({ type: 'evaluate', job });
    });
  }
}

function predictedImage(p: StoredPredictions, i: number): PredictedImage {
  return { index: i, label: p.labels[i], predicted: p.predicted[i], confidence: p.probabilities[i * classesOf(p) + p.predicted[i]] };
}

function checkClass(c: number | null | undefined, what: string, classes: number): void {
  if (c == null) return;
  if (!Number.isInteger(c) || c < 0 || c >= classes) throw new UserError(`The ${what} must be 0 to ${classes - 1} (got ${c})`);
}

function checkIndex(index: number, count: number, split: EvalSplit): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new UserError(`Image ${index} is out of range: the ${splitWords(split)} has images 0 to ${count - 1}`);
  }
}
