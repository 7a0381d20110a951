import type { Database } from 'better-sqlite3';

/**
 * Who a running run belongs to, beyond a bare PID (PIDs are reused): the start time
 * of the process that owns the run and of its trainer, as process-identity.ts reads
 * it. Null for runs recorded before this version, whose PIDs alone are trusted.
 */
export const version = 6;

export function up(db: Database): void {
  db.exec(`
    ALTER TABLE runs ADD COLUMN owner_started TEXT;
    ALTER TABLE runs ADD COLUMN trainer_started TEXT;
  `);
}
