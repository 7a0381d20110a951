/** `layerlab summary` and `train --design/--keras`: the editor's numbers, from a terminal. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { designFile } from '../../src/shared/model/design-file';
import { findPreset } from '../../src/shared/model/presets';
import { openDatabase } from '../../src/core/store/database';
import { DesignStore } from '../../src/core/store/design-store';
import { CNN } from '../fixtures/model-specs';
import { tempDir } from '../helpers';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
let t: ReturnType<typeof tempDir>;
let db: string;
beforeEach(() => {
  t = tempDir();
  db = join(t.dir, 'cli.db');
});
afterEach(() => t.cleanup());

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', tsx, 'src/cli/index.ts', ...args], {
    cwd: root,
    env: { ...process.env, LAYERLAB_HOME: t.dir, LAYERLAB_DB: db },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A tf.keras 2 model.to_json() of seed-model-3, as Keras writes it (trimmed of fields Layerlab ignores).
const kerasSeed3 = JSON.stringify({
  class_name: 'Sequential',
  config: {
    name: 'sequential',
    layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 28, 28], dtype: 'float32', name: 'input_1' } },
      { class_name: 'Flatten', config: { name: 'flatten', data_format: 'channels_last' } },
      ...[64, 128, 256, 128, 64].map((units, i) => ({
        class_name: 'Dense',
        config: {
          name: `dense_${i}`,
          units,
          activation: 'relu',
          use_bias: true,
          kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
          bias_initializer: { class_name: 'Zeros', config: {} },
          kernel_regularizer: null,
        },
      })),
      { class_name: 'Dense', config: { name: 'dense_5', units: 10, activation: 'softmax', use_bias: true } },
    ],
  },
  keras_version: '2.15.0',
  backend: 'tensorflow',
});

describe('layerlab summary', () => {
  it('prints the per-layer shapes and parameters of a preset, as Keras does', () => {
    const r = cli('summary', '--preset', 'seed-model-1', '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ total_params: 133_386, trainable_params: 133_386, non_trainable_params: 0 });
    expect(s.layers.map((l: { output_shape: unknown[] }) => l.output_shape)).toEqual([
      [null, 784],
      [null, 64],
      [null, 128],
      [null, 256],
      [null, 128],
      [null, 64],
      [null, 10],
    ]);
    expect(s.layers[1]).toEqual({ type: 'Dense', output_shape: [null, 64], params: 50_240 });
    const text = cli('summary', '--preset', 'seed-model-1');
    expect(text.stdout).toMatch(/Total params: 133,386/);
  });

  it('reads a design file exported from the editor (the CNN: 225,034)', () => {
    const file = join(t.dir, 'cnn.json');
    writeFileSync(file, JSON.stringify(designFile('CNN', CNN, findPreset('seed-model-3')!.config)));
    const r = cli('summary', '--design', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.total_params).toBe(225_034);
    expect(s.layers.map((l: { params: number }) => l.params)).toEqual([320, 0, 18_496, 0, 0, 204_928, 0, 1290]);
  });

  it('finds a saved design by name in the database', () => {
    const conn = openDatabase(db);
    new DesignStore(conn).save({ name: 'My CNN', model: CNN, config: findPreset('seed-model-3')!.config });
    conn.close();
    const r = cli('summary', '--design', 'my cnn', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).total_params).toBe(225_034);
  });

  it('reads a Keras model.to_json() file', () => {
    const file = join(t.dir, 'model.json');
    writeFileSync(file, kerasSeed3);
    const r = cli('summary', '--keras', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).total_params).toBe(133_386);
  });

  it.each([
    [['summary'], /Say which network/],
    [['summary', '--preset', 'seed-model-3', '--keras', 'x.json'], /Give only one of --preset, --keras/],
    [['summary', '--design', 'nothing-by-this-name'], /no saved design named "nothing-by-this-name"/],
    [['summary', '--keras', '/no/such/model.json'], /Keras file \/no\/such\/model.json does not exist/],
  ])('refuses %j with one clear line', (args, message) => {
    const r = cli(...(args as string[]));
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('refuses a 16,000-layer Keras file and a 50 MB one in one line naming the limit', () => {
    const deep = JSON.parse(kerasSeed3);
    const dense = deep.config.layers.find((l: { class_name: string }) => l.class_name === 'Dense');
    deep.config.layers.push(...Array.from({ length: 16_000 }, () => dense));
    const deepFile = join(t.dir, 'deep.json');
    writeFileSync(deepFile, JSON.stringify(deep));
    const r = cli('summary', '--keras', deepFile);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/has 16,00\d layers; Layerlab imports at most 200/);

    const big = JSON.parse(kerasSeed3);
    big.config.name = 'x'.repeat(50 * 1024 * 1024);
    const bigFile = join(t.dir, 'big.json');
    writeFileSync(bigFile, JSON.stringify(big));
    const r2 = cli('summary', '--keras', bigFile);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/big\.json is too large to import: 50\.0 MB; the limit is 20 MB/);
  });

  it('names the unsupported layers of a Keras file', () => {
    const file = join(t.dir, 'lstm.json');
    const model = JSON.parse(kerasSeed3);
    model.config.layers.splice(2, 0, { class_name: 'LSTM', config: { name: 'lstm', units: 8 } });
    writeFileSync(file, JSON.stringify(model));
    const r = cli('summary', '--keras', file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/LSTM/);
  });

  it('refuses a design file from a newer Layerlab', () => {
    const file = join(t.dir, 'future.json');
    writeFileSync(file, JSON.stringify({ ...designFile('x', CNN, findPreset('seed-model-3')!.config), version: 9 }));
    const r = cli('summary', '--design', file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/newer version of Layerlab \(design format 9/);
  });
});

describe('layerlab train --design / --keras', () => {
  it('trains a design file and records its network exactly', () => {
    const file = join(t.dir, 'small-cnn.json');
    const small = {
      inputShape: [28, 28, 1],
      layers: [CNN.layers[0], CNN.layers[1], { type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }],
    };
    writeFileSync(file, JSON.stringify(designFile('small', small as never, { ...findPreset('seed-model-3')!.config, epochs: 1 })));
    const r = cli('train', '--design', file, '--limit', '800', '--json');
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout);
    expect(run).toMatchObject({ status: 'completed', preset: null, model: small });
    expect(run.epochs).toHaveLength(1);
  });

  it('trains a Keras file', () => {
    const file = join(t.dir, 'model.json');
    writeFileSync(file, kerasSeed3);
    const r = cli('train', '--keras', file, '--limit', '800', '--epochs', '1', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'completed', model: findPreset('seed-model-3')!.model });
  });

  it('refuses a network that cannot be trained, naming the problem, and records nothing', () => {
    const file = join(t.dir, 'bad.json');
    const bad = { inputShape: [28, 28], layers: [{ type: 'Flatten' }, { type: 'Dense', units: 12, activation: 'relu' }] };
    writeFileSync(file, JSON.stringify(designFile('bad', bad as never, findPreset('seed-model-3')!.config)));
    const r = cli('train', '--design', file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/must end in 10 units with softmax/);
    expect(JSON.parse(cli('runs', '--json').stdout)).toEqual([]);
  });
});
