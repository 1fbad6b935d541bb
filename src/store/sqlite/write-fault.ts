import fs from 'node:fs';

/**
 * Why the database cannot be written, in words a client may read (never a
 * path), or undefined when `error` is no fault of the storage (a bug, a
 * constraint): those stay internal errors. SQLite's extended result codes
 * name the class: https://www.sqlite.org/rescode.html
 */
export function writeFaultCause(error: unknown, file: string): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'SQLITE_FULL') return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY')) return 'it is read-only';
  if (code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') return 'permission is denied';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'its files cannot be opened';
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code.startsWith('SQLITE_LOCKED')) {
    return 'it is locked by another process';
  }
  if (code.startsWith('SQLITE_IOERR')) return ioErrorCause(file);
  return undefined;
}

/**
 * SQLite reports a write refused by the file system (a read-only mount, an
 * immutable file) as a plain I/O error; asking the file system once more
 * tells those apart from a failing device.
 */
function ioErrorCause(file: string): string {
  for (const name of [`${file}-wal`, file]) {
    try {
      fs.closeSync(fs.openSync(name, 'r+'));
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code;
      if (errno === 'EROFS' || errno === 'EPERM' || errno === 'EACCES') return 'it is read-only';
      if (errno === 'ENOSPC') return 'the disk is full';
    }
  }
  return 'an I/O error';
}
