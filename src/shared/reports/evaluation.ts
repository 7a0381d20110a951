/**
 * Figures derived from a run's predictions on one split: the confusion matrix,
 * per-class precision / recall / F1, top-2 accuracy, the most confused pairs in
 * words, the diff of two runs' predictions, and the matrix as CSV and SVG. Pure:
 * the trainer, the services, the CLI, the renderer and the report all share them.
 */
import type { ClassFigures, ConfusedPair, DiffGroup, RunDiff, RunEvaluation } from '../contract/evaluation';
import { csvField } from './export-data';
import { escapeXml } from './svg-chart';

/** Fashion-MNIST's ten classes: a probability row has this many columns. */
export const CLASS_COUNT = 10;
/** How many confused pairs an evaluation keeps. */
export const CONFUSED_PAIRS_KEPT = 10;

export type PredictionSummary = Omit<RunEvaluation, 'runId' | 'split' | 'evaluatedAt' | 'seconds'>;

function checkRows(probabilities: Float32Array, classes: number): number {
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`the class count must be a positive integer, not ${classes}`);
  if (probabilities.length % classes !== 0) {
    throw new Error(`${probabilities.length} probabilities do not make rows of ${classes}`);
  }
  return probabilities.length / classes;
}

/** A probability for comparing: NaN ranks below everything. */
const rankable = (p: number) => (Number.isNaN(p) ? -Infinity : p);

/**
 * The predicted class of each image: the argmax of its row of `classes`
 * probabilities (n × classes, row-major). Ties go to the lowest class, as argmax's.
 */
export function predictedClasses(probabilities: Float32Array, classes = CLASS_COUNT): Uint8Array {
  const n = checkRows(probabilities, classes);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * classes;
    let best = 0;
    let bestP = rankable(probabilities[base]);
    for (let c = 1; c < classes; c++) {
      const p = rankable(probabilities[base + c]);
      if (p > bestP) {
        best = c;
        bestP = p;
      }
    }
    out[i] = best;
  }
  return out;
}

/**
 * The rank of class `c` in row `base` (0 = most probable), ties ordered by class as
 * argmax orders them: rank 0 is always the argmax.
 */
function rankOf(probabilities: Float32Array, base: number, classes: number, c: number): number {
  const p = rankable(probabilities[base + c]);
  let rank = 0;
  for (let j = 0; j < classes; j++) {
    const q = rankable(probabilities[base + j]);
    if (q > p || (q === p && j < c)) rank++;
  }
  return rank;
}

function checkLabels(labels: Uint8Array, classes: number): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) throw new Error(`label ${labels[i]} of image ${i} is not one of the ${classes} classes`);
  }
}

/** An empty classes × classes matrix. */
const zeros = (classes: number) => Array.from({ length: classes }, () => new Array<number>(classes).fill(0));

/** confusion[true][predicted] = images. */
export function confusionMatrix(labels: Uint8Array, predicted: Uint8Array, classes = CLASS_COUNT): number[][] {
  if (labels.length !== predicted.length) throw new Error(`${labels.length} labels but ${predicted.length} predictions`);
  checkLabels(labels, classes);
  checkLabels(predicted, classes);
  const m = zeros(classes);
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}

/**
 * Per-class figures from a confusion matrix. Precision = TP / (TP + FP) is 0 for a
 * class never predicted; recall = TP / support is 0 for a class with no images;
 * F1 = 2PR / (P + R) is 0 where both are 0. Never NaN.
 */
export function perClassFigures(confusion: number[][], classNames: readonly string[]): ClassFigures[] {
  const k = confusion.length;
  return confusion.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    let predictedAs = 0;
    for (let t = 0; t < k; t++) predictedAs += confusion[t][c];
    const precision = predictedAs > 0 ? tp / predictedAs : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { class: c, name: classNames[c] ?? `class ${c}`, precision, recall, f1, support };
  });
}

/** Off-diagonal cells with images, most first, ties by true class then predicted; at most `limit`. */
export function confusedPairs(confusion: number[][], limit = CONFUSED_PAIRS_KEPT): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      if (t !== p && count > 0) pairs.push({ true: t, predicted: p, count });
    }),
  );
  pairs.sort((a, b) => b.count - a.count || a.true - b.true || a.predicted - b.predicted);
  return pairs.slice(0, limit);
}

/**
 * Everything an evaluation holds that its predictions decide: `labels` (n) and the
 * softmax outputs (n × classNames.length, row-major). Accuracy and top-2 accuracy
 * are 0 for no images; per-class figures as perClassFigures documents.
 */
export function summarizePredictions(labels: Uint8Array, probabilities: Float32Array, classNames: readonly string[]): PredictionSummary {
  const classes = classNames.length;
  const n = checkRows(probabilities, classes);
  if (n !== labels.length) throw new Error(`${labels.length} labels but ${n} rows of probabilities`);
  checkLabels(labels, classes);
  const predicted = predictedClasses(probabilities, classes);
  const confusion = confusionMatrix(labels, predicted, classes);
  let correct = 0;
  let top2 = 0;
  for (let i = 0; i < n; i++) {
    if (predicted[i] === labels[i]) correct++;
    if (rankOf(probabilities, i * classes, classes, labels[i]) < 2) top2++;
  }
  return {
    count: n,
    accuracy: n > 0 ? correct / n : 0,
    top2Accuracy: n > 0 ? top2 / n : 0,
    confusion,
    perClass: perClassFigures(confusion, classNames),
    confusedPairs: confusedPairs(confusion),
    classNames: [...classNames],
  };
}

/** "Shirt is taken for T-shirt/top 162 times" ("1 time" for one image). */
export function confusedPairText(pair: ConfusedPair, classNames: readonly string[]): string {
  const name = (c: number) => classNames[c] ?? `class ${c}`;
  return `${name(pair.true)} is taken for ${name(pair.predicted)} ${pair.count} ${pair.count === 1 ? 'time' : 'times'}`;
}

/** Which of the diff's four groups an image falls in, by its label and each run's prediction. */
export function diffGroupOf(label: number, a: number, b: number): DiffGroup {
  const aRight = a === label;
  const bRight = b === label;
  return aRight ? (bRight ? 'both_right' : 'only_a') : bRight ? 'only_b' : 'neither';
}

/**
 * Where two runs' predictions on the same images agree and differ: counts of the
 * four groups (they add up to n) and recall(B) − recall(A) per class (0 for a class
 * with no images).
 */
export function diffPredictions(
  labels: Uint8Array,
  predictedA: Uint8Array,
  predictedB: Uint8Array,
  classes = CLASS_COUNT,
): Omit<RunDiff, 'runA' | 'runB' | 'split'> {
  if (predictedA.length !== labels.length || predictedB.length !== labels.length) {
    throw new Error(`${labels.length} labels but ${predictedA.length} and ${predictedB.length} predictions`);
  }
  checkLabels(labels, classes);
  const counts: Record<DiffGroup, number> = { both_right: 0, only_a: 0, only_b: 0, neither: 0 };
  const support = new Array<number>(classes).fill(0);
  const rightA = new Array<number>(classes).fill(0);
  const rightB = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    counts[diffGroupOf(label, predictedA[i], predictedB[i])]++;
    support[label]++;
    if (predictedA[i] === label) rightA[label]++;
    if (predictedB[i] === label) rightB[label]++;
  }
  return {
    bothRight: counts.both_right,
    onlyA: counts.only_a,
    onlyB: counts.only_b,
    neither: counts.neither,
    perClassRecallDelta: support.map((s, c) => (s > 0 ? (rightB[c] - rightA[c]) / s : 0)),
  };
}

/** Each row over its sum: the share of a true class predicted as each class (0 across an empty row). */
export function normalizeRows(confusion: number[][]): number[][] {
  return confusion.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (sum > 0 ? v / sum : 0));
  });
}

const csvLine = (fields: (string | number | null)[]) => fields.map(csvField).join(',');

/** `true\predicted,<class names>`, then one row per true class: its name and its counts. */
export function confusionCsv(e: RunEvaluation): string {
  const lines = [csvLine(['true\\predicted', ...e.classNames])];
  e.confusion.forEach((row, t) => lines.push(csvLine([e.classNames[t] ?? `class ${t}`, ...row])));
  return `${lines.join('\n')}\n`;
}

export const PER_CLASS_CSV_HEADER = ['class', 'name', 'precision', 'recall', 'f1', 'support'] as const;

/** `class,name,precision,recall,f1,support`, one row per class. */
export function perClassCsv(e: RunEvaluation): string {
  const lines = [PER_CLASS_CSV_HEADER.join(',')];
  for (const f of e.perClass) lines.push(csvLine([f.class, f.name, f.precision, f.recall, f.f1, f.support]));
  return `${lines.join('\n')}\n`;
}

export interface ConfusionSvgOptions {
  /** Each cell as the share of its true class (row-normalised) rather than a count. */
  normalize?: boolean;
  /** Default "Confusion matrix, run #ID (test)". */
  title?: string;
  /**
   * Default true: an XML declaration and the SVG namespace, for a .svg file.
   * False for an <svg> inlined in HTML, which needs neither.
   */
  standalone?: boolean;
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const TEXT = '#222222';
const MUTED = '#666666';
/** The colour scale's two ends: a share of 0 and of 1. */
const LOW = [247, 251, 255];
const HIGH = [8, 48, 107];

/** A cell's fill for a row share in [0, 1]: the square root spreads the small shares, so a 1 % confusion still shows. */
export function heatColor(share: number): string {
  const t = Math.sqrt(Math.min(1, Math.max(0, share)));
  const rgb = LOW.map((lo, i) => Math.round(lo + (HIGH[i] - lo) * t));
  return `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** White or near-black text on a fill, whichever contrasts more. */
export function textColorOn(fill: string): string {
  const l = luminance(fill);
  const onWhite = 1.05 / (l + 0.05);
  const onDark = (l + 0.05) / (luminance(TEXT) + 0.05);
  return onWhite > onDark ? '#ffffff' : TEXT;
}

const percent = (share: number) => (share === 0 ? '0' : share >= 0.9995 ? '100%' : `${(share * 100).toFixed(1)}%`);

/**
 * The confusion matrix as an SVG heatmap: true classes as rows, predicted classes
 * as columns, class names on both axes, each cell's count (or its share of the true
 * class) written in it, in white or black as its fill needs. The fill is the row
 * share in both views, so a class with fewer images reads the same. Each cell is a
 * `<rect class="cell" data-true data-predicted>` with a tooltip.
 */
export function confusionSvg(e: RunEvaluation, o: ConfusionSvgOptions = {}): string {
  const k = e.confusion.length;
  const shares = normalizeRows(e.confusion);
  const name = (c: number) => e.classNames[c] ?? `class ${c}`;
  const cell = 48;
  const left = 150;
  const top = 56;
  const bottom = 112;
  const right = 24;
  const W = left + k * cell + right;
  const H = top + k * cell + bottom;
  const title = o.title ?? `Confusion matrix, run #${e.runId} (${e.split})${o.normalize ? ', share of each true class' : ''}`;
  const out: string[] = [];
  const standalone = o.standalone !== false;
  if (standalone) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg${standalone ? ' xmlns="http://www.w3.org/2000/svg"' : ''} width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${escapeXml(FONT)}" font-size="12" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="600" fill="${TEXT}">${escapeXml(title)}</text>`,
  );
  for (let t = 0; t < k; t++) {
    const support = e.confusion[t].reduce((a, b) => a + b, 0);
    for (let p = 0; p < k; p++) {
      const count = e.confusion[t][p];
      const share = shares[t][p];
      const fill = heatColor(share);
      const x = left + p * cell;
      const y = top + t * cell;
      const value = o.normalize ? percent(share) : String(count);
      const size = Math.min(12, Math.floor((cell - 6) / (value.length * 0.62)));
      const tip = `${name(t)} predicted as ${name(p)}: ${count} of ${support} (${(share * 100).toFixed(1)}%)`;
      out.push(
        `<rect class="cell" data-true="${t}" data-predicted="${p}" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ffffff" stroke-width="1"><title>${escapeXml(tip)}</title></rect>`,
        `<text class="value" x="${x + cell / 2}" y="${y + cell / 2 + size * 0.35}" text-anchor="middle" font-size="${size}" fill="${textColorOn(fill)}"${count === 0 ? ' fill-opacity="0.55"' : ''}>${escapeXml(value)}</text>`,
      );
    }
  }
  // The diagonal (right answers) outlined.
  for (let c = 0; c < k; c++) {
    out.push(
      `<rect x="${left + c * cell + 1}" y="${top + c * cell + 1}" width="${cell - 2}" height="${cell - 2}" fill="none" stroke="#e36209" stroke-width="1.5" pointer-events="none"/>`,
    );
  }
  for (let t = 0; t < k; t++) {
    out.push(
      `<text class="row-label" x="${left - 8}" y="${top + t * cell + cell / 2 + 4}" text-anchor="end" fill="${TEXT}">${escapeXml(name(t))}</text>`,
    );
  }
  const labelY = top + k * cell + 10;
  for (let p = 0; p < k; p++) {
    const x = left + p * cell + cell / 2;
    out.push(
      `<text class="column-label" x="${x}" y="${labelY}" text-anchor="end" dominant-baseline="middle" transform="rotate(-40 ${x} ${labelY})" fill="${TEXT}">${escapeXml(name(p))}</text>`,
    );
  }
  const gridMiddleX = left + (k * cell) / 2;
  const gridMiddleY = top + (k * cell) / 2;
  out.push(
    `<text class="axis-title" x="${gridMiddleX}" y="${H - 12}" text-anchor="middle" font-size="13" fill="${MUTED}">Predicted class</text>`,
    `<text class="axis-title" x="18" y="${gridMiddleY}" text-anchor="middle" font-size="13" fill="${MUTED}" transform="rotate(-90 18 ${gridMiddleY})">True class</text>`,
    '</svg>',
  );
  return out.join('\n');
}
