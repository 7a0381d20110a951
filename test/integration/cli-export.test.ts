/**
 * `layerlab export` and `layerlab import` as a user runs them: real training of
 * two tiny runs into a real SQLite file, a child process per command, the files
 * read back the way another program would.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliHarness, expectRefused, json } from './cli-harness';
import { loadFashionMnist } from '../../src/core/data/fashion-mnist';
import { pixelFloats } from '../../src/core/data/pixels';
import { parseCsv, SYSTEM_FASHION_MNIST } from '../helpers';
import { decode, findAll, parseXml } from '../unit/shared/reports/xml-check';

let root: string;
let home: string;
const harness = cliHarness(() => home);
const { startCli } = harness;
const cli = (...args: string[]) => harness.cli(args);

let dbA: string;
let adam: any;
let sgd: any;

async function train(db: string, ...extra: string[]): Promise<any> {
  const r = await cli('train', '--limit', '600', '--epochs', '2', '--db', db, '--json', ...extra);
  expect(r.code, r.stderr).toBe(0);
  return json(r);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'layerlab-export-'));
  home = join(root, 'home');
  mkdirSync(home);
  dbA = join(root, 'a.db');
  adam = await train(dbA, '--preset', 'seed-model-3');
  sgd = await train(dbA, '--preset', 'seed-model-2', '--lr', '0.01');
});

// A test that failed half-way must not leave a CLI (or its trainer) training in the background.
afterEach(harness.killLeftovers);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const out = (name: string) => join(root, name);

describe('export of the curves’ data', () => {
  it('csv: the tidy header, and both runs’ rows for every epoch and metric with the recorded values', async () => {
    const r = await cli('export', String(adam.id), String(sgd.id), '--format', 'csv', '--out', out('curves.csv'), '--db', dbA);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(out('curves.csv'));
    const [header, ...rows] = parseCsv(readFileSync(out('curves.csv'), 'utf8'));
    expect(header).toEqual(['run_id', 'run', 'epoch', 'seconds', 'metric', 'value', 'smoothed']);
    expect(rows).toHaveLength(2 * 2 * 4);
    for (const run of [adam, sgd]) {
      for (const e of run.epochs) {
        for (const metric of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
          const row = rows.find((x) => x[0] === String(run.id) && x[2] === String(e.epoch) && x[4] === metric);
          expect(row, `run ${run.id} epoch ${e.epoch} ${metric}`).toBeDefined();
          expect(Number(row![5])).toBe(e[metric]);
          expect(row![6]).toBe(row![5]); // no smoothing asked
        }
      }
    }
    // Legend names by what differs, as in the app.
    expect(new Set(rows.map((x) => x[1]))).toEqual(new Set(['adam lr=0.001', 'sgd lr=0.01']));
  });

  it('json: the same values, smoothed when asked, with labels and settings per run', async () => {
    const r = await cli(
      'export',
      String(adam.id),
      String(sgd.id),
      '--format',
      'json',
      '--out',
      out('curves.json'),
      '--smoothing',
      '0.5',
      '--db',
      dbA,
    );
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(readFileSync(out('curves.json'), 'utf8'));
    expect(data.smoothing).toBe(0.5);
    expect(data.runs.map((x: any) => [x.id, x.label])).toEqual([
      [adam.id, 'adam lr=0.001'],
      [sgd.id, 'sgd lr=0.01'],
    ]);
    expect(data.runs[1].settings).toEqual(sgd.config);
    const e2 = data.runs[0].epochs[1];
    expect(e2.values.loss.value).toBe(adam.epochs[1].loss);
    // Debiased EMA of two points with weight 0.5: (0.5·a + b) / 1.5.
    expect(e2.values.loss.smoothed).toBeCloseTo((0.5 * adam.epochs[0].loss + adam.epochs[1].loss) / 1.5, 10);
    // The baseline and the layer signals, as `show --json` has them.
    expect(data.runs[0].baseline).toEqual({
      loss: adam.baseline.loss,
      accuracy: adam.baseline.accuracy,
      val_loss: adam.baseline.val_loss,
      val_accuracy: adam.baseline.val_accuracy,
    });
    expect(data.runs[0].layer_stats).toEqual(adam.layer_stats);
    expect(data.runs[1].layer_stats).toEqual(sgd.layer_stats);
    expect(data.runs[0].epochs.map((e: any) => e.epoch)).toEqual([1, 2]);
  });

  it('csv --baseline: epoch 0 first for each run, the other rows unchanged', async () => {
    const r = await cli('export', String(adam.id), String(sgd.id), '--format', 'csv', '--baseline', '--out', out('curves0.csv'), '--db', dbA);
    expect(r.code, r.stderr).toBe(0);
    const [, ...rows] = parseCsv(readFileSync(out('curves0.csv'), 'utf8'));
    expect(rows).toHaveLength(2 * 3 * 4);
    for (const run of [adam, sgd]) {
      const zero = rows.filter((x) => x[0] === String(run.id) && x[2] === '0');
      expect(zero.map((x) => [x[3], x[4], Number(x[5])])).toEqual([
        ['0', 'loss', run.baseline.loss],
        ['0', 'accuracy', run.baseline.accuracy],
        ['0', 'val_loss', run.baseline.val_loss],
        ['0', 'val_accuracy', run.baseline.val_accuracy],
      ]);
    }
  });

  it('layer-stats: one row per run, probe and layer with the recorded figures, empty where one does not apply', async () => {
    const r = await cli('export', String(adam.id), String(sgd.id), '--format', 'layer-stats', '--out', out('layers.csv'), '--db', dbA);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = parseCsv(readFileSync(out('layers.csv'), 'utf8'));
    const columns = ['grad_norm', 'bias_grad_norm', 'weight_norm', 'update_ratio', 'act_mean', 'act_std', 'dead_fraction', 'saturated_fraction'];
    expect(header).toEqual(['run_id', 'run', 'epoch', 'batch', 'layer', 'name', ...columns, 'nonfinite']);
    expect(rows).toHaveLength(adam.layer_stats.length + sgd.layer_stats.length);
    expect(adam.layer_stats.length).toBeGreaterThan(0);
    for (const run of [adam, sgd]) {
      const mine = rows.filter((x) => x[0] === String(run.id));
      expect(mine).toHaveLength(run.layer_stats.length);
      mine.forEach((x, i) => {
        const s = run.layer_stats[i];
        expect([Number(x[2]), x[3], Number(x[4]), x[5]]).toEqual([s.epoch, s.batch === null ? '' : String(s.batch), s.layer, s.name]);
        columns.forEach((c, j) => expect(x[6 + j], `${s.name} ${c}`).toBe(s[c] === null ? '' : String(s[c])));
        expect(Number(x[14])).toBe(s.nonfinite);
      });
    }
    expect(new Set(rows.map((x) => x[1]))).toEqual(new Set(['adam lr=0.001', 'sgd lr=0.01']));
  });

  it('html: one self-contained report that shows both runs and needs no network', async () => {
    const r = await cli(
      'export',
      String(adam.id),
      String(sgd.id),
      '--format',
      'html',
      '--out',
      out('report.html'),
      '--title',
      'Adam & SGD',
      '--db',
      dbA,
    );
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out('report.html'), 'utf8');
    expect(html).toContain('<title>Adam &amp; SGD</title>');
    expect(html).not.toMatch(/https?:|\/\/|<script|<link|\ssrc=|\shref=|url\(/i);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(4);
    for (const svg of svgs) {
      const { root: el, problems } = parseXml(svg);
      expect(problems).toEqual([]);
      const texts = findAll(el!, (e) => e.name === 'text').map((e) => decode(e.text));
      expect(texts).toEqual(expect.arrayContaining(['adam lr=0.001', 'sgd lr=0.01']));
    }
    expect(html).toContain(`#${adam.id} ${adam.name}`);
    expect(html).toContain(`#${sgd.id} ${sgd.name}`);
  });
});

describe('bundles', () => {
  it('round-trip: every field equal in another database except the ids, nothing overwritten', async () => {
    const bundlePath = out('runs.bundle.json');
    const r = await cli('export', String(adam.id), String(sgd.id), '--format', 'bundle', '--out', bundlePath, '--db', dbA);
    expect(r.code, r.stderr).toBe(0);
    // What a user may have set on the runs travels too: notes, tags, star.
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
    expect(bundle.runs.map((x: any) => x.sourceId)).toEqual([adam.id, sgd.id]);
    expect(bundle.runs[0].batchLosses.length).toBeGreaterThan(0);
    expect(bundle.version).toBe(3);
    expect(bundle.runs[0].layerStats.length).toBe(adam.layer_stats.length);
    expect(bundle.runs[0].baseline).toMatchObject({ epoch: 0, loss: adam.baseline.loss });
    expect(bundle.runs[0]).toMatchObject({ savedWeights: 'final', stopReason: null, parentSourceId: null, fixFor: null });
    Object.assign(bundle.runs[0], { notes: 'fast\nbut overfits', tags: ['fast', 'seed'], starred: true });
    writeFileSync(bundlePath, JSON.stringify(bundle));

    const dbB = join(root, 'b.db');
    const first = await train(dbB, '--preset', 'seed-model-1', '--epochs', '1'); // B already has a run of its own
    const imp = await cli('import', bundlePath, '--db', dbB, '--json');
    expect(imp.code, imp.stderr).toBe(0);
    const imported = json(imp).imported;
    expect(imported.map((x: any) => x.source_id)).toEqual([adam.id, sgd.id]);
    const newIds: number[] = imported.map((x: any) => x.id);
    expect(newIds).not.toContain(first.id);

    for (const [i, original] of [adam, sgd].entries()) {
      const copy = json(await cli('show', String(newIds[i]), '--db', dbB, '--json'));
      // The trained model stays behind (a bundle carries the record, not the weights): its folder is the original's alone.
      const { id: _a, model_path: _m, ...rest } = original;
      const { id: _b, model_path: copyModel, ...restCopy } = copy;
      // What was set on the first run in the bundle arrived with it.
      const set = i === 0 ? { notes: 'fast\nbut overfits', tags: ['fast', 'seed'], starred: true } : {};
      expect(restCopy).toEqual({ ...rest, ...set });
      expect(copyModel).toBeNull();
    }
    // The bundle exported again from B is the bundle that went in, but for the ids and the time of export.
    const again = out('again.bundle.json');
    expect((await cli('export', ...newIds.map(String), '--format', 'bundle', '--out', again, '--db', dbB)).code).toBe(0);
    const strip = (b: any) => b.runs.map(({ sourceId: _s, ...x }: any) => x);
    expect(strip(JSON.parse(readFileSync(again, 'utf8')))).toEqual(strip(bundle));

    // The run that was there is untouched; a second import adds two more runs.
    const text = await cli('import', bundlePath, '--db', dbB);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`Imported 2 runs into .*b\\.db:\\n\\s+\\d+\\s+${adam.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(was ${adam.id}\\)`),
    );
    const list = json(await cli('runs', '--db', dbB, '--json'));
    expect(list).toHaveLength(5);
    expect(list.find((x: any) => x.id === first.id)).toMatchObject({ name: first.name, preset: 'seed-model-1' });
  });
});

describe('bundles of runs trained from each other', () => {
  it('import links a run to its parent when both come along, and drops a parent left behind', async () => {
    const bundlePath = out('family.bundle.json');
    expect((await cli('export', String(adam.id), String(sgd.id), '--format', 'bundle', '--out', bundlePath, '--db', dbA)).code).toBe(0);
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
    const fixFor = { kind: 'learning-slowly', summary: 'switch to adam lr 0.001' };
    // As if sgd had been trained again from adam, and adam from a run that is not in the bundle.
    Object.assign(bundle.runs[1], { parentSourceId: adam.id, fixFor });
    Object.assign(bundle.runs[0], { parentSourceId: 9999, fixFor });
    writeFileSync(bundlePath, JSON.stringify(bundle));
    const dbC = join(root, 'family.db');
    const imp = await cli('import', bundlePath, '--db', dbC, '--json');
    expect(imp.code, imp.stderr).toBe(0);
    const [a, b] = json(imp).imported.map((x: any) => x.id);
    const shownA = json(await cli('show', String(a), '--db', dbC, '--json'));
    const shownB = json(await cli('show', String(b), '--db', dbC, '--json'));
    expect(shownB).toMatchObject({ parent_run_id: a, fix_for: fixFor });
    expect(shownA).toMatchObject({ parent_run_id: null, fix_for: fixFor });
    expect((await cli('show', String(b), '--db', dbC)).stdout).toContain(`trained from run #${a} to fix: switch to adam lr 0.001`);
  });

  it('a version 1 bundle still imports, with no baseline or layer signals', async () => {
    const bundlePath = out('v1.bundle.json');
    expect((await cli('export', String(adam.id), '--format', 'bundle', '--out', bundlePath, '--db', dbA)).code).toBe(0);
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
    bundle.version = 1;
    for (const k of [
      'baseline',
      'layerStats',
      'savedWeights',
      'stopReason',
      'parentSourceId',
      'fixFor',
      'named',
      'sweepValues',
      'repeatIndex',
      'provenance',
    ])
      delete bundle.runs[0][k];
    for (const e of bundle.runs[0].epochs) delete e.cpuSeconds;
    writeFileSync(bundlePath, JSON.stringify(bundle));
    const dbD = join(root, 'v1.db');
    const imp = await cli('import', bundlePath, '--db', dbD, '--json');
    expect(imp.code, imp.stderr).toBe(0);
    const shown = json(await cli('show', String(json(imp).imported[0].id), '--db', dbD, '--json'));
    expect(shown).toMatchObject({ baseline: null, layer_stats: [], saved_weights: null, parent_run_id: null, best_epoch: adam.best_epoch });
    expect(shown).toMatchObject({ named: false, provenance: null, group: null });
    // Version 1 did not record CPU seconds.
    expect(shown.epochs).toEqual(adam.epochs.map((e: any) => ({ ...e, cpu_seconds: null })));
  });
});

describe('model export', () => {
  it('writes model.json and its weights into a new folder, and tfjs loads them and predicts as the run did', async () => {
    const dir = join(root, 'models', 'adam');
    const r = await cli('export', String(adam.id), '--format', 'model', '--out', dir, '--db', dbA);
    expect(r.code, r.stderr).toBe(0);
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weightsFile = modelJson.weightsManifest[0].paths[0];
    expect(readdirSync(dir).sort()).toEqual(['model.json', weightsFile].sort());
    const weightSpecs = modelJson.weightsManifest.flatMap((g: any) => g.weights);
    const bytes = readFileSync(join(dir, weightsFile));
    expect(bytes.length).toBe(weightSpecs.reduce((a: number, w: any) => a + w.shape.reduce((x: number, y: number) => x * y, 1) * 4, 0));

    await tf.setBackend('cpu');
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs,
        weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
      }),
    );
    const data = await loadFashionMnist(SYSTEM_FASHION_MNIST);
    const n = data.test.count;
    const predicted = tf.tidy(() => model.predict(tf.tensor(pixelFloats(data.test), [n, 28, 28])) as tf.Tensor).argMax(-1);
    const labels = await predicted.data();
    predicted.dispose();
    let correct = 0;
    for (let i = 0; i < n; i++) if (labels[i] === data.test.labels[i]) correct++;
    // Same weights, another backend: a handful of borderline images may flip, no more.
    expect(Math.abs(correct / n - adam.test.accuracy)).toBeLessThan(0.002);
  });

  it('is refused for a run without a saved model and for more than one run', async () => {
    const dbB = join(root, 'no-model.db');
    const bundlePath = out('one.bundle.json');
    expect((await cli('export', String(adam.id), '--format', 'bundle', '--out', bundlePath, '--db', dbA)).code).toBe(0);
    const id = json(await cli('import', bundlePath, '--db', dbB, '--json')).imported[0].id;
    const dir = join(root, 'models', 'none');
    expectRefused(await cli('export', String(id), '--format', 'model', '--out', dir, '--db', dbB), /has no saved model/);
    expect(existsSync(dir)).toBe(false);
    expectRefused(await cli('export', String(adam.id), String(sgd.id), '--format', 'model', '--out', dir, '--db', dbA), /exactly one run id/);
  });
});

describe('bad input: one line, nothing written, nothing lost', () => {
  it('an unknown run id', async () => {
    const path = out('unknown.csv');
    expectRefused(await cli('export', String(adam.id), '999', '--format', 'csv', '--out', path, '--db', dbA), /no run with id 999/);
    expect(existsSync(path)).toBe(false);
  });

  it('an --out that cannot be written (a folder path through a regular file)', async () => {
    const file = out('plain-file');
    writeFileSync(file, 'keep me');
    const path = join(file, 'curves.csv');
    expectRefused(
      await cli('export', String(adam.id), '--format', 'csv', '--out', path, '--db', dbA),
      new RegExp(`Cannot write ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: a part of the path is a file, not a folder`),
    );
    expectRefused(
      await cli('export', String(adam.id), '--format', 'model', '--out', join(file, 'model'), '--db', dbA),
      /Cannot write .*plain-file\/model: /,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('an --out that is a folder keeps the folder and its files', async () => {
    const dir = out('a-folder');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x.txt'), 'x');
    expectRefused(await cli('export', String(adam.id), '--format', 'html', '--out', dir, '--db', dbA), /it is a folder/);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(readdirSync(dir)).toEqual(['x.txt']);
  });

  it('a file that is not a bundle, a damaged one, one from a newer format: nothing imported', async () => {
    const dbC = join(root, 'c.db');
    const csv = out('curves.csv');
    if (!existsSync(csv)) writeFileSync(csv, 'run_id,run\n1,a\n');
    expectRefused(await cli('import', csv, '--db', dbC), /Cannot import .*curves\.csv: this file is not JSON/);
    expect(existsSync(dbC)).toBe(false);

    const notBundle = out('not-a-bundle.json');
    writeFileSync(notBundle, JSON.stringify({ hello: 'world' }));
    expectRefused(await cli('import', notBundle, '--db', dbC), /not a Layerlab run bundle/);

    const bundlePath = out('for-errors.bundle.json');
    expect((await cli('export', String(adam.id), '--format', 'bundle', '--out', bundlePath, '--db', dbA)).code).toBe(0);
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
    writeFileSync(out('newer.json'), JSON.stringify({ ...bundle, version: 99 }));
    expectRefused(await cli('import', out('newer.json'), '--db', dbC), /newer version of Layerlab \(bundle format 99; this version reads 3\)/);
    const damaged = structuredClone(bundle);
    damaged.runs[0].epochs[0].loss = 'NaN';
    writeFileSync(out('damaged.json'), JSON.stringify(damaged));
    expectRefused(await cli('import', out('damaged.json'), '--db', dbC), /damaged: .*loss/);
    expectRefused(await cli('import', out('missing.json'), '--db', dbC), /Cannot read .*missing\.json: there is no such file/);
    expect(existsSync(dbC)).toBe(false);
  });

  it('options that make no sense are named', async () => {
    const p = out('x.csv');
    expectRefused(
      await cli('export', String(adam.id), '--format', 'pdf', '--out', p, '--db', dbA),
      /Unknown export format "pdf"; use one of csv, json, layer-stats, html, bundle, model/,
    );
    expectRefused(
      await cli('export', String(adam.id), '--format', 'json', '--out', p, '--baseline', '--db', dbA),
      /--baseline applies to the csv export only/,
    );
    expectRefused(await cli('export', String(adam.id), '--out', p, '--db', dbA), /needs --format/);
    expectRefused(await cli('export', String(adam.id), '--format', 'csv', '--db', dbA), /needs --out/);
    expectRefused(await cli('export', 'abc', '--format', 'csv', '--out', p, '--db', dbA), /"abc" is not a run id/);
    expectRefused(
      await cli('export', String(adam.id), '--format', 'csv', '--out', p, '--smoothing', '1', '--db', dbA),
      /--smoothing must be a number from 0/,
    );
    expectRefused(
      await cli('export', String(adam.id), '--format', 'csv', '--out', p, '--db', join(root, 'nowhere.db')),
      /There is no database at .*nowhere\.db/,
    );
    expect(existsSync(join(root, 'nowhere.db'))).toBe(false);
    expect(existsSync(p)).toBe(false);
  });

  it('a bundle of a run still training is refused; its curves so far can be exported', async () => {
    const db = join(root, 'training.db');
    const training = startCli(['train', '--preset', 'seed-model-3', '--limit', '600', '--epochs', '500', '--db', db], { processGroup: true });
    const deadline = Date.now() + 90_000;
    while (!/^epoch 1:/m.test(training.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(training.stderr()).toMatch(/^epoch 1:/m);
    const id = /Run (\d+) /.exec(training.stderr())![1];
    try {
      const bundle = out('training.bundle.json');
      expectRefused(
        await cli('export', id, '--format', 'bundle', '--out', bundle, '--db', db),
        new RegExp(`Run ${id} .* is still running; only finished runs can be exported`),
      );
      expect(existsSync(bundle)).toBe(false);
      const csv = out('training.csv');
      const r = await cli('export', id, '--format', 'csv', '--out', csv, '--db', db);
      expect(r.code, r.stderr).toBe(0);
      expect(parseCsv(readFileSync(csv, 'utf8')).length).toBeGreaterThan(4);
    } finally {
      process.kill(-training.child.pid!, 'SIGINT');
      const end = await training.done;
      expect(end.code).toBe(130);
    }
  });
});
