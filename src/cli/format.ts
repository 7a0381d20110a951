import type { RunDetail, RunSummary } from '../shared/runs';

/** The run as `--json` prints it: the documented snake_case fields, and more. */
export function runJson(run: RunDetail) {
  return {
    ...summaryJson(run),
    model: run.model,
    config: run.config,
    dataset: run.dataset,
    environment: run.environment,
    epochs: run.epochs.map((e) => ({
      epoch: e.epoch,
      loss: e.loss,
      accuracy: e.accuracy,
      val_loss: e.valLoss,
      val_accuracy: e.valAccuracy,
      seconds: e.seconds,
    })),
    test: run.testAccuracy === null ? null : { loss: run.testLoss, accuracy: run.testAccuracy },
  };
}

export function summaryJson(run: RunSummary) {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    preset: run.presetId,
    optimizer: run.optimizer,
    learning_rate: run.learningRate,
    epochs_done: run.epochsDone,
    epochs_planned: run.epochsPlanned,
    best_val_accuracy: run.bestValAccuracy,
    best_epoch: run.bestEpoch,
    test_accuracy: run.testAccuracy,
    backend: run.backend,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_seconds: run.durationSeconds,
    error: run.error,
  };
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(2)}%`);

export function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function runsTable(runs: RunSummary[]): string {
  const header = ['id', 'name', 'status', 'preset', 'optimizer', 'lr', 'epochs', 'best val acc', 'test acc', 'duration', 'backend'];
  const rows = runs.map((r) => [
    String(r.id),
    r.name,
    r.status,
    r.presetId ?? 'custom',
    r.optimizer,
    String(r.learningRate),
    `${r.epochsDone}/${r.epochsPlanned}`,
    r.bestValAccuracy === null ? '—' : `${pct(r.bestValAccuracy)} @${r.bestEpoch}`,
    pct(r.testAccuracy),
    duration(r.durationSeconds),
    r.backend ?? '—',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function runText(run: RunDetail): string {
  const c = run.config;
  const lines = [
    `Run ${run.id}: ${run.name}`,
    `  status      ${run.status}${run.error ? ` — ${run.error}` : ''}`,
    `  preset      ${run.presetId ?? 'custom'}`,
    `  optimizer   ${c.optimizer} lr=${c.learningRate}${c.optimizer === 'sgd' ? ` momentum=${c.momentum}` : ''}`,
    `  training    ${c.epochs} epochs, batch ${c.batchSize}, validation split ${c.validationSplit}, images ${c.limit ?? 'all'}, seed ${c.seed}`,
    `  dataset     ${run.dataset ? `${run.dataset.id} from ${run.dataset.source} (${run.dataset.trainCount} train / ${run.dataset.validationCount} validation / ${run.dataset.testCount} test)` : '—'}`,
    `  backend     ${run.environment ? `${run.environment.backend} on ${run.environment.host} (${run.environment.cpus})` : '—'}`,
    `  created     ${run.createdAt}   duration ${duration(run.durationSeconds)}`,
    `  test        ${run.testAccuracy === null ? '—' : `accuracy ${pct(run.testAccuracy)}, loss ${run.testLoss?.toFixed(4)}`}`,
    '',
    '  epoch      loss  accuracy  val_loss  val_acc  seconds',
    ...run.epochs.map(
      (e) =>
        `  ${String(e.epoch).padStart(5)}  ${e.loss.toFixed(4).padStart(8)}  ${pct(e.accuracy).padStart(8)}  ${(e.valLoss?.toFixed(4) ?? '—').padStart(8)}  ${pct(e.valAccuracy).padStart(7)}  ${e.seconds.toFixed(1).padStart(7)}`,
    ),
  ];
  return lines.join('\n');
}
