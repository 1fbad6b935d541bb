/**
 * The storage port's contract, run against both adapters (a real SQLite
 * file, a real PostgreSQL 15 cluster), so the two cannot drift.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Commit, DatabaseOpenError, type FirstStart, StaleStateError, type Store, type StoredEvent } from '../src/store/port';
import { type NewToken, type StoreDump, StoreNotEmptyError, type StoredToken } from '../src/store/port';
import { InvalidDumpError } from '../src/store/dump';
import { PostgresStore } from '../src/store/postgres/postgres-store';
import { SqliteStore } from '../src/store/sqlite/sqlite-store';
import type { OidcSettings } from '../src/domain/oidc-settings';
import { type PostgresCluster, pgQuery, startPostgres } from './helpers/postgres';
import { tempDir } from './helpers/server';

interface Adapter {
  readonly name: string;
  /** A new, empty database; returns how to open it. */
  fresh(): Promise<{ open(): Promise<Store>; exec(sql: string): Promise<void>; newerSchema(): Promise<void> }>;
}

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(() => cluster?.destroy(), 60_000);

const ADAPTERS: Adapter[] = [
  {
    name: 'SQLite',
    fresh: () => {
      const file = path.join(tempDir(), 'oidc-settings.db');
      const exec = (sql: string) => {
        const db = new Database(file);
        try {
          db.exec(sql);
        } finally {
          db.close();
        }
      };
      return Promise.resolve({
        // An executor's throw is its promise's rejection, as with PostgreSQL.
        open: () => new Promise((resolve) => resolve(SqliteStore.open(file))),
        exec: (sql) => new Promise((resolve) => resolve(exec(sql))),
        newerSchema: () => new Promise((resolve) => resolve(exec('PRAGMA user_version = 999'))),
      });
    },
  },
  {
    name: 'PostgreSQL',
    fresh: async () => {
      const url = await cluster.createDatabase('contract');
      return {
        open: () => PostgresStore.open(url, { poolSize: 4 }),
        exec: async (sql) => void (await pgQuery(url, sql)),
        newerSchema: async () => void (await pgQuery(url, "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')")),
      };
    },
  },
];

const settingsAt = (sequence: bigint, seconds: bigint, nanos = 0): OidcSettings => ({
  lifetimes: {
    accessTokenLifetime: { seconds, nanos },
    idTokenLifetime: { seconds: 60n, nanos: 1 },
    refreshTokenIdleExpiration: { seconds: 315_576_000_000n, nanos: 999_999_999 },
    refreshTokenExpiration: { seconds: 7200n, nanos: 0 },
  },
  details: { sequence, creationDate: 1_700_000_000_000, changeDate: 1_700_000_000_000 + Number(sequence), resourceOwner: 'inst' },
});

const event = (sequence: bigint, payload: unknown = { n: Number(sequence) }, instanceId = 'inst'): StoredEvent => ({
  instanceId,
  sequence,
  type: 'test.event',
  payload,
  actor: 'actor-1',
  createdAt: 1_700_000_000_000 + Number(sequence),
});

let tokenCount = 0;
const firstStart = (overrides: Partial<FirstStart> = {}, instanceId = 'inst'): FirstStart => ({
  instanceId,
  createdAt: 1_700_000_000_000,
  events: [event(1n, { id: instanceId }, instanceId), event(2n, { old: null, new: { a: '1s' } }, instanceId)],
  settings: settingsAt(2n, 43_200n),
  adminToken: {
    id: `token-${++tokenCount}`,
    hash: Buffer.alloc(32, tokenCount),
    role: 'IAM_OWNER',
    description: 'created at first start',
    createdAt: 1_700_000_000_000,
    expiresAt: null,
  },
  beforeCommit: () => undefined,
  ...overrides,
});

/** Commits as the writer sees it: SQLite answers at once (and throws), PostgreSQL with a promise. */
const commit = async (store: Store, c: Commit) => store.commit(c);

describe.each(ADAPTERS)('the store contract on $name', (adapter) => {
  let db: Awaited<ReturnType<Adapter['fresh']>>;
  let store: Store;
  const opened: Store[] = [];
  const open = async () => {
    const s = await db.open();
    opened.push(s);
    return s;
  };
  beforeEach(async () => {
    db = await adapter.fresh();
    store = await open();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  describe('first start', () => {
    it('creates the instance, its events, projection and token in one go, once', async () => {
      let delivered = 0;
      expect(await store.ensureInstance(() => firstStart({ beforeCommit: () => delivered++ }))).toEqual({ id: 'inst', created: true });
      expect(await store.ensureInstance(() => firstStart({}, 'other'))).toEqual({ id: 'inst', created: false });
      expect(delivered).toBe(1);
      expect(await store.load('inst')).toEqual({ sequence: 2n, settings: settingsAt(2n, 43_200n) });
      expect((await store.readEvents('inst')).map((e) => e.sequence)).toEqual([1n, 2n]);
      expect((await store.tokens.list()).map((t) => t.id)).toEqual([`token-${tokenCount}`]);
    });

    it('leaves nothing behind when the token cannot be delivered', async () => {
      const failing = () =>
        firstStart({
          beforeCommit: () => {
            throw new Error('disk full');
          },
        });
      await expect(store.ensureInstance(failing)).rejects.toThrow('disk full');
      expect(await store.load('inst')).toEqual({ sequence: 0n, settings: undefined });
      expect(await store.tokens.list()).toEqual([]);
    });

    it('creates exactly one instance and one token when several processes start at once', async () => {
      const stores = await Promise.all([1, 2, 3, 4, 5].map(() => open()));
      const results = await Promise.all(stores.map((s, i) => s.ensureInstance(() => firstStart({}, `inst-${i}`))));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(await store.tokens.list()).toHaveLength(1);
    });
  });

  describe('commits', () => {
    beforeEach(() => store.ensureInstance(() => firstStart()));

    it('appends events and writes the projection; both read back exactly', async () => {
      const payload = { old: { accessTokenLifetime: '43200s' }, new: { accessTokenLifetime: '1.000000001s', note: 'é ✓' } };
      await commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [event(3n, payload), event(4n)], settings: settingsAt(4n, 1n, 1) });
      expect(await store.load('inst')).toEqual({ sequence: 4n, settings: settingsAt(4n, 1n, 1) });
      const events = await store.readEvents('inst', 2n);
      expect(events).toEqual([event(3n, payload), event(4n)]);
      expect(await store.readEvents('inst', 0n, 1)).toHaveLength(1);
    });

    it('is seen at once by another process on the same database', async () => {
      const other = await open();
      await commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [event(3n)], settings: settingsAt(3n, 5n) });
      expect(await other.load('inst')).toEqual({ sequence: 3n, settings: settingsAt(3n, 5n) });
    });

    it('refuses a commit decided on a stale state, writing nothing', async () => {
      await commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [event(3n)], settings: settingsAt(3n, 5n) });
      await expect(
        commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [event(3n, { late: true })], settings: settingsAt(3n, 9n) }),
      ).rejects.toBeInstanceOf(StaleStateError);
      // A commit without events (a no-change Update, a refusal) is checked too.
      await expect(commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [] })).rejects.toBeInstanceOf(StaleStateError);
      // And one that would leave a gap.
      await expect(
        commit(store, { instanceId: 'inst', expectedSequence: 4n, events: [event(5n)], settings: settingsAt(5n, 9n) }),
      ).rejects.toBeInstanceOf(StaleStateError);
      expect(await store.load('inst')).toEqual({ sequence: 3n, settings: settingsAt(3n, 5n) });
      expect((await store.readEvents('inst')).map((e) => e.sequence)).toEqual([1n, 2n, 3n]);
    });

    it('lets exactly one of two writers that decided on the same state commit', async () => {
      const other = await open();
      const outcomes = await Promise.allSettled([
        commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [event(3n, { by: 'a' })], settings: settingsAt(3n, 1n) }),
        commit(other, { instanceId: 'inst', expectedSequence: 2n, events: [event(3n, { by: 'b' })], settings: settingsAt(3n, 2n) }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(StaleStateError);
      const [third] = await store.readEvents('inst', 2n);
      const winner = (third!.payload as { by: string }).by;
      expect((await store.load('inst')).settings).toEqual(settingsAt(3n, winner === 'a' ? 1n : 2n));
    });

    it('commits a probe write, and an unchanged state when its sequence is still the latest', async () => {
      await commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [], probeAt: Date.now() });
      await commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [] });
      expect((await store.load('inst')).sequence).toBe(2n);
    });

    it('keeps the event log append-only', async () => {
      const refusal = async (sql: string) => {
        try {
          await db.exec(sql);
        } catch (error) {
          return error instanceof Error ? error.message : String(error);
        }
        return 'accepted';
      };
      expect(await refusal("UPDATE events SET type = 'x'")).toMatch(/append-only/);
      expect(await refusal('DELETE FROM events')).toMatch(/append-only/);
      expect(await store.readEvents('inst')).toHaveLength(2);
    });
  });

  describe('tokens', () => {
    const token = (id: string, fill: number) => ({
      id,
      hash: Buffer.alloc(32, fill),
      role: 'IAM_OWNER_VIEWER',
      description: `token ${id}`,
      createdAt: 1_700_000_000_000 + fill,
      expiresAt: fill === 2 ? 1_800_000_000_000 : null,
    });

    it('adds, finds by hash, lists in order, revokes once', async () => {
      await store.tokens.add(token('b', 2));
      await store.tokens.add(token('a', 1));
      expect(await store.tokens.findByHash(Buffer.alloc(32, 2))).toEqual({
        id: 'b',
        role: 'IAM_OWNER_VIEWER',
        description: 'token b',
        createdAt: 1_700_000_000_002,
        expiresAt: 1_800_000_000_000,
        revokedAt: null,
      });
      expect(await store.tokens.findByHash(Buffer.alloc(32, 9))).toBeUndefined();
      expect((await store.tokens.list()).map((t) => t.id)).toEqual(['a', 'b']);
      expect(await store.tokens.revoke('a', 1_700_000_000_100)).toBe(true);
      expect(await store.tokens.revoke('a', 1_700_000_000_200)).toBe(false);
      expect(await store.tokens.revoke('nobody', 1)).toBe(false);
      expect((await store.tokens.findByHash(Buffer.alloc(32, 1)))?.revokedAt).toBe(1_700_000_000_100);
    });

    it('changes its version when another process adds or revokes a token', async () => {
      const other = await open();
      const v0 = await store.tokens.version();
      await other.tokens.add(token('c', 3));
      const v1 = await store.tokens.version();
      expect(v1).not.toEqual(v0);
      await other.tokens.revoke('c', 1);
      expect(await store.tokens.version()).not.toEqual(v1);
    });
  });

  describe('schema', () => {
    it('refuses a database whose schema is newer than this build knows, leaving it as it was', async () => {
      await store.close();
      await db.newerSchema();
      await expect(db.open()).rejects.toBeInstanceOf(DatabaseOpenError);
      await expect(db.open()).rejects.toThrow(/schema version 999 is newer than this build supports/);
    });

    it('migrates once however many processes open an empty database at once', async () => {
      const fresh = await adapter.fresh();
      const stores = await Promise.all([1, 2, 3, 4].map(() => fresh.open()));
      opened.push(...stores);
      await stores[0]!.ensureInstance(() => firstStart());
      for (const s of stores) expect((await s.load('inst')).sequence).toBe(2n);
    });
  });

  describe('faults', () => {
    it('calls a constraint violation no fault of the store (it stays an internal error)', async () => {
      await store.ensureInstance(() => firstStart());
      const token = { id: 'dup', hash: Buffer.alloc(32, 7), role: 'IAM_OWNER', description: '', createdAt: 1, expiresAt: null };
      await store.tokens.add(token);
      const duplicate = await (async () => {
        try {
          await store.tokens.add(token);
        } catch (error) {
          return error;
        }
        throw new Error('a duplicate token id was accepted');
      })();
      expect(store.fault(duplicate)).toBeUndefined();
      expect(store.fault(new Error('a bug'))).toBeUndefined();
    });
  });
});

describe('dump and restore', () => {
  const opened: Store[] = [];
  const openFresh = async (adapter: Adapter) => {
    const db = await adapter.fresh();
    const store = await db.open();
    opened.push(store);
    return { db, store };
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  const newToken = (id: string, fill: number): NewToken => ({
    id,
    // Unlike Buffer.alloc(32, n), never the hash of a first start's token.
    hash: createHash('sha256').update(id).digest(),
    role: 'IAM_OWNER_VIEWER',
    description: `token ${id}`,
    createdAt: 1_700_000_000_000 + fill,
    expiresAt: fill % 2 === 0 ? 1_800_000_000_000 + fill : null,
  });
  const token = (id: string, fill: number, revokedAt: number | null = null): StoredToken => ({ ...newToken(id, fill), revokedAt });

  /**
   * Two instances (one without settings), a log longer than a restore
   * batch, payloads that need escaping, tokens live, expiring and revoked.
   */
  async function filledStore(adapter: Adapter): Promise<Store> {
    const { db, store } = await openFresh(adapter);
    await store.ensureInstance(() => firstStart());
    const tricky = { old: { accessTokenLifetime: '43200s' }, new: { text: 'é ✓ "quoted" \\ back\nslash \u2028', list: [1, null, true, 1.5, -0.25] } };
    await commit(store, { instanceId: 'inst', expectedSequence: 2n, events: [event(3n, tricky)], settings: settingsAt(3n, 9n) });
    const many = Array.from({ length: 2497 }, (_, i) => event(BigInt(4 + i), { n: 4 + i, padding: 'x'.repeat(i % 50) }));
    await commit(store, { instanceId: 'inst', expectedSequence: 3n, events: many, settings: settingsAt(2500n, 1n, 999_999_999) });
    await db.exec("INSERT INTO instances (id, created_at) VALUES ('other', 1700000000500)");
    await commit(store, { instanceId: 'other', expectedSequence: 0n, events: [1n, 2n, 3n].map((n) => event(n, { other: Number(n) }, 'other')) });
    await store.tokens.add(newToken('viewer', 2));
    await store.tokens.add(newToken('gone', 3));
    expect(await store.tokens.revoke('gone', 1_700_000_000_300)).toBe(true);
    return store;
  }

  const pairs = ADAPTERS.flatMap((from) => ADAPTERS.map((to) => ({ from, to, name: `${from.name} into ${to.name}` })));

  it.each(pairs)('carries a whole store over, $name: the same load, events, tokens and hashes', async ({ from, to }) => {
    const source = await filledStore(from);
    const dump = await source.dump();
    expect(dump.instances.map((i) => i.id)).toEqual(['inst', 'other']);
    expect(dump.events).toHaveLength(2503);
    expect(dump.tokens.map((t) => t.id)).toEqual([`token-${tokenCount}`, 'viewer', 'gone']);

    const { db, store: target } = await openFresh(to);
    // Another process on the target, as a replica that remembers tokens.
    const other = await db.open();
    opened.push(other);
    const versionBefore = await other.tokens.version();
    await target.restore(dump);

    for (const id of ['inst', 'other', 'absent']) {
      expect(await target.load(id)).toEqual(await source.load(id));
      expect(await target.readEvents(id, 0n, 10_000)).toEqual(await source.readEvents(id, 0n, 10_000));
    }
    expect(await target.tokens.list()).toEqual(await source.tokens.list());
    for (const { hash } of dump.tokens) expect(await target.tokens.findByHash(hash)).toEqual(await source.tokens.findByHash(hash));
    expect(await target.dump()).toEqual(dump);
    expect(await other.tokens.version()).not.toEqual(versionBefore);

    // The target goes on where the source stopped.
    expect(await target.ensureInstance(() => firstStart({}, 'new'))).toEqual({ id: 'inst', created: false });
    await expect(commit(target, { instanceId: 'inst', expectedSequence: 2499n, events: [event(2500n)] })).rejects.toBeInstanceOf(StaleStateError);
    await commit(target, { instanceId: 'inst', expectedSequence: 2500n, events: [event(2501n)], settings: settingsAt(2501n, 7n) });
    expect(await target.load('inst')).toEqual({ sequence: 2501n, settings: settingsAt(2501n, 7n) });
  });

  it.each(ADAPTERS)('dumps an empty store on $name as empty, and restores it', async (adapter) => {
    const { store } = await openFresh(adapter);
    const empty: StoreDump = { instances: [], events: [], settings: [], tokens: [] };
    expect(await store.dump()).toEqual(empty);
    await store.restore(empty);
    expect(await store.dump()).toEqual(empty);
  });

  const sample: StoreDump = {
    instances: [{ id: 'inst', createdAt: 1_700_000_000_000 }],
    events: [event(1n), event(2n)],
    settings: [{ instanceId: 'inst', settings: settingsAt(2n, 5n) }],
    tokens: [token('one', 1), token('two', 2, 1_700_000_000_100)],
  };

  describe.each(ADAPTERS)('restore into $name', (adapter) => {
    it('refuses a store that holds an instance, writing nothing', async () => {
      const { store } = await openFresh(adapter);
      await store.ensureInstance(() => firstStart({}, 'mine'));
      const before = await store.dump();
      const refusal = store.restore(sample);
      await expect(refusal).rejects.toBeInstanceOf(StoreNotEmptyError);
      await expect(refusal).rejects.toThrow(/is not empty \(it holds 1 instance\(s\), 2 event\(s\), 1 token\(s\)\).*nothing was written/);
      expect(await store.dump()).toEqual(before);
    });

    it('refuses a store that holds only a token, writing nothing', async () => {
      const { store } = await openFresh(adapter);
      await store.tokens.add(newToken('lone', 9));
      const before = await store.dump();
      await expect(store.restore(sample)).rejects.toBeInstanceOf(StoreNotEmptyError);
      expect(await store.dump()).toEqual(before);
    });

    it('writes nothing when a row fails halfway (one transaction), and restores into the same store afterwards', async () => {
      const { store } = await openFresh(adapter);
      const clash = { ...token('three', 3), hash: sample.tokens[0]!.hash };
      // Matched on its message: better-sqlite3's errors come from the realm of the first test file
      // that loaded it in this worker, so toThrow() (which wants this realm's Error) may not see one.
      await expect(store.restore({ ...sample, tokens: [...sample.tokens, clash] })).rejects.toMatchObject({
        message: expect.stringMatching(/unique|duplicate key/i) as unknown,
      });
      expect(await store.dump()).toEqual({ instances: [], events: [], settings: [], tokens: [] });
      await store.restore(sample);
      expect(await store.dump()).toEqual(sample);
    });

    it('refuses a dump whose log has a gap or an unknown instance, writing nothing', async () => {
      const { store } = await openFresh(adapter);
      await expect(store.restore({ ...sample, events: [event(1n), event(3n)] })).rejects.toThrow(
        new InvalidDumpError('the log of instance inst goes from sequence 1 to 3'),
      );
      await expect(store.restore({ ...sample, events: [event(1n, {}, 'elsewhere')] })).rejects.toBeInstanceOf(InvalidDumpError);
      expect(await store.dump()).toEqual({ instances: [], events: [], settings: [], tokens: [] });
    });
  });
});

describe('PostgreSQL sessions', () => {
  it('commit with synchronous_commit on, even where the database says off', async () => {
    const url = await cluster.createDatabase('durable');
    const name = new URL(url).pathname.slice(1);
    await pgQuery(url, `ALTER DATABASE "${name}" SET synchronous_commit = off`);
    expect(await pgQuery(url, 'SHOW synchronous_commit')).toEqual([{ synchronous_commit: 'off' }]);
    const store = await PostgresStore.open(url);
    try {
      expect(store.server).toEqual({ version: expect.stringMatching(/^15\./) as unknown, synchronousCommit: 'on' });
    } finally {
      await store.close();
    }
  });
});
