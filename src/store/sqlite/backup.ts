import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { removeQuietly, renameDurably } from '../durable-rename';
import { DatabaseOpenError } from '../port';
import { refuseForeignFile } from './database';
import { type DatabaseContents, inspectDatabaseFile, messageOf } from './inspect';

/** A backup that was not made; nothing was left under the target's name. */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}

/**
 * SQLite's online backup copies a given number of pages per step and, when
 * another connection (the running server) writes between two steps, starts
 * over at the next step. better-sqlite3 copies 100 pages a step; under a
 * steady write load a database of more than 100 pages could then start over
 * forever. Every page in one step instead: the step runs inside one read
 * transaction, so it is a consistent snapshot that no write can interrupt
 * (in WAL mode the server goes on writing meanwhile), and it ends the
 * backup. The database is small (megabytes), so the step is short. (The
 * first step, better-sqlite3's own, copies no page: it learns the count.)
 * https://www.sqlite.org/c3ref/backup_finish.html#sqlite3backupstep
 */
const EVERY_PAGE = 0x7fffffff;

/** How long a step waits for a lock on the source (e.g. while another connection recovers the WAL). */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Copies the database at `source` to `target` while a server may be using
 * it, through SQLite's online backup API; checks the copy
 * (inspectDatabaseFile) and only then gives it the target's name. The copy
 * is written beside the target under a temporary name, 0600 from its first
 * byte (it holds token hashes and the audit trail), synced, and renamed: a
 * crash or a failed check never leaves a partial backup under the target's
 * name. An existing target is refused unless `force`.
 */
export async function backupDatabase(source: string, target: string, options: { force?: boolean } = {}): Promise<DatabaseContents> {
  if (!fs.existsSync(source)) throw new BackupError(`no SQLite database at ${source} (is --data-dir the server's data folder?)`);
  refuseForeignFile(source);
  if (isDatabaseFile(source, target)) throw new BackupError(`${target} is the database itself: choose a file elsewhere`);
  if (!options.force && fs.existsSync(target)) throw new BackupError(`${target} exists: choose another file, or add --force to replace it`);
  if (fs.existsSync(target) && !fs.statSync(target).isFile()) throw new BackupError(`${target} is not a file`);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    fs.closeSync(fs.openSync(temporary, 'wx', 0o600));
  } catch (error) {
    throw new BackupError(`cannot write beside ${target}: ${messageOf(error)}`, { cause: error });
  }
  try {
    let db: Sqlite.Database;
    try {
      db = new Sqlite(source, { fileMustExist: true });
    } catch (error) {
      throw new DatabaseOpenError(source, messageOf(error), { cause: error });
    }
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      await db.backup(temporary, { progress: () => EVERY_PAGE });
    } finally {
      db.close();
    }
    let contents: DatabaseContents;
    try {
      contents = inspectDatabaseFile(temporary);
    } catch (error) {
      if (!(error instanceof DatabaseOpenError)) throw error;
      throw new BackupError(`the copy of ${source} failed its check, so no backup was written: ${error.reason}`, { cause: error });
    }
    renameDurably(temporary, target);
    return contents;
  } finally {
    // After the rename only the -wal/-shm/-journal names can be left (normally none are).
    removeQuietly(temporary, `${temporary}-wal`, `${temporary}-shm`, `${temporary}-journal`);
  }
}

/** Whether `target` names the database or its -wal or -shm (which --force would replace), through any symbolic link. */
function isDatabaseFile(source: string, target: string): boolean {
  const real = (file: string) => {
    try {
      return path.join(fs.realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      return path.resolve(file);
    }
  };
  const database = fs.realpathSync(source);
  return [database, `${database}-wal`, `${database}-shm`].includes(real(target));
}
