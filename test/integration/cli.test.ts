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

  it('plain `runs` prints a table with the run name, status and preset', async () => {
    const r = await cli(['runs', '--db', dbPath]);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = lines(r.stdout);
    expect(header).toMatch(/^id\s+name\s+status/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`^${run?.id}\\s+quick\\s+completed\\s+seed-model-3\\s+adam\\s+0\\.001\\s+2/2`));
  });

  it('plain `show ID` prints the run for a person to read', async () => {
    const r = await cli(['show', String(run?.id), '--db', dbPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Run ${run.id}: quick`);
    expect(r.stdout).toMatch(/status\s+completed/);
    expect(r.stdout).toMatch(/1200 train \/ 300 validation \/ 10000 test/);
    expect(lines(r.stdout).filter((l) => /^\s+[12]\s+\d+\.\d{4}/.test(l))).toHaveLength(2);
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
