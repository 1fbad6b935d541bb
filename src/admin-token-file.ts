import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes the first owner token where only this user can read it (mode
 * 0600), atomically: a crash leaves either no file or the whole token.
 */
export function writeAdminTokenFile(file: string, secret: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeSync(fd, `${secret}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(temporary, 0o600);
  fs.renameSync(temporary, file);
}
