import path from 'node:path';
import { secureDataFolder } from '../../store/file-modes';
import { restoreDatabase } from '../../store/sqlite/restore';
import { type Command, UsageError, dataDirOption, parseArgs, sqliteOnly, tightenedOnStderr } from '../command';
import { contentsSummary } from '../contents-summary';

const usage = `Usage: oidc-settings restore --from <file> [--data-dir <dir>]
       (or npm run -s restore -- --from <file> ...)

Puts a backup (from oidc-settings backup) in place as the server's database,
oidc-settings.db in the data folder. Stop the server first: a database
another process has open is refused. The backup is copied into the data
folder (0600) and checked there (PRAGMA integrity_check, and that it is this
service's database, of a schema version this build knows); a file that is not
is refused and nothing changes. A database already in place, with its -wal
and -shm files, is moved aside to oidc-settings.db.before-restore-<time>,
never deleted. Then start the server: it serves the backup's settings and
event log, and the backup's tokens work again (admin.pat in the data folder
is left as it is).

By hand, the same: stop the server, copy the backup to
<data dir>/oidc-settings.db, remove any oidc-settings.db-wal and
oidc-settings.db-shm left there from before, start the server.

Options:
  --from <file>           The backup
  --data-dir <dir>        The server's data folder (DATA_DIR, default ./data); created if missing
  -h, --help              This text

On PostgreSQL (DATABASE_URL or --database-url), use pg_restore instead.
Exit codes: 0 restored, 1 failed or refused, 2 usage error.`;

function run(argv: readonly string[]): number {
  const { positional, options, help } = parseArgs(argv, ['--from', '--data-dir', '--database-url']);
  if (help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const refused = sqliteOnly('restore', options, 'Restore PostgreSQL with pg_restore, e.g. pg_restore --dbname=<empty database> oidc-settings.dump');
  if (refused !== undefined) return refused;
  const from = options.get('--from');
  if (from === undefined || from === '') throw new UsageError('--from <file> is needed: the backup to restore');
  const dataDir = dataDirOption(options);
  secureDataFolder(dataDir, tightenedOnStderr);
  const file = path.join(dataDir, 'oidc-settings.db');
  const { contents, aside } = restoreDatabase(path.resolve(from), file);
  const before = aside === undefined ? '' : `; the database that was there is now ${aside}`;
  process.stderr.write(`restored ${path.resolve(from)} to ${file}: ${contentsSummary(contents)}${before}\n`);
  return 0;
}

export const restore: Command = { usage, run };
