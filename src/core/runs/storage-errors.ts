/**
 * What the user reads when the database stops taking a run's records: what happened,
 * in their words, and what to do. SQLite's extended codes (SQLITE_IOERR_WRITE…) share
 * their family's wording.
 */
const FAMILIES: { prefix: string; what: string; todo: string }[] = [
  { prefix: 'SQLITE_FULL', what: 'The disk is full (or the database reached its size limit)', todo: 'free some space and train again' },
  {
    prefix: 'SQLITE_IOERR',
    what: 'The database file could not be written (an input/output error)',
    todo: 'check that the disk is still there and has space, then train again',
  },
  {
    prefix: 'SQLITE_READONLY',
    what: 'The database became read-only',
    todo: 'make the database file and its folder writable, then train again',
  },
  {
    prefix: 'SQLITE_CANTOPEN',
    what: 'The database file could not be opened any more',
    todo: 'check that it was not moved or deleted, then train again',
  },
  { prefix: 'SQLITE_CORRUPT', what: 'The database file is damaged', todo: 'restore it from a copy, then train again' },
  { prefix: 'SQLITE_NOTADB', what: 'The database file is damaged', todo: 'restore it from a copy, then train again' },
  {
    prefix: 'SQLITE_BUSY',
    what: 'The database was locked by another program for too long',
    todo: 'close the other program, then train again',
  },
  {
    prefix: 'SQLITE_LOCKED',
    what: 'The database was locked by another program for too long',
    todo: 'close the other program, then train again',
  },
];

/** The SQLite error code of an error from better-sqlite3, if it is one. */
export function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** Whether the error says the database cannot take writes (as opposed to a bug in what was written). */
export function isStorageError(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== null && FAMILIES.some((f) => code.startsWith(f.prefix));
}

/**
 * "The disk is full (or the database reached its size limit): the run stopped after
 * epoch 3; free some space and train again. The finished epochs are kept."
 */
export function runStoppedMessage(error: unknown, epochsDone: number): string {
  const code = sqliteCode(error);
  const family = code ? FAMILIES.find((f) => code.startsWith(f.prefix)) : undefined;
  const when = epochsDone > 0 ? `after epoch ${epochsDone}` : 'before its first epoch ended';
  const kept = epochsDone > 0 ? ' The finished epochs are kept.' : '';
  if (family) return `${family.what}: the run stopped ${when}; ${family.todo}.${kept}`;
  const detail = error instanceof Error ? error.message : String(error);
  return `The run could not be recorded (${detail}): it stopped ${when}; train again.${kept}`;
}

/** "The disk is full (or the database reached its size limit): the run could not be recorded; free some space and train again." */
export function storageRefusal(error: unknown, what: string): string {
  const code = sqliteCode(error);
  const family = code ? FAMILIES.find((f) => code.startsWith(f.prefix)) : undefined;
  return family ? `${family.what}: ${what}; ${family.todo}.` : `${what.charAt(0).toUpperCase()}${what.slice(1)}.`;
}
