import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFaultCause } from '../../src/store/sqlite/write-fault';

/** SQLite's extended result codes -> the cause a client is told (never a path). */
describe('writeFaultCause', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fault-')), 'test.db');
  beforeAll(() => {
    fs.writeFileSync(file, '');
    fs.writeFileSync(`${file}-wal`, '');
  });

  it.each([
    ['SQLITE_FULL', 'the disk is full'],
    ['SQLITE_READONLY', 'it is read-only'],
    ['SQLITE_READONLY_DIRECTORY', 'it is read-only'],
    ['SQLITE_READONLY_DBMOVED', 'it is read-only'],
    ['SQLITE_PERM', 'permission is denied'],
    ['SQLITE_CANTOPEN', 'its files cannot be opened'],
    ['SQLITE_BUSY', 'it is locked by another process'],
    ['SQLITE_BUSY_SNAPSHOT', 'it is locked by another process'],
    ['SQLITE_IOERR_WRITE', 'an I/O error'],
    ['SQLITE_IOERR_FSYNC', 'an I/O error'],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', undefined],
    ['SQLITE_ERROR', undefined],
    [undefined, undefined],
  ])('%s -> %s', (code, cause) => {
    expect(writeFaultCause(Object.assign(new Error('x'), { code }), file)).toBe(cause);
  });

  it('names an I/O error on a file that cannot be opened for writing (immutable, read-only mount) read-only', () => {
    fs.chmodSync(`${file}-wal`, 0o400);
    // Root ignores permission bits; an immutable file it cannot write either.
    execFileSync('chattr', ['+i', `${file}-wal`]);
    try {
      expect(writeFaultCause(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }), file)).toBe('it is read-only');
    } finally {
      execFileSync('chattr', ['-i', `${file}-wal`]);
    }
  });

  it('is undefined for anything that is not a SQLite error', () => {
    expect(writeFaultCause(new TypeError('bug'), file)).toBeUndefined();
    expect(writeFaultCause(null, file)).toBeUndefined();
  });
});
