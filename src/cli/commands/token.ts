import path from 'node:path';
import { Tokens } from '../../app/tokens';
import { parseDurationText } from '../../config/duration-text';
import { ROLES, isRole } from '../../domain/access';
import { secureDataFolder } from '../../store/file-modes';
import type { Store } from '../../store/port';
import type * as postgres from '../../store/postgres/postgres-store';
import { SqliteStore } from '../../store/sqlite/sqlite-store';
import { type Command, UsageError, dataDirOption, databaseUrlOption, parseArgs, tightenedOnStderr } from '../command';

const usage = `Usage: oidc-settings token <command> [options]

Commands:
  create --role ${ROLES.join('|')} [--expires 30d] [--description text]
      Prints the new token, and nothing else, on stdout. Only its SHA-256 is stored.
  list
      Lists the tokens: id, role, created, expires, revoked. Never the secrets.
  revoke <id>
      Revokes a token at once, also for a server that is running.

Options:
  --data-dir <dir>        The server's data folder (DATA_DIR, default ./data)
  --database-url <url>    The server's PostgreSQL database (DATABASE_URL), instead of the data folder
  -h, --help              This text

Works beside a running server. Also: npm run -s token -- <command> [options]
(-s keeps npm's own banner off stdout, so $(npm run -s token -- create ...) is the token).
Exit codes: 0 done, 1 failed (e.g. no such token to revoke), 2 usage error.`;

/** The options each command takes, beside --data-dir and --database-url. */
const OPTIONS: Readonly<Record<string, readonly string[]>> = {
  create: ['--role', '--expires', '--description'],
  list: [],
  revoke: [],
};
const STORE_OPTIONS = ['--data-dir', '--database-url'];

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** The store the server uses: PostgreSQL when a database URL is given, else the SQLite file in the data folder. */
async function openStore(options: ReadonlyMap<string, string>): Promise<Store> {
  const url = databaseUrlOption(options);
  if (url !== undefined) {
    // Loaded only here: pg and its pool cost a tenth of a second to load, which
    // a SQLite user should not wait for.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PostgresStore } = require('../../store/postgres/postgres-store') as typeof postgres;
    return PostgresStore.open(url, { poolSize: 1 });
  }
  const dataDir = dataDirOption(options);
  // The server's folder and files: never created or left broader than the server makes them.
  secureDataFolder(dataDir, tightenedOnStderr);
  return SqliteStore.open(path.join(dataDir, 'oidc-settings.db'), { verify: false, onTightened: tightenedOnStderr });
}

async function run(argv: readonly string[], now = Date.now()): Promise<number> {
  const { positional, options, help } = parseArgs(argv, [...STORE_OPTIONS, ...new Set(Object.values(OPTIONS).flat())]);
  const command = positional.shift();
  if (help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (command === undefined) throw new UsageError('which command: create, list or revoke?');
  const allowed = OPTIONS[command];
  if (!allowed) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  for (const key of options.keys()) {
    if (!STORE_OPTIONS.includes(key) && !allowed.includes(key)) throw new UsageError(`${command} takes no option ${key}`);
  }
  if (command !== 'revoke' && positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);

  const store = await openStore(options);
  try {
    const tokens = new Tokens(store.tokens);
    switch (command) {
      case 'create': {
        const role = options.get('--role') ?? '';
        if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        let expiresAt: number | null = null;
        const expires = options.get('--expires');
        if (expires !== undefined) {
          const d = parseDurationText(expires);
          if (!d || (d.seconds === 0n && d.nanos === 0)) {
            throw new UsageError(`--expires ${JSON.stringify(expires)}: expected a duration such as 30d or 12h`);
          }
          expiresAt = now + Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
        }
        const description = options.get('--description') ?? '';
        const issued = await tokens.issue(role, { expiresAt, description });
        process.stderr.write(`created token ${issued.id} (${role}, expires ${iso(expiresAt)})\n`);
        process.stdout.write(`${issued.secret}\n`);
        return 0;
      }
      case 'list': {
        const rows = (await tokens.list()).map((t) => [t.id, t.role, iso(t.createdAt), iso(t.expiresAt), iso(t.revokedAt), t.description]);
        const header = ['ID', 'ROLE', 'CREATED', 'EXPIRES', 'REVOKED', 'DESCRIPTION'];
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        for (const row of [header, ...rows]) {
          process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
        }
        return 0;
      }
      default: {
        const id = positional[0];
        if (id === undefined || positional.length > 1) throw new UsageError('revoke takes exactly one token id');
        if (!(await tokens.revoke(id))) {
          process.stderr.write(`no live token with id ${id}\n`);
          return 1;
        }
        process.stderr.write(`revoked token ${id}\n`);
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}

export const token: Command = { usage, run: (argv) => run(argv) };
