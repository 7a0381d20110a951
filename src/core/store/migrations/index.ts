import type { Database } from 'better-sqlite3';
import * as m001 from './001-initial';
import * as m002 from './002-designs';
import * as m003 from './003-history';
import * as m004 from './004-signals';
import * as m005 from './005-evaluations';
import * as m006 from './006-process-identity';
import * as m007 from './007-experiments';
import * as m008 from './008-comparison-groups';

export interface Migration {
  version: number;
  up(db: Database): void;
}

/** In order; each one's version is one more than the previous. */
export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
