import Sqlite, { type Database } from 'better-sqlite3';
import { DatabaseOpenError } from '../port';

/**
 * Tools that must be alone with the database (copy-store, restore) take it for
 * themselves. In WAL mode every open connection holds a shared lock for as
 * long as it is open, even idle, so an exclusive lock is refused while the
 * server (or the token CLI) has the file open; once taken, locking_mode
 * EXCLUSIVE keeps it past the transaction until the connection closes, and
 * nothing else can read or write the file meanwhile.
 * https://www.sqlite.org/pragma.html#pragma_locking_mode
 */
export function holdExclusively(db: Database, file: string): void {
  db.pragma('busy_timeout = 0');
  db.pragma('locking_mode = EXCLUSIVE');
  try {
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    if (!inUse(error)) throw error;
    throw new DatabaseOpenError(file, 'another process has it open: stop the server (and any token CLI) first', { cause: error });
  }
}

/**
 * Throws DatabaseOpenError when another process has the file open, before
 * anything (a check, a migration) touches it; any other problem is left to
 * the open that follows, which names it.
 */
export function refuseIfInUse(file: string): void {
  let db: Database;
  try {
    db = new Sqlite(file, { fileMustExist: true });
  } catch {
    return;
  }
  try {
    holdExclusively(db, file);
  } catch (error) {
    if (error instanceof DatabaseOpenError) throw error;
  } finally {
    db.close();
  }
}

function inUse(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
