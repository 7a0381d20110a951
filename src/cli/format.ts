import { formatShape, type ModelSummary } from '../shared/model/model-math';
import type { ModelSpec } from '../shared/model/model-spec';
import type { RunDetail, RunSummary } from '../shared/contract/runs';
import { baselineJson, layerStatsJson } from '../shared/reports/export-data';
import { diagnose } from '../shared/diagnostics/rules';
import type { Finding } from '../shared/diagnostics/findings';

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
      /** CPU seconds the trainer used in the epoch (all threads); null for runs recorded before it was measured. */
      cpu_seconds: e.cpuSeconds ?? null,
    })),
    test: run.testAccuracy === null ? null : { loss: run.testLoss, accuracy: run.testAccuracy },
    /** Epoch 0, evaluated before the first step (not among `epochs`). */
    baseline: baselineJson(run.baseline),
    layer_stats: layerStatsJson(run.layerStats),
    /** What the diagnostics say, as the window shows it: derived from the record above. */
    findings: diagnose(run),
    /** Folder of the saved model (model.json, weights.bin), when one was kept. */
    model_path: run.modelPath,
    /** The complete record: app version and commit, dataset checksums, every optimizer hyperparameter, initializers, machine; null for older runs. */
    provenance: run.provenance,
  };
}

export function summaryJson(run: RunSummary) {
  return {
    id: run.id,
    name: run.name,
    /** The user gave the run its name (false for names Layerlab made up). */
    named: run.named,
    status: run.status,
    preset: run.presetId,
    optimizer: run.optimizer,
    learning_rate: run.learningRate,
    epochs_done: run.epochsDone,
    epochs_planned: run.epochsPlanned,
    best_val_accuracy: run.bestValAccuracy,
    /** The epoch of the lowest validation loss (Keras's EarlyStopping default). */
    best_epoch: run.bestEpoch,
    best_val_loss: run.bestValLoss,
    best_accuracy_epoch: run.bestAccuracyEpoch,
    test_accuracy: run.testAccuracy,
    saved_weights: run.savedWeights,
    stop_reason: run.stopReason,
    parent_run_id: run.parentRunId,
    fix_for: run.fixFor,
    backend: run.backend,
    created_at: run.createdAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_seconds: run.durationSeconds,
    error: run.error,
    tags: run.tags,
    notes: run.notes,
    starred: run.starred,
    /**
     * The repeat or sweep the run belongs to; null when it was trained on its own. An imported
     * run keeps its swept values and repeat without the group (group_id null), which stayed behind.
     */
    group:
      run.groupId === null && run.sweepValues === null && run.repeatIndex === null
        ? null
        : { group_id: run.groupId, sweep_values: run.sweepValues, repeat_index: run.repeatIndex },
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

/** "10", or "10 (acc 12)" where the highest validation accuracy came at another epoch. */
export function bestEpochText(r: Pick<RunSummary, 'bestEpoch' | 'bestAccuracyEpoch'>): string {
  if (r.bestEpoch === null) return r.bestAccuracyEpoch === null ? '—' : `— (acc ${r.bestAccuracyEpoch})`;
  return r.bestAccuracyEpoch !== null && r.bestAccuracyEpoch !== r.bestEpoch ? `${r.bestEpoch} (acc ${r.bestAccuracyEpoch})` : String(r.bestEpoch);
}

/** The runs as a table; `datasetName` adds each run's dataset as the last column. */
export function runsTable(runs: RunSummary[], datasetName?: (r: RunSummary) => string): string {
  const withDataset = datasetName !== undefined;
  const header = [
    'id',
    'name',
    'status',
    'preset',
    'optimizer',
    'lr',
    'epochs',
    'best epoch',
    'best val loss',
    'best val acc',
    'test acc',
    'duration',
    'backend',
    // Last, so the columns scripts read stay where they were.
    ...(withDataset ? ['dataset'] : []),
  ];
  const rows = runs.map((r) => [
    String(r.id),
    r.name,
    r.status,
    r.presetId ?? 'custom',
    r.optimizer,
    String(r.learningRate),
    `${r.epochsDone}/${r.epochsPlanned}`,
    bestEpochText(r),
    r.bestValLoss === null ? '—' : r.bestValLoss.toFixed(4),
    pct(r.bestValAccuracy),
    pct(r.testAccuracy),
    duration(r.durationSeconds),
    r.backend ?? '—',
    ...(withDataset ? [datasetName(r)] : []),
  ]);
  return textTable(header, rows);
}

/** Columns padded to their widest cell, two spaces apart, the header first. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The run in words; `dataset` names its dataset when the run has not recorded one yet (queued). */
export function runText(run: RunDetail, dataset?: { id: string; name: string }): string {
  const c = run.config;
  const lines = [
    `Run ${run.id}: ${run.name}`,
    `  status      ${run.status}${run.error ? ` — ${run.error}` : ''}`,
    `  preset      ${run.presetId ?? 'custom'}`,
    `  optimizer   ${c.optimizer} lr=${c.learningRate}${c.optimizer === 'sgd' ? ` momentum=${c.momentum}` : ''}`,
    `  training    ${c.epochs} epochs, batch ${c.batchSize}, validation split ${c.validationSplit}, images ${c.limit ?? 'all'}, seed ${c.seed}`,
    `  dataset     ${datasetLine(run, dataset)}`,
    `  backend     ${run.environment ? `${run.environment.backend} on ${run.environment.host} (${run.environment.cpus})` : '—'}`,
    `  created     ${run.createdAt}   duration ${duration(run.durationSeconds)}`,
    `  test        ${run.testAccuracy === null ? '—' : `accuracy ${pct(run.testAccuracy)}, loss ${run.testLoss?.toFixed(4)}${weightsWords(run)}`}`,
    `  best epoch  ${bestEpochLine(run)}`,
    ...(run.stopReason ? [`  stopped     ${run.stopReason}`] : []),
    ...(run.parentRunId !== null || run.fixFor ? [`  fix         ${fixLine(run)}`] : []),
    ...(run.layerStats.length ? [`  layers      ${layerStatsLine(run)}`] : []),
    ...(run.groupId !== null || run.sweepValues !== null || run.repeatIndex !== null ? [`  group       ${groupLine(run)}`] : []),
    ...(run.tags.length ? [`  tags        ${run.tags.join(', ')}`] : []),
    ...(run.notes.trim() ? [`  notes       ${run.notes.trim().replace(/\s*\n\s*/g, ' / ')}`] : []),
    ...(run.provenance ? [`  recorded    ${provenanceLine(run.provenance)}`] : []),
    '',
    '  epoch      loss  accuracy  val_loss  val_acc  seconds',
    // Epoch 0 is the baseline: evaluated before the first step (its loss and accuracy are the probe batch's).
    ...(run.baseline ? [epochLine(run.baseline)] : []),
    ...run.epochs.map(epochLine),
    ...findingLines(diagnose(run)),
  ];
  return lines.join('\n');
}

/** "CIFAR-10 (cifar-10) 32×32×3, 10 classes, from … (45000 train / 5000 validation / 10000 test)". */
function datasetLine(run: RunDetail, dataset?: { id: string; name: string }): string {
  const d = run.dataset;
  if (!d) return dataset ? `${dataset.name} (${dataset.id})` : '—';
  const name = d.name ?? dataset?.name;
  const what = [
    name ? `${name} (${d.id})` : d.id,
    ...(d.shape ? [`${d.shape.join('×')}`] : []),
    ...(d.classNames ? [`${d.classNames.length} classes`] : []),
  ];
  return `${what.join(', ')} from ${d.source} (${d.trainCount} train / ${d.validationCount} validation / ${d.testCount} test)`;
}

const SEVERITY_WORDS = { problem: 'problem', warning: 'warning', info: 'note' } as const;

/** Each finding in words, with its evidence and its fix. */
function findingLines(findings: Finding[]): string[] {
  if (findings.length === 0) return [];
  return [
    '',
    '  findings',
    ...findings.flatMap((f) => [
      `  - ${SEVERITY_WORDS[f.severity]} (${f.kind}, epoch ${f.epoch}): ${f.message}`,
      `      evidence: ${f.evidence.text}`,
      ...(f.suggestion ? [`      fix: ${f.suggestion.summary}`] : []),
    ]),
  ];
}

function epochLine(e: RunDetail['epochs'][number]): string {
  return `  ${String(e.epoch).padStart(5)}  ${e.loss.toFixed(4).padStart(8)}  ${pct(e.accuracy).padStart(8)}  ${(e.valLoss?.toFixed(4) ?? '—').padStart(8)}  ${pct(e.valAccuracy).padStart(7)}  ${e.seconds.toFixed(1).padStart(7)}`;
}

function weightsWords(run: RunDetail): string {
  if (run.savedWeights === 'best') return ' (with the best epoch’s weights)';
  if (run.savedWeights === 'final') return ' (with the last epoch’s weights)';
  return '';
}

/** "10 (lowest validation loss 0.3012); highest validation accuracy at epoch 12 (88.40%)", or one epoch for both. */
function bestEpochLine(run: RunDetail): string {
  if (run.bestEpoch === null && run.bestAccuracyEpoch === null) return '—';
  const loss = run.bestValLoss === null ? 'no validation loss' : `lowest validation loss ${run.bestValLoss.toFixed(4)}`;
  const accuracy = `validation accuracy ${pct(run.bestValAccuracy)}`;
  if (run.bestAccuracyEpoch === run.bestEpoch) return `${run.bestEpoch} (${loss}, ${accuracy})`;
  if (run.bestAccuracyEpoch === null) return `${run.bestEpoch} (${loss})`;
  return `${run.bestEpoch ?? '—'} (${loss}); highest ${accuracy} at epoch ${run.bestAccuracyEpoch}`;
}

/** "trained from run #4 to fix: use relu in layers 2–5" (the parent may since have been deleted). */
function fixLine(run: RunDetail): string {
  const from = run.parentRunId !== null ? `trained from run #${run.parentRunId}` : 'trained again';
  return run.fixFor ? `${from} to fix: ${run.fixFor.summary}` : from;
}

/** "#3, learningRate=0.01 layer3.units=64, repeat 2 (seed 43)". */
function groupLine(run: RunDetail): string {
  const parts = [run.groupId === null ? 'imported without its group' : `#${run.groupId}`];
  if (run.sweepValues && Object.keys(run.sweepValues).length)
    parts.push(
      Object.entries(run.sweepValues)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    );
  if (run.repeatIndex !== null) parts.push(`repeat ${run.repeatIndex + 1} (seed ${run.config.seed})`);
  return parts.join(', ');
}

/** "Layerlab 0.1.0 (commit 1a2b3c4), 4 dataset files by SHA-256, Linux 6.1, 7.8 GB RAM, 2 threads, SIMD on, peak memory 512 MB". */
function provenanceLine(p: NonNullable<RunDetail['provenance']>): string {
  const gb = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GB`;
  return [
    `Layerlab ${p.appVersion}${p.gitCommit ? ` (commit ${p.gitCommit.slice(0, 7)})` : ''}`,
    `${p.datasetFiles.length} dataset file${p.datasetFiles.length === 1 ? '' : 's'} by SHA-256`,
    p.machine.os,
    `${gb(p.machine.ramBytes)} RAM`,
    ...(p.machine.threads !== null ? [`${p.machine.threads} thread${p.machine.threads === 1 ? '' : 's'}`] : []),
    ...(p.machine.simd !== null ? [`SIMD ${p.machine.simd ? 'on' : 'off'}`] : []),
    ...(p.peakRssBytes !== null ? [`peak memory ${Math.round(p.peakRssBytes / 1024 ** 2)} MB`] : []),
  ].join(', ');
}

function layerStatsLine(run: RunDetail): string {
  const layers = new Set(run.layerStats.map((s) => s.layer)).size;
  const epochs = run.layerStats.map((s) => s.epoch);
  return `signals of ${layers} layer${layers === 1 ? '' : 's'} at epochs ${Math.min(...epochs)}–${Math.max(...epochs)} (${run.layerStats.length} rows; see --json or export --format layer-stats)`;
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
