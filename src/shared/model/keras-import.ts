/**
 * Reads a Keras `model.to_json()` of a Sequential model into a model spec.
 * Understands tf.keras 2 (InputLayer with batch_input_shape, or
 * batch_input_shape on the first layer; initializers and regularizers as
 * {class_name, config}) and Keras 3 ({module, class_name, config,
 * registered_name, build_config}, InputLayer with batch_shape, dtype
 * policies). Also accepts the same JSON wrapped as tfjs's model.json
 * ({modelTopology: {model_config}}). Anything that would change what the
 * network computes is refused with a message; settings Layerlab cannot keep
 * but that only change the starting point are reported as warnings.
 */
import {
  ACTIVATIONS,
  LAYER_TYPES,
  type Activation,
  type Initializer,
  type LayerSpec,
  type ModelSpec,
  type Padding,
  type Regularizer,
} from './model-spec';
import { summarizeModel } from './model-math';
import { modelSpecSchema } from './schemas';
import { importedJson } from '../imported-json';

/**
 * What an import accepts, checked before any other work (a bigger file is
 * refused with a message naming the limit): the text of the file, counted in
 * characters (each at least one byte), and the layers, as the model spec allows.
 */
export const KERAS_IMPORT_LIMITS = { fileMegabytes: 20, layers: 200 } as const;

export class KerasImportError extends Error {
  override name = 'KerasImportError';
}

export interface KerasImport {
  model: ModelSpec;
  /** Settings in the file that Layerlab ignored or changed, one sentence each. */
  warnings: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keras class names Layerlab maps to its own layers (InputLayer only sets the input shape). */
const SUPPORTED = [...LAYER_TYPES, 'InputLayer', 'ReLU', 'Softmax'];

/** Keras's own names for activations Layerlab calls differently. */
const ACTIVATION_ALIASES: Record<string, Activation> = { silu: 'swish', None: 'linear' };

const INITIALIZER_CLASSES: Record<string, Initializer> = {
  GlorotUniform: 'glorot_uniform',
  GlorotNormal: 'glorot_normal',
  HeUniform: 'he_uniform',
  HeNormal: 'he_normal',
  LecunUniform: 'lecun_uniform',
  LecunNormal: 'lecun_normal',
  RandomUniform: 'random_uniform',
  RandomNormal: 'random_normal',
  Zeros: 'zeros',
  Ones: 'ones',
};

/**
 * Keras 2 stores regularization factors as float32 (0.01 comes out as
 * 0.009999999776482582): the shortest decimal that is the same float32 is
 * what the user typed.
 */
function tidyFloat(x: number): number {
  if (!Number.isFinite(x) || Math.fround(x) !== x) return x;
  for (let digits = 1; digits <= 9; digits++) {
    const y = Number(x.toPrecision(digits));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

const shapeText = (s: unknown[]) => `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')})`;

/** Collects what one import found: fatal problems (all reported at once) and warnings. */
class Findings {
  problems: string[] = [];
  warnings: string[] = [];
  seedsIgnored = false;
}

/** Reads one Keras layer; `where` is how messages name it: "Dense (layer 2)". */
class LayerReader {
  constructor(
    readonly config: Json,
    readonly where: string,
    readonly found: Findings,
    /** The layer's input shape (without the batch axis), when known. */
    readonly input: number[] | null,
  ) {}

  problem(message: string): void {
    this.found.problems.push(`${this.where}: ${message}`);
  }

  warn(message: string): void {
    this.found.warnings.push(`${this.where}: ${message}`);
  }

  number(key: string, fallback?: number): number {
    const v = this.config[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.problem(`${key} is missing`);
      return NaN;
    }
    if (typeof v !== 'number') {
      this.problem(`${key} must be a number, not ${JSON.stringify(v)}`);
      return NaN;
    }
    return tidyFloat(v);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.config[key];
    return typeof v === 'boolean' ? v : fallback;
  }

  /** Keras takes an int or a (rows, cols) tuple for windows and strides. */
  pair(key: string, fallback?: [number, number] | null): [number, number] | null {
    const v = this.config[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.problem(`${key} is missing`);
      return [NaN, NaN];
    }
    if (typeof v === 'number') return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number')) return [v[0], v[1]];
    if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0], v[0]];
    this.problem(`${key} must be a number or a pair of numbers, not ${JSON.stringify(v)}`);
    return [NaN, NaN];
  }

  padding(): Padding {
    const v = this.config.padding ?? 'valid';
    const p = typeof v === 'string' ? v.toLowerCase() : v;
    if (p === 'valid' || p === 'same') return p;
    this.problem(`padding ${JSON.stringify(v)} is not supported; use 'valid' or 'same'`);
    return 'valid';
  }

  channelsLast(): void {
    const v = this.config.data_format;
    if (v === undefined || v === null || v === 'channels_last') return;
    this.problem(`data_format ${JSON.stringify(v)} is not supported; Layerlab works channels_last (rows, cols, channels)`);
  }

  activation(key = 'activation'): Activation {
    let v = this.config[key];
    if (isObject(v)) v = (isObject(v.config) && typeof v.config.name === 'string' ? v.config.name : v.class_name) ?? v;
    if (v === undefined || v === null) return 'linear';
    const name = typeof v === 'string' ? (ACTIVATION_ALIASES[v] ?? v) : v;
    if ((ACTIVATIONS as readonly unknown[]).includes(name)) return name as Activation;
    this.problem(`unsupported activation ${JSON.stringify(v)}; Layerlab has ${ACTIVATIONS.join(', ')}`);
    return 'linear';
  }

  initializer(key: string): Initializer | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') {
      if (v in INITIALIZER_CLASSES || (Object.values(INITIALIZER_CLASSES) as string[]).includes(v)) {
        return (INITIALIZER_CLASSES[v] ?? v) as Initializer;
      }
      this.warn(`${key} ${JSON.stringify(v)} is not available; glorot_uniform is used instead`);
      return 'glorot_uniform';
    }
    if (!isObject(v) || typeof v.class_name !== 'string') {
      this.warn(`${key} is not readable; glorot_uniform is used instead`);
      return 'glorot_uniform';
    }
    const cls = v.class_name;
    const c = isObject(v.config) ? v.config : {};
    if (c.seed !== undefined && c.seed !== null) this.found.seedsIgnored = true;
    if (cls === 'VarianceScaling') return this.varianceScaling(key, c);
    const name = INITIALIZER_CLASSES[cls];
    if (!name) {
      this.warn(`${key} ${cls} is not available; glorot_uniform is used instead`);
      return 'glorot_uniform';
    }
    if (cls === 'RandomUniform' && ((c.minval ?? -0.05) !== -0.05 || (c.maxval ?? 0.05) !== 0.05)) {
      this.warn(`${key} RandomUniform(${c.minval}, ${c.maxval}) uses Keras's default range (-0.05, 0.05) here`);
    }
    if (cls === 'RandomNormal' && ((c.mean ?? 0) !== 0 || (c.stddev ?? 0.05) !== 0.05)) {
      this.warn(`${key} RandomNormal(mean ${c.mean}, stddev ${c.stddev}) uses Keras's default (mean 0, stddev 0.05) here`);
    }
    return name;
  }

  /** The named initializers are VarianceScaling with fixed settings; older files spell them out. */
  private varianceScaling(key: string, c: Json): Initializer {
    const scale = c.scale ?? 1;
    const mode = c.mode ?? 'fan_in';
    const uniform = c.distribution === 'uniform';
    const normal = c.distribution === 'truncated_normal' || c.distribution === 'normal';
    const known: [number, string, Initializer, Initializer][] = [
      [1, 'fan_avg', 'glorot_uniform', 'glorot_normal'],
      [2, 'fan_in', 'he_uniform', 'he_normal'],
      [1, 'fan_in', 'lecun_uniform', 'lecun_normal'],
    ];
    const match = known.find(([s, m]) => s === scale && m === mode);
    if (match && (uniform || normal)) return uniform ? match[2] : match[3];
    this.warn(`${key} VarianceScaling(scale ${scale}, ${mode}, ${c.distribution}) is not available; glorot_uniform is used instead`);
    return 'glorot_uniform';
  }

  regularizer(key: string): Regularizer | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return undefined;
    // Keras's string shortcuts use a factor of 0.01.
    if (typeof v === 'string') {
      const byName: Record<string, Regularizer> = { l1: { l1: 0.01, l2: 0 }, l2: { l1: 0, l2: 0.01 }, l1_l2: { l1: 0.01, l2: 0.01 } };
      if (byName[v]) return byName[v];
    } else if (isObject(v) && typeof v.class_name === 'string') {
      const c = isObject(v.config) ? v.config : {};
      const factor = (k: string, fallback: number) => (typeof c[k] === 'number' ? tidyFloat(c[k] as number) : fallback);
      if (v.class_name === 'L1L2') return { l1: factor('l1', 0), l2: factor('l2', 0) };
      if (v.class_name === 'L2') return { l1: 0, l2: factor('l2', 0.01) };
      if (v.class_name === 'L1') return { l1: factor('l1', 0.01), l2: 0 };
    }
    const name = isObject(v) ? v.class_name : v;
    this.warn(`${key} ${JSON.stringify(name)} is not available and is ignored`);
    return undefined;
  }

  /** Settings that do not change the layer's shape but that Layerlab does not keep. */
  ignored(keys: string[], why = 'is ignored'): void {
    for (const key of keys) {
      const v = this.config[key];
      if (v !== undefined && v !== null) this.warn(`${key} ${JSON.stringify(isObject(v) ? (v.class_name ?? v) : v)} ${why}`);
    }
  }

  biasInitializer(): void {
    const v = this.config.bias_initializer;
    if (v === undefined || v === null) return;
    const name = isObject(v) ? v.class_name : v;
    if (name !== 'Zeros' && name !== 'zeros') this.warn(`bias_initializer ${JSON.stringify(name)} is ignored; biases start at zero`);
  }
}

const onOff = (useBias: boolean) => (useBias ? {} : { useBias: false as const });
const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);
/** Keras's default kernel initializer is left out, as the editor leaves it out. */
const initializer = (value: Initializer | undefined) => optional('kernelInitializer', value === 'glorot_uniform' ? undefined : value);

function readLayer(cls: string, r: LayerReader): LayerSpec | null {
  const c = r.config;
  if (c.trainable === false) r.warn('is frozen (trainable=False) in the file; Layerlab trains every layer');
  switch (cls) {
    case 'Flatten':
      r.channelsLast();
      return { type: 'Flatten' };
    case 'Dense': {
      r.biasInitializer();
      r.ignored(['bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint', 'lora_rank']);
      return {
        type: 'Dense',
        units: r.number('units'),
        activation: r.activation(),
        ...onOff(r.bool('use_bias', true)),
        ...initializer(r.initializer('kernel_initializer')),
        ...optional('kernelRegularizer', r.regularizer('kernel_regularizer')),
      };
    }
    case 'Dropout':
      r.ignored(['noise_shape']);
      return { type: 'Dropout', rate: r.number('rate') };
    case 'BatchNormalization': {
      const rank = r.input?.length;
      const axes = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
      // Keras 2 stores the axis after building, counting the batch axis: [1] after a Dense, [3] after a Conv2D.
      const last = axes.length === 1 && (axes[0] === -1 || (rank !== undefined && axes[0] === rank));
      if (!last) r.problem(`normalizes axis ${JSON.stringify(c.axis)}; Layerlab normalizes the last axis only`);
      if (c.center === false || c.scale === false) {
        r.warn('center/scale = False is not supported; the layer learns both an offset and a scale (more parameters than in Keras)');
      }
      r.ignored(['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint']);
      if (c.renorm === true) r.warn('renorm is not supported and is ignored');
      const momentum = r.number('momentum', 0.99);
      const epsilon = r.number('epsilon', 0.001);
      return {
        type: 'BatchNormalization',
        ...(momentum === 0.99 ? {} : { momentum }),
        ...(epsilon === 0.001 ? {} : { epsilon }),
      };
    }
    case 'Activation':
      return { type: 'Activation', activation: r.activation() };
    case 'ReLU': {
      const plain = (c.max_value ?? null) === null && (c.negative_slope ?? 0) === 0 && (c.threshold ?? 0) === 0;
      if (!plain) r.problem('a ReLU with max_value, negative_slope or threshold is not supported');
      return { type: 'Activation', activation: 'relu' };
    }
    case 'Softmax': {
      const axis = c.axis ?? -1;
      if (axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1))
        r.problem('a Softmax over another axis than the last is not supported');
      return { type: 'Activation', activation: 'softmax' };
    }
    case 'Conv2D': {
      r.channelsLast();
      const dilation = r.pair('dilation_rate', [1, 1]);
      if (dilation && (dilation[0] !== 1 || dilation[1] !== 1)) r.problem(`dilation_rate ${shapeText(dilation)} is not supported`);
      if ((c.groups ?? 1) !== 1) r.problem(`groups ${JSON.stringify(c.groups)} is not supported`);
      r.biasInitializer();
      r.ignored(['bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint', 'lora_rank']);
      const strides = r.pair('strides', [1, 1])!;
      const padding = r.padding();
      return {
        type: 'Conv2D',
        filters: r.number('filters'),
        kernelSize: r.pair('kernel_size')!,
        ...(strides[0] === 1 && strides[1] === 1 ? {} : { strides }),
        ...(padding === 'valid' ? {} : { padding }),
        activation: r.activation(),
        ...onOff(r.bool('use_bias', true)),
        ...initializer(r.initializer('kernel_initializer')),
        ...optional('kernelRegularizer', r.regularizer('kernel_regularizer')),
      };
    }
    case 'MaxPooling2D': {
      r.channelsLast();
      const poolSize = r.pair('pool_size', [2, 2])!;
      const strides = r.pair('strides', null);
      const padding = r.padding();
      const sameAsPool = strides === null || (strides[0] === poolSize[0] && strides[1] === poolSize[1]);
      return {
        type: 'MaxPooling2D',
        poolSize,
        ...(sameAsPool ? {} : { strides }),
        ...(padding === 'valid' ? {} : { padding }),
      };
    }
    case 'Reshape': {
      const target = c.target_shape;
      if (!Array.isArray(target) || !target.every((d) => typeof d === 'number')) {
        r.problem(`target_shape ${JSON.stringify(target)} is not a list of sizes`);
        return { type: 'Reshape', targetShape: [] };
      }
      return { type: 'Reshape', targetShape: resolveUnknownDim(target as number[], r) };
    }
  }
  return null;
}

/** Keras lets one Reshape size be -1 ("whatever is left"); Layerlab wants it spelled out. */
function resolveUnknownDim(target: number[], r: LayerReader): number[] {
  const unknown = target.filter((d) => d === -1).length;
  if (unknown === 0) return target;
  if (unknown > 1 || !r.input) {
    r.problem(`target_shape ${shapeText(target)} has a -1 that cannot be worked out`);
    return target;
  }
  const size = r.input.reduce((a, b) => a * b, 1);
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return target.map((d) => (d === -1 ? size / known : d));
}

/** The sample shape (without the batch axis) from a Keras batch shape like [null, 28, 28]. */
function sampleShape(batchShape: unknown): unknown[] | null {
  return Array.isArray(batchShape) && batchShape.length >= 2 ? batchShape.slice(1) : null;
}

function findInputShape(config: Json, layers: Json[], top: Json): unknown[] | null {
  const layerConfig = (l: Json | undefined) => (l && isObject(l.config) ? l.config : {});
  const input = layers.find((l) => l.class_name === 'InputLayer');
  const firstReal = layers.find((l) => l.class_name !== 'InputLayer');
  const buildShape = (o: Json | undefined) => (o && isObject(o.build_config) ? o.build_config.input_shape : undefined);
  const candidates = [
    layerConfig(input).batch_shape,
    layerConfig(input).batch_input_shape,
    layerConfig(firstReal).batch_input_shape,
    layerConfig(firstReal).batch_shape,
    config.build_input_shape,
    buildShape(top),
    buildShape(firstReal),
  ];
  for (const c of candidates) {
    const shape = sampleShape(c);
    if (shape) return shape;
  }
  return null;
}

/** The JSON object of the model itself, wherever the file keeps it. */
function modelObject(text: string, fileName: string): Json {
  let parsed = importedJson(text, KERAS_IMPORT_LIMITS.fileMegabytes, {
    tooLarge: (mb) => new KerasImportError(`${fileName} is too large to import: ${mb} MB; the limit is ${KERAS_IMPORT_LIMITS.fileMegabytes} MB`),
    notJson: (reason) => new KerasImportError(`${fileName} is not JSON: ${reason}`),
  });
  // tfjs's model.json keeps it under modelTopology, sometimes one level deeper under model_config.
  for (const key of ['modelTopology', 'model_config']) {
    if (isObject(parsed) && key in parsed) {
      const inner = parsed[key];
      try {
        parsed = typeof inner === 'string' ? JSON.parse(inner) : inner;
      } catch (e) {
        throw new KerasImportError(`${fileName} keeps its ${key} as text that is not JSON: ${(e as Error).message}`);
      }
    }
  }
  if (!isObject(parsed) || typeof parsed.class_name !== 'string') {
    throw new KerasImportError(`${fileName} is not a Keras model: expected the JSON of model.to_json(), an object with a class_name`);
  }
  return parsed;
}

/**
 * The model spec for a Keras model.to_json() text. Throws KerasImportError
 * with every problem found when the model cannot be imported as it is.
 * `fileName` names the text in messages ("model.json is not JSON: …").
 */
export function importKerasModel(json: string, fileName = 'The file'): KerasImport {
  const top = modelObject(json, fileName);
  if (top.class_name !== 'Sequential') {
    const what = top.class_name === 'Model' || top.class_name === 'Functional' ? 'Functional' : top.class_name;
    throw new KerasImportError(`Only Sequential models can be imported; this file holds a ${what} model`);
  }
  // Keras ≤ 2.1 stored the layer list as the config itself.
  const config: Json = Array.isArray(top.config) ? { layers: top.config } : isObject(top.config) ? top.config : {};
  if (!Array.isArray(config.layers)) throw new KerasImportError('The Sequential model in this file has no list of layers');
  const layers = (config.layers as unknown[]).filter(isObject);

  // Layers are numbered as model.summary() lists them, without the InputLayer.
  const body = layers.filter((l) => l.class_name !== 'InputLayer');
  if (body.length > KERAS_IMPORT_LIMITS.layers) {
    throw new KerasImportError(
      `This model has ${body.length.toLocaleString('en')} layers; Layerlab imports at most ${KERAS_IMPORT_LIMITS.layers} (the limit of a design)`,
    );
  }
  const unsupported = body.map((l, i) => ({ cls: String(l.class_name), position: i + 1 })).filter((l) => !SUPPORTED.includes(l.cls));
  if (unsupported.length > 0) {
    throw new KerasImportError(
      `Unsupported layers: ${unsupported.map((l) => `${l.cls} (layer ${l.position})`).join(', ')}. ` +
        `Layerlab can import ${LAYER_TYPES.join(', ')} (and InputLayer, ReLU, Softmax)`,
    );
  }

  const rawShape = findInputShape(config, layers, top);
  if (!rawShape) {
    throw new KerasImportError(
      'The model has no input shape: build it before saving, e.g. start it with keras.Input(shape=(28, 28)) or give the first layer input_shape=(28, 28)',
    );
  }
  if (!rawShape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new KerasImportError(`The input shape ${shapeText(rawShape)} has sizes that are not known; every size must be a whole number (28, 28)`);
  }
  const inputShape = rawShape as number[];

  const found = new Findings();
  const spec: ModelSpec = { inputShape, layers: [] };
  // Each layer's input is the previous layer's output, worked out one layer at a time (linear in the layers).
  let input = inputShape;
  // After a layer whose shape is wrong, later shapes are guesses: do not reason from them.
  let known = true;
  body.forEach((layer, i) => {
    const cls = String(layer.class_name);
    const layerConfig = isObject(layer.config) ? layer.config : {};
    const reader = new LayerReader(layerConfig, `${cls} (layer ${i + 1})`, found, known ? input : null);
    const layerSpec = readLayer(cls, reader);
    if (!layerSpec) return;
    spec.layers.push(layerSpec);
    const [out] = summarizeModel({ inputShape: input, layers: [layerSpec] }, 10, 0).layers;
    input = out.outputShape;
    if (out.problem) known = false;
  });
  for (const l of layers.filter((x) => x.class_name === 'InputLayer')) {
    const c = isObject(l.config) ? l.config : {};
    if (c.sparse === true || c.ragged === true) found.warnings.push('The InputLayer is sparse or ragged in the file; Layerlab feeds dense images');
  }
  if (found.seedsIgnored) found.warnings.push('Initializer seeds in the file are not kept: Layerlab seeds the initial weights from the run seed');

  if (found.problems.length > 0) {
    throw new KerasImportError(`This model cannot be imported: ${found.problems.join('; ')}`);
  }
  const checked = modelSpecSchema.safeParse(spec);
  if (!checked.success) {
    const messages = checked.error.issues.map((issue) => {
      const [where, index] = issue.path;
      if (where === 'layers' && typeof index === 'number') return `${body[index]?.class_name ?? 'layer'} (layer ${index + 1}): ${issue.message}`;
      return issue.message;
    });
    throw new KerasImportError(`This model does not fit Layerlab's limits: ${messages.join('; ')}`);
  }
  return { model: spec, warnings: found.warnings };
}
