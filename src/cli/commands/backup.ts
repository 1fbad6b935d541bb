import path from 'node:path';
import { backupDatabase } from '../../store/sqlite/backup';
import { type Command, UsageError, dataDirOption, parseArgs, sqliteOnly } from '../command';
import { contentsSummary } from '../contents-summary';

const usage = `Usage: oidc-settings backup --to <file> [--data-dir <dir>] [--force]
       (or npm run -s backup -- --to <file> ...)

Copies the SQLite database (oidc-settings.db in the data folder) to <file>,
consistently, also while the server runs and writes: through SQLite's online
backup, as one snapshot. The copy is written beside <file> under a temporary
name, checked (PRAGMA integrity_check, and that it is this service's
database), synced and only then renamed to <file>, readable only by you
(0600). Prints one line on stderr: the file, its size, its events and the
last sequence.

The backup holds everything: the instance, the event log, the settings and
the tokens (hashes, roles, expiries, revocations). Restore it with
oidc-settings restore. Never copy the live file with cp: its latest commits
may still be in the -wal file beside it.

Options:
  --to <file>             Where to write the backup
  --data-dir <dir>        The server's data folder (DATA_DIR, default ./data)
  --force                 Replace <file> if it exists (otherwise refused)
  -h, --help              This text

On PostgreSQL (DATABASE_URL or --database-url), use pg_dump instead.
Exit codes: 0 backed up and checked, 1 failed, 2 usage error.`;

async function run(argv: readonly string[]): Promise<number> {
  const { positional, options, help } = parseArgs(argv, ['--to', '--data-dir', '--database-url'], ['--force']);
  if (help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const refused = sqliteOnly('backup', options, 'Back PostgreSQL up with pg_dump, e.g. pg_dump --format=custom --file=oidc-settings.dump "$DATABASE_URL"');
  if (refused !== undefined) return refused;
  const to = options.get('--to');
  if (to === undefined || to === '') throw new UsageError('--to <file> is needed: where to write the backup');
  const source = path.join(dataDirOption(options), 'oidc-settings.db');
  const target = path.resolve(to);
  const contents = await backupDatabase(source, target, { force: options.has('--force') });
  process.stderr.write(`backed up ${source} to ${target}: ${contentsSummary(contents)}; integrity_check ok\n`);
  return 0;
}

export const backup: Command = { usage, run };
