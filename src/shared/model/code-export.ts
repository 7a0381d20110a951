/**
 * "Show code": a network and its training settings as a script someone can
 * run outside Layerlab, in Keras (Python) or TensorFlow.js (Node). Every
 * layer option the spec holds is written out; options left at Keras's
 * defaults are left out, as a person would write them.
 */
import type { Initializer, LayerSpec, ModelSpec, Regularizer } from './model-spec';
import type { TrainingConfig } from './training-config';

export interface ScriptOptions {
  /** A line saying what the script reproduces, e.g. the run's or design's name. */
  title?: string;
  /**
   * Keras script only: read the four IDX .gz files from this folder instead of
   * downloading Fashion-MNIST with keras.datasets.
   */
  datasetFolder?: string;
  /** The dataset the script trains on; absent (or Fashion-MNIST): Fashion-MNIST, as above. */
  dataset?: ScriptDataset;
}

/** A run's dataset as the generated script loads it. */
export interface ScriptDataset {
  /** 'fashion-mnist', 'mnist', 'kmnist', 'cifar-10', or an imported folder's id. */
  id: string;
  name: string;
  /** One image: [height, width, channels]. */
  shape: [number, number, number];
  /** One name per class, in label order (an imported folder's: its class folders' names). */
  classNames: string[];
  /** A built-in dataset: the folder holding its files; an imported one: the folder of images it was imported from. */
  folder?: string;
  /** An imported folder: the share of each class held out for testing, or null when it had train/ and test/ folders. Default 0.2. */
  testSplit?: number | null;
}

type DatasetKind = 'fashion-mnist' | 'idx' | 'cifar-10' | 'folder';

function datasetKind(d: ScriptDataset | undefined): DatasetKind {
  if (!d || d.id === 'fashion-mnist') return 'fashion-mnist';
  if (d.id === 'mnist' || d.id === 'kmnist') return 'idx';
  return d.id === 'cifar-10' ? 'cifar-10' : 'folder';
}

/** How many training images "all" is, for the LIMIT comment. */
function allTrainingImages(kind: DatasetKind): string {
  return kind === 'cifar-10' ? 'all 50,000' : kind === 'folder' ? 'all of them' : 'all 60,000';
}

export const DEFAULT_DATASET_FOLDER = '/usr/share/datasets/fashion-mnist';

/** One line, no control characters: safe inside a # or // comment. */
const commentText = (s: string) => s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();

// ---------------------------------------------------------------- Python

const py = {
  str: (s: string) => JSON.stringify(s), // a JSON string is a valid Python string literal for these texts
  num: (n: number) => String(n),
  tuple: (xs: readonly number[]) => (xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`),
  bool: (b: boolean) => (b ? 'True' : 'False'),
};

function pyRegularizer(r: Regularizer | null | undefined): string | null {
  if (!r || (r.l1 === 0 && r.l2 === 0)) return null;
  return `regularizers.L1L2(l1=${py.num(r.l1)}, l2=${py.num(r.l2)})`;
}

function pyKernelOptions(layer: { useBias?: boolean; kernelInitializer?: Initializer; kernelRegularizer?: Regularizer | null }): string[] {
  const args: string[] = [];
  if (layer.useBias === false) args.push('use_bias=False');
  if (layer.kernelInitializer && layer.kernelInitializer !== 'glorot_uniform') args.push(`kernel_initializer=${py.str(layer.kernelInitializer)}`);
  const reg = pyRegularizer(layer.kernelRegularizer);
  if (reg) args.push(`kernel_regularizer=${reg}`);
  return args;
}

/** One layer as Keras code: "layers.Dense(64, activation=\"relu\")". */
export function kerasLayerCode(layer: LayerSpec): string {
  switch (layer.type) {
    case 'Flatten':
      return 'layers.Flatten()';
    case 'Dense':
      return `layers.Dense(${[String(layer.units), `activation=${py.str(layer.activation)}`, ...pyKernelOptions(layer)].join(', ')})`;
    case 'Dropout':
      return `layers.Dropout(${py.num(layer.rate)})`;
    case 'BatchNormalization': {
      const args: string[] = [];
      if (layer.momentum !== undefined) args.push(`momentum=${py.num(layer.momentum)}`);
      if (layer.epsilon !== undefined) args.push(`epsilon=${py.num(layer.epsilon)}`);
      return `layers.BatchNormalization(${args.join(', ')})`;
    }
    case 'Activation':
      return `layers.Activation(${py.str(layer.activation)})`;
    case 'Conv2D': {
      const args = [String(layer.filters), py.tuple(layer.kernelSize)];
      if (layer.strides) args.push(`strides=${py.tuple(layer.strides)}`);
      if (layer.padding) args.push(`padding=${py.str(layer.padding)}`);
      args.push(`activation=${py.str(layer.activation)}`, ...pyKernelOptions(layer));
      return `layers.Conv2D(${args.join(', ')})`;
    }
    case 'MaxPooling2D': {
      const args = [`pool_size=${py.tuple(layer.poolSize)}`];
      if (layer.strides) args.push(`strides=${py.tuple(layer.strides)}`);
      if (layer.padding) args.push(`padding=${py.str(layer.padding)}`);
      return `layers.MaxPooling2D(${args.join(', ')})`;
    }
    case 'Reshape':
      return `layers.Reshape(${py.tuple(layer.targetShape)})`;
  }
}

function kerasOptimizer(config: TrainingConfig): string {
  const lr = `learning_rate=${py.num(config.learningRate)}`;
  switch (config.optimizer) {
    case 'sgd':
      return `keras.optimizers.SGD(${lr}${config.momentum > 0 ? `, momentum=${py.num(config.momentum)}` : ''})`;
    case 'adam':
      return `keras.optimizers.Adam(${lr})`;
    case 'rmsprop':
      return `keras.optimizers.RMSprop(${lr})`;
    case 'adagrad':
      return `keras.optimizers.Adagrad(${lr})`;
  }
}

const KERAS_DOWNLOAD = `(x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()`;

const PY_LOAD_IDX = `def load_idx(name):
    """One IDX file (gzip) as a numpy array: images (n, 28, 28) or labels (n,)."""
    with gzip.open(os.path.join(DATA_FOLDER, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


x_train = load_idx("train-images-idx3-ubyte.gz")
y_train = load_idx("train-labels-idx1-ubyte.gz")
x_test = load_idx("t10k-images-idx3-ubyte.gz")
y_test = load_idx("t10k-labels-idx1-ubyte.gz")`;

const kerasFromFolder = (folder: string) => `DATA_FOLDER = ${py.str(folder)}


${PY_LOAD_IDX}`;

/** The folder named on the command line, for a dataset Keras cannot download and whose folder is not known. */
const pyFolderArgument = (what: string) => `if len(sys.argv) < 2:
    sys.exit(${py.str(`Give the folder with ${what}: python3 this_file.py FOLDER`)})
DATA_FOLDER = sys.argv[1]`;

/** An imported folder of images, read by Keras as Layerlab imported it (size, channels, split). */
function kerasImageFolder(d: ScriptDataset): string {
  const [h, w, c] = d.shape;
  const split = d.testSplit === undefined ? 0.2 : d.testSplit;
  const folder = d.folder
    ? `IMAGE_FOLDER = ${py.str(d.folder)}`
    : pyFolderArgument(`the images of ${d.name} (one subfolder per class)`).replace(/DATA_FOLDER/g, 'IMAGE_FOLDER');
  const load = `def load_images(folder, subset=None):
    """The images of a folder with one subfolder per class, resized as Layerlab imported them: pixels (n, h, w, c) in 0-255 and labels (n,)."""
    dataset = keras.utils.image_dataset_from_directory(
        folder,
        labels="inferred",
        label_mode="int",
        class_names=CLASS_NAMES,
        color_mode=${py.str(c === 1 ? 'grayscale' : 'rgb')},
        image_size=(${h}, ${w}),
        shuffle=True,  # classes interleaved, so that VALIDATION_SPLIT (the last images) sees every class
        seed=SEED,
        validation_split=TEST_SPLIT if subset else None,
        subset=subset,
    )
    batches = list(dataset.as_numpy_iterator())
    return np.concatenate([x for x, _ in batches]), np.concatenate([y for _, y in batches])`;
  const sets =
    split === null
      ? `x_train, y_train = load_images(os.path.join(IMAGE_FOLDER, "train"))
x_test, y_test = load_images(os.path.join(IMAGE_FOLDER, "test"))`
      : split === 0
        ? `x_train, y_train = load_images(IMAGE_FOLDER)
x_test, y_test = x_train, y_train  # the import kept no test images: the test figures are on the training images`
        : `# Keras holds out TEST_SPLIT of all the images (not of each class, as Layerlab's import did): the test images differ.
x_train, y_train = load_images(IMAGE_FOLDER, "training")
x_test, y_test = load_images(IMAGE_FOLDER, "validation")`;
  return `# Keras reads .png, .jpg, .gif and .bmp files (not .webp); remove any file Layerlab skipped when importing.
${folder}
CLASS_NAMES = [${d.classNames.map(py.str).join(', ')}]
${split === null || split === 0 ? '' : `TEST_SPLIT = ${py.num(split)}  # the share held out for testing, as in the import\n`}

${load}


${sets}`;
}

/** The lines that leave x_train, y_train, x_test, y_test as numpy arrays (pixels 0-255, integer labels), and the imports they need. */
function kerasDataset(kind: DatasetKind, opts: ScriptOptions): { imports: string[]; code: string } {
  const d = opts.dataset;
  switch (kind) {
    case 'fashion-mnist': {
      const folder = opts.datasetFolder ?? d?.folder;
      return folder ? { imports: ['gzip', 'os'], code: kerasFromFolder(folder) } : { imports: [], code: KERAS_DOWNLOAD };
    }
    case 'idx': {
      const what = `${d!.name}'s four IDX .gz files`;
      if (d!.folder) return { imports: ['gzip', 'os'], code: kerasFromFolder(d!.folder) };
      if (d!.id === 'mnist') return { imports: [], code: '(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()' };
      return { imports: ['gzip', 'os', 'sys'], code: `${pyFolderArgument(what)}\n\n\n${PY_LOAD_IDX}` };
    }
    case 'cifar-10':
      return {
        imports: [],
        code: `(x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
y_train, y_test = y_train.ravel(), y_test.ravel()  # the labels come as (n, 1)`,
      };
    case 'folder':
      return { imports: [...(d!.testSplit === null ? ['os'] : []), ...(d!.folder ? [] : ['sys'])], code: kerasImageFolder(d!) };
  }
}

/**
 * A Python script (tensorflow.keras) that trains the same network with the
 * same settings on Fashion-MNIST and prints the test accuracy. Keras draws
 * its own initial weights and shuffles its own way, so the figures come out
 * close to the run's, not identical.
 */
export function kerasScript(model: ModelSpec, config: TrainingConfig, opts: ScriptOptions = {}): string {
  const title = commentText(opts.title ?? 'A Layerlab network');
  const lines = model.layers.map((l) => `        ${kerasLayerCode(l)},`);
  const kind = datasetKind(opts.dataset);
  const data = kerasDataset(kind, opts);
  const numClasses = kind === 'fashion-mnist' ? 10 : opts.dataset!.classNames.length;
  return `# ${title}
# Generated by Layerlab: the same network and training settings in Keras${kind === 'fashion-mnist' ? '' : `, on ${commentText(opts.dataset!.name)}`}.
# Needs TensorFlow 2.7 or later (pip install tensorflow). Run: python3 this_file.py${data.imports.includes('sys') ? ' FOLDER' : ''}
${data.imports.map((m) => `import ${m}\n`).join('')}${data.imports.length ? '\n' : ''}import numpy as np
from tensorflow import keras
from tensorflow.keras import layers, regularizers

SEED = ${config.seed}
EPOCHS = ${config.epochs}
BATCH_SIZE = ${config.batchSize}
VALIDATION_SPLIT = ${py.num(config.validationSplit)}  # the last part of the training images, as Keras takes it
LIMIT = ${config.limit === null ? 'None' : config.limit}  # train on the first LIMIT training images (None: ${allTrainingImages(kind)})
INPUT_SHAPE = ${py.tuple(model.inputShape)}
NUM_CLASSES = ${numClasses}

keras.utils.set_random_seed(SEED)

${data.code}
if LIMIT is not None:
    x_train, y_train = x_train[:LIMIT], y_train[:LIMIT]
# Pixels scaled to [0, 1], each image shaped as the model's input.
x_train = (x_train.astype("float32") / 255.0).reshape((-1,) + INPUT_SHAPE)
x_test = (x_test.astype("float32") / 255.0).reshape((-1,) + INPUT_SHAPE)
y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)

model = keras.Sequential(
    [
        keras.Input(shape=INPUT_SHAPE),
${lines.join('\n')}
    ]
)
model.summary()

model.compile(
    optimizer=${kerasOptimizer(config)},
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(
    x_train,
    y_train,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    validation_split=VALIDATION_SPLIT,
    shuffle=True,
)
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {test_accuracy:.4f} (loss {test_loss:.4f})")
`;
}

// ---------------------------------------------------------------- TensorFlow.js

/** Must match build-model's TRUNCATION_CORRECTION: Keras's truncated-normal stddev correction. */
const TRUNCATION_CORRECTION = 0.87962566103423978;

function jsInitializer(name: Initializer | undefined, seed: string): string {
  const normal = (scale: number, mode: string) =>
    `tf.initializers.varianceScaling({ scale: ${scale / TRUNCATION_CORRECTION ** 2}, mode: '${mode}', distribution: 'normal', seed: ${seed} })`;
  switch (name ?? 'glorot_uniform') {
    case 'glorot_uniform':
      return `tf.initializers.glorotUniform({ seed: ${seed} })`;
    case 'glorot_normal':
      return normal(1, 'fanAvg');
    case 'he_uniform':
      return `tf.initializers.heUniform({ seed: ${seed} })`;
    case 'he_normal':
      return normal(2, 'fanIn');
    case 'lecun_uniform':
      return `tf.initializers.leCunUniform({ seed: ${seed} })`;
    case 'lecun_normal':
      return normal(1, 'fanIn');
    case 'random_uniform':
      return `tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: ${seed} })`;
    case 'random_normal':
      return `tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: ${seed} })`;
    case 'zeros':
      return `'zeros'`;
    case 'ones':
      return `'ones'`;
  }
}

function jsKernelOptions(
  layer: { useBias?: boolean; kernelInitializer?: Initializer; kernelRegularizer?: Regularizer | null },
  index: number,
): string[] {
  const args = [`useBias: ${layer.useBias !== false}`, `kernelInitializer: ${jsInitializer(layer.kernelInitializer, `SEED + ${index}`)}`];
  const r = layer.kernelRegularizer;
  if (r && (r.l1 !== 0 || r.l2 !== 0)) args.push(`kernelRegularizer: tf.regularizers.l1l2({ l1: ${r.l1}, l2: ${r.l2} })`);
  return args;
}

const js = {
  str: (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
  arr: (xs: readonly number[]) => `[${xs.join(', ')}]`,
};

/** One layer as a tf.layers call; the first one also names the input shape. */
function tfjsLayerCode(layer: LayerSpec, index: number): string {
  const args: string[] = index === 0 ? ['inputShape: INPUT_SHAPE'] : [];
  switch (layer.type) {
    case 'Flatten':
      return args.length ? `tf.layers.flatten({ ${args.join(', ')} })` : 'tf.layers.flatten()';
    case 'Dense':
      args.push(`units: ${layer.units}`, `activation: ${js.str(layer.activation)}`, ...jsKernelOptions(layer, index));
      return `tf.layers.dense({ ${args.join(', ')} })`;
    case 'Dropout':
      args.push(`rate: ${layer.rate}`);
      return `tf.layers.dropout({ ${args.join(', ')} })`;
    case 'BatchNormalization':
      args.push(`momentum: ${layer.momentum ?? 0.99}`, `epsilon: ${layer.epsilon ?? 0.001}`);
      return `tf.layers.batchNormalization({ ${args.join(', ')} })`;
    case 'Activation':
      args.push(`activation: ${js.str(layer.activation)}`);
      return `tf.layers.activation({ ${args.join(', ')} })`;
    case 'Conv2D':
      args.push(
        `filters: ${layer.filters}`,
        `kernelSize: ${js.arr(layer.kernelSize)}`,
        `strides: ${js.arr(layer.strides ?? [1, 1])}`,
        `padding: ${js.str(layer.padding ?? 'valid')}`,
        `activation: ${js.str(layer.activation)}`,
        ...jsKernelOptions(layer, index),
      );
      return `tf.layers.conv2d({ ${args.join(', ')} })`;
    case 'MaxPooling2D':
      args.push(
        `poolSize: ${js.arr(layer.poolSize)}`,
        `strides: ${js.arr(layer.strides ?? layer.poolSize)}`,
        `padding: ${js.str(layer.padding ?? 'valid')}`,
      );
      return `tf.layers.maxPooling2d({ ${args.join(', ')} })`;
    case 'Reshape':
      args.push(`targetShape: ${js.arr(layer.targetShape)}`);
      return `tf.layers.reshape({ ${args.join(', ')} })`;
  }
}

function tfjsOptimizer(config: TrainingConfig): string {
  const lr = config.learningRate;
  switch (config.optimizer) {
    case 'sgd':
      return config.momentum > 0 ? `tf.train.momentum(${lr}, ${config.momentum})` : `tf.train.sgd(${lr})`;
    case 'adam':
      return `tf.train.adam(${lr}, 0.9, 0.999, 1e-7)`;
    case 'rmsprop':
      return `tf.train.rmsprop(${lr}, 0.9, 0, 1e-7, false)`;
    case 'adagrad':
      return `tf.train.adagrad(${lr}, 0.1)`;
  }
}

/** The generated script's imports (kept as data: an import line in this file's text would read as its own import). */
const JS_IMPORTS = [
  ['* as tf', '@tensorflow/tfjs-node'],
  ['{ readFileSync }', 'node:fs'],
  ['{ join }', 'node:path'],
  ['{ gunzipSync }', 'node:zlib'],
] as const;
const esImport = (what: string, from: string) => ['import', what, 'from', `'${from}';`].join(' ');

const JS_LOAD_IDX = `/** One IDX file (gzip): its shape and its bytes. */
function readIdx(name) {
  const bytes = gunzipSync(readFileSync(join(FOLDER, name)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = bytes[3];
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  return { shape, data: bytes.subarray(4 + 4 * dims) };
}

/** Images scaled to [0, 1] in the model's input shape, labels one-hot. */
function load(imagesFile, labelsFile, limit) {
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  const count = limit === null ? images.shape[0] : Math.min(limit, images.shape[0]);
  const pixels = images.shape[1] * images.shape[2];
  const x = new Float32Array(count * pixels);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return {
    xs: tf.tensor(x, [count, ...INPUT_SHAPE]),
    ys: tf.oneHot(tf.tensor1d(Array.from(labels.data.subarray(0, count)), 'int32'), NUM_CLASSES),
  };
}

const train = load('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', LIMIT);
const test = load('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', null);`;

const JS_LOAD_CIFAR = `/** CIFAR-10's binary batches (in FOLDER or its cifar-10-batches-bin): per image a label byte, then 32×32 red, green and blue planes. */
function load(names, limit) {
  const dir = existsSync(join(FOLDER, 'cifar-10-batches-bin')) ? join(FOLDER, 'cifar-10-batches-bin') : FOLDER;
  const bytes = Buffer.concat(names.map((name) => readFileSync(join(dir, name))));
  const total = bytes.length / 3073;
  const count = limit === null ? total : Math.min(limit, total);
  const x = new Float32Array(count * 3072);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const record = i * 3073;
    labels[i] = bytes[record];
    // Planes (channel, row, col) to pixels (row, col, channel), scaled to [0, 1].
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) x[i * 3072 + p * 3 + c] = bytes[record + 1 + c * 1024 + p] / 255;
  }
  return { xs: tf.tensor(x, [count, ...INPUT_SHAPE]), ys: tf.oneHot(tf.tensor1d(labels, 'int32'), NUM_CLASSES) };
}

const train = load(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'], LIMIT);
const test = load(['test_batch.bin'], null);`;

function jsImageFolder(d: ScriptDataset): string {
  const [h, w, c] = d.shape;
  const split = d.testSplit === undefined ? 0.2 : d.testSplit;
  const sets =
    split === null
      ? `const trainItems = shuffled(listImages(join(FOLDER, 'train')), SEED);
const testItems = listImages(join(FOLDER, 'test'));`
      : `// Per class, a seeded share of TEST_SPLIT for testing (as the import did, though not the same images), never all of a class.
const trainItems = [];
const testItems = [];
for (let label = 0; label < CLASS_NAMES.length; label++) {
  const items = shuffled(listImages(FOLDER).filter((item) => item[1] === label), SEED + label);
  const nTest = Math.min(Math.round(items.length * TEST_SPLIT), items.length - 1);
  testItems.push(...items.slice(0, nTest));
  trainItems.push(...items.slice(nTest));
}
trainItems.splice(0, trainItems.length, ...shuffled(trainItems, SEED));`;
  return `const CLASS_NAMES = [${d.classNames.map(js.str).join(', ')}];
const SIZE = [${h}, ${w}];
const CHANNELS = ${c};
${split === null ? '' : `const TEST_SPLIT = ${split}; // the share of each class held out for testing, as in the import\n`}
/** Every image (.png, .jpg, .gif, .bmp) of a folder with one subfolder per class, as [file, label], by name. */
function listImages(folder) {
  return CLASS_NAMES.flatMap((name, label) =>
    readdirSync(join(folder, name))
      .filter((file) => /\\.(png|jpe?g|gif|bmp)$/i.test(file))
      .sort()
      .map((file) => [join(folder, name, file), label]),
  );
}

/** The items in a seeded random order (mulberry32), classes interleaved so that VALIDATION_SPLIT sees every class. */
function shuffled(items, seed) {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The images decoded, resized to SIZE with CHANNELS channels as the import did, scaled to [0, 1]; labels one-hot. */
function load(items, limit) {
  const chosen = limit === null ? items : items.slice(0, limit);
  const xs = tf.tidy(() =>
    tf
      .stack(chosen.map(([file]) => tf.image.resizeBilinear(tf.node.decodeImage(readFileSync(file), CHANNELS, 'int32', false), SIZE)))
      .div(255)
      .reshape([chosen.length, ...INPUT_SHAPE]),
  );
  return { xs, ys: tf.oneHot(tf.tensor1d(chosen.map((item) => item[1]), 'int32'), NUM_CLASSES) };
}

${sets}
const train = load(trainItems, LIMIT);
const test = load(testItems, null);`;
}

/** The script's imports, its FOLDER line and the lines that leave `train` and `test` as { xs, ys }. */
function tfjsDataset(kind: DatasetKind, opts: ScriptOptions): { imports: (readonly [string, string])[]; run: string; folder: string; code: string } {
  const d = opts.dataset;
  const tf: [string, string] = ['* as tf', '@tensorflow/tfjs-node'];
  const folderLine = (what: string, known: string | undefined) =>
    known
      ? `const FOLDER = process.argv[2] ?? ${js.str(known)};`
      : `const FOLDER = process.argv[2];
if (!FOLDER) {
  console.error(${js.str(`Give the folder with ${what}: node this_file.mjs FOLDER`)});
  process.exit(2);
}`;
  switch (kind) {
    case 'fashion-mnist':
      return {
        imports: [...JS_IMPORTS],
        run: '[folder with the four Fashion-MNIST .gz files]',
        folder: folderLine('', opts.datasetFolder ?? d?.folder ?? DEFAULT_DATASET_FOLDER),
        code: JS_LOAD_IDX,
      };
    case 'idx': {
      const what = `${commentText(d!.name)}'s four IDX .gz files`;
      return { imports: [...JS_IMPORTS], run: d!.folder ? `[${what}]` : 'FOLDER', folder: folderLine(what, d!.folder), code: JS_LOAD_IDX };
    }
    case 'cifar-10': {
      const what = "CIFAR-10's binary batches (cifar-10-binary.tar.gz extracted)";
      return {
        imports: [tf, ['{ existsSync, readFileSync }', 'node:fs'], ['{ join }', 'node:path']],
        run: d!.folder ? "[folder with CIFAR-10's binary batches]" : 'FOLDER',
        folder: folderLine(what, d!.folder),
        code: JS_LOAD_CIFAR,
      };
    }
    case 'folder': {
      const what = `the images of ${commentText(d!.name)} (one subfolder per class)`;
      return {
        imports: [tf, ['{ readdirSync, readFileSync }', 'node:fs'], ['{ join }', 'node:path']],
        run: d!.folder ? `[folder with ${what}]` : 'FOLDER',
        folder: folderLine(what, d!.folder),
        code: jsImageFolder(d!),
      };
    }
  }
}

/**
 * A Node script (ES module, @tensorflow/tfjs-node) that reads the dataset's
 * files (by default the four Fashion-MNIST IDX .gz files) from the folder given
 * as its first argument, trains the same network with the same settings and
 * prints the test accuracy. Initial weights are seeded per layer as Layerlab seeds them.
 */
export function tfjsScript(model: ModelSpec, config: TrainingConfig, opts: ScriptOptions = {}): string {
  const title = commentText(opts.title ?? 'A Layerlab network');
  const layers = model.layers.map((l, i) => `model.add(${tfjsLayerCode(l, i)});`);
  const kind = datasetKind(opts.dataset);
  const data = tfjsDataset(kind, opts);
  const numClasses = kind === 'fashion-mnist' ? 10 : opts.dataset!.classNames.length;
  return `// ${title}
// Generated by Layerlab: the same network and training settings in TensorFlow.js${kind === 'fashion-mnist' ? '' : `, on ${commentText(opts.dataset!.name)}`}.
// Needs Node 18+ and @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node).
// Run: node this_file.mjs ${data.run}
${data.imports.map(([what, from]) => esImport(what, from)).join('\n')}

${data.folder}
const SEED = ${config.seed};
const EPOCHS = ${config.epochs};
const BATCH_SIZE = ${config.batchSize};
const VALIDATION_SPLIT = ${config.validationSplit}; // the last part of the training images, as Keras takes it
const LIMIT = ${config.limit === null ? 'null' : config.limit}; // train on the first LIMIT training images (null: ${allTrainingImages(kind)})
const INPUT_SHAPE = ${js.arr(model.inputShape)};
const NUM_CLASSES = ${numClasses};

${data.code}

const model = tf.sequential();
${layers.join('\n')}
model.summary();

model.compile({
  optimizer: ${tfjsOptimizer(config)},
  loss: 'categoricalCrossentropy',
  metrics: ['accuracy'],
});
await model.fit(train.xs, train.ys, {
  epochs: EPOCHS,
  batchSize: BATCH_SIZE,
  validationSplit: VALIDATION_SPLIT,
  shuffle: true,
  callbacks: {
    onEpochEnd: (epoch, logs) =>
      console.log(
        \`epoch \${epoch + 1}: loss \${logs.loss.toFixed(4)}, accuracy \${(logs.acc ?? logs.accuracy).toFixed(4)}, \` +
          \`validation loss \${logs.val_loss.toFixed(4)}, validation accuracy \${(logs.val_acc ?? logs.val_accuracy).toFixed(4)}\`,
      ),
  },
});
const [testLoss, testAccuracy] = model.evaluate(test.xs, test.ys, { batchSize: 1000 });
console.log(\`Test accuracy: \${(await testAccuracy.data())[0].toFixed(4)} (loss \${(await testLoss.data())[0].toFixed(4)})\`);
`;
}
