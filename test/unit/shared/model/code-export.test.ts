import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kerasScript, tfjsScript, type ScriptDataset } from '../../../../src/shared/model/code-export';
import { summarizeModel } from '../../../../src/shared/model/model-math';
import type { ModelSpec } from '../../../../src/shared/model/model-spec';
import { findPreset } from '../../../../src/shared/model/presets';
import { DEFAULT_CONFIG, type TrainingConfig } from '../../../../src/shared/model/training-config';
import { CNN, EVERY_OPTION } from '../../../fixtures/model-specs';

const dir = mkdtempSync(join(tmpdir(), 'layerlab-code-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hasPython = spawnSync('python3', ['--version']).status === 0;

/** Compiles a script with Python (syntax only: TensorFlow need not be installed). */
function pyCompile(name: string, text: string): void {
  const file = join(dir, name);
  writeFileSync(file, text);
  execFileSync('python3', ['-m', 'py_compile', file], { stdio: 'pipe' });
}

function nodeCheck(name: string, text: string): void {
  const file = join(dir, name);
  writeFileSync(file, text);
  execFileSync(process.execPath, ['--check', file], { stdio: 'pipe' });
}

const config: TrainingConfig = {
  ...DEFAULT_CONFIG,
  optimizer: 'sgd',
  learningRate: 0.01,
  momentum: 0.9,
  epochs: 7,
  batchSize: 32,
  validationSplit: 0.25,
  limit: 3000,
  seed: 1234,
};

describe('kerasScript', () => {
  const script = kerasScript(EVERY_OPTION, config, { title: 'Every option' });

  it('writes every layer and option as Keras code, in order', () => {
    const expected = [
      'layers.Reshape((28, 28, 1)),',
      'layers.Conv2D(8, (5, 3), strides=(2, 1), padding="same", activation="elu", use_bias=False, kernel_initializer="he_normal", kernel_regularizer=regularizers.L1L2(l1=0.0001, l2=0.001)),',
      'layers.BatchNormalization(momentum=0.9, epsilon=0.01),',
      'layers.Activation("relu"),',
      'layers.MaxPooling2D(pool_size=(3, 3), strides=(2, 2), padding="same"),',
      'layers.Conv2D(4, (3, 3), activation="tanh", kernel_initializer="lecun_uniform"),',
      'layers.MaxPooling2D(pool_size=(2, 2)),',
      'layers.Flatten(),',
      'layers.Dropout(0.25),',
      'layers.Dense(24, activation="selu", kernel_initializer="lecun_normal", kernel_regularizer=regularizers.L1L2(l1=0, l2=0.01)),',
      'layers.BatchNormalization(),',
      'layers.Dense(16, activation="gelu", use_bias=False, kernel_initializer="glorot_normal"),',
      'layers.Dense(12, activation="swish", kernel_initializer="he_uniform"),',
      'layers.Dense(12, activation="softplus", kernel_initializer="random_uniform"),',
      'layers.Dense(12, activation="softsign", kernel_initializer="random_normal"),',
      'layers.Dense(12, activation="sigmoid", kernel_initializer="ones"),',
      'layers.Reshape((3, 4)),',
      'layers.Dense(5, activation="linear", kernel_initializer="zeros"),',
      'layers.Flatten(),',
      'layers.Dense(10, activation="softmax"),',
    ];
    const body = script.slice(script.indexOf('keras.Input(shape=INPUT_SHAPE),'), script.indexOf('model.summary()'));
    const layerLines = body
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('layers.'));
    expect(layerLines).toEqual(expected);
  });

  it('carries the input shape and every training setting', () => {
    expect(script).toContain('# Every option');
    expect(script).toContain('INPUT_SHAPE = (28, 28)\n');
    expect(script).toContain('SEED = 1234\n');
    expect(script).toContain('keras.utils.set_random_seed(SEED)');
    expect(script).toContain('EPOCHS = 7\n');
    expect(script).toContain('BATCH_SIZE = 32\n');
    expect(script).toContain('VALIDATION_SPLIT = 0.25 ');
    expect(script).toContain('LIMIT = 3000 ');
    expect(script).toContain('x_train, y_train = x_train[:LIMIT], y_train[:LIMIT]');
    expect(script).toContain('optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),');
    expect(script).toContain('loss="categorical_crossentropy"');
    expect(script).toContain('keras.datasets.fashion_mnist.load_data()');
    expect(script).toContain('/ 255.0');
    expect(script).toMatch(/model\.fit\(\s*x_train,\s*y_train,\s*epochs=EPOCHS,\s*batch_size=BATCH_SIZE,\s*validation_split=VALIDATION_SPLIT,/);
    expect(script).toContain('model.evaluate(x_test, y_test');
    expect(script).toContain('print(f"Test accuracy:');
  });

  it('names each optimizer as Keras does, and no limit as None', () => {
    const preset = findPreset('seed-model-3')!;
    const adam = kerasScript(preset.model, preset.config);
    expect(adam).toContain('keras.optimizers.Adam(learning_rate=0.001)');
    expect(adam).toContain('LIMIT = None ');
    expect(adam).toContain('INPUT_SHAPE = (28, 28)\n');
    expect(kerasScript(preset.model, { ...preset.config, optimizer: 'rmsprop' })).toContain('keras.optimizers.RMSprop(learning_rate=0.001)');
    expect(kerasScript(preset.model, { ...preset.config, optimizer: 'adagrad' })).toContain('keras.optimizers.Adagrad(learning_rate=0.001)');
    expect(kerasScript(preset.model, { ...preset.config, optimizer: 'sgd', momentum: 0 })).toContain('keras.optimizers.SGD(learning_rate=0.001),');
    expect(kerasScript({ inputShape: [784], layers: [] }, preset.config)).toContain('INPUT_SHAPE = (784,)\n');
  });

  it.skipIf(!hasPython)('is valid Python: the CNN, every option, a local dataset folder and an awkward title', () => {
    pyCompile('every_option.py', script);
    pyCompile('cnn.py', kerasScript(CNN, DEFAULT_CONFIG));
    const local = kerasScript(CNN, DEFAULT_CONFIG, { datasetFolder: '/data/it\'s "here"', title: 'two\nlines """ and \\' });
    expect(local).toContain('load_idx("train-images-idx3-ubyte.gz")');
    expect(local).not.toContain('load_data()');
    pyCompile('local.py', local);
  });

  it.skipIf(!hasPython)('refuses nothing Python would: a broken script does fail the compile check', () => {
    expect(() => pyCompile('broken.py', script.replace('layers.Flatten(),', 'layers.Flatten(,'))).toThrow();
  });
});

describe('tfjsScript', () => {
  it('is a valid ES module for Node, for the CNN and for every option', () => {
    nodeCheck('cnn.mjs', tfjsScript(CNN, config));
    nodeCheck('every.mjs', tfjsScript(EVERY_OPTION, config, { title: "it's\nodd" }));
    expect(() => nodeCheck('broken.mjs', tfjsScript(CNN, config).replace('model.summary();', 'model.summary(;'))).toThrow();
  });

  it('reads the IDX files from the folder argument, with the settings and layers of the design', () => {
    const script = tfjsScript(EVERY_OPTION, config);
    expect(script).toContain("import * as tf from '@tensorflow/tfjs-node';");
    expect(script).toContain("const FOLDER = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';");
    expect(script).toContain('gunzipSync(readFileSync(join(FOLDER, name)))');
    expect(script).toContain('const INPUT_SHAPE = [28, 28];');
    expect(script).toContain('const LIMIT = 3000;');
    expect(script).toContain('optimizer: tf.train.momentum(0.01, 0.9)');
    expect(script).toMatch(/epochs: EPOCHS,\s*batchSize: BATCH_SIZE,\s*validationSplit: VALIDATION_SPLIT,/);
    expect(script).toContain('tf.layers.reshape({ inputShape: INPUT_SHAPE, targetShape: [28, 28, 1] })');
    expect(script).toContain("filters: 8, kernelSize: [5, 3], strides: [2, 1], padding: 'same', activation: 'elu', useBias: false");
    expect(script).toContain('kernelRegularizer: tf.regularizers.l1l2({ l1: 0.0001, l2: 0.001 })');
    expect(script).toContain("tf.layers.maxPooling2d({ poolSize: [3, 3], strides: [2, 2], padding: 'same' })");
    expect(script).toContain('tf.layers.batchNormalization({ momentum: 0.9, epsilon: 0.01 })');
    expect(script).toContain('tf.layers.dropout({ rate: 0.25 })');
    // Seeded per layer as Layerlab seeds them (seed + layer index).
    expect(script).toContain('kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 19 })');
    expect(script.match(/tf\.layers\./g)).toHaveLength(EVERY_OPTION.layers.length);
  });

  it('runs: trains the design on the Fashion-MNIST files and prints the test accuracy (with the pure-JS tfjs)', () => {
    const spec: ModelSpec = {
      inputShape: [784],
      layers: [
        { type: 'Dense', units: 16, activation: 'relu', kernelRegularizer: { l1: 0, l2: 0.0001 } },
        { type: 'Dropout', rate: 0.1 },
        { type: 'Dense', units: 10, activation: 'softmax' },
      ],
    };
    // tfjs-node is optional and absent here; the same API in plain JS runs the script as written.
    const script = tfjsScript(spec, { ...DEFAULT_CONFIG, limit: 1000, epochs: 2 }).replace("'@tensorflow/tfjs-node'", "'@tensorflow/tfjs'");
    const runDir = mkdtempSync(join(dir, 'run-'));
    symlinkSync(resolve(__dirname, '../../../../node_modules'), join(runDir, 'node_modules'));
    writeFileSync(join(runDir, 'train.mjs'), script);
    const out = execFileSync(process.execPath, [join(runDir, 'train.mjs'), '/usr/share/datasets/fashion-mnist'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out).toContain(`Total params: ${summarizeModel(spec).totalParams}`);
    expect(out).toMatch(/epoch 2: loss \d\.\d{4}/);
    const accuracy = Number(/Test accuracy: (\d\.\d{4})/.exec(out)?.[1]);
    // tfjs's fit shuffles with Math.random: the figure varies from run to run, but stays well above chance (0.1).
    expect(accuracy).toBeGreaterThan(0.25);
    expect(accuracy).toBeLessThanOrEqual(1);
  });
});

describe('scripts for a run on another dataset', () => {
  const cifar: ScriptDataset = {
    id: 'cifar-10',
    name: 'CIFAR-10',
    shape: [32, 32, 3],
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  };
  const shapes: ScriptDataset = {
    id: 'folder-0123456789ab',
    name: "Tom's shapes",
    shape: [24, 20, 3],
    classNames: ['circle', 'square', 'triangle'],
    folder: '/home/tom/shapes',
    testSplit: 0.25,
  };
  const cnn = (inputShape: number[], classes: number): ModelSpec => ({
    ...CNN,
    inputShape,
    layers: CNN.layers.map((l, i) => (i === CNN.layers.length - 1 ? { type: 'Dense', units: classes, activation: 'softmax' } : l)),
  });

  it('CIFAR-10 in Keras: keras.datasets.cifar10, 32×32×3 input, 10 classes', () => {
    const script = kerasScript(cnn([32, 32, 3], 10), config, { dataset: cifar });
    expect(script).toContain('keras.datasets.cifar10.load_data()');
    expect(script).not.toContain('fashion_mnist');
    expect(script).toContain('INPUT_SHAPE = (32, 32, 3)\n');
    expect(script).toContain('NUM_CLASSES = 10\n');
    expect(script).toContain('(None: all 50,000)');
    expect(script).toContain('same network and training settings in Keras, on CIFAR-10.');
  });

  it('an imported folder in Keras: image_dataset_from_directory with its size, colour, classes and split', () => {
    const script = kerasScript(cnn([24, 20, 3], 3), config, { dataset: shapes, title: 'Shapes run' });
    expect(script).toContain('IMAGE_FOLDER = "/home/tom/shapes"');
    expect(script).toContain('keras.utils.image_dataset_from_directory(');
    expect(script).toContain('image_size=(24, 20),');
    expect(script).toContain('color_mode="rgb",');
    expect(script).toContain('CLASS_NAMES = ["circle", "square", "triangle"]');
    expect(script).toContain('TEST_SPLIT = 0.25 ');
    expect(script).toContain('load_images(IMAGE_FOLDER, "training")');
    expect(script).toContain('load_images(IMAGE_FOLDER, "validation")');
    expect(script).toContain('INPUT_SHAPE = (24, 20, 3)\n');
    expect(script).toContain('NUM_CLASSES = 3\n');
    expect(script).not.toContain('fashion_mnist');
    const gray = kerasScript(cnn([24, 20, 1], 3), config, { dataset: { ...shapes, shape: [24, 20, 1], testSplit: null } });
    expect(gray).toContain('color_mode="grayscale",');
    expect(gray).toContain('load_images(os.path.join(IMAGE_FOLDER, "train"))');
    expect(gray).toContain('load_images(os.path.join(IMAGE_FOLDER, "test"))');
    expect(gray).toContain('\nimport os\n');
  });

  it('MNIST by keras.datasets.mnist, or its IDX files from a folder; Kuzushiji-MNIST from its IDX files', () => {
    const mnist: ScriptDataset = { id: 'mnist', name: 'MNIST', shape: [28, 28, 1], classNames: '0123456789'.split('') };
    expect(kerasScript(CNN, config, { dataset: mnist })).toContain('keras.datasets.mnist.load_data()');
    const local = kerasScript(CNN, config, { dataset: { ...mnist, folder: '/data/mnist' } });
    expect(local).toContain('DATA_FOLDER = "/data/mnist"');
    expect(local).toContain('load_idx("train-images-idx3-ubyte.gz")');
    const kmnist = kerasScript(CNN, config, { dataset: { ...mnist, id: 'kmnist', name: 'Kuzushiji-MNIST', folder: '/cache/kmnist' } });
    expect(kmnist).toContain('DATA_FOLDER = "/cache/kmnist"');
    expect(kmnist).not.toContain('load_data()');
    // No folder known: the script asks for one.
    expect(kerasScript(CNN, config, { dataset: { ...mnist, id: 'kmnist', name: 'Kuzushiji-MNIST' } })).toContain('DATA_FOLDER = sys.argv[1]');
  });

  it.skipIf(!hasPython)('is valid Python for each dataset', () => {
    pyCompile('cifar.py', kerasScript(cnn([32, 32, 3], 10), config, { dataset: cifar }));
    pyCompile('folder.py', kerasScript(cnn([24, 20, 3], 3), config, { dataset: shapes }));
    pyCompile('folder_tt.py', kerasScript(cnn([24, 20, 3], 3), config, { dataset: { ...shapes, testSplit: null, folder: undefined } }));
    pyCompile('folder_0.py', kerasScript(cnn([24, 20, 3], 3), config, { dataset: { ...shapes, testSplit: 0 } }));
    const kmnist: ScriptDataset = { id: 'kmnist', name: 'Kuzushiji-MNIST', shape: [28, 28, 1], classNames: '0123456789'.split('') };
    pyCompile('kmnist.py', kerasScript(CNN, config, { dataset: kmnist }));
    pyCompile('kmnist_local.py', kerasScript(CNN, config, { dataset: { ...kmnist, folder: '/x' } }));
  });

  it('TensorFlow.js: CIFAR-10 from its binary batches, an imported folder by decoding its images; valid ES modules', () => {
    const c = tfjsScript(cnn([32, 32, 3], 10), config, { dataset: { ...cifar, folder: '/cache/cifar-10' } });
    expect(c).toContain("const FOLDER = process.argv[2] ?? '/cache/cifar-10';");
    expect(c).toContain("'data_batch_5.bin'");
    expect(c).toContain("load(['test_batch.bin'], null)");
    expect(c).toContain('const INPUT_SHAPE = [32, 32, 3];');
    expect(c).toContain('const NUM_CLASSES = 10;');
    expect(c).not.toContain('idx3-ubyte');
    nodeCheck('cifar.mjs', c);
    const f = tfjsScript(cnn([24, 20, 3], 3), config, { dataset: shapes });
    expect(f).toContain("const FOLDER = process.argv[2] ?? '/home/tom/shapes';");
    expect(f).toContain("const CLASS_NAMES = ['circle', 'square', 'triangle'];");
    expect(f).toContain('const SIZE = [24, 20];');
    expect(f).toContain('const CHANNELS = 3;');
    expect(f).toContain('const TEST_SPLIT = 0.25;');
    expect(f).toContain('tf.node.decodeImage(');
    expect(f).toContain('const NUM_CLASSES = 3;');
    nodeCheck('folder.mjs', f);
    const noFolder = tfjsScript(CNN, config, {
      dataset: { id: 'kmnist', name: 'Kuzushiji-MNIST', shape: [28, 28, 1], classNames: '0123456789'.split('') },
    });
    expect(noFolder).toContain('process.exit(2)');
    nodeCheck('kmnist.mjs', noFolder);
    nodeCheck('folder_tt.mjs', tfjsScript(cnn([24, 20, 3], 3), config, { dataset: { ...shapes, testSplit: null } }));
  });

  it('runs: the CIFAR-10 script reads batch files (label byte, then red, green, blue planes) and learns colours (pure-JS tfjs)', () => {
    // Written byte by byte: class 0 red images, class 1 blue ones, in cifar-10-batches-bin as the archive extracts.
    const data = mkdtempSync(join(dir, 'cifar-'));
    const batches = join(data, 'cifar-10-batches-bin');
    mkdirSync(batches);
    const batch = (records: number) => {
      const bytes = Buffer.alloc(records * 3073);
      for (let i = 0; i < records; i++) {
        const label = i % 2;
        bytes[i * 3073] = label;
        bytes.fill(200, i * 3073 + 1 + (label === 0 ? 0 : 2048), i * 3073 + 1 + (label === 0 ? 1024 : 3072));
      }
      return bytes;
    };
    for (let b = 1; b <= 5; b++) writeFileSync(join(batches, `data_batch_${b}.bin`), batch(20));
    writeFileSync(join(batches, 'test_batch.bin'), batch(30));
    const spec: ModelSpec = { inputShape: [32, 32, 3], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }] };
    const script = tfjsScript(spec, { ...DEFAULT_CONFIG, epochs: 3, batchSize: 10, validationSplit: 0.2 }, { dataset: cifar }).replace(
      "'@tensorflow/tfjs-node'",
      "'@tensorflow/tfjs'",
    );
    const runDir = mkdtempSync(join(dir, 'run-'));
    symlinkSync(resolve(__dirname, '../../../../node_modules'), join(runDir, 'node_modules'));
    writeFileSync(join(runDir, 'train.mjs'), script);
    const out = execFileSync(process.execPath, [join(runDir, 'train.mjs'), data], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toContain(`Total params: ${summarizeModel(spec, 10, 3072).totalParams}`);
    expect(out).toMatch(/epoch 3: loss \d\.\d{4}/);
    expect(Number(/Test accuracy: (\d\.\d{4})/.exec(out)?.[1])).toBeGreaterThan(0.9);
    // Without a folder, it says what to give.
    const missing = spawnSync(process.execPath, [join(runDir, 'train.mjs')], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("Give the folder with CIFAR-10's binary batches");
  });

  it('a run on Fashion-MNIST given as a dataset writes the same script as before', () => {
    const fashion: ScriptDataset = { id: 'fashion-mnist', name: 'Fashion-MNIST', shape: [28, 28, 1], classNames: [] };
    expect(kerasScript(CNN, config, { dataset: fashion })).toBe(kerasScript(CNN, config));
    expect(tfjsScript(CNN, config, { dataset: fashion })).toBe(tfjsScript(CNN, config));
  });
});
