import { describe, expect, it } from 'vitest';
import type { RunEvaluation } from '../../../../src/shared/contract/evaluation';
import { FASHION_MNIST_CLASSES } from '../../../../src/shared/model/training-config';
import {
  confusedPairText,
  confusionCsv,
  confusionSvg,
  heatColor,
  textColorOn,
  diffGroupOf,
  diffPredictions,
  normalizeRows,
  perClassCsv,
  predictedClasses,
  summarizePredictions,
} from '../../../../src/shared/reports/evaluation';
import { parseCsv } from '../../../helpers';
import { decode, findAll, parseXml } from './xml-check';

const K = 10;

/** Probability rows (n × 10) from per-image lists of [class, probability]; the rest share what is left. */
function probs(rows: [number, number][][]): Float32Array {
  const out = new Float32Array(rows.length * K);
  rows.forEach((row, i) => {
    const given = new Map(row);
    const left = 1 - row.reduce((a, [, p]) => a + p, 0);
    const share = left / (K - given.size);
    for (let c = 0; c < K; c++) out[i * K + c] = given.get(c) ?? share;
  });
  return out;
}

/** A confident prediction of `c`. */
const sure = (c: number): [number, number][] => [[c, 0.9]];

/** Deterministic pseudo-random numbers (mulberry32), for the larger cases. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomCase(n: number, seed: number) {
  const r = rng(seed);
  const labels = new Uint8Array(n);
  const p = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    labels[i] = Math.floor(r() * K);
    let sum = 0;
    for (let c = 0; c < K; c++) {
      // Biased towards the true class, so the model is right most of the time but not always.
      const v = r() + (c === labels[i] ? 0.8 : 0);
      p[i * K + c] = v;
      sum += v;
    }
    for (let c = 0; c < K; c++) p[i * K + c] /= sum;
  }
  return { labels, p };
}

const asEvaluation = (s: ReturnType<typeof summarizePredictions>): RunEvaluation => ({
  ...s,
  runId: 7,
  split: 'test',
  evaluatedAt: '2025-01-01T00:00:00.000Z',
  seconds: 0.5,
});

describe('predictedClasses', () => {
  it('takes the argmax of each row of ten', () => {
    const p = probs([
      sure(3),
      sure(0),
      sure(9),
      [
        [5, 0.4],
        [2, 0.35],
      ],
    ]);
    expect([...predictedClasses(p)]).toEqual([3, 0, 9, 5]);
  });

  it('gives a tie to the lowest class', () => {
    const p = probs([
      [
        [7, 0.4],
        [4, 0.4],
      ],
      [], // all equal
    ]);
    expect([...predictedClasses(p)]).toEqual([4, 0]);
  });

  it('rejects probabilities that are not rows of ten', () => {
    expect(() => predictedClasses(new Float32Array(15))).toThrow(/rows of 10/);
  });
});

describe('summarizePredictions', () => {
  // Six images, three classes used: labels and predictions chosen for a known matrix.
  //   true 0: predicted 0, 0, 1        true 1: predicted 1, 0        true 2: predicted 1
  const labels = new Uint8Array([0, 0, 0, 1, 1, 2]);
  const p = probs([
    sure(0),
    sure(0),
    [
      [1, 0.5],
      [0, 0.3],
    ], // wrong, but the true class is second: top-2 right
    sure(1),
    [
      [0, 0.6],
      [1, 0.2],
    ], // wrong, true class second
    [
      [1, 0.5],
      [0, 0.3],
    ], // wrong, true class (2) far down
  ]);
  const s = summarizePredictions(labels, p, FASHION_MNIST_CLASSES);

  it('builds the confusion matrix, rows = true class, columns = predicted', () => {
    const expected = Array.from({ length: K }, () => new Array<number>(K).fill(0));
    expected[0][0] = 2;
    expected[0][1] = 1;
    expected[1][1] = 1;
    expected[1][0] = 1;
    expected[2][1] = 1;
    expect(s.confusion).toEqual(expected);
    expect(s.count).toBe(6);
    expect(s.classNames).toEqual([...FASHION_MNIST_CLASSES]);
  });

  it('computes accuracy and top-2 accuracy', () => {
    expect(s.accuracy).toBeCloseTo(3 / 6, 12);
    expect(s.top2Accuracy).toBeCloseTo(5 / 6, 12);
  });

  it('computes precision, recall and F1 by hand, 0 where undefined', () => {
    // Class 0: TP 2, predicted 0 three times, support 3.
    expect(s.perClass[0]).toMatchObject({ class: 0, name: 'T-shirt/top', support: 3 });
    expect(s.perClass[0].precision).toBeCloseTo(2 / 3, 12);
    expect(s.perClass[0].recall).toBeCloseTo(2 / 3, 12);
    expect(s.perClass[0].f1).toBeCloseTo(2 / 3, 12);
    // Class 1: TP 1, predicted 1 three times, support 2: P 1/3, R 1/2, F1 = 2·(1/6)/(5/6) = 0.4.
    expect(s.perClass[1].precision).toBeCloseTo(1 / 3, 12);
    expect(s.perClass[1].recall).toBeCloseTo(1 / 2, 12);
    expect(s.perClass[1].f1).toBeCloseTo(0.4, 12);
    // Class 2: support 1, never predicted: all 0. Class 5: no images, never predicted: all 0.
    expect(s.perClass[2]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(s.perClass[5]).toMatchObject({ name: 'Sandal', precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('lists the confused pairs most first, ties by true then predicted class', () => {
    expect(s.confusedPairs).toEqual([
      { true: 0, predicted: 1, count: 1 },
      { true: 1, predicted: 0, count: 1 },
      { true: 2, predicted: 1, count: 1 },
    ]);
  });

  it('keeps at most ten pairs, the largest', () => {
    // Class c is taken for class (c + 1) % 10 exactly c + 1 times: ten distinct pairs, plus one more of 1.
    const l: number[] = [];
    const rows: [number, number][][] = [];
    for (let c = 0; c < K; c++) {
      for (let i = 0; i <= c; i++) {
        l.push(c);
        rows.push(sure((c + 1) % K));
      }
    }
    l.push(0);
    rows.push(sure(5));
    const r = summarizePredictions(new Uint8Array(l), probs(rows), FASHION_MNIST_CLASSES);
    expect(r.confusedPairs).toHaveLength(10);
    expect(r.confusedPairs[0]).toEqual({ true: 9, predicted: 0, count: 10 });
    expect(r.confusedPairs.map((x) => x.count)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    // Of the two pairs of 1, the first by true class then predicted: (0 → 1) before (0 → 5).
    expect(r.confusedPairs[9]).toEqual({ true: 0, predicted: 1, count: 1 });
  });

  it('agrees with itself on a larger random case: diagonal / n = accuracy, rows sum to support, columns to predictions', () => {
    const { labels: l, p: pr } = randomCase(2000, 42);
    const r = summarizePredictions(l, pr, FASHION_MNIST_CLASSES);
    const predicted = predictedClasses(pr);
    let correct = 0;
    for (let i = 0; i < l.length; i++) if (predicted[i] === l[i]) correct++;
    const diagonal = r.confusion.reduce((a, row, c) => a + row[c], 0);
    expect(diagonal / r.count).toBe(r.accuracy);
    expect(r.accuracy).toBe(correct / l.length);
    expect(r.accuracy).toBeGreaterThan(0.2);
    expect(r.accuracy).toBeLessThan(1);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(2000);
    for (let c = 0; c < K; c++) {
      const support = l.filter((x) => x === c).length;
      expect(r.confusion[c].reduce((a, b) => a + b, 0)).toBe(support);
      expect(r.perClass[c].support).toBe(support);
      expect(r.confusion.reduce((a, row) => a + row[c], 0)).toBe(predicted.filter((x) => x === c).length);
    }
    expect(r.top2Accuracy).toBeGreaterThan(r.accuracy);
    // Top-2 by sorting each row the slow way.
    let top2 = 0;
    for (let i = 0; i < l.length; i++) {
      const row = [...pr.subarray(i * K, i * K + K)].map((v, c) => ({ v, c }));
      row.sort((a, b) => b.v - a.v || a.c - b.c);
      if (row[0].c === l[i] || row[1].c === l[i]) top2++;
    }
    expect(r.top2Accuracy).toBe(top2 / l.length);
  });

  it('orders tied probabilities as argmax does for top-2: the lower class first', () => {
    // Classes 1, 2 and 5 tie at 0.3: ranked 1, 2, 5, so 1 and 2 are the top two and 5 is not (ranking ties the other way would count all three).
    const tied: [number, number][] = [
      [1, 0.3],
      [2, 0.3],
      [5, 0.3],
    ];
    const r = summarizePredictions(new Uint8Array([5, 5, 2]), probs([tied, tied, tied]), FASHION_MNIST_CLASSES);
    expect(r.accuracy).toBe(0);
    expect(r.top2Accuracy).toBeCloseTo(1 / 3, 12);
  });

  it('gives 0 accuracy, not NaN, for no images', () => {
    const r = summarizePredictions(new Uint8Array(0), new Float32Array(0), FASHION_MNIST_CLASSES);
    expect(r).toMatchObject({ count: 0, accuracy: 0, top2Accuracy: 0, confusedPairs: [] });
    expect(r.perClass.every((f) => f.precision === 0 && f.recall === 0 && f.f1 === 0)).toBe(true);
  });

  it('rejects labels and probabilities that do not match', () => {
    expect(() => summarizePredictions(new Uint8Array(2), new Float32Array(30), FASHION_MNIST_CLASSES)).toThrow(/2 labels but 3 rows/);
    expect(() => summarizePredictions(new Uint8Array([10]), new Float32Array(10), FASHION_MNIST_CLASSES)).toThrow(/label 10/);
  });
});

describe('confusedPairText', () => {
  it('says it in words, singular and plural', () => {
    expect(confusedPairText({ true: 6, predicted: 0, count: 162 }, FASHION_MNIST_CLASSES)).toBe('Shirt is taken for T-shirt/top 162 times');
    expect(confusedPairText({ true: 4, predicted: 2, count: 1 }, FASHION_MNIST_CLASSES)).toBe('Coat is taken for Pullover 1 time');
  });
});

describe('diffPredictions', () => {
  it('sorts each image into its group', () => {
    expect(diffGroupOf(3, 3, 3)).toBe('both_right');
    expect(diffGroupOf(3, 3, 1)).toBe('only_a');
    expect(diffGroupOf(3, 1, 3)).toBe('only_b');
    expect(diffGroupOf(3, 1, 2)).toBe('neither');
  });

  it('counts the groups and the recall difference by hand', () => {
    const labels = new Uint8Array([0, 0, 1, 1, 2]);
    const a = new Uint8Array([0, 0, 0, 1, 1]); // right: 0, 1, 3
    const b = new Uint8Array([0, 1, 1, 1, 2]); // right: 0, 2, 3, 4
    const d = diffPredictions(labels, a, b);
    expect(d).toMatchObject({ bothRight: 2, onlyA: 1, onlyB: 2, neither: 0 });
    const expected = new Array<number>(K).fill(0);
    expected[0] = 0.5 - 1; // B 1/2, A 2/2
    expected[1] = 1 - 0.5; // B 2/2, A 1/2
    expected[2] = 1 - 0; // B 1/1, A 0/1
    expect(d.perClassRecallDelta).toEqual(expected);
  });

  it('adds up to n, and both right + only A = A correct, on a larger case', () => {
    const { labels, p } = randomCase(1500, 1);
    const a = predictedClasses(p);
    const b = predictedClasses(randomCase(1500, 2).p);
    const d = diffPredictions(labels, a, b);
    expect(d.bothRight + d.onlyA + d.onlyB + d.neither).toBe(1500);
    const correct = (x: Uint8Array) => x.filter((v, i) => v === labels[i]).length;
    expect(d.bothRight + d.onlyA).toBe(correct(a));
    expect(d.bothRight + d.onlyB).toBe(correct(b));
    expect(d.onlyA).toBeGreaterThan(0);
    expect(d.onlyB).toBeGreaterThan(0);
    // The deltas are the recall differences of the two summaries.
    const sa = summarizePredictions(labels, p, FASHION_MNIST_CLASSES).perClass;
    const probsB = randomCase(1500, 2).p;
    const sb = summarizePredictions(labels, probsB, FASHION_MNIST_CLASSES).perClass;
    d.perClassRecallDelta.forEach((v, c) => expect(v).toBeCloseTo(sb[c].recall - sa[c].recall, 12));
  });

  it('of a run with itself is only both right and neither, with no recall difference', () => {
    const { labels, p } = randomCase(800, 3);
    const a = predictedClasses(p);
    const d = diffPredictions(labels, a, a);
    expect(d.onlyA).toBe(0);
    expect(d.onlyB).toBe(0);
    expect(d.bothRight).toBe(a.filter((v, i) => v === labels[i]).length);
    expect(d.bothRight + d.neither).toBe(800);
    expect(d.perClassRecallDelta).toEqual(new Array<number>(K).fill(0));
  });

  it('rejects predictions of another length', () => {
    expect(() => diffPredictions(new Uint8Array(3), new Uint8Array(3), new Uint8Array(2))).toThrow(/3 labels/);
  });
});

describe('normalizeRows', () => {
  it('divides each row by its sum, 0 across an empty row', () => {
    expect(
      normalizeRows([
        [1, 3],
        [0, 0],
        [5, 0],
      ]),
    ).toEqual([
      [0.25, 0.75],
      [0, 0],
      [1, 0],
    ]);
  });
});

describe('CSV exports', () => {
  const { labels, p } = randomCase(500, 9);
  const e = asEvaluation(summarizePredictions(labels, p, FASHION_MNIST_CLASSES));

  it('writes the confusion matrix with a header of class names and one row per true class', () => {
    const rows = parseCsv(confusionCsv(e));
    expect(rows).toHaveLength(11);
    expect(rows[0]).toEqual(['true\\predicted', ...FASHION_MNIST_CLASSES]);
    rows.slice(1).forEach((row, t) => {
      expect(row[0]).toBe(FASHION_MNIST_CLASSES[t]);
      expect(row.slice(1).map(Number)).toEqual(e.confusion[t]);
    });
  });

  it('keeps a class name that looks like a formula from running', () => {
    const names: string[] = [...FASHION_MNIST_CLASSES];
    names[3] = '=HYPERLINK("x")';
    const rows = parseCsv(confusionCsv({ ...e, classNames: names }));
    expect(rows[0][4]).toBe(`'=HYPERLINK("x")`);
    expect(rows[4][0]).toBe(`'=HYPERLINK("x")`);
  });

  it('writes the per-class table', () => {
    const rows = parseCsv(perClassCsv(e));
    expect(rows[0]).toEqual(['class', 'name', 'precision', 'recall', 'f1', 'support']);
    expect(rows).toHaveLength(11);
    rows.slice(1).forEach((row, c) => {
      const f = e.perClass[c];
      expect(row).toEqual([String(c), f.name, String(f.precision), String(f.recall), String(f.f1), String(f.support)]);
    });
    expect(rows.slice(1).reduce((a, r) => a + Number(r[5]), 0)).toBe(500);
  });
});

describe('confusionSvg', () => {
  const { labels, p } = randomCase(1000, 5);
  const e = asEvaluation(summarizePredictions(labels, p, FASHION_MNIST_CLASSES));
  const texts = (svg: string, cls: string) =>
    findAll(parseXml(svg).root!, (x) => x.name === 'text' && x.attrs.class === cls).map((x) => decode(x.text));

  it('is a well-formed standalone SVG document with 100 cells, one per true × predicted class', () => {
    const svg = confusionSvg(e);
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const { root, problems } = parseXml(svg);
    expect(problems).toEqual([]);
    expect(root!.name).toBe('svg');
    const cells = findAll(root!, (x) => x.attrs.class === 'cell');
    expect(cells).toHaveLength(100);
    const seen = new Set(cells.map((c) => `${c.attrs['data-true']},${c.attrs['data-predicted']}`));
    expect(seen.size).toBe(100);
    // Cell (6, 0) sits in row 6, column 0: below (0, 0), level with (6, 9).
    const at = (t: number, q: number) => cells.find((c) => c.attrs['data-true'] === String(t) && c.attrs['data-predicted'] === String(q))!;
    expect(Number(at(6, 0).attrs.y)).toBeGreaterThan(Number(at(0, 0).attrs.y));
    expect(at(6, 0).attrs.x).toBe(at(0, 0).attrs.x);
    expect(at(6, 9).attrs.y).toBe(at(6, 0).attrs.y);
    expect(decode(findAll(at(6, 0), (x) => x.name === 'title')[0].text)).toBe(
      `Shirt predicted as T-shirt/top: ${e.confusion[6][0]} of ${e.perClass[6].support} (${((e.confusion[6][0] / e.perClass[6].support) * 100).toFixed(1)}%)`,
    );
  });

  it('names the classes on both axes, titles the axes and writes the counts in the cells', () => {
    const svg = confusionSvg(e, { title: 'Run 7 on the test set' });
    expect(texts(svg, 'row-label')).toEqual([...FASHION_MNIST_CLASSES]);
    expect(texts(svg, 'column-label')).toEqual([...FASHION_MNIST_CLASSES]);
    expect(texts(svg, 'axis-title')).toEqual(['Predicted class', 'True class']);
    expect(svg).toContain('<title>Run 7 on the test set</title>');
    expect(texts(svg, 'value')).toEqual(e.confusion.flat().map(String));
  });

  it('writes each cell as its share of the true class when normalised', () => {
    const svg = confusionSvg(e, { normalize: true });
    const values = texts(svg, 'value');
    expect(values).toHaveLength(100);
    const share = e.confusion[3][3] / e.perClass[3].support;
    expect(values[33]).toBe(`${(share * 100).toFixed(1)}%`);
    expect(svg).toContain('share of each true class');
  });

  it('has no XML declaration or namespace inline, and escapes the title and class names', () => {
    const names: string[] = [...FASHION_MNIST_CLASSES];
    names[0] = 'T-shirt & <top>';
    const svg = confusionSvg({ ...e, classNames: names }, { standalone: false, title: 'A < B & "C"' });
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg).not.toContain('xmlns');
    const { problems } = parseXml(svg);
    expect(problems).toEqual([]);
    expect(texts(svg, 'row-label')[0]).toBe('T-shirt & <top>');
    expect(svg).toContain('A &lt; B &amp; &quot;C&quot;');
  });

  it('colours by share and writes on each fill in the colour that reads', () => {
    expect(heatColor(0)).toBe('#f7fbff');
    expect(heatColor(1)).toBe('#08306b');
    expect(textColorOn(heatColor(1))).toBe('#ffffff');
    expect(textColorOn(heatColor(0))).toBe('#222222');
    expect(textColorOn(heatColor(0.01))).toBe('#222222');
    // In the picture: the (mostly right) diagonal is dark with white figures.
    const root = parseXml(confusionSvg(e)).root!;
    const values = findAll(root, (x) => x.attrs.class === 'value');
    const cells = findAll(root, (x) => x.attrs.class === 'cell');
    for (let c = 0; c < 10; c++) {
      expect(cells[c * 11].attrs.fill).toBe(heatColor(e.confusion[c][c] / e.perClass[c].support));
      expect(values[c * 11].attrs.fill).toBe('#ffffff');
    }
  });
});
