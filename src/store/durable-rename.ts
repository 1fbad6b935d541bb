import fs from 'node:fs';
import path from 'node:path';

/**
 * Puts a finished file under its final name so that a crash leaves either
 * the old state or the whole new file: the file's bytes reach the disk
 * first, then the rename, then the folder entry (without the folder's
 * fsync, the rename itself can be lost in a power cut).
 */
export function renameDurably(from: string, to: string): void {
  syncFile(from);
  fs.renameSync(from, to);
  syncFolder(path.dirname(to));
}

export function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Makes the renames and new names in a folder durable. */
export function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = fs.openSync(folder, 'r');
  } catch {
    return; // a platform that cannot open folders (Windows): the rename is what it is
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a folder (EINVAL); nothing more to do there.
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes files that may or may not be there (a temporary file and its -wal, -shm, -journal). */
export function removeQuietly(...files: string[]): void {
  for (const file of files) fs.rmSync(file, { force: true });
}
