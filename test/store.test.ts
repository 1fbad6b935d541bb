/**
 * The database as the server leaves it: WAL, synchronous=FULL (an
 * acknowledged write survives power loss, which a SIGKILL test cannot show),
 * numbered migrations in user_version, STRICT tables, an append-only log.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { openDatabase } from '../src/store/sqlite/database';
import { LATEST_VERSION } from '../src/store/sqlite/migrations';
import { type TestServer, startTestServer } from './helpers/server';

describe('the SQLite store', () => {
  let server: TestServer;
  let db: Database.Database;
  beforeAll(async () => {
    server = await startTestServer();
    db = new Database(path.join(server.dataDir, 'oidc-settings.db'));
  });
  afterAll(async () => {
    db.close();
    await server.stop();
  });

  it('is in WAL mode, at the latest schema version', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(LATEST_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('commits with synchronous=FULL: a connection as openDatabase makes it (the server opens its own so)', () => {
    const own = openDatabase(path.join(server.dataDir, 'oidc-settings.db'), { verify: false, externalCheckpoints: true });
    try {
      expect(own.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(own.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      own.close();
    }
  });

  it('has only STRICT tables', () => {
    const tables = db
      .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ name: string; strict: number }>;
    expect(tables.map((t) => t.name).sort()).toEqual(['events', 'instances', 'oidc_settings', 'tokens', 'write_probe']);
    for (const table of tables) expect({ table: table.name, strict: table.strict }).toEqual({ table: table.name, strict: 1 });
  });

  it('refuses to change or delete an event: the log is append-only', () => {
    expect(db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBeGreaterThan(0);
    expect(() => db.prepare("UPDATE events SET actor = 'someone else'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
  });
});
