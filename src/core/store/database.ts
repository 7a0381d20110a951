import { mkdirSync, accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../../shared/contract/api';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

/**
 * Layerlab's mark in the SQLite header (`PRAGMA application_id`): the ASCII
 * bytes "LYRL" (0x4C59524C). Written when Layerlab creates or migrates a
 * database; an existing database with tables but without it is refused
 * untouched unless it is an older, unmarked Layerlab database.
 */
export const LAYERLAB_APPLICATION_ID = 0x4c59524c;

/** Tables every Layerlab database has had since schema 1. */
const LAYERLAB_TABLES = ['runs', 'epochs', 'batch_losses', 'settings'];

export interface OpenOptions {
  /** Path of a better_sqlite3.node built for this runtime (the desktop app ships an Electron build). */
  nativeBinding?: string;
  /** For tests: the migrations to apply (defaults to all). */
  migrations?: readonly Migration[];
}

/** Open (creating if needed) a Layerlab database and bring its schema up to date. */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  let db: Db;
  try {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
      accessSync(dirname(path), constants.W_OK);
    }
    db = new Database(path, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  } catch (e) {
    throw new UserError(`Cannot open the database at ${path}: ${reason(e)}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    // Judge the schema before changing anything: a newer or foreign file stays byte for byte as it was.
    const current = db.pragma('user_version', { simple: true }) as number;
    const mark = db.pragma('application_id', { simple: true }) as number;
    refuseNewer(current, path, migrations);
    refuseForeign(db, mark, current, path, migrations);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrate(db, current, migrations);
    if (mark !== LAYERLAB_APPLICATION_ID) db.pragma(`application_id = ${LAYERLAB_APPLICATION_ID}`);
  } catch (e) {
    db.close();
    if (e instanceof UserError) throw e;
    const message = reason(e);
    if (/not a database|malformed/i.test(message)) {
      throw new UserError(
        `${path} is not a Layerlab database or is damaged (${message}); nothing was changed. Choose another file with --db or LAYERLAB_DB.`,
      );
    }
    throw new UserError(`Cannot use the database at ${path}: ${message}`);
  }
  return db;
}

/**
 * Refuse (before anything is written) a database another program made: one
 * with tables but without Layerlab's mark, unless it is an older Layerlab
 * database (Layerlab's tables and a schema version this Layerlab knows).
 */
function refuseForeign(db: Db, mark: number, current: number, path: string, migrations: readonly Migration[]): void {
  if (mark === LAYERLAB_APPLICATION_ID) return;
  const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[])
    .map((r) => r.name)
    .filter((name) => !name.startsWith('sqlite_'));
  if (names.length === 0 && current === 0 && mark === 0) return;
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const olderLayerlab = mark === 0 && current >= 1 && current <= latest && LAYERLAB_TABLES.every((t) => names.includes(t));
  if (olderLayerlab) return;
  throw new UserError(
    `${path} is not a Layerlab database: it belongs to another program (${names.length ? `tables ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}` : 'no Layerlab tables'}${mark !== 0 ? `, application id ${mark}` : ''}); nothing was changed. Choose another file with --db or LAYERLAB_DB.`,
  );
}

function refuseNewer(current: number, path: string, migrations: readonly Migration[]): void {
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > latest) {
    throw new UserError(
      `The database at ${path} was written by a newer version of Layerlab (schema ${current}; this version knows up to ${latest}). Update Layerlab, or choose another database with --db or LAYERLAB_DB. Nothing was changed.`,
    );
  }
}

function migrate(db: Db, current: number, migrations: readonly Migration[]): void {
  for (const m of migrations) {
    if (m.version <= current) continue;
    // One transaction per migration: a failure leaves the previous version intact.
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EACCES' || err?.code === 'EPERM') return 'permission denied';
  if (err?.code === 'EROFS') return 'the file system is read-only';
  // mkdir -p says EEXIST when a part of the path is a file.
  if (err?.code === 'ENOTDIR' || err?.code === 'EEXIST') return 'a part of the path is a file, not a folder';
  return err?.message ?? String(e);
}

export { LATEST_SCHEMA_VERSION };
