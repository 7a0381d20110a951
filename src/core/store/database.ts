import { mkdirSync, accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../../shared/contract/api';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

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
    refuseNewer(current, path, migrations);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrate(db, current, migrations);
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
