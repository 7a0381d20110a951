/**
 * Start-up from a source checkout: the trainer runs as built JavaScript (a bundle of the
 * current sources, rebuilt when one of them changes), not through tsx.
 */
import { fork } from 'node:child_process';
import { cpSync, readdirSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FromTrainer, TrainJob } from '../../src/core/engine/protocol';
import { buildTrainerBundle, trainerBundleFolder, trainerBundleStale, trainerEntry } from '../../src/core/runs/node-trainer';
import { findPreset } from '../../src/shared/model/presets';
import { SYSTEM_FASHION_MNIST, tempDir } from '../helpers';

const root = resolve(__dirname, '../..');
const { dir, cleanup } = tempDir('layerlab-startup-');
afterAll(cleanup);

/** A copy of the checkout's sources (node_modules linked), so the test may touch its files. */
function checkoutCopy(): string {
  const copy = join(dir, 'checkout');
  cpSync(join(root, 'src'), join(copy, 'src'), { recursive: true });
  // Saved an hour ago, all of them.
  const past = new Date(Date.now() - 3_600_000);
  for (const file of readdirSync(join(copy, 'src'), { recursive: true, encoding: 'utf8' })) utimesSync(join(copy, 'src', file), past, past);
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

/** `path` saved now, after the bundle (whose time is set a minute back, as if built earlier). */
const edited = (copy: string, path: string) => {
  const before = new Date(Date.now() - 60_000);
  utimesSync(join(trainerBundleFolder(copy), 'trainer-process.js'), before, before);
  const now = new Date();
  utimesSync(join(copy, path), now, now);
};

describe('the trainer from a source checkout', () => {
  it('runs as a built bundle, not through tsx', () => {
    const entry = trainerEntry();
    expect(entry.file).toBe(join(trainerBundleFolder(root), 'trainer-process.js'));
    expect(entry.execArgv).toEqual([]);
    expect(trainerBundleStale(root)).toBe(false);
  });

  it('is built again when a file it is made of changes or disappears, and not for others', () => {
    const copy = checkoutCopy();
    expect(trainerBundleStale(copy)).toBe(true);
    buildTrainerBundle(copy);
    expect(trainerBundleStale(copy)).toBe(false);
    // The renderer is no part of the trainer.
    edited(copy, 'src/renderer/App.svelte');
    expect(trainerBundleStale(copy)).toBe(false);
    for (const source of ['src/core/data/pixels.ts', 'src/shared/model/model-math.ts', 'src/core/engine/train.ts']) {
      edited(copy, source);
      expect(trainerBundleStale(copy)).toBe(true);
      buildTrainerBundle(copy);
      expect(trainerBundleStale(copy)).toBe(false);
    }
    unlinkSync(join(copy, 'src/core/data/pixels.ts'));
    expect(trainerBundleStale(copy)).toBe(true);
    // A bundle without its list of sources is never taken for current.
    writeFileSync(join(copy, 'src/core/data/pixels.ts'), 'export const PIXEL_SCALE = 1 / 255;\n');
    unlinkSync(join(trainerBundleFolder(copy), 'inputs.json'));
    expect(trainerBundleStale(copy)).toBe(true);
  });

  it('trains from the bundle on wasm: its .wasm files are found from out/', async () => {
    const preset = findPreset('seed-model-3')!;
    const job: TrainJob = {
      runId: 1,
      model: preset.model,
      config: { ...preset.config, limit: 600, epochs: 1 },
      datasetFolder: SYSTEM_FASHION_MNIST,
    };
    const { file, execArgv } = trainerEntry();
    const child = fork(file, [], { execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, LAYERLAB_BACKEND: 'wasm' } });
    const messages: FromTrainer[] = [];
    await new Promise<void>((done, fail) => {
      child.on('message', (m: FromTrainer) => {
        messages.push(m);
        if (m.type === 'finished' || m.type === 'failed') child.send({ type: 'ack' });
      });
      child.on('error', fail);
      child.on('exit', () => done());
      child.send({ type: 'start', job });
    });
    const types = messages.map((m) => m.type);
    expect(types[0]).toBe('started');
    expect(types).toContain('batch');
    expect(messages.at(-1)).toMatchObject({ type: 'finished', status: 'completed' });
    const started = messages[0] as Extract<FromTrainer, { type: 'started' }>;
    expect(started.environment.backend).toBe('wasm');
    expect(started.dataset).toMatchObject({ trainCount: 480, validationCount: 120, testCount: 10_000 });
  });
});
