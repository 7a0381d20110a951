/**
 * Undo and redo as a list of steps, each holding the state before and after it.
 * Plain TypeScript with no Svelte in it, so it can be reasoned about (and tested)
 * on its own; the editor stores snapshots of plain data in it.
 *
 * A step may carry a merge key: consecutive steps with the same key (typing
 * "128" into one field) become one step, until `seal()` ends the run (the field
 * lost focus) or a step with another key arrives.
 */
export interface Step<T> {
  /** What the step did, in the user's words: "add Dense", "move Dense". */
  label: string;
  before: T;
  after: T;
}

export interface RecordOptions {
  /** Steps recorded one after another with the same key are merged into one. */
  merge?: string;
}

/** At least the 200 steps the issue asks for, with room to spare; the snapshots are small. */
export const DEFAULT_LIMIT = 500;

export class History<T> {
  #done: (Step<T> & { merge?: string })[] = [];
  #undone: Step<T>[] = [];
  #sealed = true;

  constructor(readonly limit = DEFAULT_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`history limit must be a positive whole number, not ${limit}`);
  }

  get canUndo(): boolean {
    return this.#done.length > 0;
  }

  get canRedo(): boolean {
    return this.#undone.length > 0;
  }

  /** Steps that can be undone, oldest first (labels only). */
  get undoLabels(): string[] {
    return this.#done.map((s) => s.label);
  }

  /** The step Undo would undo, or null. */
  get nextUndo(): Step<T> | null {
    return this.#done[this.#done.length - 1] ?? null;
  }

  /** The step Redo would redo, or null. */
  get nextRedo(): Step<T> | null {
    return this.#undone[this.#undone.length - 1] ?? null;
  }

  /** Record a step that has just been applied; whatever could be redone is dropped. */
  record(step: Step<T>, options: RecordOptions = {}): void {
    this.#undone = [];
    const last = this.#done[this.#done.length - 1];
    if (options.merge !== undefined && !this.#sealed && last?.merge === options.merge) {
      last.after = step.after;
      last.label = step.label;
      return;
    }
    this.#done.push({ ...step, merge: options.merge });
    this.#sealed = options.merge === undefined;
    if (this.#done.length > this.limit) this.#done.splice(0, this.#done.length - this.limit);
  }

  /** End the current run of merged steps: the next step starts a new one. */
  seal(): void {
    this.#sealed = true;
  }

  /** Take back the last step; the caller applies `before`. Null when there is nothing to undo. */
  undo(): Step<T> | null {
    const step = this.#done.pop();
    if (!step) return null;
    this.#sealed = true;
    const { merge: _merge, ...plain } = step;
    this.#undone.push(plain);
    return plain;
  }

  /** Do the last undone step again; the caller applies `after`. Null when there is nothing to redo. */
  redo(): Step<T> | null {
    const step = this.#undone.pop();
    if (!step) return null;
    this.#sealed = true;
    this.#done.push(step);
    if (this.#done.length > this.limit) this.#done.shift();
    return step;
  }

  /** Forget every step (a fresh start, not an edit). */
  clear(): void {
    this.#done = [];
    this.#undone = [];
    this.#sealed = true;
  }
}
