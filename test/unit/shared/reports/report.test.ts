import { describe, expect, it } from 'vitest';
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
