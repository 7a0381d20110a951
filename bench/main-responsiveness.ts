/**
 * While the trainer works, does the main side still answer? Trains seed-model-3
 * for one epoch on the full split through the real run service and trainer
 * process, calling the API every 20 ms, and prints the call latency and event
 * loop delay (target: p99 under 50 ms) and the trainer's peak memory (target:
 * under 1 GB). Usage: npx tsx bench/main-responsiveness.ts [--epochs N]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { findPreset } from '../src/shared/model/presets';
import { openLayerlab } from '../src/core/app';
import { dispatch } from '../src/core/dispatch';
import { forkTrainer } from '../src/core/runs/node-trainer';
import type { TrainerHandle } from '../src/core/runs/trainer-launcher';
import { tempDir } from '../test/helpers';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '1' } } });
const t = tempDir('layerlab-bench-');
let trainer: TrainerHandle | null = null;
const app = openLayerlab({
  shell: 'browser',
  dataDir: t.dir,
  databasePath: join(t.dir, 'bench.db'),
  launchTrainer: () => (trainer = forkTrainer()),
});

const preset = findPreset('seed-model-3')!;
const run = app.runs.start({ presetId: preset.id, model: preset.model, config: { ...preset.config, epochs: Number(values.epochs) } });

const latencies: number[] = [];
let peakKb = 0;
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const timer = setInterval(async () => {
  const start = performance.now();
  await dispatch(app.service, 'listRuns', []);
  latencies.push(performance.now() - start);
  if (trainer?.pid) {
    try {
      const status = readFileSync(`/proc/${trainer.pid}/status`, 'utf8');
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // The trainer has exited.
    }
  }
}, 20);

await app.runs.whenDone(run.id);
clearInterval(timer);
loop.disable();
const detail = app.runs.get(run.id);
await app.close();
t.cleanup();

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
console.log(
  `run ${detail.status} on ${detail.backend}: ${detail.epochs.length} epoch(s), ${detail.epochs.map((e) => `${e.seconds.toFixed(1)} s`).join(', ')}`,
);
console.log(
  `API calls during training: ${latencies.length}; latency p50 ${q(latencies, 0.5).toFixed(2)} ms, p99 ${q(latencies, 0.99).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms (target p99 < 50 ms)`,
);
console.log(
  `main event-loop delay: p50 ${(loop.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(2)} ms, max ${(loop.max / 1e6).toFixed(2)} ms`,
);
console.log(`trainer peak memory (VmHWM): ${(peakKb / 1024).toFixed(0)} MB (target < 1024 MB)`);
