import { describe, expect, it } from 'vitest';
import type { RunEvaluation } from '../../../../src/shared/contract/evaluation';
import { FASHION_MNIST_CLASSES } from '../../../../src/shared/model/training-config';
import { summarizePredictions } from '../../../../src/shared/reports/evaluation';
import { comparisonReportHtml } from '../../../../src/shared/reports/report';
import { ADAM, fixtureRun, SGD } from './run-fixtures';
import { decode, findAll, parseXml } from './xml-check';

const html = comparisonReportHtml([ADAM(), SGD()], { title: 'Adam vs SGD', smoothing: 0.6, generatedAt: '2025-03-02T12:00:00.000Z' });

/** Every inline <svg>…</svg> of the report. */
const svgs = (page: string) => page.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

describe('comparison report', () => {
  it('is one HTML document with its title', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Adam vs SGD</title>');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('refers to nothing outside itself: no URLs, no scripts, no external styles or fonts', () => {
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toContain('//');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/\s(?:src|href)\s*=/i);
  });

  it('embeds the four charts as SVG, each naming both runs', () => {
    const charts = svgs(html);
    expect(charts).toHaveLength(4);
    for (const svg of charts) {
      const { root, problems } = parseXml(svg);
      expect(problems).toEqual([]);
      const texts = findAll(root!, (e) => e.name === 'text').map((e) => decode(e.text));
      expect(texts).toEqual(expect.arrayContaining(['adam lr=0.001', 'sgd lr=0.01']));
      expect(findAll(root!, (e) => e.attrs.class === 'best')).toHaveLength(2);
    }
    expect(html).toContain('Validation accuracy');
    expect(html).toContain('Validation loss');
  });

  it('shows both runs by label and name, with the summary figures', () => {
    for (const label of ['adam lr=0.001', 'sgd lr=0.01']) expect(html).toContain(label);
    expect(html).toContain('#1 seed-model-3 · adam lr=0.001');
    // Best validation accuracy 86.00 % at epoch 3, bold as the best of the two.
    expect(html).toMatch(/<td class="num best">86\.00%<\/td>/);
    expect(html).toContain('66.00%');
    expect(html).toContain('133,386');
  });

  it('highlights the differing settings and lets the reader hide the rest without a script', () => {
    const settings = html.slice(html.indexOf('<table class="settings">'), html.indexOf('</table>', html.indexOf('<table class="settings">')));
    const differing = [...settings.matchAll(/<tr class="differs"><th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]);
    expect(differing).toEqual(['Optimizer', 'Learning rate', 'Preset']);
    expect(settings).toMatch(/<tr class="same"><th scope="row">Batch size<\/th>/);
    expect(html).toContain('<input type="checkbox" id="only-differences">');
    expect(html).toContain('#only-differences:checked ~ table tr.same { display: none; }');
  });

  it('has the architecture diff, layer by layer', () => {
    const sigmoid = fixtureRun({ id: 3, preset: 'seed-model-1', epochs: [[2, 0.1, 2, 0.1, 5]] });
    const page = comparisonReportHtml([ADAM(), sigmoid]);
    const arch = page.slice(page.indexOf('<table class="architecture">'));
    expect(arch).toMatch(
      /<tr class="differs"><th scope="row">3<\/th><td>Dense 128 relu<\/td><td>Dense 128 sigmoid<\/td><td class="changed">activation<\/td><\/tr>/,
    );
    expect(arch).toMatch(/<tr class="same"><th scope="row">2<\/th>/);
    expect(page).toContain('4 of 7 layers differ.');
  });

  it('escapes names and notes, so a run name cannot inject markup', () => {
    const evil = fixtureRun({ id: 9, name: '<img src=x onerror=alert(1)>', notes: 'a & b </ul>', epochs: [[1, 0.5, 1, 0.5, 3]] });
    const page = comparisonReportHtml([ADAM(), evil]);
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).toContain('a &amp; b &lt;/ul&gt;');
  });
});

/** An evaluation of run `runId` from hand-made predictions: 20 images, Shirt taken for T-shirt/top 3 times and Coat for Pullover once. */
function evaluationOf(runId: number, split: RunEvaluation['split'] = 'test'): RunEvaluation {
  const labels: number[] = [];
  const predicted: number[] = [];
  for (let c = 0; c < 10; c++) {
    labels.push(c, c);
    predicted.push(c, c);
  }
  predicted[12] = 0; // a Shirt
  predicted[13] = 0; // the other Shirt
  labels.push(6);
  predicted.push(0);
  predicted[8] = 2; // a Coat
  const p = new Float32Array(labels.length * 10).fill(0.05);
  predicted.forEach((c, i) => (p[i * 10 + c] = 0.55));
  const s = summarizePredictions(new Uint8Array(labels), p, FASHION_MNIST_CLASSES);
  return { ...s, runId, split, evaluatedAt: '2025-03-02T12:00:00.000Z', seconds: 0.4 };
}

describe('comparison report with evaluations', () => {
  const evalAdam = evaluationOf(1);
  const page = comparisonReportHtml([ADAM(), SGD()], { evaluations: [evalAdam, evaluationOf(99)] });

  it('has a predictions section for each evaluated run in the report, and none without evaluations', () => {
    expect(html).not.toContain('<h2>Predictions</h2>');
    expect(page).toContain('<h2>Predictions</h2>');
    const titles = [...page.matchAll(/<h3 class="evaluation-title">([^<]+)/g)].map((m) => m[1].trim());
    // Run 99 is not in the report; SGD (run 2) has no evaluation.
    expect(titles).toEqual(['adam lr=0.001']);
    expect(page).toContain('test set, 21 images');
    expect(page).toContain(`Accuracy ${(evalAdam.accuracy * 100).toFixed(2)}%`);
    expect(evalAdam.accuracy).toBeCloseTo(17 / 21, 12);
  });

  it('inlines the confusion matrix as a well-formed SVG with 100 cells, beside the four charts', () => {
    const all = svgs(page);
    expect(all).toHaveLength(5);
    const matrix = all[4];
    expect(matrix).not.toContain('xmlns');
    const { root, problems } = parseXml(matrix);
    expect(problems).toEqual([]);
    expect(findAll(root!, (e) => e.attrs.class === 'cell')).toHaveLength(100);
    const shirtAsTshirt = findAll(root!, (e) => e.attrs.class === 'value').map((e) => decode(e.text))[60];
    expect(shirtAsTshirt).toBe('3');
  });

  it('has the per-class table and the most confused pairs in words', () => {
    const table = page.slice(page.indexOf('<table class="per-class">'), page.indexOf('</table>', page.indexOf('<table class="per-class">')));
    expect(table).toContain('<th>Precision</th><th>Recall</th><th>F1</th><th>Support</th>');
    // Shirt: 3 images, none right. T-shirt/top: 2 right of 5 predicted, recall 1.
    expect(table).toContain(
      '<tr><td class="num">6</td><th scope="row">Shirt</th><td class="num">0.0000</td><td class="num">0.0000</td><td class="num">0.0000</td><td class="num">3</td></tr>',
    );
    expect(table).toContain(
      '<tr><td class="num">0</td><th scope="row">T-shirt/top</th><td class="num">0.4000</td><td class="num">1.0000</td><td class="num">0.5714</td><td class="num">2</td></tr>',
    );
    const pairs = [...page.matchAll(/<ol class="confused-pairs">([\s\S]*?)<\/ol>/g)].map((m) => m[1]);
    expect(pairs).toHaveLength(1);
    expect([...pairs[0].matchAll(/<li>([^<]+)<\/li>/g)].map((m) => m[1])).toEqual([
      'Shirt is taken for T-shirt/top 3 times',
      'Coat is taken for Pullover 1 time',
    ]);
  });

  it('stays self-contained and escapes class names', () => {
    expect(page).not.toMatch(/https?:/i);
    expect(page).not.toContain('//');
    expect(page).not.toMatch(/<script|<link|<img/i);
    const names: string[] = [...FASHION_MNIST_CLASSES];
    names[6] = '<b>Shirt</b>';
    const evil = comparisonReportHtml([ADAM()], {
      evaluations: [{ ...evalAdam, classNames: names, perClass: evalAdam.perClass.map((f) => (f.class === 6 ? { ...f, name: names[6] } : f)) }],
    });
    expect(evil).not.toContain('<b>Shirt');
    expect(evil).toContain('&lt;b&gt;Shirt&lt;/b&gt; is taken for T-shirt/top 3 times');
  });
});
