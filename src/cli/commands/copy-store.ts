import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Store, StoreDump } from '../../store/port';
import { PostgresStore } from '../../store/postgres/postgres-store';
import { holdExclusively, refuseIfInUse } from '../../store/sqlite/exclusive';
import { SqliteStore } from '../../store/sqlite/sqlite-store';
import { type Command, UsageError, count, dataDirOption, databaseUrlOption, parseArgs } from '../command';

const usage = `Usage: oidc-settings copy-store --database-url <url> [--data-dir <dir>]
       (or npm run -s copy-store -- --database-url <url> [--data-dir <dir>])

Copies the service's SQLite database (oidc-settings.db in the data folder)
into an empty PostgreSQL database, to move the service there: the instance,
the whole event log (every sequence, type, payload, actor and time), the
settings, and the tokens (hashes, roles, expiries, revocations), so the same
tokens keep working. Then checks the copy against the source and prints a
one-line summary on stderr.

Stop the server first: a SQLite file another process has open is refused, and
the copy keeps it to itself until it is done. The SQLite file is checked
(quick_check) and read, never written (beyond bringing an older schema up to
date, as the server's start would). The PostgreSQL database is migrated, then
written in one transaction: a failed copy leaves it empty, and a database that
already holds an instance, an event or a token is refused. Afterwards start
the server (or its replicas) with DATABASE_URL.

Options:
  --data-dir <dir>        The server's data folder (DATA_DIR, default ./data)
  --database-url <url>    The PostgreSQL database to copy into (DATABASE_URL)
  -h, --help              This text

Exit codes: 0 copied and checked, 1 failed, 2 usage error.`;

/** The URL as the summary shows it: user, host, port and database; never a password, nor the query (which may hold one). */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username === '' ? '' : `${u.username}@`}${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** The SQLite database, checked and held for this process alone; refused when absent or open elsewhere. */
function openSource(dataDir: string): SqliteStore {
  const file = path.join(dataDir, 'oidc-settings.db');
  // SqliteStore.open would create a missing file: a wrong --data-dir must not leave an empty database behind.
  if (!fs.existsSync(file)) throw new Error(`no SQLite database at ${file} (is --data-dir the server's data folder?)`);
  refuseIfInUse(file);
  const store = SqliteStore.open(file, { verify: true });
  try {
    holdExclusively(store.db, file);
  } catch (error) {
    void store.close();
    throw error;
  }
  return store;
}

/** What differs between the source's dump and the copy, or undefined when nothing does. */
async function verify(dump: StoreDump, target: Store): Promise<string | undefined> {
  const copy = await target.dump();
  for (const { id } of dump.instances) {
    const events = dump.events.filter((e) => e.instanceId === id);
    const copied = copy.events.filter((e) => e.instanceId === id);
    if (copied.length !== events.length) return `instance ${id} has ${copied.length} events, the source ${events.length}`;
    const last = events.at(-1)?.sequence ?? 0n;
    const { sequence } = await target.load(id);
    if (sequence !== last) return `instance ${id} ends at sequence ${sequence}, the source at ${last}`;
  }
  const tokens = (await target.tokens.list()).length;
  if (tokens !== dump.tokens.length) return `it has ${tokens} tokens, the source ${dump.tokens.length}`;
  // Everything else, value by value (payloads as JSON values: PostgreSQL's jsonb keeps no key order).
  for (const part of ['instances', 'events', 'settings', 'tokens'] as const) {
    if (!isDeepStrictEqual(copy[part], dump[part])) return `its ${part} differ from the source's`;
  }
  return undefined;
}

function summary(dump: StoreDump, to: string): string {
  const last = new Map(dump.events.map((e) => [e.instanceId, e.sequence]));
  const lasts = dump.instances.map(({ id }) => last.get(id) ?? 0n);
  return (
    `copied ${count(dump.instances.length, 'instance')}, ${count(dump.events.length, 'event')} ` +
    `(last sequence${lasts.length === 1 ? '' : 's'} ${lasts.join(', ')}), ${count(dump.tokens.length, 'token')} to ${to}`
  );
}

async function run(argv: readonly string[]): Promise<number> {
  const { positional, options, help } = parseArgs(argv, ['--data-dir', '--database-url']);
  if (help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
  const url = databaseUrlOption(options);
  if (url === undefined) throw new UsageError('--database-url (or DATABASE_URL) is needed: the PostgreSQL database to copy into');
  const dataDir = dataDirOption(options);

  const source = openSource(dataDir);
  try {
    const dump = source.dump();
    if (dump.instances.length === 0) throw new Error(`${source.location} holds no instance: nothing to copy`);
    const target = await PostgresStore.open(url, { poolSize: 2 });
    try {
      await target.restore(dump);
      const problem = await verify(dump, target);
      if (problem !== undefined) {
        process.stderr.write(`copied into ${displayUrl(url)}, but the copy does not match: ${problem}; drop that database before trying again\n`);
        return 1;
      }
      process.stderr.write(`${summary(dump, displayUrl(url))}\n`);
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

export const copyStore: Command = { usage, run };
