import fs from 'node:fs';
import Sqlite, { type Database } from 'better-sqlite3';
import { DatabaseOpenError } from '../port';
import { refuseForeignFile } from './database';
import { LATEST_VERSION } from './migrations';

/** What a copy of the database holds, for the one-line summaries of backup and restore. */
export interface DatabaseContents {
  readonly bytes: number;
  /** PRAGMA user_version: the last migration it has. */
  readonly schemaVersion: number;
  /** Per instance: its events and the sequence of its last one. */
  readonly instances: ReadonlyArray<{ readonly id: string; readonly events: number; readonly lastSequence: number }>;
  readonly events: number;
  readonly tokens: number;
}

/** The tables every schema version of this service has (migration 001). */
const TABLES = ['instances', 'events', 'oidc_settings', 'tokens'];

/**
 * Checks that `file` is a whole, sound database of this service, and says
 * what it holds: SQLite's header, PRAGMA integrity_check (every page, every
 * index entry), a schema version this build knows, and the service's
 * tables. Throws DatabaseOpenError otherwise, its reason saying why. Only for
 * files no server uses (a backup, a copy about to be restored): it opens the
 * file for writing, as SQLite needs to read a WAL-mode file without its -shm.
 */
export function inspectDatabaseFile(file: string): DatabaseContents {
  const refuse = (reason: string, cause?: unknown) => new DatabaseOpenError(file, reason, { cause });
  try {
    refuseForeignFile(file);
  } catch (error) {
    if (error instanceof DatabaseOpenError) throw refuse(error.reason, error);
    throw error;
  }
  const bytes = fs.statSync(file).size;
  if (bytes === 0) throw refuse('the file is empty');
  let db: Database;
  try {
    db = new Sqlite(file, { fileMustExist: true });
  } catch (error) {
    throw refuse(messageOf(error), error);
  }
  try {
    const problems = (db.pragma('integrity_check', { simple: false }) as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    if (problems[0] !== 'ok') throw refuse(`the file is corrupt (integrity_check: ${problems.slice(0, 3).join('; ')})`);
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const tables = new Set(db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all());
    const missing = TABLES.filter((t) => !tables.has(t));
    if (schemaVersion === 0 || missing.length > 0) {
      throw refuse(`it is not a database of this service (${missing.length > 0 ? `no table ${missing.join(', ')}` : 'no schema version'})`);
    }
    if (schemaVersion > LATEST_VERSION) {
      throw refuse(`its schema version ${schemaVersion} is newer than this build supports (${LATEST_VERSION}); use a newer release`);
    }
    const instances = db
      .prepare<[], { id: string; events: number; lastSequence: number }>(
        `SELECT i.id, count(e.sequence) AS events, coalesce(max(e.sequence), 0) AS lastSequence
           FROM instances i LEFT JOIN events e ON e.instance_id = i.id GROUP BY i.id ORDER BY i.id`,
      )
      .all();
    const [events, tokens] = db
      .prepare<[], [number, number]>('SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM tokens)')
      .raw()
      .get()!;
    return { bytes, schemaVersion, instances, events, tokens };
  } catch (error) {
    if (error instanceof DatabaseOpenError) throw error;
    // SQLITE_NOTADB, SQLITE_CORRUPT ...: a file with SQLite's header whose pages are not sound.
    throw refuse(`the file is corrupt (${messageOf(error)})`, error);
  } finally {
    db.close();
  }
}

/**
 * An error's message. Not `instanceof Error`: better-sqlite3's errors come
 * from another realm under jest, where that test fails.
 */
export function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
