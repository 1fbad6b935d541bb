import { SETTINGS, redactUrl } from '../config/config';

/** A command line that cannot be run as given: the message, then the usage, exit 2. */
export class UsageError extends Error {}

/**
 * Runs a command's main function and sets the exit code: what it returns,
 * 2 after a usage error (with the usage text), 1 after any other failure
 * (its message, on stderr, after `prefix`).
 */
export function runCommand(main: () => Promise<number>, usage: string, prefix = ''): void {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n\n${usage}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`${prefix}${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    },
  );
}

/**
 * The PostgreSQL database a command works on: --database-url, else
 * DATABASE_URL, checked as the server checks it; undefined when neither is set.
 */
export function databaseUrlOption(options: ReadonlyMap<string, string>): string | undefined {
  const url = options.get('--database-url') ?? (process.env['DATABASE_URL'] || undefined);
  if (url !== undefined && SETTINGS.databaseUrl.parse(url) === undefined) {
    throw new UsageError(`--database-url ${JSON.stringify(redactUrl(url))}: expected ${SETTINGS.databaseUrl.expected}`);
  }
  return url;
}
