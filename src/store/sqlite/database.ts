import fs from 'node:fs';
import Sqlite, { type Database } from 'better-sqlite3';
import { type OnTightened, secureDatabaseFiles } from '../file-modes';
import { LATEST_VERSION, MIGRATIONS } from './migrations';
import { WAL_SIZE_LIMIT_BYTES } from './wal-gate';
import type { Verdict } from './verify-early';
import { DatabaseOpenError } from '../port';

export { DatabaseOpenError };

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface OpenOptions {
  /**
   * Leave WAL checkpoints to someone else (the server's checkpointer) rather
   * than to whichever commit crosses 1000 pages.
   */
  externalCheckpoints?: boolean;
  /** Called once per migration that runs, e.g. to log it. */
  onMigration?: (migration: { version: number; name: string }) => void;
  /**
   * Checks every page's structure first (PRAGMA quick_check); on by default.
   * A verdict reached before (verifyEarly) stands in for the check.
   */
  verify?: boolean | Verdict;
  /** Told of each database file whose mode was broader than 0600 and was tightened. */
  onTightened?: OnTightened;
}

/**
 * Opens (creating if absent) the SQLite database, checks it and brings its
 * schema up to date. WAL with synchronous=FULL: a commit that returned is on
 * disk, even across a power loss.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  secureDatabaseFiles(file, options.onTightened);
  refuseForeignFile(file);
  let db: Database;
  try {
    db = new Sqlite(file);
  } catch (error) {
    throw new DatabaseOpenError(file, describe(error), { cause: error });
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > LATEST_VERSION) {
      throw new DatabaseOpenError(
        file,
        `its schema version ${version} is newer than this build supports (${LATEST_VERSION}); run a newer release`,
      );
    }
    const verdict = options.verify === undefined || options.verify === true ? 'unknown' : options.verify;
    if (verdict !== false) {
      const problems = verdict === 'unknown' ? quickCheck(db) : verdict.ok ? undefined : verdict.problems;
      if (problems !== undefined) throw new DatabaseOpenError(file, `the file is corrupt (${problems})`);
    }
    const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (mode !== 'wal') throw new DatabaseOpenError(file, `cannot switch to WAL (journal mode is ${mode})`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // The token CLI may write while the server runs: wait for the lock.
    db.pragma('busy_timeout = 5000');
    if (options.externalCheckpoints) db.pragma('wal_autocheckpoint = 0');
    // When the WAL starts over, its file shrinks back to this (see wal-gate.ts).
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    migrate(db, version, options.onMigration);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof DatabaseOpenError) throw error;
    throw new DatabaseOpenError(file, describe(error), { cause: error });
  }
}

/** What PRAGMA quick_check finds wrong, or undefined when the file is sound. */
function quickCheck(db: Database): string | undefined {
  const rows = db.pragma('quick_check', { simple: false }) as Array<{ quick_check: string }>;
  return rows[0]?.quick_check === 'ok' ? undefined : rows.slice(0, 3).map((r) => r.quick_check).join('; ');
}

function migrate(db: Database, from: number, onMigration: OpenOptions['onMigration']): void {
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    })();
    onMigration?.({ version: migration.version, name: migration.name });
  }
}

/**
 * SQLite refuses a file that is not a database only once a statement touches
 * it; checking the header first gives the clearer message and guarantees
 * nothing is ever written to such a file. A missing or empty file passes (a
 * new database).
 */
export function refuseForeignFile(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // a new database
    throw new DatabaseOpenError(file, describe(error), { cause: error });
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new DatabaseOpenError(file, 'it is not a regular file');
    if (stat.size === 0) return;
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const read = fs.readSync(fd, header, 0, header.length, 0);
    if (read < header.length || !header.equals(SQLITE_HEADER)) {
      throw new DatabaseOpenError(file, 'the file is not a SQLite database (bad header)');
    }
  } catch (error) {
    if (error instanceof DatabaseOpenError) throw error;
    throw new DatabaseOpenError(file, describe(error), { cause: error });
  } finally {
    fs.closeSync(fd);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
