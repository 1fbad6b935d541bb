import fs from 'node:fs';

/**
 * The data folder holds token hashes and the audit log: only the user the
 * server runs as may read it, whatever the umask. The folder is 0700 and the
 * database files 0600 (as admin.pat is); broader modes found at start are
 * tightened, and the caller is told so it can log it.
 */
export interface Tightened {
  readonly file: string;
  /** Octal, e.g. "0644". */
  readonly from: string;
  readonly to: string;
}

export type OnTightened = (change: Tightened) => void;

/** A data folder that others can write, whose mode cannot be fixed: start-up stops on it. */
export class DataFolderError extends Error {
  override readonly name = 'DataFolderError';
  constructor(
    readonly folder: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

const GROUP_AND_OTHERS = 0o077;
const WRITABLE_BY_OTHERS = 0o022;
const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/** Creates the data folder 0700 (its missing parents too), or tightens the existing one. */
export function secureDataFolder(folder: string, onTightened?: OnTightened): void {
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const mode = fs.statSync(folder).mode & 0o777;
  if ((mode & GROUP_AND_OTHERS) === 0) return;
  const to = mode & ~GROUP_AND_OTHERS;
  try {
    fs.chmodSync(folder, to);
  } catch (error) {
    // Others could replace the database or plant files beside it: refuse.
    // One they can only read is left as it is (the files in it are 0600).
    if (mode & WRITABLE_BY_OTHERS) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new DataFolderError(
        folder,
        `others can write to the data folder ${folder} (mode ${octal(mode)}) and its mode cannot be changed to ${octal(to)} (${code}); fix it, or choose another DATA_DIR`,
        { cause: error },
      );
    }
    return;
  }
  onTightened?.({ file: folder, from: octal(mode), to: octal(to) });
}

/**
 * Creates the database file 0600 before SQLite does (SQLite would make it
 * 0644 less the umask, and gives its -wal and -shm files the database
 * file's mode), and tightens the database, -wal and -shm files found broader.
 */
export function secureDatabaseFiles(file: string, onTightened?: OnTightened): void {
  try {
    // Creates it if absent; never truncates, nor needs to write, one that is there.
    fs.closeSync(fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_CREAT, 0o600));
  } catch {
    // Not creatable or not writable here: opening it says why.
  }
  for (const name of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      const stat = fs.statSync(name);
      if (!stat.isFile()) continue;
      mode = stat.mode & 0o777;
    } catch {
      continue;
    }
    if ((mode & GROUP_AND_OTHERS) === 0) continue;
    const to = mode & ~GROUP_AND_OTHERS;
    try {
      fs.chmodSync(name, to);
      onTightened?.({ file: name, from: octal(mode), to: octal(to) });
    } catch {
      // Not ours to change (another owner, immutable): SQLite still decides
      // whether it can be used, and the folder's own mode already guards it.
    }
  }
}
