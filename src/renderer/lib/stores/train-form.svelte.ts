/**
 * The Train view's state: the training settings as typed (checked field by field
 * with the shared schemas), the presets to start from, and the run it started.
 * The network itself is the editor's (editor.svelte.ts); loading a preset, a
 * design or a run's network goes through here so the settings come along.
 * Lives outside the components so switching views keeps what the user typed.
 */
import type { ModelSpec } from '../../../shared/model/model-spec';
import type { Preset } from '../../../shared/model/presets';
import { checkField, earlyStoppingSchema } from '../../../shared/model/schemas';
import type { Suggestion } from '../../../shared/diagnostics/findings';
import { startRunSchema, type StartRunRequest } from '../../../shared/contract/requests';
import {
  DEFAULT_CONFIG,
  DEFAULT_DATASET_ID,
  DEFAULT_EARLY_STOPPING,
  type Monitor,
  type OptimizerName,
  type TrainingConfig,
} from '../../../shared/model/training-config';
import { isTerminal, type RunDetail, type RunSummary } from '../../../shared/contract/runs';
import { api } from '../transport/api';
import { dataset } from './dataset.svelte';
import { datasets } from './datasets.svelte';
import type { FitProblem } from '../../../shared/model/dataset-fit';
import { editor, type DesignRef } from './editor.svelte';
import { problems } from './errors.svelte';
import { flash } from './flash.svelte';
import { notice } from './notice.svelte';
import { sameNetwork } from '../layers';
import { runs } from './runs.svelte';
import { sentence } from '../format';
import { placeInLine } from '../queue';

/** Fashion-MNIST's training images; "all" means this many. */
export const TRAINING_IMAGES = 60_000;

/** The form as typed: numbers stay text so half-typed values ("0.") survive. */
export interface FormValues {
  optimizer: OptimizerName;
  learningRate: string;
  momentum: string;
  epochs: string;
  batchSize: string;
  validationSplit: string;
  /** Empty (or "all") = all training images. */
  limit: string;
  seed: string;
  /** Early stopping on or off, and its settings (kept while it is off, so ticking it again restores them). */
  earlyStopping: boolean;
  monitor: Monitor;
  patience: string;
  minDelta: string;
  restoreBest: boolean;
  /** Layer signals every N batches too; empty = once per epoch. */
  probeEvery: string;
  name: string;
}

export type FieldName = keyof FormValues;

export const FIELD_LABELS: Record<FieldName, string> = {
  optimizer: 'Optimizer',
  learningRate: 'Learning rate',
  momentum: 'Momentum',
  epochs: 'Epochs',
  batchSize: 'Batch size',
  validationSplit: 'Validation split',
  limit: 'Training images',
  seed: 'Seed',
  earlyStopping: 'Early stopping',
  monitor: 'Watch',
  patience: 'Patience',
  minDelta: 'Min delta',
  restoreBest: 'Restore best weights',
  probeEvery: 'Probe every',
  name: 'Run name',
};

/** "" is not 0: an empty field is "not a number", as the schemas say. */
export function parseNumber(text: string): number {
  const t = text.trim();
  return t === '' ? Number.NaN : Number(t);
}

export const meansAll = (limitText: string) => ['', 'all'].includes(limitText.trim().toLowerCase());

export function valuesOf(config: TrainingConfig): FormValues {
  return {
    optimizer: config.optimizer,
    learningRate: String(config.learningRate),
    momentum: String(config.momentum),
    epochs: String(config.epochs),
    batchSize: String(config.batchSize),
    validationSplit: String(config.validationSplit),
    limit: config.limit === null ? '' : String(config.limit),
    seed: String(config.seed),
    earlyStopping: Boolean(config.earlyStopping),
    monitor: (config.earlyStopping ?? DEFAULT_EARLY_STOPPING).monitor,
    patience: String((config.earlyStopping ?? DEFAULT_EARLY_STOPPING).patience),
    minDelta: String((config.earlyStopping ?? DEFAULT_EARLY_STOPPING).minDelta),
    restoreBest: (config.earlyStopping ?? DEFAULT_EARLY_STOPPING).restoreBest,
    probeEvery: config.probeEveryBatches ? String(config.probeEveryBatches) : '',
    name: '',
  };
}

/** One early-stopping field's message, or null (checked only while early stopping is on). */
function checkEarlyStopping(v: FormValues, field: 'patience' | 'minDelta'): string | null {
  if (!v.earlyStopping) return null;
  const r = earlyStoppingSchema.shape[field].safeParse(parseNumber(v[field]));
  return r.success ? null : r.error.issues[0].message;
}

function validate(v: FormValues): Record<FieldName, string | null> {
  const check = (message: string | null) => (message ? sentence(message) : null);
  const name = startRunSchema.shape.name.safeParse(v.name);
  return {
    optimizer: check(checkField('optimizer', v.optimizer)),
    learningRate: check(checkField('learningRate', parseNumber(v.learningRate))),
    momentum: v.optimizer === 'sgd' ? check(checkField('momentum', parseNumber(v.momentum))) : null,
    epochs: check(checkField('epochs', parseNumber(v.epochs))),
    batchSize: check(checkField('batchSize', parseNumber(v.batchSize))),
    validationSplit: check(checkField('validationSplit', parseNumber(v.validationSplit))),
    limit: check(checkField('limit', meansAll(v.limit) ? null : parseNumber(v.limit))),
    seed: check(checkField('seed', parseNumber(v.seed))),
    earlyStopping: null,
    monitor: null,
    patience: check(checkEarlyStopping(v, 'patience')),
    minDelta: check(checkEarlyStopping(v, 'minDelta')),
    restoreBest: null,
    probeEvery: v.probeEvery.trim() === '' ? null : check(checkField('probeEveryBatches', parseNumber(v.probeEvery))),
    name: name.success ? null : sentence(name.error.issues[0].message),
  };
}

function configOf(v: FormValues, errors: Record<FieldName, string | null>): TrainingConfig | null {
  if (Object.values(errors).some((e) => e !== null)) return null;
  const momentum = parseNumber(v.momentum);
  return {
    optimizer: v.optimizer,
    learningRate: parseNumber(v.learningRate),
    // Only SGD uses momentum; other optimizers record 0 so a run never stores a value that did nothing.
    momentum: v.optimizer === 'sgd' && Number.isFinite(momentum) ? momentum : 0,
    epochs: parseNumber(v.epochs),
    batchSize: parseNumber(v.batchSize),
    validationSplit: parseNumber(v.validationSplit),
    limit: meansAll(v.limit) ? null : parseNumber(v.limit),
    seed: parseNumber(v.seed),
    earlyStopping: v.earlyStopping
      ? { monitor: v.monitor, patience: parseNumber(v.patience), minDelta: parseNumber(v.minDelta), restoreBest: v.restoreBest }
      : null,
    probeEveryBatches: v.probeEvery.trim() === '' ? null : parseNumber(v.probeEvery),
  };
}

const reasonOf = (p: { layer: number; message: string }) =>
  p.layer >= 0 ? `Layer ${p.layer + 1}: ${sentence(p.message)}.` : `${sentence(p.message)}.`;

class TrainForm {
  presets = $state<Preset[]>([]);
  presetsLoaded = $state(false);
  values = $state<FormValues>(valuesOf(DEFAULT_CONFIG));
  /** The run this view started last (or the one training when the app opened). */
  currentRunId = $state<number | null>(null);
  starting = $state(false);
  /** The last "first N" count, restored when "all" is unticked. */
  lastLimit = '10000';

  /** The network being edited (the editor's). */
  get model(): ModelSpec {
    return editor.model;
  }
  get summary() {
    return editor.summary;
  }

  /** The preset the network is, if it still is one: it was loaded from it and has not been changed since. */
  preset = $derived.by(() => {
    const preset = this.presets.find((p) => p.id === editor.presetId);
    return preset && sameNetwork(preset.model, editor.model) ? preset : null;
  });
  presetId = $derived(this.preset?.id ?? null);
  errors = $derived(validate(this.values));
  config = $derived(configOf(this.values, this.errors));

  /** Why Train is disabled, in order of what to fix first; empty when it is enabled. */
  blockers = $derived.by(() => {
    const reasons: string[] = [];
    if (!this.presetsLoaded && editor.model.layers.length === 0) reasons.push('Loading the presets…');
    const chosen = datasets.training;
    if (datasets.trainingId === DEFAULT_DATASET_ID) {
      if (dataset.status === null) reasons.push('Checking for Fashion-MNIST…');
      else if (!dataset.status.available) reasons.push('Fashion-MNIST is not available yet: download it or choose its folder above.');
    } else if (!chosen) reasons.push('Checking for the dataset…');
    else if (!chosen.available) reasons.push(`${chosen.name} is not available: ${chosen.message ?? 'download or import it in the Datasets view.'}`);
    const invalid = (Object.keys(this.errors) as FieldName[]).filter((f) => this.errors[f] !== null);
    if (invalid.length) reasons.push(`Fix ${invalid.map((f) => FIELD_LABELS[f]).join(', ')}.`);
    if (this.presetsLoaded || editor.model.layers.length > 0) {
      for (const p of editor.problems) reasons.push(reasonOf(p));
    }
    if (this.starting) reasons.push('Starting the run…');
    return reasons;
  });

  canTrain = $derived(this.blockers.length === 0);

  /** The reasons that come with a "Fix it" (the network's input or output does not fit the dataset), by their text. */
  fixes = $derived(
    new Map(
      editor.problems.filter((p): p is FitProblem & { fix: NonNullable<FitProblem['fix']> } => p.fix !== null).map((p) => [reasonOf(p), p.fix]),
    ),
  );

  async loadPresets() {
    try {
      this.presets = await api.listPresets();
      this.presetsLoaded = true;
      // The first network of a session is a starting point, not an edit to undo.
      if (editor.model.layers.length === 0 && editor.presetId === null && !editor.canUndo && this.presets.length) {
        const first = this.presets[0];
        editor.load(first.model, { presetId: first.id, design: null, settings: valuesOf(first.config) }, `load preset ${first.id}`, { fresh: true });
      }
    } catch (err) {
      problems.report('Loading the presets', err);
    }
  }

  /** Choosing a preset puts its model and its training settings in place (one undoable step). */
  selectPreset(id: string) {
    const preset = this.presets.find((p) => p.id === id);
    if (!preset) return;
    notice.clear();
    editor.load(preset.model, { presetId: id, design: null, settings: this.#keepName(valuesOf(preset.config)) }, `load preset ${id}`);
  }

  /** An empty stack on the same input, keeping the training settings. */
  startEmpty() {
    notice.clear();
    editor.load(
      { inputShape: [28, 28], layers: [] },
      { presetId: null, design: null, settings: $state.snapshot(this.values) },
      'start a new empty network',
    );
  }

  /** A network (and settings) from somewhere else: a saved design, a run, an imported file. */
  loadNetwork(model: ModelSpec, config: TrainingConfig | null, label: string, design: DesignRef | null = null, presetId: string | null = null) {
    const settings = config ? this.#keepName(valuesOf(config)) : $state.snapshot(this.values);
    notice.clear();
    editor.load(model, { presetId, design, settings }, label);
  }

  /** "Edit a copy of this network": the run's network and settings, as a new unsaved network. */
  editCopyOf(run: RunDetail) {
    this.loadNetwork(run.model, run.config, `edit a copy of run #${run.id}`, null, run.presetId);
    notice.show('ok', `Editing a copy of run #${run.id} “${run.name}”: its network and training settings. Save it to keep it as a design.`);
  }

  #keepName(values: FormValues): FormValues {
    return { ...values, name: this.values.name };
  }

  setUseAllImages(all: boolean) {
    if (all) {
      if (!meansAll(this.values.limit)) this.lastLimit = this.values.limit;
      this.values.limit = '';
    } else if (meansAll(this.values.limit)) {
      this.values.limit = this.lastLimit || '10000';
    }
  }

  /** After loading the runs: show the run that is training (or waiting) if this view has none yet. */
  adoptActiveRun() {
    if (this.currentRunId !== null) return;
    const active = runs.list.find((r) => r.status === 'running') ?? runs.list.find((r) => !isTerminal(r.status));
    if (active) this.currentRunId = active.id;
  }

  /**
   * "Train again with this fix": the run's network and settings with the fix applied,
   * loaded into the editor (so what trains is on screen) and started as a new run
   * linked to its parent and the finding it addresses. True when the run started.
   */
  async trainFix(parent: RunDetail, kind: string, fix: Suggestion): Promise<boolean> {
    const model = fix.model ?? parent.model;
    const config = fix.config ?? parent.config;
    this.loadNetwork(model, config, `load the fix for run #${parent.id}`, null, parent.presetId);
    const name = `${parent.name} · fix: ${fix.summary}`.slice(0, 200);
    const run = await api.startRun({
      presetId: this.presetId,
      datasetId: parent.dataset?.id ?? DEFAULT_DATASET_ID,
      model: $state.snapshot(model),
      config: $state.snapshot(config),
      name,
      parentRunId: parent.id,
      fixFor: { kind, summary: fix.summary },
    });
    const queued = this.#started(run);
    notice.show('ok', `Run #${run.id} trains run #${parent.id}'s network again with the fix: ${fix.summary}${queued ? ` (${queued})` : ''}.`);
    return true;
  }

  /**
   * A run the core took: shown here when it trains at once. One that waits behind a
   * training run leaves that run on screen and is described ("queued as run #14 — 2nd
   * in line, starts after run #12"); null when it did not have to wait.
   */
  #started(run: RunSummary): string | null {
    runs.upsert(run);
    const training = runs.running;
    if (run.status !== 'queued' || !training || training.id === run.id) {
      this.currentRunId = run.id;
      return null;
    }
    this.currentRunId = training.id;
    return `queued as run #${run.id} — ${placeInLine(run, runs.queue, training)}`;
  }

  async train() {
    const config = this.config;
    if (!this.canTrain || !config) return;
    const name = this.values.name.trim();
    const request: StartRunRequest = {
      // Recorded as a preset run only while the network is still exactly the preset's.
      presetId: this.presetId,
      datasetId: datasets.trainingId,
      model: $state.snapshot(editor.model),
      config,
      ...(name ? { name } : {}),
    };
    this.starting = true;
    try {
      const queued = this.#started(await api.startRun(request));
      if (queued) flash.show(`${sentence(queued)}.`);
    } catch (err) {
      problems.report('Starting the run', err);
    } finally {
      this.starting = false;
    }
  }
}

export const trainForm = new TrainForm();

editor.bindSettings({
  get: () => $state.snapshot(trainForm.values),
  set: (values) => (trainForm.values = values),
});
