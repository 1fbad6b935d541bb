import fs from 'node:fs';
import path from 'node:path';
import { removeQuietly, renameDurably, syncFolder } from '../durable-rename';
import { DatabaseOpenError } from '../port';
import { refuseForeignFile } from './database';
import { refuseIfInUse } from './exclusive';
import { type DatabaseContents, inspectDatabaseFile, messageOf } from './inspect';

/** A restore that did not happen; the database in place was left as it was. */
export class RestoreError extends Error {
  override readonly name = 'RestoreError';
}

export interface Restored {
  readonly contents: DatabaseContents;
  /** Where the database that was in place went, or undefined when there was none. */
  readonly aside: string | undefined;
}

/** A database and the two files SQLite keeps beside it in WAL mode. */
const withSidecars = (file: string) => [file, `${file}-wal`, `${file}-shm`];

/**
 * Puts the backup `from` in place as the database `file`, for a server that
 * is stopped. The backup is copied beside `file` (0600) and checked there
 * (inspectDatabaseFile), so what is checked is what goes in place and the
 * backup itself is only read. Refused while another process has `file`
 * open. A database in place is moved aside to `<file>.before-restore-<time>`,
 * never deleted, with its -wal and -shm: they belong to it (a -wal may hold
 * its last commits), and left beside the restored file SQLite would apply
 * them to that.
 */
export function restoreDatabase(from: string, file: string, now = new Date()): Restored {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(from);
  } catch (error) {
    throw new RestoreError(`cannot read the backup ${from}: ${messageOf(error)}`, { cause: error });
  }
  if (!stat.isFile()) throw new RestoreError(`the backup ${from} is not a file`);
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.restore.${process.pid}.tmp`);
  try {
    copyPrivately(from, temporary);
    let contents: DatabaseContents;
    try {
      contents = inspectDatabaseFile(temporary);
    } catch (error) {
      if (!(error instanceof DatabaseOpenError)) throw error;
      throw new RestoreError(`${from} is not a backup that can be restored: ${error.reason}; nothing was changed`, { cause: error });
    }
    // Checked last, just before the swap, so that the window in which a
    // server could start on the old file is as short as it can be.
    if (isSqlite(file)) refuseIfInUse(file);
    const aside = moveAside(file, now);
    try {
      renameDurably(temporary, file);
    } catch (error) {
      const before = aside === undefined ? '' : `; the database that was in place is at ${aside}`;
      throw new RestoreError(`cannot put the backup in place as ${file}: ${messageOf(error)}${before}`, { cause: error });
    }
    return { contents, aside };
  } finally {
    removeQuietly(...withSidecars(temporary));
  }
}

/**
 * Whether the check for another process applies. It opens the database, and
 * SQLite, on closing the last connection, folds the -wal into the database
 * and deletes it: harmless for a database (nothing is lost), but for a file
 * that is not one it deletes the -wal outright. No server can have such a
 * file open (it refuses one at start), so it is moved aside untouched.
 */
function isSqlite(file: string): boolean {
  try {
    refuseForeignFile(file);
    return true;
  } catch (error) {
    if (error instanceof DatabaseOpenError) return false;
    throw error;
  }
}

/** Copies a file to a new one that only this user can read, and syncs it. */
function copyPrivately(from: string, to: string): void {
  const input = fs.openSync(from, 'r');
  try {
    const output = fs.openSync(to, 'wx', 0o600);
    try {
      const buffer = Buffer.alloc(1 << 16);
      for (let read: number; (read = fs.readSync(input, buffer, 0, buffer.length, null)) > 0; ) {
        fs.writeSync(output, buffer, 0, read);
      }
      fs.fsyncSync(output);
    } finally {
      fs.closeSync(output);
    }
  } finally {
    fs.closeSync(input);
  }
}

/** Renames the database and its -wal and -shm, those that exist, to `<file>.before-restore-<time>`; that name, or undefined. */
function moveAside(file: string, now: Date): string | undefined {
  const present = withSidecars(file).filter((name) => fs.existsSync(name));
  if (present.length === 0) return undefined;
  const aside = `${file}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
  if (withSidecars(aside).some((name) => fs.existsSync(name))) throw new RestoreError(`${aside} exists already; try again`);
  for (const name of present) fs.renameSync(name, aside + name.slice(file.length));
  syncFolder(path.dirname(file));
  return aside;
}
