/**
 * Repeats and sweeps, planned: what `--set lr=0.0001,0.001` means, and which runs a
 * group is (every combination of the swept values, first setting slowest, each over
 * `repeat` seeds), each checked before anything is queued. Pure: the service queues
 * what `expandGroup` returns, the CLI and the window show its names.
 */
import { MAX_GROUP_RUNS, type StartGroupRequest } from '../contract/requests';
import type { SweepAxis } from '../contract/runs';
import { LAYER_FIELDS, checkLayerField, setLayerField, type LayerField } from './layer-fields';
import { summarizeModel } from './model-math';
import type { LayerSpec, LayerType, ModelSpec } from './model-spec';
import { configFields } from './schemas';
import { OPTIMIZERS, type TrainingConfig } from './training-config';

/** A sweep or repeat that cannot be planned; its message is for the user as it stands. */
export class SweepError extends Error {
  override name = 'SweepError';
}

/** One run of a group, ready to queue. */
export interface PlannedRun {
  name: string;
  /** The name comes from the user's (the base run was named). */
  named: boolean;
  model: ModelSpec;
  config: TrainingConfig;
  /** This run's values of the swept settings by sweep key; null in a plain repeat. */
  sweepValues: Record<string, string | number> | null;
  /** 0 for the first seed, 1 for seed + 1, … */
  repeatIndex: number;
}

/** The training settings a sweep can vary, in contract keys. */
export const SWEEP_CONFIG_KEYS = ['learningRate', 'optimizer', 'batchSize', 'epochs', 'momentum'] as const;
type ConfigKey = (typeof SWEEP_CONFIG_KEYS)[number];

/** What a user may type before `=` for each setting (case, '-' and '_' do not matter). */
const CONFIG_ALIASES: Record<string, ConfigKey> = {
  lr: 'learningRate',
  learningrate: 'learningRate',
  optimizer: 'optimizer',
  opt: 'optimizer',
  batch: 'batchSize',
  batchsize: 'batchSize',
  epochs: 'epochs',
  epoch: 'epochs',
  momentum: 'momentum',
};

/** The short word of a setting in names and tables. */
const CONFIG_WORDS: Record<ConfigKey, { short: string; label: string }> = {
  learningRate: { short: 'lr', label: 'lr' },
  optimizer: { short: 'optimizer', label: 'optimizer' },
  batchSize: { short: 'batch', label: 'batch size' },
  epochs: { short: 'epochs', label: 'epochs' },
  momentum: { short: 'momentum', label: 'momentum' },
};

/** What each numeric setting looks like, for the message when a value is not a number. */
const NUMBER_HINTS: Record<Exclude<ConfigKey, 'optimizer'>, { hint: string; whole: boolean }> = {
  learningRate: { hint: 'a learning rate is a number like 0.001', whole: false },
  batchSize: { hint: 'a batch size is a whole number like 64', whole: true },
  epochs: { hint: 'epochs is a whole number like 10', whole: true },
  momentum: { hint: 'momentum is a number from 0 up to (not including) 1, like 0.9', whole: false },
};

/** The layer fields a sweep can vary: one value each (pairs as "3x3"); shapes and the regularizer's two parts cannot be. */
const SWEEPABLE_KINDS: readonly LayerField['kind'][] = ['int', 'number', 'select', 'bool', 'pair'];

/** The fields of a layer type a sweep can vary ("layer3.<field>"). */
export function sweepableFields(type: LayerType): LayerField[] {
  return LAYER_FIELDS[type].filter((f) => SWEEPABLE_KINDS.includes(f.kind) && !f.field.includes('.'));
}

const LAYER_KEY = /^layer([1-9][0-9]?)\.([a-zA-Z]+)$/;
const fold = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

const USAGE = 'use lr, optimizer, batch-size, epochs, momentum or layer<N>.<field> (e.g. layer3.units, layer2.activation)';

/**
 * A `--set KEY=V1,V2,…` argument as a swept setting: `lr=0.0001,0.001`, `optimizer=sgd,adam`,
 * `batch-size=32,64`, `epochs=5,10`, `momentum=0,0.9`, `layer3.units=64,128`, `layer2.activation=relu,sigmoid`.
 * Training settings are checked here; a layer's values are checked against the network by `expandGroup`.
 */
export function parseSetArgument(text: string): SweepAxis {
  const eq = text.indexOf('=');
  if (eq < 0) throw new SweepError(`"${text}": a swept setting is KEY=V1,V2,… (e.g. lr=0.0001,0.001,0.01)`);
  const rawKey = text.slice(0, eq).trim();
  const rawValues = text.slice(eq + 1);
  if (!rawKey) throw new SweepError(`"${text}": the setting's name is missing before '='; ${USAGE}`);
  const key = sweepKeyOf(rawKey);
  const parts = rawValues.split(',').map((v) => v.trim());
  if (!rawValues.trim()) throw new SweepError(`${rawKey}=: give the values to try, separated by commas (e.g. ${rawKey}=${exampleOf(key)})`);
  if (parts.some((p) => p === '')) throw new SweepError(`${text}: a value is empty (two commas, or a comma at an end)`);
  if (parts.length > 20) throw new SweepError(`${rawKey}: ${parts.length} values; at most 20 per swept setting`);
  const values = parts.map((p) => parseValue(key, rawKey, p));
  const seen = new Set<string>();
  for (let i = 0; i < values.length; i++) {
    const k = String(values[i]);
    if (seen.has(k)) throw new SweepError(`${rawKey}: ${parts[i]} is given twice`);
    seen.add(k);
  }
  return { key, values };
}

/** The contract key of what a user typed: "lr" → "learningRate", "Layer3.Units" → "layer3.units". */
function sweepKeyOf(raw: string): string {
  const config = CONFIG_ALIASES[fold(raw)];
  if (config) return config;
  const layer = /^layer[-_ ]?([0-9]+)\.(.+)$/i.exec(raw.trim());
  if (layer) {
    const n = Number(layer[1]);
    if (n < 1 || n > 99) throw new SweepError(`${raw}: layers are numbered from 1 (as the editor shows them) up to 99`);
    const field = FIELD_ALIASES[fold(layer[2])];
    if (!field) throw new SweepError(`${raw}: "${layer[2]}" is not a layer field a sweep can vary (${sweepFieldWords()})`);
    return `layer${n}.${field}`;
  }
  throw new SweepError(`"${raw}" is not a setting a sweep can vary; ${USAGE}`);
}

/** Every sweepable field name of every layer type, by its folded name and its folded label ("dropoutrate" → "rate"). */
const FIELD_ALIASES: Record<string, string> = (() => {
  const out: Record<string, string> = {};
  for (const type of Object.keys(LAYER_FIELDS) as LayerType[]) {
    for (const f of sweepableFields(type)) {
      out[fold(f.field)] = f.field;
      out[fold(f.label)] ??= f.field;
    }
  }
  out.initializer = 'kernelInitializer';
  out.bias = 'useBias';
  return out;
})();

function sweepFieldWords(): string {
  return [...new Set(Object.values(FIELD_ALIASES))].join(', ');
}

function exampleOf(key: string): string {
  switch (key) {
    case 'learningRate':
      return '0.0001,0.001,0.01';
    case 'optimizer':
      return 'sgd,adam';
    case 'batchSize':
      return '32,64';
    case 'epochs':
      return '5,10';
    case 'momentum':
      return '0,0.9';
    default:
      return key.endsWith('.activation') ? 'relu,sigmoid' : '64,128';
  }
}

function parseValue(key: string, rawKey: string, text: string): string | number {
  if (key === 'optimizer') {
    const o = text.toLowerCase();
    if (!(OPTIMIZERS as readonly string[]).includes(o)) throw new SweepError(`${rawKey}=${text}: the optimizer is one of ${OPTIMIZERS.join(', ')}`);
    return o;
  }
  const numeric = NUMBER_HINTS[key as keyof typeof NUMBER_HINTS];
  if (numeric) {
    if (!NUMBER.test(text)) throw new SweepError(`${rawKey}=${text}: ${numeric.hint}`);
    const n = Number(text);
    const problem = configProblem(key as ConfigKey, n);
    if (problem) throw new SweepError(`${rawKey}=${text}: ${problem}`);
    return n;
  }
  // A layer field: a number when it reads as one, else a word; expandGroup checks it against the layer.
  return NUMBER.test(text) ? Number(text) : text;
}

function configProblem(key: ConfigKey, value: unknown): string | null {
  const r = configFields[key].safeParse(value);
  return r.success ? null : r.error.issues[0].message;
}

/** The setting as a table heads it: "lr", "optimizer", "batch size", "layer 3 units", "layer 2 kernel initializer". */
export function sweepKeyLabel(key: string): string {
  const config = CONFIG_WORDS[key as ConfigKey];
  if (config) return config.label;
  const m = LAYER_KEY.exec(key);
  if (m) return `layer ${m[1]} ${m[2].replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)}`;
  return key;
}

/** One swept value in a name: "lr=0.001", "batch=64", "layer3.units=128". */
export function sweepValueText(key: string, value: string | number): string {
  const config = CONFIG_WORDS[key as ConfigKey];
  return `${config ? config.short : key}=${value}`;
}

/** A run's swept values in a name, in the axes' order: "lr=0.001 optimizer=adam". */
export function sweepValuesText(values: Record<string, string | number>, axes?: SweepAxis[]): string {
  const keys = axes ? axes.map((a) => a.key).filter((k) => k in values) : Object.keys(values);
  return keys.map((k) => sweepValueText(k, values[k])).join(' ');
}

/** The group's name: the user's, or "seed-model-3 × 3 seeds", "Sweep lr × optimizer (×2 seeds)". */
export function groupName(request: StartGroupRequest): string {
  const given = request.name?.trim();
  if (given) return given;
  const seeds = `${request.repeat} seed${request.repeat === 1 ? '' : 's'}`;
  if (request.axes.length === 0) return `${baseWord(request)} × ${seeds}`;
  const settings = request.axes.map((a) => sweepKeyLabel(a.key)).join(' × ');
  return `Sweep ${settings}${request.repeat > 1 ? ` (×${seeds})` : ''}`;
}

function baseWord(request: StartGroupRequest): string {
  return request.run.name?.trim() || request.run.presetId || 'custom';
}

/** The most characters a run's name may have (as the contract allows). */
const MAX_NAME = 200;

/**
 * Every run of a group, in the order they will train: each combination of the axes'
 * values (the first axis changes slowest), each over `repeat` seeds (seed, seed + 1, …).
 * Throws a SweepError naming what is wrong: an unknown setting or layer field, a value
 * the setting does not take, a combination that makes a network that cannot train,
 * or more than MAX_GROUP_RUNS runs.
 */
export function expandGroup(request: StartGroupRequest): PlannedRun[] {
  const base = request.run;
  const axes = request.axes.map((a) => checkAxis(a, base.model));
  const seen = new Set<string>();
  for (const a of axes) {
    if (seen.has(a.key)) throw new SweepError(`${sweepKeyLabel(a.key)} is swept twice; give all its values in one --set`);
    seen.add(a.key);
  }
  const combinations = axes.reduce((n, a) => n * a.values.length, 1);
  const total = combinations * request.repeat;
  if (total > MAX_GROUP_RUNS) {
    const shape = [...axes.map((a) => String(a.values.length)), ...(request.repeat > 1 ? [`${request.repeat} seeds`] : [])].join(' × ');
    throw new SweepError(`${shape} makes ${total} runs; at most ${MAX_GROUP_RUNS} in one group (fewer values or seeds)`);
  }
  const lastSeed = base.config.seed + request.repeat - 1;
  const seedCheck = configFields.seed.safeParse(lastSeed);
  if (!seedCheck.success) throw new SweepError(`seeds ${base.config.seed} to ${lastSeed}: ${seedCheck.error.issues[0].message}`);

  const named = Boolean(base.name?.trim());
  const prefix = named ? base.name!.trim() : (base.presetId ?? 'custom');
  const runs: PlannedRun[] = [];
  for (let c = 0; c < combinations; c++) {
    // Mixed radix, last axis fastest.
    const values: Record<string, string | number> = {};
    let rest = c;
    for (let i = axes.length - 1; i >= 0; i--) {
      const a = axes[i];
      values[a.key] = a.values[rest % a.values.length];
      rest = Math.floor(rest / a.values.length);
    }
    const { model, config } = applyValues(base.model, base.config, axes, values);
    const problems = summarizeModel(model).problems;
    if (problems.length) {
      const which = axes.length ? `${sweepValuesText(values, axes)}: ` : '';
      throw new SweepError(`${which}this network cannot be trained: ${problems.map((p) => p.message).join('; ')}`);
    }
    for (let r = 0; r < request.repeat; r++) {
      const seed = base.config.seed + r;
      const parts = [axes.length ? sweepValuesText(values, axes) : '', request.repeat > 1 ? `seed ${seed}` : ''].filter(Boolean);
      runs.push({
        name: runName(prefix, parts, named, config),
        named,
        model,
        config: { ...config, seed },
        sweepValues: axes.length ? { ...values } : null,
        repeatIndex: r,
      });
    }
  }
  return runs;
}

/** "X · lr=0.001 · seed 43"; the user's part is shortened (never the parts that tell runs apart) to fit. */
function runName(prefix: string, parts: string[], named: boolean, config: TrainingConfig): string {
  // A group of one unnamed run is named as a single run would be.
  if (!parts.length && !named) parts = [`${config.optimizer} lr=${config.learningRate}`];
  const tail = parts.map((p) => ` · ${p}`).join('');
  const room = MAX_NAME - tail.length;
  const head = prefix.length > room ? `${prefix.slice(0, Math.max(0, room - 1))}…` : prefix;
  return `${head}${tail}`;
}

/**
 * The request's axes checked against its network, each value in the type its setting
 * takes ("0.001" → 0.001, "64" → 64, a switch "true"/"false", a pair "3x3"): the values
 * the planned runs' sweepValues hold, so a group that keeps these matches its runs exactly.
 */
export function normalizedAxes(request: StartGroupRequest): SweepAxis[] {
  return request.axes.map((a) => {
    const { key, values } = checkAxis(a, request.run.model);
    return { key, values };
  });
}

interface CheckedAxis {
  key: string;
  values: (string | number)[];
  /** For a layer field: the 0-based layer and the field. */
  layer?: { index: number; field: LayerField };
}

/** One axis checked against the network and the settings, its values in the types their fields take. */
function checkAxis(axis: SweepAxis, model: ModelSpec): CheckedAxis {
  if (!axis.values.length) throw new SweepError(`${sweepKeyLabel(axis.key)}: give at least one value`);
  if ((SWEEP_CONFIG_KEYS as readonly string[]).includes(axis.key)) {
    const key = axis.key as ConfigKey;
    const word = CONFIG_WORDS[key].short;
    const values = axis.values.map((v) => {
      const text = String(v).trim();
      const value = key === 'optimizer' ? text.toLowerCase() : typeof v === 'number' ? v : NUMBER.test(text) ? Number(text) : text;
      const problem = configProblem(key, value);
      if (problem)
        throw new SweepError(`${word}=${text}: ${key === 'optimizer' ? problem : (NUMBER_HINTS[key as keyof typeof NUMBER_HINTS]?.hint ?? problem)}`);
      return value;
    });
    return { key, values: distinct(word, values) };
  }
  const m = LAYER_KEY.exec(axis.key);
  if (!m) throw new SweepError(`"${axis.key}" is not a setting a sweep can vary; ${USAGE}`);
  const n = Number(m[1]);
  const count = model.layers.length;
  if (n > count) throw new SweepError(`${axis.key}: the network has ${count} layer${count === 1 ? '' : 's'}`);
  const layer = model.layers[n - 1];
  const field = sweepableFields(layer.type).find((f) => f.field === m[2]);
  if (!field) {
    const fields = sweepableFields(layer.type).map((f) => f.field);
    throw new SweepError(
      `${axis.key}: layer ${n} is a ${layer.type} layer, without a field "${m[2]}"${fields.length ? ` (it has ${fields.join(', ')})` : ' (it has no settings)'}`,
    );
  }
  const values = axis.values.map((v) => {
    const value = layerValue(field, v);
    const problem = value === undefined ? null : checkLayerField(layer.type, field.field, value);
    if (value === undefined || problem) throw new SweepError(`${axis.key}=${v}: ${problem ?? layerHint(field)}`);
    // Kept as the record shows it: numbers as numbers, a switch as "true"/"false", a pair as "3x3".
    return Array.isArray(value) ? value.join('x') : typeof value === 'boolean' ? String(value) : (value as string | number);
  });
  return { key: axis.key, values: distinct(axis.key, values), layer: { index: n - 1, field } };
}

function distinct(word: string, values: (string | number)[]): (string | number)[] {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(String(v))) throw new SweepError(`${word}: ${v} is given twice`);
    seen.add(String(v));
  }
  return values;
}

/** A swept value as the layer field takes it ("3x3" → [3, 3], "false" → false); undefined when it cannot be one. */
function layerValue(field: LayerField, v: string | number): unknown {
  const text = String(v).trim();
  switch (field.kind) {
    case 'int':
    case 'number':
      return typeof v === 'number' ? v : NUMBER.test(text) ? Number(text) : text;
    case 'select':
      return text;
    case 'bool': {
      const t = text.toLowerCase();
      return t === 'true' || t === 'on' || t === '1' ? true : t === 'false' || t === 'off' || t === '0' ? false : undefined;
    }
    case 'pair': {
      const parts = text.split(/[x×*]/i).map((s) => s.trim());
      if (parts.length === 1 && NUMBER.test(parts[0])) return [Number(parts[0]), Number(parts[0])];
      if (parts.length === 2 && parts.every((p) => NUMBER.test(p))) return parts.map(Number);
      return undefined;
    }
    default:
      return undefined;
  }
}

function layerHint(field: LayerField): string {
  switch (field.kind) {
    case 'bool':
      return `${field.label.toLowerCase()} is true or false`;
    case 'pair':
      return `${field.label.toLowerCase()} is rows×cols like 3x3 (or one number for a square)`;
    default:
      return `not a value of ${field.label.toLowerCase()}`;
  }
}

/** The base network and settings with one combination of values applied (copies; the base is not changed). */
function applyValues(
  baseModel: ModelSpec,
  baseConfig: TrainingConfig,
  axes: CheckedAxis[],
  values: Record<string, string | number>,
): { model: ModelSpec; config: TrainingConfig } {
  const config = { ...baseConfig } as TrainingConfig & Record<string, unknown>;
  const layers: LayerSpec[] = [...baseModel.layers];
  for (const a of axes) {
    const v = values[a.key];
    if (a.layer) layers[a.layer.index] = setLayerField(layers[a.layer.index], a.layer.field.field, layerValue(a.layer.field, v));
    else config[a.key] = v;
  }
  return { model: { ...baseModel, layers }, config };
}
