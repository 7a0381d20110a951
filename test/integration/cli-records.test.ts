/**
 * Complete records and names first, as the CLI shows them: runs written into a real
 * SQLite file the way the app records them (no training needed), then `show`,
 * `show --json` and `export` run as child processes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliHarness, json } from './cli-harness';
import { openDatabase } from '../../src/core/store/database';
import { RunStore } from '../../src/core/store/run-store';
import { findPreset } from '../../src/shared/model/presets';
import { PROVENANCE } from '../fixtures/provenance';
import { parseCsv } from '../helpers';

let root: string;
let home: string;
let dbPath: string;
const harness = cliHarness(() => home);
const cli = (...args: string[]) => harness.cli(args);

let baseline: number;
let swept: number;
let groupId: number;
let long: number;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'layerlab-records-'));
  home = join(root, 'home');
  mkdirSync(home);
  dbPath = join(root, 'runs.db');
  const db = openDatabase(dbPath);
  const store = new RunStore(db);
  const preset = findPreset('seed-model-3')!;
  const input = { presetId: preset.id, datasetId: 'fashion-mnist', model: preset.model, host: 'h', ownerPid: process.pid };
  const epoch = (n: number, cpuSeconds: number) => ({
    epoch: n,
    loss: 1 / n,
    accuracy: 0.5 + n / 10,
    valLoss: 1.1 / n,
    valAccuracy: 0.5 + n / 11,
    seconds: 2,
    cpuSeconds,
  });
  const record = (id: number) => {
    store.markRunning(id, null);
    store.addEpoch(id, epoch(1, 3.25));
    store.addEpoch(id, epoch(2, 3.5));
    store.finish(id, 'completed');
  };
  baseline = store.createRun({ ...input, name: 'Baseline', config: { ...preset.config, epochs: 2 } }).id;
  store.recordProvenance(baseline, PROVENANCE);
  store.updateRun(baseline, { tags: ['keep', 'paper'], notes: 'the one to beat' });
  record(baseline);
  groupId = store.createGroup({ kind: 'sweep', name: 'lr sweep', repeat: 2, seed: 42, axes: [{ key: 'learningRate', values: [0.01] }] });
  swept = store.createRun({
    ...input,
    name: 'seed-model-3 · adam lr=0.01',
    named: false,
    config: { ...preset.config, epochs: 2, learningRate: 0.01, seed: 43 },
    groupId,
    sweepValues: { learningRate: 0.01 },
    repeatIndex: 1,
  }).id;
  record(swept);
  long = store.createRun({ ...input, name: 'twenty epochs', named: false, config: { ...preset.config, epochs: 20 } }).id;
  store.markRunning(long, null);
  for (let n = 1; n <= 20; n++) store.addEpoch(long, epoch(n, 1));
  store.finish(long, 'completed');
  db.close();
});

afterEach(harness.killLeftovers);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('show --json: the complete record', () => {
  it('has the tags, notes, name flag, model path, provenance and each epoch’s CPU seconds', async () => {
    const r = await cli('show', String(baseline), '--db', dbPath, '--json');
    expect(r.code, r.stderr).toBe(0);
    const shown = json(r);
    expect(shown).toMatchObject({ name: 'Baseline', named: true, tags: ['keep', 'paper'], notes: 'the one to beat', group: null, model_path: null });
    expect(shown.provenance).toEqual(PROVENANCE);
    expect(shown.epochs.map((e: { cpu_seconds: number }) => e.cpu_seconds)).toEqual([3.25, 3.5]);
  });

  it('has a swept run’s group, its swept values and its repeat', async () => {
    const shown = json(await cli('show', String(swept), '--db', dbPath, '--json'));
    expect(shown).toMatchObject({
      named: false,
      provenance: null,
      group: { group_id: groupId, sweep_values: { learningRate: 0.01 }, repeat_index: 1 },
    });
  });

  it('says it in words without --json', async () => {
    const r = await cli('show', String(baseline), '--db', dbPath);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tags        keep, paper');
    expect(r.stdout).toContain('notes       the one to beat');
    expect(r.stdout).toMatch(
      /recorded {4}Layerlab 0\.1\.0 \(commit 0123456\), 1 dataset file by SHA-256, Linux 6\.1, 8\.0 GB RAM, 1 thread, SIMD on, peak memory 300 MB/,
    );
    const other = await cli('show', String(swept), '--db', dbPath);
    expect(other.stdout).toContain(`group       #${groupId}, learningRate=0.01, repeat 2 (seed 43)`);
  });
});

describe('names first in exports', () => {
  it('csv and json call the named run by its name, what differs beside it; the other by what differs', async () => {
    const csvPath = join(root, 'curves.csv');
    const r = await cli('export', String(baseline), String(swept), '--format', 'csv', '--out', csvPath, '--db', dbPath);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseCsv(readFileSync(csvPath, 'utf8')).slice(1);
    expect(new Set(rows.map((x) => x[1]))).toEqual(new Set(['Baseline — lr=0.001, seed=42', 'lr=0.01, seed=43']));

    const jsonPath = join(root, 'curves.json');
    expect((await cli('export', String(baseline), String(swept), '--format', 'json', '--out', jsonPath, '--db', dbPath)).code).toBe(0);
    const data = JSON.parse(readFileSync(jsonPath, 'utf8'));
    expect(data.runs.map((x: { label: string; named: boolean }) => [x.label, x.named])).toEqual([
      ['Baseline — lr=0.001, seed=42', true],
      ['lr=0.01, seed=43', false],
    ]);
  });

  it('the bundle carries the record and the run’s place in the sweep', async () => {
    const out = join(root, 'runs.layerlab.json');
    const r = await cli('export', String(baseline), String(swept), '--format', 'bundle', '--out', out, '--db', dbPath);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(readFileSync(out, 'utf8'));
    expect(b.version).toBe(3);
    expect(b.runs[0]).toMatchObject({ named: true, provenance: PROVENANCE });
    expect(b.runs[0].epochs.map((e: { cpuSeconds: number }) => e.cpuSeconds)).toEqual([3.25, 3.5]);
    expect(b.runs[1]).toMatchObject({ named: false, sweepValues: { learningRate: 0.01 }, repeatIndex: 1, provenance: null });
  });

  it('an imported bundle keeps the name flag, the record and the CPU seconds', async () => {
    const out = join(root, 'again.layerlab.json');
    expect((await cli('export', String(baseline), String(swept), '--format', 'bundle', '--out', out, '--db', dbPath)).code).toBe(0);
    const other = join(root, 'other.db');
    const imported = await cli('import', out, '--db', other, '--json');
    expect(imported.code, imported.stderr).toBe(0);
    const [a, b] = json(imported).imported;
    const shownA = json(await cli('show', String(a.id), '--db', other, '--json'));
    expect(shownA).toMatchObject({ name: 'Baseline', named: true, tags: ['keep', 'paper'], provenance: PROVENANCE });
    expect(shownA.epochs.map((e: { cpu_seconds: number }) => e.cpu_seconds)).toEqual([3.25, 3.5]);
    // The group itself stays behind (its id belongs to the other database); the run's place in it comes along.
    const shownB = json(await cli('show', String(b.id), '--db', other, '--json'));
    expect(shownB).toMatchObject({ named: false, group: { group_id: null, sweep_values: { learningRate: 0.01 }, repeat_index: 1 } });
  });
});

describe('smoothing by default', () => {
  it('the html report leaves short curves raw and smooths long ones, unless a weight is given', async () => {
    const report = async (...args: string[]) => {
      const path = join(root, `report-${args.join('-')}.html`);
      const r = await cli('export', ...args, '--format', 'html', '--out', path, '--db', dbPath);
      expect(r.code, r.stderr).toBe(0);
      return readFileSync(path, 'utf8');
    };
    expect(await report(String(baseline), String(swept))).toContain('raw curves, no smoothing');
    expect(await report(String(long))).toContain('curves smoothed (weight 0.5)');
    expect(await report(String(long), '--smoothing', '0')).toContain('raw curves, no smoothing');
    expect(await report(String(long), '--smoothing', '0.3')).toContain('curves smoothed (weight 0.3)');
  });

  it('csv stays raw unless a weight is given', async () => {
    const path = join(root, 'long.csv');
    expect((await cli('export', String(long), '--format', 'csv', '--out', path, '--db', dbPath)).code).toBe(0);
    const rows = parseCsv(readFileSync(path, 'utf8')).slice(1);
    for (const r of rows) expect(r[6]).toBe(r[5]);
  });
});
