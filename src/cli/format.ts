import { formatShape, type ModelSummary } from '../shared/model/model-math';
import type { ModelSpec } from '../shared/model/model-spec';
import type { RunDetail, RunSummary } from '../shared/contract/runs';

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

/** What `import` prints: the new id of every run, beside the id it had where it came from. */
export function importedText(runs: RunSummary[], sourceIds: number[], databasePath: string): string {
  const width = Math.max(...runs.map((r) => String(r.id).length));
  return [
    `Imported ${runs.length} run${runs.length === 1 ? '' : 's'} into ${databasePath}:`,
    ...runs.map((r, i) => `  ${String(r.id).padStart(width)}  ${r.name} (was ${sourceIds[i]})`),
  ].join('\n');
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
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
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

/** `summary --json`: the documented fields, plus the problems that would block training. */
export function summaryJsonOf(s: ModelSummary) {
  return {
    layers: s.layers.map((l) => ({ type: l.type, output_shape: [null, ...l.outputShape], params: l.params })),
    total_params: s.totalParams,
    trainable_params: s.trainableParams,
    non_trainable_params: s.nonTrainableParams,
    problems: s.problems,
  };
}

/** Like Keras's model.summary(). */
export function summaryText(label: string, model: ModelSpec, s: ModelSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const rows = s.layers.map((l) => [`${l.index + 1}. ${l.type}`, formatShape(l.outputShape), n(l.params)]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => `${c[0].padEnd(widths[0])}  ${c[1].padEnd(widths[1])}  ${c[2].padStart(widths[2])}`;
  const rule = '─'.repeat(widths[0] + widths[1] + widths[2] + 4);
  return [
    `Model: ${label} · input ${formatShape(model.inputShape)}`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `Total params: ${n(s.totalParams)}`,
    `Trainable params: ${n(s.trainableParams)}`,
    `Non-trainable params: ${n(s.nonTrainableParams)}`,
    ...s.problems.map((p) => `Problem${p.layer >= 0 ? ` at layer ${p.layer + 1}` : ''}: ${p.message}`),
  ].join('\n');
}
