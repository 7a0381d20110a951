/**
 * The command line as a user runs it: a child process per command, a real
 * SQLite file in a temp folder, real Fashion-MNIST, a real trainer process.
 * LAYERLAB_HOME points at a temp folder so nothing touches the user's own data.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliHarness, expectRefused, json, lines, ROOT, type CliResult } from './cli-harness';
import { openDatabase } from '../../src/core/store/database';
import { RunStore } from '../../src/core/store/run-store';
import { findPreset } from '../../src/shared/model/presets';

const UI_BUILT = existsSync(join(ROOT, 'out/renderer/index.html'));

let root: string;
/** The user data folder the CLI sees (LAYERLAB_HOME). */
let home: string;
const { startCli, cli, killLeftovers } = cliHarness(() => home);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'layerlab-cli-'));
  home = join(root, 'home');
  mkdirSync(home);
});

// A test that failed half-way must not leave a CLI (or its trainer) training in the background.
afterEach(killLeftovers);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let dbCounter = 0;
/** A fresh database path in the temp folder (the file does not exist yet). */
function newDbPath(label = 'db'): string {
  dbCounter += 1;
  return join(root, `${label}-${dbCounter}.db`);
}

async function runsIn(db: string): Promise<any[]> {
  const r = await cli(['runs', '--json', '--db', db]);
  expect(r.code, r.stderr).toBe(0);
  return json<any[]>(r);
}

const isFiniteNumber = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

describe('train, then runs and show', () => {
  let dbPath: string;
  let result: CliResult;
  let run: any;

  beforeAll(async () => {
    dbPath = newDbPath('train');
    result = await cli([
      'train',
      '--preset',
      'seed-model-3',
      '--limit',
      '1500',
      '--epochs',
      '2',
      '--seed',
      '7',
      '--name',
      'quick',
      '--db',
      dbPath,
      '--json',
    ]);
    try {
      run = JSON.parse(result.stdout);
    } catch {
      run = undefined;
    }
  });

  it('exits 0 and prints one JSON document describing a completed run', () => {
    expect(result.code, `stderr:\n${result.stderr}`).toBe(0);
    run = json(result);
    expect(run.status).toBe('completed');
    expect(run.name).toBe('quick');
    expect(run.preset).toBe('seed-model-3');
    expect(Number.isInteger(run.id) && run.id > 0).toBe(true);
    expect(run.error).toBeNull();
  });

  it('records the training settings exactly as given, the rest from the preset', () => {
    expect(run?.config).toEqual({
      optimizer: 'adam',
      learningRate: 0.001,
      momentum: 0,
      epochs: 2,
      batchSize: 64,
      validationSplit: 0.2,
      limit: 1500,
      seed: 7,
    });
    expect(run.model.inputShape).toEqual([28, 28]);
    expect(run.model.layers.filter((l: any) => l.type === 'Dense').map((l: any) => l.units)).toEqual([64, 128, 256, 128, 64, 10]);
  });

  it('keeps both epochs with finite metrics and a test accuracy', () => {
    expect(run?.epochs).toHaveLength(2);
    run.epochs.forEach((e: any, i: number) => {
      expect(e.epoch).toBe(i + 1);
      for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds']) {
        expect(isFiniteNumber(e[k]), `epoch ${e.epoch} ${k} = ${e[k]}`).toBe(true);
      }
      expect(e.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.accuracy).toBeLessThanOrEqual(1);
      expect(e.val_accuracy).toBeGreaterThanOrEqual(0);
      expect(e.val_accuracy).toBeLessThanOrEqual(1);
      expect(e.loss).toBeGreaterThan(0);
    });
    expect(isFiniteNumber(run.test?.loss)).toBe(true);
    expect(run.test.accuracy).toBeGreaterThan(0);
    expect(run.test.accuracy).toBeLessThanOrEqual(1);
    // Ten classes: even 1,200 images and two epochs of Adam do far better than guessing.
    expect(run.test.accuracy).toBeGreaterThan(0.3);
    expect(run.epochs_done).toBe(2);
    expect(run.epochs_planned).toBe(2);
  });

  it('records the backend, the environment and the exact split of the data', () => {
    expect(typeof run?.backend).toBe('string');
    expect(run.backend.length).toBeGreaterThan(0);
    expect(run.environment?.backend).toBe(run.backend);
    expect(run.dataset).toMatchObject({ id: 'fashion-mnist', trainCount: 1200, validationCount: 300, testCount: 10000 });
    expect(typeof run.dataset.source).toBe('string');
  });

  it('shows progress on stderr: where the run is stored and a line per epoch', () => {
    expect(result.stderr).toContain(dbPath);
    expect(result.stderr).toMatch(/^epoch 1: loss \d+\.\d{4} accuracy \d\.\d{4} val_loss \d+\.\d{4} val_accuracy \d\.\d{4}/m);
    expect(result.stderr).toMatch(/^epoch 2: loss /m);
    expect(result.stderr).not.toMatch(/epoch 3:/);
  });

  it('`runs --json` lists the run as an array without per-epoch metrics', async () => {
    const list = await runsIn(dbPath);
    expect(Array.isArray(list)).toBe(true);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: run?.id, name: 'quick', status: 'completed', preset: 'seed-model-3', epochs_done: 2 });
    expect(list[0]).not.toHaveProperty('epochs');
    expect(list[0].test_accuracy).toBe(run.test.accuracy);
  });

  it('LAYERLAB_DB selects the database when --db is not given', async () => {
    const r = await cli(['runs', '--json'], { env: { LAYERLAB_DB: dbPath } });
    expect(r.code, r.stderr).toBe(0);
    expect(json<any[]>(r).map((x) => x.name)).toEqual(['quick']);
  });

  it('`show ID --json` gives back the same run and epochs', async () => {
    const r = await cli(['show', String(run?.id), '--db', dbPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const shown = json(r);
    expect(shown.id).toBe(run.id);
    expect(shown.status).toBe('completed');
    expect(shown.epochs).toEqual(run.epochs);
    expect(shown.config).toEqual(run.config);
    expect(shown.test).toEqual(run.test);
    expect(shown.dataset).toEqual(run.dataset);
  });

  it('`show ID --json` has the baseline and layer_stats for epochs 0..n in snake_case, null where a figure does not apply', async () => {
    const shown = json(await cli(['show', String(run?.id), '--db', dbPath, '--json']));
    expect(shown.baseline).toMatchObject({ epoch: 0 });
    for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds']) expect(isFiniteNumber(shown.baseline[k]), k).toBe(true);
    const stats: any[] = shown.layer_stats;
    expect(stats.length).toBeGreaterThan(0);
    for (const s of stats) {
      expect(Object.keys(s).sort()).toEqual(
        [
          'epoch',
          'batch',
          'layer',
          'name',
          'grad_norm',
          'bias_grad_norm',
          'weight_norm',
          'update_ratio',
          'act_mean',
          'act_std',
          'dead_fraction',
          'saturated_fraction',
          'nonfinite',
        ].sort(),
      );
      for (const k of ['grad_norm', 'bias_grad_norm', 'weight_norm', 'update_ratio', 'act_mean', 'act_std', 'dead_fraction', 'saturated_fraction']) {
        expect(s[k] === null || isFiniteNumber(s[k]), `${s.name} ${k} = ${s[k]}`).toBe(true);
      }
      expect(Number.isInteger(s.nonfinite)).toBe(true);
    }
    expect([...new Set(stats.map((s) => s.epoch))].sort()).toEqual([0, 1, 2]);
    // A relu layer's dead units are counted; it has no saturation figure.
    const relu = stats.find((s) => s.epoch === 2 && /relu/.test(s.name) && s.grad_norm !== null);
    expect(relu).toMatchObject({ batch: null, saturated_fraction: null });
    expect(isFiniteNumber(relu.dead_fraction)).toBe(true);
    expect(stats.filter((s) => s.epoch === 0).every((s) => s.update_ratio === null)).toBe(true);
    // The summary's new figures: best epoch by validation loss, the accuracy one beside it.
    const lowest = Math.min(...run.epochs.map((e: any) => e.val_loss));
    expect(shown.best_val_loss).toBe(lowest);
    expect(shown.best_epoch).toBe(run.epochs.find((e: any) => e.val_loss === lowest).epoch);
    expect([1, 2]).toContain(shown.best_accuracy_epoch);
    expect(shown).toMatchObject({ saved_weights: 'final', stop_reason: null, parent_run_id: null, fix_for: null });
    // train --json printed the same.
    expect(run.layer_stats).toEqual(shown.layer_stats);
  });

  it('plain `runs` prints a table with the run name, status and preset', async () => {
    const r = await cli(['runs', '--db', dbPath]);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = lines(r.stdout);
    expect(header).toMatch(/^id\s+name\s+status/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`^${run?.id}\\s+quick\\s+completed\\s+seed-model-3\\s+adam\\s+0\\.001\\s+2/2`));
    // Best epoch by validation loss, then "(acc N)" only where accuracy peaked elsewhere.
    expect(header).toMatch(/best epoch\s+best val loss\s+best val acc/);
    const shown = json(await cli(['show', String(run?.id), '--db', dbPath, '--json']));
    const best =
      shown.best_accuracy_epoch === shown.best_epoch ? `${shown.best_epoch}` : `${shown.best_epoch} \\(acc ${shown.best_accuracy_epoch}\\)`;
    expect(rows[0]).toMatch(new RegExp(`2/2\\s+${best}\\s+${shown.best_val_loss.toFixed(4)}\\s+\\d+\\.\\d\\d%`));
  });

  it('plain `show ID` prints the run for a person to read', async () => {
    const r = await cli(['show', String(run?.id), '--db', dbPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Run ${run.id}: quick`);
    expect(r.stdout).toMatch(/status\s+completed/);
    expect(r.stdout).toMatch(/1200 train \/ 300 validation \/ 10000 test/);
    expect(lines(r.stdout).filter((l) => /^\s+[12]\s+\d+\.\d{4}/.test(l))).toHaveLength(2);
    // Epoch 0, the baseline, heads the table.
    expect(lines(r.stdout).filter((l) => /^\s+0\s+\d+\.\d{4}/.test(l))).toHaveLength(1);
    expect(r.stdout).toMatch(/best epoch\s+[12] \(lowest validation loss \d\.\d{4}/);
    expect(r.stdout).toMatch(/test\s+accuracy .* \(with the last epoch’s weights\)/);
    expect(r.stdout).toMatch(/layers\s+signals of \d+ layers at epochs 0–2/);
    expect(r.stdout).not.toMatch(/stopped|trained from/);
  });
});

describe('training options', () => {
  it('reads back optimizer, learning rate, momentum, batch size and split exactly as given', async () => {
    const db = newDbPath('options');
    const r = await cli([
      'train',
      '--preset',
      'seed-model-3',
      '--optimizer',
      'sgd',
      '--lr',
      '0.05',
      '--momentum',
      '0.9',
      '--batch-size',
      '32',
      '--validation-split',
      '0.1',
      '--limit',
      '1500',
      '--epochs',
      '1',
      '--db',
      db,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const run = json(r);
    expect(run.config).toEqual({
      optimizer: 'sgd',
      learningRate: 0.05,
      momentum: 0.9,
      epochs: 1,
      batchSize: 32,
      validationSplit: 0.1,
      limit: 1500,
      seed: 42,
    });
    expect(run.optimizer).toBe('sgd');
    expect(run.learning_rate).toBe(0.05);
    expect(run.dataset).toMatchObject({ trainCount: 1350, validationCount: 150, testCount: 10000 });
    // Without --name the run is named after what distinguishes it.
    expect(run.name).toMatch(/seed-model-3.*sgd.*0\.05/);

    const shown = json(await cli(['show', String(run.id), '--db', db, '--json']));
    expect(shown.config).toEqual(run.config);
    const list = await runsIn(db);
    expect(list[0]).toMatchObject({ optimizer: 'sgd', learning_rate: 0.05 });
    const text = await cli(['show', String(run.id), '--db', db]);
    expect(text.stdout).toContain('sgd lr=0.05 momentum=0.9');
  });
});

describe('early stopping from the command line', () => {
  it('--early-stop val_loss --patience 2 stops an overfitting run early and keeps the best weights', async () => {
    const db = newDbPath('early');
    const r = await cli([
      'train',
      '--preset',
      'seed-model-3',
      '--epochs',
      '30',
      '--limit',
      '1000',
      '--early-stop',
      'val_loss',
      '--patience',
      '2',
      '--db',
      db,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const run = json(r);
    expect(run.config.earlyStopping).toEqual({ monitor: 'val_loss', patience: 2, minDelta: 0, restoreBest: true });
    expect(run.stop_reason).toMatch(/^stopped early at epoch (\d+) \(best (\d+)\)$/);
    expect(run.epochs.length).toBeLessThan(30);
    expect(run.saved_weights).toBe('best');
  });

  it('tuning without --early-stop, or watching something else, is refused in one line', async () => {
    expectRefused(
      await cli(['train', '--preset', 'seed-model-3', '--patience', '2', '--db', newDbPath('early')]),
      /--patience, --min-delta and --keep-final go with --early-stop/,
    );
    expectRefused(
      await cli(['train', '--preset', 'seed-model-3', '--early-stop', 'loss', '--db', newDbPath('early')]),
      /early stopping watches one of val_loss, val_accuracy/,
    );
  });
});

describe('a run trained again with a fix, stopped early', () => {
  it('`show` says why it stopped, which weights it kept, and which run it was trained from to fix what', async () => {
    // Recorded straight into the file, as the app would have: no training needed to read it back.
    const db = newDbPath('fix');
    const sqlite = openDatabase(db);
    const store = new RunStore(sqlite);
    const preset = findPreset('seed-model-3')!;
    const input = { presetId: preset.id, datasetId: 'fashion-mnist', model: preset.model, config: preset.config, host: 'h', ownerPid: 1 };
    const parent = store.createRun({ ...input, name: 'overfits' });
    const fixFor = { kind: 'overfitting', summary: 'add early stopping at the best epoch' };
    const child = store.createRun({ ...input, name: 'stops early', parentRunId: parent.id, fixFor });
    const e = (epoch: number, valLoss: number, valAccuracy: number) => ({ epoch, loss: 1 / epoch, accuracy: 0.8, valLoss, valAccuracy, seconds: 2 });
    store.recordBaseline(child.id, { epoch: 0, loss: 2.3, accuracy: 0.1, valLoss: 2.31, valAccuracy: 0.09, seconds: 0.5 });
    [e(1, 0.5, 0.8), e(2, 0.4, 0.84), e(3, 0.45, 0.86), e(4, 0.47, 0.85)].forEach((m) => store.addEpoch(child.id, m));
    store.recordTest(child.id, 0.41, 0.85, 'best');
    store.recordStopReason(child.id, 'stopped early at epoch 4 (best 2)');
    for (const id of [parent.id, child.id]) store.finish(id, 'completed');
    sqlite.close();

    const r = await cli(['show', String(child.id), '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopped\s+stopped early at epoch 4 \(best 2\)/);
    expect(r.stdout).toMatch(/fix\s+trained from run #1 to fix: add early stopping at the best epoch/);
    expect(r.stdout).toMatch(/test\s+accuracy 85\.00%, loss 0\.4100 \(with the best epoch’s weights\)/);
    expect(r.stdout).toMatch(/best epoch\s+2 \(lowest validation loss 0\.4000\); highest validation accuracy 86\.00% at epoch 3/);
    const [header, ...rows] = lines((await cli(['runs', '--db', db])).stdout);
    expect(header).toMatch(/best epoch/);
    expect(rows.find((l) => l.startsWith(`${child.id} `))).toMatch(/4\/\d+\s+2 \(acc 3\)\s+0\.4000\s+86\.00%/);
    const shown = json(await cli(['show', String(child.id), '--db', db, '--json']));
    expect(shown).toMatchObject({
      best_epoch: 2,
      best_val_loss: 0.4,
      best_accuracy_epoch: 3,
      saved_weights: 'best',
      stop_reason: 'stopped early at epoch 4 (best 2)',
      parent_run_id: parent.id,
      fix_for: fixFor,
      baseline: { epoch: 0, loss: 2.3, accuracy: 0.1, val_loss: 2.31, val_accuracy: 0.09, seconds: 0.5 },
      layer_stats: [],
    });
    expect(shown.epochs.map((x: any) => x.epoch)).toEqual([1, 2, 3, 4]);
  });
});

describe('findings', () => {
  it('`show` explains seed-model-1 in words with the evidence and a fix; `--json` has them as findings', async () => {
    const db = newDbPath('findings');
    const trained = await cli(['train', '--preset', 'seed-model-1', '--epochs', '2', '--limit', '3000', '--db', db, '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    const id = String(json(trained).id);

    const shown = json(await cli(['show', id, '--db', db, '--json']));
    const findings: any[] = shown.findings;
    const kinds = findings.map((f) => f.kind);
    expect(kinds.some((k) => k === 'vanishing-gradients' || k === 'saturated-activations' || k === 'not-learning')).toBe(true);
    for (const f of findings) {
      expect(Object.keys(f).sort()).toEqual(['epoch', 'evidence', 'kind', 'message', 'severity', 'suggestion']);
      expect(['info', 'warning', 'problem']).toContain(f.severity);
      expect(f.evidence).toMatchObject({ chart: expect.any(String), text: expect.any(String) });
    }
    const fixed = findings.find((f) => f.suggestion);
    expect(fixed.suggestion.summary).toMatch(/relu|adam|learning rate/);
    // The fix is a whole network or whole settings, ready to train.
    expect(fixed.suggestion.model ?? fixed.suggestion.config).toBeTruthy();

    const text = await cli(['show', id, '--db', db]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ {2}findings$/m);
    expect(text.stdout).toMatch(new RegExp(`- (problem|warning) \\(${fixed.kind}, epoch \\d+\\): `));
    expect(text.stdout).toContain(`fix: ${fixed.suggestion.summary}`);
  });
});

describe('bad input is refused with one line and nothing recorded', () => {
  const train = (...extra: string[]) => ['train', '--preset', 'seed-model-3', '--limit', '1500', '--epochs', '1', ...extra];
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown preset', ['train', '--preset', 'nope', '--limit', '1500', '--epochs', '1'], /preset "nope".*seed-model-1/],
    ['no preset', ['train', '--limit', '1500'], /--preset/],
    ['--epochs 0', train('--epochs', '0'), /epochs must be at least 1/],
    // parseArgs takes "-3" for an option; the reason must still name the option.
    ['--epochs -3', train('--epochs', '-3'), /--epochs/],
    ['--epochs=-3', train('--epochs=-3'), /epochs must be at least 1/],
    ['--epochs abc', train('--epochs', 'abc'), /epochs must be a number/],
    ['--epochs 2.5', train('--epochs', '2.5'), /epochs must be a whole number/],
    ['--lr NaN', train('--lr', 'NaN'), /learning rate must be a number/],
    ['--lr 0', train('--lr', '0'), /learning rate must be a number above 0/],
    ['--lr -1', train('--lr', '-1'), /--lr/],
    ['--lr=-1', train('--lr=-1'), /learning rate must be a number above 0/],
    ['--validation-split 0', train('--validation-split', '0'), /validation split must be between 0 and 1/],
    ['--validation-split 1.5', train('--validation-split', '1.5'), /validation split must be between 0 and 1/],
    ['--optimizer lbfgs', train('--optimizer', 'lbfgs'), /optimizer must be one of sgd, adam, rmsprop, adagrad/],
    ['an unknown option', train('--bogus'), /Unknown option '--bogus'/],
    ['an unknown command', ['frobnicate'], /Unknown command "frobnicate"/],
    ['show of a run that does not exist', ['show', '999'], /no run with id 999/],
    ['show of something that is not an id', ['show', 'abc'], /"abc" is not a run id/],
    ['show without an id', ['show'], /show needs one run id/],
  ];

  it.each(cases)('%s', async (_label, args, reason) => {
    const db = newDbPath('bad');
    const r = await cli([...args, '--db', db]);
    expectRefused(r, reason);
    expect(r.stderr).toMatch(/^layerlab: /);
    expect(await runsIn(db)).toEqual([]);
  });
});

describe('database problems', () => {
  it('a --db path under a regular file is refused with a message naming the path', async () => {
    const file = join(root, 'a-regular-file');
    writeFileSync(file, 'not a folder');
    const db = join(file, 'x.db');
    for (const args of [['runs'], ['train', '--preset', 'seed-model-3', '--limit', '1500', '--epochs', '1']]) {
      const r = await cli([...args, '--db', db]);
      expectRefused(r, /Cannot open the database/);
      expect(r.stderr).toContain(db);
    }
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it('a database from a newer version is refused and left byte for byte as it was', async () => {
    const db = newDbPath('newer');
    const raw = new Database(db);
    raw.exec("CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO runs (name) VALUES ('from the future');");
    raw.pragma('user_version = 99');
    raw.close();
    const before = readFileSync(db);
    for (const args of [
      ['runs', '--json'],
      ['show', '1'],
      ['train', '--preset', 'seed-model-3', '--limit', '1500', '--epochs', '1'],
    ]) {
      const r = await cli([...args, '--db', db]);
      expectRefused(r, /newer version/);
      expect(r.stderr).toContain(db);
      expect(readFileSync(db).equals(before), `${args[0]} changed the file`).toBe(true);
    }
    const again = new Database(db, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(99);
    again.close();
  });

  it('a file that is not a database is refused and left unchanged', async () => {
    const db = newDbPath('random');
    writeFileSync(db, randomBytes(16 * 1024));
    const before = readFileSync(db);
    for (const args of [['runs'], ['train', '--preset', 'seed-model-3', '--limit', '1500', '--epochs', '1']]) {
      const r = await cli([...args, '--db', db]);
      expectRefused(r, /not a Layerlab database/);
      expect(r.stderr).toContain(db);
      expect(readFileSync(db).equals(before)).toBe(true);
    }
  });

  it('without --db or LAYERLAB_DB the database lives in the user data folder (LAYERLAB_HOME)', async () => {
    const ownHome = join(root, 'own-home');
    const r = await cli(['runs'], { env: { LAYERLAB_HOME: ownHome } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('No runs yet.');
    expect(existsSync(join(ownHome, 'layerlab.db'))).toBe(true);
  });
});

describe('serve', () => {
  it.runIf(UI_BUILT)('prints a loopback URL with a token, serves it, and stops on SIGTERM', async () => {
    const db = newDbPath('serve');
    const s = startCli(['serve', '--port', '0', '--db', db]);
    const out = await s.waitFor('stdout', /Open http:\/\/\S+/, 30_000);
    const url = /Open (http:\/\/\S+)/.exec(out)![1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{16,}$/);
    expect(out).toContain(db);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const withoutToken = await fetch(url.replace(/\?token=.*$/, ''));
    expect(withoutToken.status).toBe(401);
    s.child.kill('SIGTERM');
    const r = await s.done;
    expect(r.code).toBe(0);
  });

  it.skipIf(UI_BUILT)('without a built UI says how to build it and exits non-zero', async () => {
    const r = await cli(['serve', '--port', '0', '--db', newDbPath('serve')]);
    expectRefused(r, /not built.*npm run build/);
  });

  it('refuses a port that is not a port', async () => {
    const r = await cli(['serve', '--port', 'abc', '--db', newDbPath('serve')]);
    // Without a built UI, that is said first; either way one clear line.
    expectRefused(r, UI_BUILT ? /--port must be a whole number/ : /not built/);
  });
});

describe('interrupting a training run', () => {
  /** Train long enough to interrupt after the first epoch, and return what the CLI printed. */
  async function interrupt(how: 'ctrl-c' | 'kill -INT') {
    const db = newDbPath('sigint');
    const s = startCli(['train', '--preset', 'seed-model-3', '--limit', '6000', '--epochs', '5', '--db', db, '--json'], {
      processGroup: how === 'ctrl-c',
    });
    await s.waitFor('stderr', /^epoch 1: /m);
    // Ctrl+C in a terminal signals the whole foreground group: the CLI and its trainer.
    process.kill(how === 'ctrl-c' ? -s.child.pid! : s.child.pid!, 'SIGINT');
    const r = await s.done;
    return { db, r, pid: s.child.pid! };
  }

  for (const how of ['ctrl-c', 'kill -INT'] as const) {
    it(`${how} cancels the run, keeps its finished epochs and exits 130`, async () => {
      const { db, r, pid } = await interrupt(how);
      expect(r.code, `stderr:\n${r.stderr}`).toBe(130);
      expect(r.stderr).toMatch(/Cancelling/);
      const run = json(r);
      expect(run.status).toBe('cancelled');
      expect(run.epochs.length).toBeGreaterThanOrEqual(1);
      expect(run.epochs.length).toBeLessThan(5);
      expect(run.epochs_planned).toBe(5);
      for (const e of run.epochs) expect(isFiniteNumber(e.val_accuracy)).toBe(true);

      const shown = json(await cli(['show', String(run.id), '--db', db, '--json']));
      expect(shown.status).toBe('cancelled');
      expect(shown.epochs).toEqual(run.epochs);
      const list = await runsIn(db);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ status: 'cancelled', epochs_done: run.epochs.length });

      if (how === 'ctrl-c') {
        // Nothing of the group (the trainer in particular) may outlive the CLI.
        let alive = true;
        for (let i = 0; i < 20 && alive; i++) {
          try {
            process.kill(-pid, 0);
            await new Promise((res) => setTimeout(res, 100));
          } catch {
            alive = false;
          }
        }
        expect(alive, 'a process of the CLI group is still running').toBe(false);
      }
    });
  }
});
