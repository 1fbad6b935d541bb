// Self-test for test/helpers/postgres.ts: a real cluster starts, keeps its
// durability settings, hands out separate databases, and survives a crash.
import { type PostgresCluster, pgQuery, postgresAvailable, startPostgres } from '../helpers/postgres';

const query = pgQuery;

describe('startPostgres', () => {
  let cluster: PostgresCluster | undefined;

  beforeAll(async () => {
    cluster = await startPostgres();
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  it('finds the binaries', () => {
    expect(postgresAvailable()).toBe(true);
  });

  it('keeps fsync and synchronous_commit on', async () => {
    const url = cluster!.url();
    expect(url).toBe(`postgres://postgres@127.0.0.1:${cluster!.port}/postgres`);
    expect(await query(url, 'SHOW synchronous_commit')).toEqual([{ synchronous_commit: 'on' }]);
    expect(await query(url, 'SHOW fsync')).toEqual([{ fsync: 'on' }]);
  });

  it('creates two separate, working databases', async () => {
    const a = await cluster!.createDatabase();
    const b = await cluster!.createDatabase('other');
    expect(a).not.toBe(b);
    await query(a, 'CREATE TABLE only_in_a (id int)');
    const [nameA] = await query<{ db: string }>(a, 'SELECT current_database() AS db');
    const [nameB] = await query<{ db: string }>(b, 'SELECT current_database() AS db');
    expect(a.endsWith(`/${nameA!.db}`)).toBe(true);
    expect(b.endsWith(`/${nameB!.db}`)).toBe(true);
    expect(await query(b, `SELECT to_regclass('only_in_a') AS t`)).toEqual([{ t: null }]);
  });

  it('fails queries after kill() and works again, with committed rows, after start()', async () => {
    const db = await cluster!.createDatabase('crash');
    await query(db, 'CREATE TABLE t (v int); INSERT INTO t VALUES (42)');
    await cluster!.kill();
    await expect(query(db, 'SELECT 1')).rejects.toThrow();
    await cluster!.start();
    expect(await query(db, 'SELECT v FROM t')).toEqual([{ v: 42 }]);
  }, 60_000);
});
