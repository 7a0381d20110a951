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

const kerasFromFolder = (folder: string) => `DATA_FOLDER = ${py.str(folder)}


def load_idx(name):
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

/**
 * A Python script (tensorflow.keras) that trains the same network with the
 * same settings on Fashion-MNIST and prints the test accuracy. Keras draws
 * its own initial weights and shuffles its own way, so the figures come out
 * close to the run's, not identical.
 */
export function kerasScript(model: ModelSpec, config: TrainingConfig, opts: ScriptOptions = {}): string {
  const title = commentText(opts.title ?? 'A Layerlab network');
  const lines = model.layers.map((l) => `        ${kerasLayerCode(l)},`);
  return `# ${title}
# Generated by Layerlab: the same network and training settings in Keras.
# Needs TensorFlow 2.7 or later (pip install tensorflow). Run: python3 this_file.py
${opts.datasetFolder ? 'import gzip\nimport os\n\n' : ''}import numpy as np
from tensorflow import keras
from tensorflow.keras import layers, regularizers

SEED = ${config.seed}
EPOCHS = ${config.epochs}
BATCH_SIZE = ${config.batchSize}
VALIDATION_SPLIT = ${py.num(config.validationSplit)}  # the last part of the training images, as Keras takes it
LIMIT = ${config.limit === null ? 'None' : config.limit}  # train on the first LIMIT training images (None: all 60,000)
INPUT_SHAPE = ${py.tuple(model.inputShape)}
NUM_CLASSES = 10

keras.utils.set_random_seed(SEED)

${opts.datasetFolder ? kerasFromFolder(opts.datasetFolder) : KERAS_DOWNLOAD}
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

/**
 * A Node script (ES module, @tensorflow/tfjs-node) that reads the four
 * Fashion-MNIST IDX .gz files from the folder given as its first argument,
 * trains the same network with the same settings and prints the test
 * accuracy. Initial weights are seeded per layer as Layerlab seeds them.
 */
export function tfjsScript(model: ModelSpec, config: TrainingConfig, opts: ScriptOptions = {}): string {
  const title = commentText(opts.title ?? 'A Layerlab network');
  const layers = model.layers.map((l, i) => `model.add(${tfjsLayerCode(l, i)});`);
  return `// ${title}
// Generated by Layerlab: the same network and training settings in TensorFlow.js.
// Needs Node 18+ and @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node).
// Run: node this_file.mjs [folder with the four Fashion-MNIST .gz files]
${JS_IMPORTS.map(([what, from]) => esImport(what, from)).join('\n')}

const FOLDER = process.argv[2] ?? ${js.str(opts.datasetFolder ?? DEFAULT_DATASET_FOLDER)};
const SEED = ${config.seed};
const EPOCHS = ${config.epochs};
const BATCH_SIZE = ${config.batchSize};
const VALIDATION_SPLIT = ${config.validationSplit}; // the last part of the training images, as Keras takes it
const LIMIT = ${config.limit === null ? 'null' : config.limit}; // train on the first LIMIT training images (null: all 60,000)
const INPUT_SHAPE = ${js.arr(model.inputShape)};
const NUM_CLASSES = 10;

/** One IDX file (gzip): its shape and its bytes. */
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
const test = load('t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', null);

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
