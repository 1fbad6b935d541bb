import path from 'node:path';
import { SETTINGS, redactUrl } from '../config/config';
import type { Tightened } from '../store/file-modes';

/** One subcommand of oidc-settings (src/cli/main.ts loads its module only when it is chosen). */
export interface Command {
  /** Its --help text. */
  readonly usage: string;
  /** Runs it; the exit code. Throws (or rejects with) UsageError for a command line it cannot run. */
  run(argv: readonly string[]): number | Promise<number>;
}

/** A command line that cannot be run as given: the message, then the usage, exit 2. */
export class UsageError extends Error {}

export interface Args {
  readonly positional: string[];
  /** Options with a value (`--to file` or `--to=file`), and flags (as ''). */
  readonly options: Map<string, string>;
  readonly help: boolean;
}

/**
 * Splits a command line into positional arguments and the options a command
 * takes; anything else is a usage error.
 */
export function parseArgs(argv: readonly string[], takes: readonly string[], flags: readonly string[] = []): Args {
  const positional: string[] = [];
  const options = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    if (flags.includes(key)) {
      if (eq > 0) throw new UsageError(`option ${key} takes no value`);
      options.set(key, '');
      continue;
    }
    if (!takes.includes(key)) throw new UsageError(`unknown option ${key}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`option ${key} needs a value`);
    options.set(key, value);
  }
  return { positional, options, help };
}

/** The server's data folder: --data-dir, else DATA_DIR, else ./data; absolute. */
export function dataDirOption(options: ReadonlyMap<string, string>): string {
  return path.resolve(options.get('--data-dir') ?? (process.env['DATA_DIR'] || './data'));
}

/**
 * The PostgreSQL database a command works on: --database-url, else
 * DATABASE_URL, checked as the server checks it; undefined when neither is set.
 * Only looks at the text: nothing connects here.
 */
export function databaseUrlOption(options: ReadonlyMap<string, string>): string | undefined {
  const url = options.get('--database-url') ?? (process.env['DATABASE_URL'] || undefined);
  if (url !== undefined && SETTINGS.databaseUrl.parse(url) === undefined) {
    throw new UsageError(`--database-url ${JSON.stringify(redactUrl(url))}: expected ${SETTINGS.databaseUrl.expected}`);
  }
  return url;
}

/** "1 event", "3 events". */
export const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/**
 * For the commands that work on the SQLite file only (backup, restore):
 * when a PostgreSQL database is set, says so with PostgreSQL's own tool for
 * the job, and gives the exit code (2); undefined when none is set. Decided
 * from the text alone, before anything connects anywhere.
 */
export function sqliteOnly(command: string, options: ReadonlyMap<string, string>, instead: string): number | undefined {
  if (databaseUrlOption(options) === undefined) return undefined;
  process.stderr.write(
    `${command}: the service is on PostgreSQL here (DATABASE_URL or --database-url), and this command works on the SQLite file only.\n${instead}\n`,
  );
  return 2;
}

/** What the commands say when they tighten the mode of the server's folder or files (as the server logs it). */
export const tightenedOnStderr = (t: Tightened): void => {
  process.stderr.write(`tightened the mode of ${t.file} from ${t.from} to ${t.to}\n`);
};
