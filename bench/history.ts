/**
 * Run history at scale: a database of 10,000 runs × 50 epochs, then the time to
 * list the runs (the service call the runs table makes), filter and sort them
 * (what every keystroke in the filter box costs), and open a comparison of 12
 * runs (getRuns and the shared comparison maths). Prints figures; asserts nothing.
 *
 *   npx tsx bench/history.ts [--runs N] [--epochs N] [--batches N] [--repeat R] [--keep]
 *
 * --batches adds N sampled batch losses per epoch (the trainer records some;
 * 0 by default keeps the fill quick). --keep leaves the database for a look in the app:
 * LAYERLAB_DB=<path> npm run serve.
 */
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openLayerlab, type Layerlab } from '../src/core/app';
import type { BundledRun } from '../src/shared/reports/bundle';
import { architectureDiff, chartSeries, METRICS, runLabels, settingsTable, summaryTable } from '../src/shared/reports/compare';
import type { ModelSpec } from '../src/shared/model/model-spec';
import { PRESETS } from '../src/shared/model/presets';
import { comparisonReportHtml } from '../src/shared/reports/report';
import { filterRuns, sortRuns } from '../src/shared/reports/run-filter';
import type { BatchLoss, EpochMetrics, RunStatus } from '../src/shared/contract/runs';
import { OPTIMIZERS } from '../src/shared/model/training-config';
import { median } from './figures';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    epochs: { type: 'string', default: '50' },
    batches: { type: 'string', default: '0' },
    repeat: { type: 'string', default: '7' },
    keep: { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const EPOCHS = Number(args.epochs);
const BATCHES = Number(args.batches);
const REPEAT = Math.max(1, Number(args.repeat));

/** A small deterministic generator, so every run of the bench fills the same database. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];

const TAGS = ['seed', 'sweep', 'baseline', 'overfits', 'lr-search', 'cnn', 'keep'];
const WORDS = ['wide', 'deep', 'quick', 'baseline', 'retry', 'sweep', 'dropout', 'final'];
const STATUSES: RunStatus[] = ['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'failed', 'cancelled', 'crashed'];

function variant(base: ModelSpec): ModelSpec {
  if (rand() < 0.6) return base;
  const width = pick([32, 64, 128, 256, 512]);
  return {
    inputShape: [28, 28],
    layers: [
      { type: 'Flatten' },
      { type: 'Dense', units: width, activation: pick(['relu', 'tanh', 'sigmoid'] as const) },
      ...(rand() < 0.5 ? [{ type: 'Dropout' as const, rate: 0.2 }] : []),
      { type: 'Dense', units: width / 2, activation: 'relu' },
      { type: 'Dense', units: 10, activation: 'softmax' },
    ],
  };
}

function makeRun(i: number): BundledRun {
  const preset = pick(PRESETS);
  const custom = rand() < 0.3;
  const status = pick(STATUSES);
  const optimizer = pick(OPTIMIZERS);
  const learningRate = pick([0.1, 0.03, 0.01, 0.003, 0.001, 0.0003]);
  const epochsDone = status === 'completed' ? EPOCHS : Math.floor(rand() * EPOCHS);
  const ceiling = 0.6 + rand() * 0.3;
  const speed = 0.05 + rand() * 0.4;
  const epochs: EpochMetrics[] = [];
  const batchLosses: BatchLoss[] = [];
  for (let e = 1; e <= epochsDone; e++) {
    const progress = 1 - Math.exp(-speed * e);
    const accuracy = 0.1 + (ceiling - 0.1) * progress + rand() * 0.01;
    const valAccuracy = accuracy - 0.01 - Math.max(0, e - 20) * 0.0005 + (rand() - 0.5) * 0.02;
    const loss = 2.3 * (1 - progress) + 0.25 + rand() * 0.02;
    epochs.push({ epoch: e, loss, accuracy, valLoss: loss + 0.05 + Math.max(0, e - 20) * 0.004, valAccuracy, seconds: 5 + rand() * 3 });
    for (let b = 1; b <= BATCHES; b++) batchLosses.push({ epoch: e, batch: b * 10, loss: loss + (rand() - 0.5) * 0.2 });
  }
  const created = Date.UTC(2024, 0, 1) + i * 3_000_000 + Math.floor(rand() * 1_000_000);
  const seconds = epochs.reduce((a, e) => a + e.seconds, 0);
  return {
    sourceId: i + 1,
    name: `${custom ? 'custom' : preset.id} · ${optimizer} lr=${learningRate} ${pick(WORDS)} ${i + 1}`,
    status,
    presetId: custom ? null : preset.id,
    model: custom ? variant(preset.model) : preset.model,
    config: { ...preset.config, optimizer, learningRate, batchSize: pick([32, 64, 128]), epochs: EPOCHS, seed: i },
    dataset: { id: 'fashion-mnist', source: '/usr/share/datasets/fashion-mnist', trainCount: 48000, validationCount: 12000, testCount: 10000 },
    environment: {
      backend: pick(['wasm', 'wasm', 'tensorflow', 'cpu']),
      versions: { tfjs: '4.22.0' },
      host: 'bench',
      platform: 'linux',
      cpus: '2 × bench CPU',
    },
    createdAt: new Date(created).toISOString(),
    startedAt: new Date(created + 1000).toISOString(),
    finishedAt: new Date(created + 1000 + seconds * 1000).toISOString(),
    testLoss: status === 'completed' ? 0.3 + rand() * 0.2 : null,
    testAccuracy: status === 'completed' ? ceiling - 0.02 + rand() * 0.01 : null,
    error: status === 'failed' ? 'The trainer ran out of memory' : null,
    notes: rand() < 0.1 ? `Note on run ${i + 1}:\nlooks ${pick(WORDS)}` : '',
    tags: TAGS.filter(() => rand() < 0.15),
    starred: rand() < 0.05,
    epochs,
    batchLosses,
    baseline: null,
    layerStats: [],
    savedWeights: status === 'completed' ? 'final' : null,
    stopReason: null,
    parentSourceId: null,
    fixFor: null,
  };
}

/** Median wall time of `fn` in ms over REPEAT runs (after one warm-up), and its last result. */
function time<T>(fn: () => T): { ms: number; min: number; result: T } {
  let result = fn();
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), min: Math.min(...times), result };
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 1).padStart(8)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const line = (label: string, t: { ms: number; min: number }, extra = '') =>
  console.log(`  ${label.padEnd(56)} ${ms(t.ms)}  (min ${t.min.toFixed(2)})${extra ? `  ${extra}` : ''}`);

const open = (databasePath: string): Layerlab =>
  openLayerlab({
    shell: 'browser',
    databasePath,
    launchTrainer: () => {
      throw new Error('the history bench trains nothing');
    },
  });

const dir = mkdtempSync(join(tmpdir(), 'layerlab-history-bench-'));
const dbPath = join(dir, 'history.db');
try {
  console.log(
    `Run history bench: ${RUNS.toLocaleString('en-US')} runs × ${EPOCHS} epochs${BATCHES ? ` × ${BATCHES} batch losses` : ''}, median of ${REPEAT}`,
  );
  let app = open(dbPath);
  const fillStart = performance.now();
  const CHUNK = 500;
  for (let start = 0; start < RUNS; start += CHUNK) {
    const chunk = Array.from({ length: Math.min(CHUNK, RUNS - start) }, (_, k) => makeRun(start + k));
    app.store.importRuns(chunk, 'bench'); // one transaction per chunk
  }
  const fillSeconds = (performance.now() - fillStart) / 1000;
  await app.close();
  app = open(dbPath); // reopen, as the app starts
  app.db.pragma('wal_checkpoint(TRUNCATE)');
  const size = ['', '-wal', '-shm'].map((s) => (existsSync(dbPath + s) ? statSync(dbPath + s).size : 0)).reduce((a, b) => a + b, 0);
  console.log(`  filled in ${fillSeconds.toFixed(1)} s; database ${mb(size)} (${(size / RUNS / 1024).toFixed(1)} KB a run)\n`);

  console.log('Runs table');
  const list = time(() => app.service.listRuns() as ReturnType<Layerlab['runs']['list']>);
  line('listRuns (service call, all runs)', list, `${list.result.length} runs`);
  const wire = time(() => JSON.parse(JSON.stringify(list.result)));
  line('  + across the wire (JSON stringify + parse)', wire, mb(JSON.stringify(list.result).length));
  const runs = list.result;
  const cases: [string, Parameters<typeof filterRuns>[1], Parameters<typeof sortRuns>[1], 'asc' | 'desc'][] = [
    ['no filter, sort by created (desc)', {}, 'createdAt', 'desc'],
    ['text "adam", sort by best val accuracy', { text: 'adam' }, 'bestValAccuracy', 'desc'],
    ['text "sgd sweep 0.01", sort by name', { text: 'sgd sweep 0.01' }, 'name', 'asc'],
    ['status + tag + optimizer, sort by test acc', { status: ['completed'], tag: 'sweep', optimizer: 'sgd' }, 'testAccuracy', 'desc'],
    ['date range + starred, sort by duration', { from: '2024-03-01', to: '2024-06-30', starred: true }, 'duration', 'asc'],
    ['no filter, sort by name', {}, 'name', 'asc'],
  ];
  for (const [label, f, key, dir] of cases) {
    const t = time(() => sortRuns(filterRuns(runs, f), key, dir));
    line(`filter + sort: ${label}`, t, `${t.result.length} runs`);
  }

  console.log('\nComparison of 12 runs');
  const ids = Array.from({ length: 12 }, (_, k) => runs[Math.floor((k * runs.length) / 12)].id);
  const get = time(() => app.service.getRuns(ids) as ReturnType<Layerlab['runs']['getMany']>);
  line('getRuns (12 runs with their epochs)', get);
  const details = get.result;
  line(
    'runLabels',
    time(() => runLabels(details)),
  );
  line(
    'chartSeries × 4 metrics (smoothing 0.6)',
    time(() => METRICS.map((m) => chartSeries(details, m, { smoothing: 0.6 }))),
  );
  line(
    'settingsTable + summaryTable + architectureDiff',
    time(() => [settingsTable(details), summaryTable(details), architectureDiff(details)]),
  );
  const open12 = time(() => {
    const d = app.service.getRuns(ids) as typeof details;
    return [METRICS.map((m) => chartSeries(d, m, { smoothing: 0.6 })), settingsTable(d), summaryTable(d), architectureDiff(d)];
  });
  line('open a comparison (all of the above)', open12);
  const report = time(() => comparisonReportHtml(details, { smoothing: 0.6 }));
  line('comparison report HTML (12 runs)', report, `${(report.result.length / 1024).toFixed(0)} KB`);
  await app.close();
} finally {
  if (args.keep) console.log(`\nKept ${dbPath}`);
  else rmSync(dir, { recursive: true, force: true });
}
