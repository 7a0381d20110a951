/** `layerlab evaluate`: a run's confusion matrix, per-class figures and most confused pairs, or the diff of two runs. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../shared/contract/api';
import type { EvalSplit, RunDiff, RunEvaluation } from '../shared/contract/evaluation';
import { runIdSchema } from '../shared/contract/requests';
import { confusedPairText } from '../shared/reports/evaluation';
import type { Layerlab } from '../core/app';

const options = {
  db: { type: 'string' },
  json: { type: 'boolean', default: false },
  split: { type: 'string' },
  diff: { type: 'string' },
} satisfies ParseArgsConfig['options'];

function runId(text: string, what: string): number {
  const id = runIdSchema.safeParse(Number(text));
  if (!id.success) throw new UserError(`"${text}" is not a run id${what}`);
  return id.data;
}

/** The documented `--json` document: exactly these fields. */
export function evaluationJson(e: RunEvaluation) {
  return {
    run_id: e.runId,
    split: e.split,
    accuracy: e.accuracy,
    top2_accuracy: e.top2Accuracy,
    confusion: e.confusion,
    per_class: e.perClass.map((c) => ({ class: c.class, name: c.name, precision: c.precision, recall: c.recall, f1: c.f1, support: c.support })),
    confused_pairs: e.confusedPairs.map((p) => ({ true: p.true, predicted: p.predicted, count: p.count })),
  };
}

export function diffJson(d: RunDiff) {
  return { both_right: d.bothRight, only_a: d.onlyA, only_b: d.onlyB, neither: d.neither, per_class_recall_delta: d.perClassRecallDelta };
}

const pad = (s: string, n: number) => s.padStart(n);
const fixed = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const splitName = (s: EvalSplit) => (s === 'test' ? 'test set' : 'validation split');

export function evaluationText(e: RunEvaluation): string {
  const names = e.classNames;
  const nameWidth = Math.max(...names.map((n) => n.length));
  const cell = Math.max(5, ...e.confusion.flat().map((v) => String(v).length + 1));
  const lines = [
    `Run ${e.runId} on the ${splitName(e.split)} (${e.count.toLocaleString('en-US')} images): accuracy ${pct(e.accuracy)}, top-2 accuracy ${pct(e.top2Accuracy)}`,
    '',
    'Confusion matrix (rows: true class, columns: predicted class)',
    `${' '.repeat(nameWidth)} ${names.map((_, k) => pad(String(k), cell)).join('')}`,
    ...e.confusion.map((row, k) => `${names[k].padEnd(nameWidth)} ${row.map((v) => pad(String(v), cell)).join('')}`),
    `${' '.repeat(nameWidth)} ${names.map((_, k) => pad(String(k), cell)).join('')}`,
    names.map((n, k) => `${k} ${n}`).join(' · '),
    '',
    `${'class'.padEnd(nameWidth + 4)} ${pad('precision', 9)} ${pad('recall', 7)} ${pad('f1', 6)} ${pad('support', 8)}`,
    ...e.perClass.map(
      (c) =>
        `${`${c.class}  ${c.name}`.padEnd(nameWidth + 4)} ${pad(fixed(c.precision), 9)} ${pad(fixed(c.recall), 7)} ${pad(fixed(c.f1), 6)} ${pad(String(c.support), 8)}`,
    ),
    '',
    'Most confused:',
    ...(e.confusedPairs.length ? e.confusedPairs.map((p) => `  ${confusedPairText(p, names)}`) : ['  nothing: every image is right']),
  ];
  return lines.join('\n');
}

export function diffText(d: RunDiff, classNames: readonly string[]): string {
  const n = d.bothRight + d.onlyA + d.onlyB + d.neither;
  const share = (v: number) => `${v.toLocaleString('en-US')} (${pct(v / n)})`;
  const nameWidth = Math.max(...classNames.map((c) => c.length));
  const signed = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ' '}${Math.abs(x).toFixed(3)}`;
  return [
    `Run ${d.runA} (A) against run ${d.runB} (B) on the ${splitName(d.split)} (${n.toLocaleString('en-US')} images)`,
    `  both right   ${share(d.bothRight)}`,
    `  only A right ${share(d.onlyA)}`,
    `  only B right ${share(d.onlyB)}`,
    `  neither      ${share(d.neither)}`,
    '',
    'Recall of B minus recall of A, per class:',
    ...d.perClassRecallDelta.map((delta, k) => `  ${`${k}  ${classNames[k]}`.padEnd(nameWidth + 4)} ${signed(delta)}`),
  ].join('\n');
}

export async function evaluateCommand(argv: string[], open: (db: string | undefined) => Layerlab): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  if (positionals.length !== 1) throw new UserError('evaluate needs one run id, e.g. `layerlab evaluate 3` (and `--diff 4` to compare with run 4)');
  const id = runId(positionals[0], '');
  const split = values.split ?? 'test';
  if (split !== 'test' && split !== 'validation') throw new UserError(`--split must be test or validation (got "${split}")`);
  const other = values.diff === undefined ? null : runId(values.diff, ' for --diff');
  const app = open(values.db);
  // Ctrl+C: stop the evaluation process too (close kills it).
  const onSignal = () => void app.close().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (other === null) {
      const e = await app.service.evaluateRun(id, split);
      process.stdout.write(values.json ? `${JSON.stringify(evaluationJson(e), null, 2)}\n` : `${evaluationText(e)}\n`);
    } else {
      const d = await app.service.diffRuns(id, other, split);
      const names = (await app.service.evaluateRun(id, split)).classNames;
      process.stdout.write(values.json ? `${JSON.stringify(diffJson(d), null, 2)}\n` : `${diffText(d, names)}\n`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await app.close();
  }
  return 0;
}
