/**
 * The network being designed in the Train view: its layers, the selected layer,
 * where it came from (a preset, a saved design, a run, a file), and the undo
 * history of every edit. Components change the network only through the
 * methods here, so every change is one undoable step with one announcement.
 */
import { defaultLayer, setLayerField } from '../../../shared/model/layer-fields';
import { suggestOutputFix, type ModelSummary } from '../../../shared/model/model-math';
import { checkModelForDataset, FASHION_MNIST_TARGET, type DatasetFitTarget, type FitProblem } from '../../../shared/model/dataset-fit';
import type { LayerSpec, LayerType, ModelSpec } from '../../../shared/model/model-spec';
import { History } from '../history';
import type { FormValues } from './train-form.svelte';

/** The saved design the network was opened from or saved as. */
export interface DesignRef {
  id: number;
  name: string;
}

/**
 * Where the network came from. Loading a preset, design, run or file replaces
 * this and the training settings along with the layers; undoing the load
 * brings all of it back.
 */
export interface Origin<S> {
  presetId: string | null;
  design: DesignRef | null;
  settings: S;
}

interface Snapshot<S> {
  model: ModelSpec;
  ids: number[];
  selectedId: number | null;
  /** Only on both sides of a load step. */
  origin?: Origin<S>;
}

/** How the editor reads and replaces the training settings, which live in the training form. */
export interface SettingsPort<S> {
  get(): S;
  set(settings: S): void;
}

const EMPTY: ModelSpec = { inputShape: [28, 28], layers: [] };

/** The network checked against the dataset it will train on: its shapes for that dataset and what stops it training there. */
function check(model: ModelSpec, target: DatasetFitTarget): { summary: ModelSummary; problems: FitProblem[] } {
  try {
    return checkModelForDataset(model, target);
  } catch (err) {
    // The maths should never throw; if it does, say so instead of taking the editor down.
    const message = `The shapes of this network could not be worked out: ${err instanceof Error ? err.message : String(err)}`;
    return {
      summary: {
        layers: model.layers.map((l, index) => ({ index, type: l.type, outputShape: [], params: 0, trainableParams: 0, nonTrainableParams: 0 })),
        totalParams: 0,
        trainableParams: 0,
        nonTrainableParams: 0,
        problems: [{ layer: -1, message }],
      },
      problems: [{ layer: -1, message, fix: null }],
    };
  }
}

/** A deep plain copy (no state proxies) for history snapshots and hand-offs. */
const plain = <T>(value: T): T => $state.snapshot(value) as T;

export class Editor<S = unknown> {
  model = $state<ModelSpec>(structuredClone(EMPTY));
  /** A stable id per layer (same order as model.layers): keys rows and keeps the selection through edits. */
  ids = $state<number[]>([]);
  selectedId = $state<number | null>(null);
  presetId = $state<string | null>(null);
  design = $state<DesignRef | null>(null);
  /** The text of the last edit, for the aria-live region. */
  announcement = $state('');
  undoLabel = $state<string | null>(null);
  redoLabel = $state<string | null>(null);

  /** The dataset the network must fit (the Train view's choice). */
  fitTarget = $state.raw<DatasetFitTarget>(FASHION_MNIST_TARGET);
  fit = $derived(check(this.model, this.fitTarget));
  summary = $derived(this.fit.summary);
  /** What stops the network training on the dataset, each with its fix where there is one. */
  problems = $derived(this.fit.problems);
  selectedIndex = $derived(this.selectedId === null ? -1 : this.ids.indexOf(this.selectedId));
  selectedLayer = $derived<LayerSpec | null>(this.selectedIndex >= 0 ? this.model.layers[this.selectedIndex] : null);

  #history = new History<Snapshot<S>>();
  #nextId = 1;
  #settings: SettingsPort<S> | null = null;
  #announceTimer: ReturnType<typeof setTimeout> | null = null;

  /** Connect the training settings (done once by the training form). */
  bindSettings(port: SettingsPort<S>) {
    this.#settings = port;
  }

  get canUndo() {
    return this.undoLabel !== null;
  }
  get canRedo() {
    return this.redoLabel !== null;
  }

  idAt(index: number): number | null {
    return this.ids[index] ?? null;
  }

  indexOf(id: number): number {
    return this.ids.indexOf(id);
  }

  select(id: number | null) {
    this.selectedId = id !== null && this.ids.includes(id) ? id : null;
    this.#history.seal();
  }

  /** Say something to screen-reader users (and show it in the editor's status line). */
  announce(text: string) {
    // The same text twice in a row must be announced twice: clear, then set.
    this.announcement = '';
    if (this.#announceTimer) clearTimeout(this.#announceTimer);
    this.#announceTimer = setTimeout(() => (this.announcement = text), 30);
  }

  /** Add a layer at `index` (default: after the selected layer, or at the end). */
  add(type: LayerType, index?: number) {
    const at = clampInsert(index ?? (this.selectedIndex >= 0 ? this.selectedIndex + 1 : this.model.layers.length), this.model.layers.length);
    const id = this.#nextId++;
    this.#edit(`add ${type}`, () => {
      this.model.layers.splice(at, 0, defaultLayer(type));
      this.ids.splice(at, 0, id);
      this.selectedId = id;
    });
    this.announce(`${type} added at position ${at + 1} of ${this.model.layers.length}`);
    return id;
  }

  remove(id: number) {
    const i = this.indexOf(id);
    if (i < 0) return;
    const type = this.model.layers[i].type;
    this.#edit(`remove ${type}`, () => {
      this.model.layers.splice(i, 1);
      this.ids.splice(i, 1);
      this.selectedId = this.ids[Math.min(i, this.ids.length - 1)] ?? null;
    });
    const left = this.model.layers.length;
    this.announce(`${type} removed from position ${i + 1}; ${left} ${left === 1 ? 'layer' : 'layers'} left`);
  }

  /** Move a layer so that it ends up at index `to`. */
  move(id: number, to: number) {
    const from = this.indexOf(id);
    const target = Math.max(0, Math.min(this.model.layers.length - 1, to));
    if (from < 0 || from === target) return;
    const type = this.model.layers[from].type;
    this.#edit(`move ${type}`, () => {
      const [layer] = this.model.layers.splice(from, 1);
      this.model.layers.splice(target, 0, layer);
      this.ids.splice(from, 1);
      this.ids.splice(target, 0, id);
      this.selectedId = id;
    });
    this.announce(`${type} moved to position ${target + 1}`);
  }

  duplicate(id: number): number | null {
    const i = this.indexOf(id);
    if (i < 0) return null;
    const copy = plain(this.model.layers[i]);
    const newId = this.#nextId++;
    this.#edit(`duplicate ${copy.type}`, () => {
      this.model.layers.splice(i + 1, 0, copy);
      this.ids.splice(i + 1, 0, newId);
      this.selectedId = newId;
    });
    this.announce(`${copy.type} duplicated at position ${i + 2}`);
    return newId;
  }

  /**
   * Set one setting of a layer to a value already checked at its field
   * ('kernelRegularizer.l1' reaches into the regularizer). Keystrokes in one
   * field merge into one step.
   */
  setField(id: number, field: string, value: unknown) {
    const i = this.indexOf(id);
    if (i < 0) return;
    const layer = plain(this.model.layers[i]);
    const next = setLayerField(layer, field, value);
    if (JSON.stringify(next) === JSON.stringify(layer)) return;
    this.#edit(`change ${layer.type} ${field.replace('kernelRegularizer.', '')}`, () => (this.model.layers[i] = next), { merge: `${id}:${field}` });
  }

  setInputShape(shape: number[]) {
    if (JSON.stringify(shape) === JSON.stringify($state.snapshot(this.model.inputShape))) return;
    this.#edit('change the input shape', () => {
      this.model.inputShape = [...shape];
    });
    this.announce(`Input shape set to (${shape.join(', ')})`);
  }

  setFitTarget(target: DatasetFitTarget) {
    if (JSON.stringify(target) !== JSON.stringify(this.fitTarget)) this.fitTarget = target;
  }

  /** A problem's "Fix it": the whole network it suggests, as one undoable step. */
  applyFix(fix: NonNullable<FitProblem['fix']>) {
    const fixed = plain(fix.model);
    const oldLayers = this.model.layers;
    const oldIds = [...this.ids];
    this.#edit(fix.label.charAt(0).toLowerCase() + fix.label.slice(1), () => {
      // Layers that are still there keep their ids (and the selection); new ones get new ids.
      let j = 0;
      this.ids = fixed.layers.map((layer) => (j < oldLayers.length && oldLayers[j].type === layer.type ? oldIds[j++] : this.#nextId++));
      this.model = fixed;
      if (this.selectedId !== null && !this.ids.includes(this.selectedId)) this.selectedId = null;
    });
    this.announce(`Fixed: ${fix.label}`);
  }

  /** Make the stack end in the output the dataset needs (the "Fix it" of that problem). */
  fixOutput() {
    const fixed = suggestOutputFix(plain(this.model));
    const oldLayers = this.model.layers;
    const oldIds = [...this.ids];
    this.#edit('fix the output layer', () => {
      // Layers that are still there keep their ids (and the selection); new ones get new ids.
      let j = 0;
      this.ids = fixed.layers.map((layer) => (j < oldLayers.length && oldLayers[j].type === layer.type ? oldIds[j++] : this.#nextId++));
      this.model = fixed;
      this.selectedId = this.ids[this.ids.length - 1] ?? null;
    });
    this.announce('Output fixed: the stack now ends in Dense with 10 units and softmax');
  }

  /**
   * Replace the whole network and where it came from (a preset, a design, a run,
   * an imported file). One undoable step, unless `fresh` (the app's first network).
   */
  load(model: ModelSpec, origin: Origin<S>, label: string, options: { fresh?: boolean } = {}) {
    const ids = model.layers.map(() => this.#nextId++);
    const apply = () => {
      this.model = plain(model);
      this.ids = ids;
      this.selectedId = null;
      this.presetId = origin.presetId;
      this.design = origin.design;
      this.#settings?.set(plain(origin.settings));
    };
    if (options.fresh) {
      apply();
      this.#history.clear();
      this.#syncLabels();
      return;
    }
    const before = { ...this.#snapshot(), origin: this.#origin() };
    apply();
    this.#history.record({ label, before, after: { ...this.#snapshot(), origin: this.#origin() } });
    this.#syncLabels();
    this.announce(`${sentenceCase(label)}: ${model.layers.length} ${model.layers.length === 1 ? 'layer' : 'layers'}`);
  }

  /** After a save: the network is now that design (not an edit: nothing to undo). */
  setDesign(design: DesignRef | null) {
    this.design = design;
  }

  undo() {
    const step = this.#history.undo();
    if (!step) return;
    this.#apply(step.before);
    this.#syncLabels();
    this.announce(`Undone: ${step.label}`);
  }

  redo() {
    const step = this.#history.redo();
    if (!step) return;
    this.#apply(step.after);
    this.#syncLabels();
    this.announce(`Redone: ${step.label}`);
  }

  /** End a run of merged keystrokes (a field lost focus). */
  sealHistory() {
    this.#history.seal();
  }

  #snapshot(): Snapshot<S> {
    return { model: plain(this.model), ids: [...this.ids], selectedId: this.selectedId };
  }

  #origin(): Origin<S> {
    return { presetId: this.presetId, design: this.design ? { ...this.design } : null, settings: plain(this.#settings?.get() as S) };
  }

  #apply(s: Snapshot<S>) {
    this.model = plain(s.model);
    this.ids = [...s.ids];
    this.selectedId = s.selectedId;
    if (s.origin) {
      this.presetId = s.origin.presetId;
      this.design = s.origin.design;
      this.#settings?.set(plain(s.origin.settings));
    }
  }

  #edit(label: string, change: () => void, options: { merge?: string } = {}) {
    const before = this.#snapshot();
    change();
    this.#history.record({ label, before, after: this.#snapshot() }, options);
    this.#syncLabels();
  }

  #syncLabels() {
    this.undoLabel = this.#history.nextUndo?.label ?? null;
    this.redoLabel = this.#history.nextRedo?.label ?? null;
  }
}

const clampInsert = (i: number, length: number) => Math.max(0, Math.min(length, i));
const sentenceCase = (s: string) => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** Undo and redo keys, checked in one place for the window handler and the text fields. */
export function historyKey(event: KeyboardEvent): 'undo' | 'redo' | null {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  const key = event.key.toLowerCase();
  if (key === 'z') return event.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && !event.shiftKey) return 'redo';
  return null;
}

/** The one network the Train view edits. */
export const editor = new Editor<FormValues>();
