import type { EvalSplit, RunEvaluation } from '../../shared/contract/evaluation';
import type { Db } from './database';

/** What a run's model predicted on one split, as cached: one byte a label and a prediction, ten Float32 probabilities an image. */
export interface StoredPredictions {
  labels: Uint8Array;
  predicted: Uint8Array;
  probabilities: Float32Array;
}

/** The figures kept as JSON: everything of a RunEvaluation but what the row's keys and created_at say. */
type Figures = Omit<RunEvaluation, 'runId' | 'split' | 'evaluatedAt'>;

interface Row {
  summary_json: string;
  created_at: string;
}

/** Where a run's model is and whether the run came from a bundle (imported runs have no trainer, owner_pid 0). */
export interface RunModelInfo {
  modelPath: string | null;
  imported: boolean;
}

const bytes = (a: Uint8Array | Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Copies, so the arrays are aligned and own their memory (a Buffer from SQLite may sit anywhere in a pool). */
const floats = (b: Buffer): Float32Array => new Float32Array(new Uint8Array(b).buffer);

export class EvaluationStore {
  constructor(private readonly db: Db) {}

  /** The cached figures of a run on a split, or null when it was never evaluated there. */
  get(runId: number, split: EvalSplit): RunEvaluation | null {
    const row = this.db.prepare(`SELECT summary_json, created_at FROM evaluations WHERE run_id = ? AND split = ?`).get(runId, split) as
      Row | undefined;
    if (!row) return null;
    const figures = JSON.parse(row.summary_json) as Figures;
    return { runId, split, ...figures, evaluatedAt: row.created_at };
  }

  predictions(runId: number, split: EvalSplit): StoredPredictions | null {
    const row = this.db.prepare(`SELECT labels, predicted, probabilities FROM evaluations WHERE run_id = ? AND split = ?`).get(runId, split) as
      { labels: Buffer; predicted: Buffer; probabilities: Buffer } | undefined;
    if (!row) return null;
    return { labels: new Uint8Array(row.labels), predicted: new Uint8Array(row.predicted), probabilities: floats(row.probabilities) };
  }

  /** Keeps (or replaces) a run's evaluation on a split. */
  save(evaluation: RunEvaluation, p: StoredPredictions): void {
    const { runId, split, evaluatedAt, ...figures } = evaluation;
    this.db
      .prepare(
        `INSERT OR REPLACE INTO evaluations (run_id, split, summary_json, labels, predicted, probabilities, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(runId, split, JSON.stringify(figures), bytes(p.labels), bytes(p.predicted), bytes(p.probabilities), evaluatedAt);
  }

  modelInfo(runId: number): RunModelInfo | null {
    const row = this.db.prepare(`SELECT model_path, owner_pid FROM runs WHERE id = ?`).get(runId) as
      { model_path: string | null; owner_pid: number } | undefined;
    return row ? { modelPath: row.model_path, imported: row.owner_pid === 0 } : null;
  }
}
