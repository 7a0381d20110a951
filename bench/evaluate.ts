/**
 * Evaluating a run: seed-model-3 trained 3 epochs on the full training set, then its
 * saved model evaluated on the 10,000 test images through the service (a trainer
 * process of its own: start, backend, dataset, model, predictions, figures, cache),
 * the parts of that inside one process, and opening the cached result again from a
 * freshly opened database. Targets: evaluation under 1 s, the cached result under
 * 50 ms. Prints figures; asserts nothing.
 *
 *   npx tsx bench/evaluate.ts [--repeat R]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openLayerlab } from '../src/core/app';
import { loadFashionMnistSet, SYSTEM_DATASET_FOLDER } from '../src/core/data/fashion-mnist';
import { selectBackend } from '../src/core/engine/backend';
import { loadSavedModel, predictProbabilities } from '../src/core/engine/evaluate';
import { installWasmConvFilterGrad } from '../src/core/engine/wasm-conv-grad';
import { installWasmMatMulFix } from '../src/core/engine/wasm-matmul';
import { forkTrainer } from '../src/core/runs/node-trainer';
import { findPreset } from '../src/shared/model/presets';
import { FASHION_MNIST_CLASSES } from '../src/shared/model/training-config';
import { summarizePredictions } from '../src/shared/reports/evaluation';
import { median } from './figures';

const { values: args } = parseArgs({ options: { repeat: { type: 'string', default: '20' } } });
const repeat = Number(args.repeat);

const ms = (x: number) => `${x.toFixed(1)} ms`;
async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await work();
  return [value, performance.now() - t0];
}

const dir = mkdtempSync(join(tmpdir(), 'layerlab-bench-evaluate-'));
const databasePath = join(dir, 'runs.db');
const open = () => openLayerlab({ shell: 'browser', launchTrainer: forkTrainer, dataDir: dir, databasePath });
try {
  const app = open();
  const preset = findPreset('seed-model-3')!;
  process.stdout.write('Training seed-model-3, 3 epochs on all 60,000 images (48,000 / 12,000)…\n');
  const run = app.runs.start({ presetId: preset.id, model: preset.model, config: { ...preset.config, epochs: 3, seed: 42 } });
  await app.runs.whenDone(run.id);
  const detail = app.runs.get(run.id);
  if (detail.status !== 'completed') throw new Error(`the run ${detail.status}: ${detail.error}`);
  process.stdout.write(`  test accuracy ${detail.testAccuracy} on ${detail.backend}\n\n`);

  const [evaluation, first] = await timed(() => app.service.evaluateRun(run.id, 'test'));
  process.stdout.write(`Evaluating on the 10,000 test images through the service (new trainer process): ${ms(first)} (target < 1000 ms)\n`);
  process.stdout.write(`  accuracy ${evaluation.accuracy} (recorded ${detail.testAccuracy}), top-2 ${evaluation.top2Accuracy}\n`);
  await app.close();

  // What of that is starting a process: a trainer asked to stop at once answers once its modules (tfjs, tsx from source) are loaded.
  const startup: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const trainer = forkTrainer();
    await new Promise<void>((resolve) => {
      trainer.onMessage((m) => {
        if (m.type === 'finished') trainer.send({ type: 'ack' });
      });
      trainer.onExit(() => resolve());
      trainer.send({ type: 'cancel' });
    });
    startup.push(performance.now() - t0);
  }
  process.stdout.write(`  of which starting a trainer process (to its first answer and exit): median of 3 ${ms(median(startup))}\n`);

  // The same work inside one process, part by part.
  const [{ backend }, backendMs] = await timed(async () => {
    const b = await selectBackend();
    if (b.backend === 'wasm') {
      installWasmMatMulFix();
      installWasmConvFilterGrad();
    }
    return b;
  });
  const [test, dataMs] = await timed(() => loadFashionMnistSet(SYSTEM_DATASET_FOLDER, 'test'));
  const [model, modelMs] = await timed(() => loadSavedModel(run.id, join(dir, 'runs-models', `run-${run.id}`)));
  const [, coldMs] = await timed(() => predictProbabilities(model, test));
  const predictMs: number[] = [];
  let probabilities: Float32Array = new Float32Array(0);
  for (let i = 0; i < 5; i++) {
    const [p, t] = await timed(() => predictProbabilities(model, test));
    probabilities = p;
    predictMs.push(t);
  }
  const [, summaryMs] = await timed(() => summarizePredictions(test.labels, probabilities, FASHION_MNIST_CLASSES));
  process.stdout.write(`  inside the process (${backend}): backend ${ms(backendMs)}, test set ${ms(dataMs)}, model ${ms(modelMs)}, `);
  process.stdout.write(`predict first ${ms(coldMs)} / median of 5 ${ms(median(predictMs))}, figures ${ms(summaryMs)}\n\n`);

  // The cached result: a freshly opened database (a new window or CLI call), then repeated looks.
  const [again, openMs] = await timed(() => open());
  const [, cachedFirst] = await timed(() => again.service.evaluateRun(run.id, 'test'));
  const cached: number[] = [];
  for (let i = 0; i < repeat; i++) cached.push((await timed(() => again.service.evaluateRun(run.id, 'test')))[1]);
  const [, pageFirst] = await timed(() => again.service.listPredictions(run.id, { split: 'test', limit: 200 }));
  const pages: number[] = [];
  for (let i = 0; i < repeat; i++) pages.push((await timed(() => again.service.listPredictions(run.id, { split: 'test', limit: 200 })))[1]);
  process.stdout.write(`Opening the cached result (target < 50 ms): first after opening the database ${ms(cachedFirst)}, `);
  process.stdout.write(`median of ${repeat} ${ms(median(cached))} (opening the database itself: ${ms(openMs)})\n`);
  process.stdout.write(`  first page of 200 mistakes, most confident first: ${ms(pageFirst)}, then median ${ms(median(pages))}\n`);
  await again.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
