/**
 * `layerlab evaluate` as a user runs it: two short real runs trained by the CLI into a
 * real SQLite file, evaluated on the full 10,000 test images, a child process per command.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliHarness, expectRefused, json } from './cli-harness';

let root: string;
let home: string;
const harness = cliHarness(() => home);
const cli = (...args: string[]) => harness.cli(args);
let db: string;
let a: any;
let b: any;

async function train(...extra: string[]): Promise<any> {
  const r = await cli('train', '--preset', 'seed-model-3', '--epochs', '1', '--db', db, '--json', ...extra);
  expect(r.code, r.stderr).toBe(0);
  return json(r);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'layerlab-evaluate-'));
  home = join(root, 'home');
  mkdirSync(home);
  db = join(root, 'runs.db');
  a = await train('--limit', '3000', '--seed', '1');
  b = await train('--limit', '1000', '--seed', '2');
}, 120_000);
afterEach(harness.killLeftovers);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('layerlab evaluate', () => {
  it('--json has exactly the documented fields; the matrix covers the test set and its diagonal is the recorded test accuracy', async () => {
    const r = await cli('evaluate', String(a.id), '--db', db, '--json');
    expect(r.code, r.stderr).toBe(0);
    const e = json(r);
    expect(Object.keys(e).sort()).toEqual(['accuracy', 'confused_pairs', 'confusion', 'per_class', 'run_id', 'split', 'top2_accuracy']);
    expect(e).toMatchObject({ run_id: a.id, split: 'test' });
    expect(e.confusion).toHaveLength(10);
    for (const row of e.confusion) expect(row).toHaveLength(10);
    expect(e.confusion.flat().reduce((x: number, y: number) => x + y, 0)).toBe(10_000);
    const diagonal = e.confusion.reduce((sum: number, row: number[], i: number) => sum + row[i], 0);
    expect(diagonal / 10_000).toBe(a.test.accuracy);
    expect(e.accuracy).toBe(a.test.accuracy);
    expect(e.per_class).toHaveLength(10);
    for (const c of e.per_class) expect(Object.keys(c).sort()).toEqual(['class', 'f1', 'name', 'precision', 'recall', 'support']);
    expect(e.per_class[6]).toMatchObject({ class: 6, name: 'Shirt', support: 1000 });
    for (const p of e.confused_pairs) {
      expect(Object.keys(p).sort()).toEqual(['count', 'predicted', 'true']);
      expect(p.count).toBe(e.confusion[p.true][p.predicted]);
    }
  });

  it('prints the matrix with class names, the per-class table and the most confused pairs in words', async () => {
    const r = await cli('evaluate', String(a.id), '--db', db);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Run ${a.id} on the test set \\(10,000 images\\): accuracy`));
    expect(r.stdout).toContain('Confusion matrix (rows: true class, columns: predicted class)');
    expect(r.stdout).toMatch(/^Ankle boot +\d/m);
    expect(r.stdout).toMatch(/^6 {2}Shirt +\d\.\d{3} +\d\.\d{3} +\d\.\d{3} +1000$/m);
    expect(r.stdout).toMatch(/^ {2}\S.* is taken for .+ \d+ times?$/m);
    expect(r.stderr).toBe('');
  });

  it('--split validation evaluates the run’s own validation images', async () => {
    const e = json(await cli('evaluate', String(b.id), '--split', 'validation', '--db', db, '--json'));
    expect(e.split).toBe('validation');
    expect(e.confusion.flat().reduce((x: number, y: number) => x + y, 0)).toBe(200);
  });

  it('--diff: both_right + only_a is A’s correct count; a run against itself is all both right or neither', async () => {
    const ea = json(await cli('evaluate', String(a.id), '--db', db, '--json'));
    const eb = json(await cli('evaluate', String(b.id), '--db', db, '--json'));
    const r = await cli('evaluate', String(a.id), '--diff', String(b.id), '--db', db, '--json');
    expect(r.code, r.stderr).toBe(0);
    const d = json(r);
    expect(Object.keys(d).sort()).toEqual(['both_right', 'neither', 'only_a', 'only_b', 'per_class_recall_delta']);
    expect(d.both_right + d.only_a).toBe(Math.round(ea.accuracy * 10_000));
    expect(d.both_right + d.only_b).toBe(Math.round(eb.accuracy * 10_000));
    expect(d.per_class_recall_delta).toHaveLength(10);
    const self = json(await cli('evaluate', String(a.id), '--diff', String(a.id), '--db', db, '--json'));
    expect(self).toMatchObject({ only_a: 0, only_b: 0, both_right: Math.round(ea.accuracy * 10_000) });
    const text = await cli('evaluate', String(a.id), '--diff', String(b.id), '--db', db);
    expect(text.stdout).toContain(`Run ${a.id} (A) against run ${b.id} (B) on the test set (10,000 images)`);
    expect(text.stdout).toMatch(/only A right +[\d,]+ \(/);
    expect(text.stdout).toMatch(/^ {2}6 {2}Shirt +[ +−]\d\.\d{3}$/m);
  });

  it('export --format html carries the predictions of runs evaluated before, and evaluates nothing itself', async () => {
    const out = join(root, 'report.html');
    const r = await cli('export', String(a.id), String(b.id), '--format', 'html', '--out', out, '--db', db);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<h2>Predictions</h2>');
    expect(html).toMatch(/is taken for/);
  });

  it('refuses what it cannot do with one line', async () => {
    expectRefused(await cli('evaluate', '--db', db), /evaluate needs one run id/);
    expectRefused(await cli('evaluate', String(a.id), '--split', 'train', '--db', db), /--split must be test or validation/);
    expectRefused(await cli('evaluate', '999', '--db', db), /There is no run with id 999/);
    expectRefused(await cli('evaluate', String(a.id), '--diff', 'x', '--db', db), /"x" is not a run id for --diff/);
    expectRefused(
      await cli('evaluate', String(a.id), '--diff', String(b.id), '--split', 'validation', '--db', db),
      /were not validated on the same images .* compare them on the test set/,
    );
  });
});
