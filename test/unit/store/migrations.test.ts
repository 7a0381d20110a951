import Database from 'better-sqlite3';
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAYERLAB_APPLICATION_ID, openDatabase } from '../../../src/core/store/database';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src/core/store/migrations';
import * as m001 from '../../../src/core/store/migrations/001-initial';
import * as m002 from '../../../src/core/store/migrations/002-designs';
import * as m003 from '../../../src/core/store/migrations/003-history';
import * as m004 from '../../../src/core/store/migrations/004-signals';
import * as m005 from '../../../src/core/store/migrations/005-evaluations';
import * as m006 from '../../../src/core/store/migrations/006-process-identity';
import * as m007 from '../../../src/core/store/migrations/007-experiments';
import * as m008 from '../../../src/core/store/migrations/008-comparison-groups';
import { ComparisonStore } from '../../../src/core/store/comparison-store';
import { tempDir } from '../../helpers';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const tables = (db: Database.Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);

describe('migrations', () => {
  it('are numbered 1, 2, 3… in order', () => {
    MIGRATIONS.forEach((m, i) => expect(m.version).toBe(i + 1));
  });

  it('001 creates runs, epochs, batch losses and settings, and sets user_version 1', () => {
    const db = openDatabase(join(t.dir, 'a.db'), { migrations: [m001] });
    expect(tables(db)).toEqual(['batch_losses', 'epochs', 'runs', 'settings', 'sqlite_sequence']);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('001 refuses an unknown run status and deletes a run’s epochs with it', () => {
    const db = openDatabase(join(t.dir, 'a.db'), { migrations: [m001] });
    const insert = (status: string) =>
      db
        .prepare(
          `INSERT INTO runs (name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
             epochs_planned, seed, host, owner_pid, created_at) VALUES ('r', ?, 'fashion-mnist', '{}', '{}', 'adam', 0.001, 64, 1, 1, 'h', 1, 'now')`,
        )
        .run(status);
    expect(() => insert('exploded')).toThrow(/CHECK/);
    const id = insert('completed').lastInsertRowid;
    db.prepare(`INSERT INTO epochs VALUES (?, 1, 0.5, 0.8, 0.6, 0.7, 1.0, 'now')`).run(id);
    db.prepare(`DELETE FROM runs WHERE id = ?`).run(id);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM epochs`).get()).toEqual({ n: 0 });
    db.close();
  });

  it('002 adds designs to a version-1 database with runs in it, keeping the runs', () => {
    const path = join(t.dir, 'a.db');
    const v1 = openDatabase(path, { migrations: [m001] });
    v1.prepare(
      `INSERT INTO runs (name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
         epochs_planned, seed, host, owner_pid, created_at) VALUES ('kept', 'completed', 'fashion-mnist', '{}', '{}', 'adam', 0.001, 64, 1, 1, 'h', 1, 'now')`,
    ).run();
    v1.close();
    const v2 = openDatabase(path, { migrations: [m001, m002] });
    expect(v2.pragma('user_version', { simple: true })).toBe(2);
    expect(tables(v2)).toContain('designs');
    expect(v2.prepare(`SELECT name FROM runs`).all()).toEqual([{ name: 'kept' }]);
    const insert = v2.prepare(`INSERT INTO designs (name, model_json, config_json, created_at, updated_at) VALUES (?, '{}', '{}', 'now', 'now')`);
    insert.run('My CNN');
    // Names are unique whatever their case: "my cnn" is the same design to a user.
    expect(() => insert.run('my cnn')).toThrow(/UNIQUE/);
    v2.close();
  });

  it('003 writes each old run’s architecture as that version worded it', () => {
    const path = join(t.dir, 'a.db');
    const v2 = openDatabase(path, { migrations: [m001, m002] });
    const insert = v2.prepare(
      `INSERT INTO runs (id, name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
         epochs_planned, seed, host, owner_pid, created_at) VALUES (?, 'old', 'completed', 'fashion-mnist', ?, '{}', 'adam', 0.001, 64, 1, 1, 'h', 1, 'now')`,
    );
    const dense = (units: number, activation: string) => ({ type: 'Dense', units, activation });
    const cnn = [
      { type: 'Reshape', targetShape: [28, 28, 1] },
      { type: 'Conv2D', filters: 32, kernelSize: [3, 3], activation: 'relu' },
      { type: 'MaxPooling2D', poolSize: [2, 2] },
      { type: 'BatchNormalization' },
      { type: 'Activation', activation: 'tanh' },
      { type: 'Dropout', rate: 0.25 },
      { type: 'Flatten' },
      ...[dense(128, 'relu'), dense(64, 'relu'), dense(32, 'sigmoid'), dense(10, 'softmax')],
    ];
    insert.run(1, JSON.stringify({ layers: cnn }));
    insert.run(2, JSON.stringify({ layers: [{ type: 'Flatten' }, dense(10, 'softmax')] }));
    insert.run(3, JSON.stringify({ layers: [] }));
    insert.run(4, '{"not": "a spec"}');
    v2.close();

    const v3 = openDatabase(path, { migrations: [m001, m002, m003] });
    expect(v3.prepare(`SELECT id, architecture FROM runs ORDER BY id`).all()).toEqual([
      { id: 1, architecture: 'Reshape 28×28×1 → Conv 32 → MaxPool → BatchNorm → tanh → Dropout 0.25 → Dense 128-64-32 relu×2, sigmoid' },
      { id: 2, architecture: 'Dense 10 softmax' },
      { id: 3, architecture: 'empty' },
      // A spec the summary cannot read leaves the column empty rather than failing the upgrade.
      { id: 4, architecture: '' },
    ]);
    v3.close();
  });

  it('004 upgrades a version-3 database: the best epoch becomes the one of lowest validation loss, the accuracy one is kept beside it', () => {
    const path = join(t.dir, 'a.db');
    const v3 = openDatabase(path, { migrations: [m001, m002, m003] });
    const insert = v3.prepare(
      `INSERT INTO runs (id, name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
         epochs_planned, seed, host, owner_pid, created_at) VALUES (?, ?, 'completed', 'fashion-mnist', '{}', '{}', 'adam', 0.001, 64, 4, 1, 'h', 1, 'now')`,
    );
    insert.run(1, 'overfits');
    insert.run(2, 'no validation');
    insert.run(3, 'never trained');
    insert.run(4, 'tied');
    const epoch = v3.prepare(`INSERT INTO epochs VALUES (?, ?, ?, 0.5, ?, ?, 1.0, 'now')`);
    // Validation loss bottoms out at epoch 2 while validation accuracy keeps creeping up to epoch 4.
    for (const [e, valLoss, valAcc] of [
      [1, 0.6, 0.8],
      [2, 0.4, 0.84],
      [3, 0.45, 0.85],
      [4, 0.5, 0.86],
    ])
      epoch.run(1, e, 1 / e, valLoss, valAcc);
    epoch.run(2, 1, 1, null, null);
    // Ties go to the earliest epoch, as before.
    epoch.run(4, 1, 1, 0.5, 0.9);
    epoch.run(4, 2, 1, 0.5, 0.9);
    // What 003 wrote: best by validation accuracy.
    v3.exec(`UPDATE runs SET best_epoch = (SELECT epoch FROM epochs e WHERE e.run_id = runs.id AND e.val_accuracy IS NOT NULL
                ORDER BY e.val_accuracy DESC, e.epoch LIMIT 1)`);
    expect(v3.prepare(`SELECT best_epoch FROM runs WHERE id = 1`).get()).toEqual({ best_epoch: 4 });
    v3.close();

    const v4 = openDatabase(path, { migrations: [m001, m002, m003, m004] });
    expect(v4.pragma('user_version', { simple: true })).toBe(4);
    expect(tables(v4)).toContain('layer_stats');
    expect(v4.prepare(`SELECT id, best_epoch, best_val_loss, best_accuracy_epoch FROM runs ORDER BY id`).all()).toEqual([
      { id: 1, best_epoch: 2, best_val_loss: 0.4, best_accuracy_epoch: 4 },
      { id: 2, best_epoch: null, best_val_loss: null, best_accuracy_epoch: null },
      { id: 3, best_epoch: null, best_val_loss: null, best_accuracy_epoch: null },
      { id: 4, best_epoch: 1, best_val_loss: 0.5, best_accuracy_epoch: 1 },
    ]);
    // Nothing is made up for old runs: no baseline, no saved-weights claim, no stop reason, no parent.
    expect(
      v4
        .prepare(
          `SELECT baseline_loss, baseline_val_accuracy, saved_weights, stop_reason, parent_run_id, fix_kind, fix_summary FROM runs WHERE id = 1`,
        )
        .get(),
    ).toEqual({
      baseline_loss: null,
      baseline_val_accuracy: null,
      saved_weights: null,
      stop_reason: null,
      parent_run_id: null,
      fix_kind: null,
      fix_summary: null,
    });
    expect(v4.prepare(`SELECT COUNT(*) AS n FROM epochs`).get()).toEqual({ n: 7 });
    v4.close();
  });

  it('004 deletes a run’s layer signals with it, and unlinks (never deletes) the runs trained from it', () => {
    const db = openDatabase(join(t.dir, 'a.db'), { migrations: [m001, m002, m003, m004] });
    const insert = db.prepare(
      `INSERT INTO runs (name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
         epochs_planned, seed, host, owner_pid, created_at, parent_run_id, saved_weights)
       VALUES (?, 'completed', 'fashion-mnist', '{}', '{}', 'adam', 0.001, 64, 1, 1, 'h', 1, 'now', ?, ?)`,
    );
    const parent = Number(insert.run('parent', null, 'final').lastInsertRowid);
    const child = Number(insert.run('child', parent, 'best').lastInsertRowid);
    expect(() => insert.run('orphan', 999, null)).toThrow(/FOREIGN KEY/);
    expect(() => insert.run('odd', null, 'middle')).toThrow(/CHECK/);
    const stat = db.prepare(
      `INSERT INTO layer_stats (run_id, epoch, batch, layer, name, grad_norm, nonfinite) VALUES (?, ?, ?, ?, 'Dense 1 (relu)', 0.1, 0)`,
    );
    stat.run(parent, 0, null, 1);
    stat.run(parent, 1, null, 1);
    stat.run(parent, 1, 50, 1);
    stat.run(child, 0, null, 1);
    // One row per run, probe and layer: the end-of-epoch probe (batch NULL) too.
    expect(() => stat.run(parent, 1, null, 1)).toThrow(/UNIQUE/);
    db.prepare(`DELETE FROM runs WHERE id = ?`).run(parent);
    expect(db.prepare(`SELECT run_id FROM layer_stats`).all()).toEqual([{ run_id: child }]);
    expect(db.prepare(`SELECT id, name, parent_run_id FROM runs`).all()).toEqual([{ id: child, name: 'child', parent_run_id: null }]);
    db.close();
  });

  it('005 adds evaluations to a version-4 database with runs in it: one row per run and split, deleted with its run', () => {
    const path = join(t.dir, 'a.db');
    const v4 = openDatabase(path, { migrations: [m001, m002, m003, m004] });
    const insert = v4.prepare(
      `INSERT INTO runs (name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
         epochs_planned, seed, host, owner_pid, created_at) VALUES (?, 'completed', 'fashion-mnist', '{}', '{}', 'adam', 0.001, 64, 1, 1, 'h', 1, 'now')`,
    );
    const a = Number(insert.run('a').lastInsertRowid);
    const b = Number(insert.run('b').lastInsertRowid);
    v4.close();

    const v5 = openDatabase(path, { migrations: [m001, m002, m003, m004, m005] });
    expect(v5.pragma('user_version', { simple: true })).toBe(5);
    expect(tables(v5)).toContain('evaluations');
    expect(v5.prepare(`SELECT name FROM runs ORDER BY id`).all()).toEqual([{ name: 'a' }, { name: 'b' }]);
    const probabilities = new Float32Array([0.25, 0.75, 1, 0]);
    const row = v5.prepare(
      `INSERT INTO evaluations (run_id, split, summary_json, labels, predicted, probabilities, created_at) VALUES (?, ?, '{}', ?, ?, ?, 'now')`,
    );
    const bytes = (p: Float32Array) => Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    row.run(a, 'test', Buffer.from([1, 0]), Buffer.from([1, 0]), bytes(probabilities));
    row.run(a, 'validation', Buffer.from([1]), Buffer.from([0]), bytes(probabilities.subarray(0, 2)));
    row.run(b, 'test', Buffer.from([1]), Buffer.from([1]), bytes(probabilities.subarray(0, 2)));
    expect(() => row.run(a, 'test', Buffer.from([1]), Buffer.from([1]), bytes(probabilities))).toThrow(/UNIQUE|PRIMARY/);
    expect(() => row.run(a, 'train', Buffer.from([1]), Buffer.from([1]), bytes(probabilities))).toThrow(/CHECK/);
    expect(() => row.run(999, 'test', Buffer.from([1]), Buffer.from([1]), bytes(probabilities))).toThrow(/FOREIGN KEY/);
    // The blobs read back byte for byte.
    const back = v5.prepare(`SELECT probabilities FROM evaluations WHERE run_id = ? AND split = 'test'`).get(a) as { probabilities: Buffer };
    expect(Array.from(new Float32Array(new Uint8Array(back.probabilities).buffer))).toEqual([0.25, 0.75, 1, 0]);
    v5.prepare(`DELETE FROM runs WHERE id = ?`).run(a);
    expect(v5.prepare(`SELECT run_id, split FROM evaluations`).all()).toEqual([{ run_id: b, split: 'test' }]);
    v5.close();
  });

  it('008 keeps a version-7 saved comparison, which opens with no groups, and saves groups from then on', () => {
    const path = join(t.dir, 'a.db');
    const v7 = openDatabase(path, { migrations: [m001, m002, m003, m004, m005, m006, m007] });
    v7.prepare(
      `INSERT INTO comparisons (name, run_ids_json, options_json, created_at, updated_at) VALUES ('old one', '[3,4]', '{"smoothing":0.6}', 'then', 'then')`,
    ).run();
    v7.close();
    const v8 = openDatabase(path, { migrations: [m001, m002, m003, m004, m005, m006, m007, m008] });
    expect(v8.pragma('user_version', { simple: true })).toBe(8);
    const comparisons = new ComparisonStore(v8);
    expect(comparisons.list()).toEqual([expect.objectContaining({ name: 'old one', runIds: [3, 4], groupIds: [], options: { smoothing: 0.6 } })]);
    const saved = comparisons.save({ name: 'with groups', runIds: [3], groupIds: [1, 2], options: {} });
    expect(comparisons.get(saved.id)).toMatchObject({ runIds: [3], groupIds: [1, 2] });
    v8.close();
  });

  it('a failing migration leaves the database at its previous version', () => {
    const path = join(t.dir, 'a.db');
    openDatabase(path, { migrations: [m001] }).close();
    const broken = { version: 3, up: (db: Database.Database) => db.exec('CREATE TABLE extra (x); SELECT * FROM no_such_table') };
    expect(() => openDatabase(path, { migrations: [m001, m002, broken] })).toThrow(/no_such_table/);
    const db = new Database(path);
    // 002 went through in its own transaction; the broken one left nothing behind.
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(tables(db)).toContain('designs');
    expect(tables(db)).not.toContain('extra');
    db.close();
  });

  it('reopening an up-to-date database keeps its data', () => {
    const path = join(t.dir, 'a.db');
    const db = openDatabase(path);
    db.prepare(`INSERT INTO settings VALUES ('k', 'v')`).run();
    db.close();
    const again = openDatabase(path);
    expect(again.prepare(`SELECT value FROM settings WHERE key = 'k'`).get()).toEqual({ value: 'v' });
    expect(again.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    again.close();
  });
});

describe('opening a database that is not ours to use', () => {
  it('refuses a database from a newer Layerlab and leaves it untouched', () => {
    const path = join(t.dir, 'newer.db');
    const db = new Database(path);
    db.exec('CREATE TABLE future (x)');
    db.pragma('user_version = 99');
    db.close();
    const before = readFileSync(path);
    expect(() => openDatabase(path)).toThrow(
      new RegExp(`newer version of Layerlab \\(schema 99; this version knows up to ${LATEST_SCHEMA_VERSION}\\)`),
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a file that is not a database, naming it, and leaves it untouched', () => {
    const path = join(t.dir, 'notes.db');
    const junk = Buffer.from('these are my notes, not a database '.repeat(200));
    writeFileSync(path, junk);
    expect(() => openDatabase(path)).toThrow(new RegExp(`${path.replace(/[.]/g, '\\.')} is not a Layerlab database`));
    expect(readFileSync(path).equals(junk)).toBe(true);
  });

  it('explains an unwritable path', () => {
    const file = join(t.dir, 'plain-file');
    writeFileSync(file, 'x');
    expect(() => openDatabase(join(file, 'layerlab.db'))).toThrow(/Cannot open the database at .*plain-file\/layerlab\.db/);
  });

  it('marks a new database with Layerlab’s application id', () => {
    const db = openDatabase(join(t.dir, 'new.db'));
    expect(db.pragma('application_id', { simple: true })).toBe(LAYERLAB_APPLICATION_ID);
    db.close();
  });

  it('refuses another program’s database, naming it, with its bytes and mtime unchanged', () => {
    const path = join(t.dir, 'notes.db');
    const raw = new Database(path);
    raw.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('buy milk');");
    raw.close();
    const old = new Date('2024-01-02T03:04:05Z');
    utimesSync(path, old, old);
    const before = readFileSync(path);
    expect(() => openDatabase(path)).toThrow(
      /notes\.db is not a Layerlab database: it belongs to another program \(tables notes\); nothing was changed/,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(old.getTime());
    const again = new Database(path, { readonly: true });
    expect(again.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(tables(again)).toEqual(['notes']);
    again.close();
  });

  it('refuses a database marked by another program even when it has tables named like Layerlab’s', () => {
    const path = join(t.dir, 'other.db');
    const raw = new Database(path);
    m001.up(raw);
    raw.pragma('user_version = 1');
    raw.pragma('application_id = 1234');
    raw.close();
    const before = readFileSync(path);
    expect(() => openDatabase(path)).toThrow(/is not a Layerlab database: .*application id 1234/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('upgrades and marks an older, unmarked Layerlab database, keeping its runs', () => {
    const path = join(t.dir, 'older.db');
    const raw = new Database(path);
    m001.up(raw);
    m002.up(raw);
    raw.pragma('user_version = 2');
    raw
      .prepare(
        `INSERT INTO runs (name, status, dataset_id, model_json, config_json, optimizer, learning_rate, batch_size,
         epochs_planned, seed, host, owner_pid, created_at) VALUES ('kept', 'completed', 'fashion-mnist', '{}', '{}', 'adam', 0.001, 64, 1, 1, 'h', 1, 'now')`,
      )
      .run();
    expect(raw.pragma('application_id', { simple: true })).toBe(0);
    raw.close();
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(LAYERLAB_APPLICATION_ID);
    expect(db.prepare(`SELECT name FROM runs`).all()).toEqual([{ name: 'kept' }]);
    db.close();
  });
});
