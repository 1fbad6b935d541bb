import pg from 'pg';
import { redactUrl } from '../../config/config';
import type { OidcSettings } from '../../domain/oidc-settings';
import {
  type Commit,
  DatabaseOpenError,
  type HeldRows,
  type InstanceSettings,
  type StoreDump,
  StoreNotEmptyError,
  type FirstStart,
  type NewToken,
  type SettingsState,
  StaleStateError,
  type Store,
  type StoreFault,
  type StoredEvent,
  type TokenRecord,
  type TokenRepository,
} from '../port';
import { PROJECTION_COLUMNS, PROJECTION_ON_CONFLICT } from '../projection';
import { POSTGRES_LATEST_VERSION, POSTGRES_MIGRATIONS } from './migrations';
import { checkDump, instanceOrder, tokenOrder } from '../dump';

/** The error id of a call the database could not serve (down, unreachable, out of space). */
export const STORE_UNAVAILABLE_ID = 'STORE-pg0ff1';

/** Session-level advisory lock keys ("oidc_mig", "oidc_set" in ASCII): migrations, and first start. */
const MIGRATION_LOCK = '8028075806331070823';
const SETUP_LOCK = '8028075806331856244';

export interface PostgresStoreOptions {
  /** Connections per replica (default 10). */
  readonly poolSize?: number;
  /** Called once per migration that runs. */
  readonly onMigration?: (migration: { version: number; name: string }) => void;
  /** An idle connection failed (the server restarted, the network dropped): the pool replaces it. */
  readonly onConnectionError?: (error: Error) => void;
}

/**
 * The PostgreSQL adapter: any number of replicas on one database. The
 * database decides concurrency: each commit is one statement that appends
 * the events only if the log still ends at the sequence the decision was
 * taken on, with (instance_id, sequence) as the primary key behind it, so a
 * replica that decided on a stale state writes nothing and decides again.
 * synchronous_commit stays on: a commit that returned is on the server's disk.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly shared = true;
  readonly tokens: TokenRepository;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {
    this.tokens = {
      add: (token) => this.addToken(token),
      findByHash: async (hash) => {
        const { rows } = await this.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE hash = $1`, [hash]);
        return rows[0] && toToken(rows[0]);
      },
      list: async () => (await this.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens ORDER BY created_at, id`)).rows.map(toToken),
      revoke: async (id, at) =>
        (await this.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])).rowCount === 1,
      version: async () => (await this.query<{ version: string }>('SELECT version FROM token_changes WHERE id = 1')).rows[0]!.version,
      // A query, in the background (see Tokens): a revocation reaches every replica within a second.
      recheckMs: 250,
    };
  }

  /** Connects, checks the schema and brings it up to date (once, however many replicas start together). */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const location = redactUrl(url);
    const config: pg.PoolConfig = {
      connectionString: url,
      max: options.poolSize ?? 10,
      // A database that does not answer fails calls as UNAVAILABLE, not at their deadline.
      connectionTimeoutMillis: 2000,
      query_timeout: 5000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'oidc-settings',
      // A commit is acknowledged only once it is on the server's disk,
      // whatever the database's or the role's default says.
      options: '-c synchronous_commit=on',
    };
    await migrate(config, location, options.onMigration);
    const pool = new pg.Pool(config);
    // A connection that fails while checked out (the server crashed, the
    // network dropped) emits 'error' on its client, which would end the
    // process unheard; its query fails on its own, and the pool drops it.
    pool.on('connect', (client) => client.on('error', (error) => options.onConnectionError?.(error)));
    pool.on('error', () => undefined); // idle clients: reported above already
    const store = new PostgresStore(pool, location);
    const { rows } = await store.query<{ version: string; synchronous_commit: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('synchronous_commit') AS synchronous_commit",
    );
    store.server = { version: rows[0]!.version, synchronousCommit: rows[0]!.synchronous_commit };
    return store;
  }

  /** The server's version, and the durability its sessions run with (for the start-up log). */
  server: { readonly version: string; readonly synchronousCommit: string } = { version: '', synchronousCommit: '' };

  get open(): boolean {
    return !this.closed;
  }

  async ensureInstance(first: () => FirstStart): Promise<{ id: string; created: boolean }> {
    return this.transaction(async (client) => {
      // Replicas starting together wait here; the first creates, the others find.
      await client.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK]);
      const { rows } = await client.query<{ id: string }>('SELECT id FROM instances ORDER BY created_at, id LIMIT 1');
      if (rows[0]) return { id: rows[0].id, created: false };
      const f = first();
      await client.query('INSERT INTO instances (id, created_at) VALUES ($1, $2)', [f.instanceId, f.createdAt]);
      await client.query(appendStatement(f.instanceId, 0n, f.events, f.settings, undefined));
      await insertToken(client, f.adminToken);
      f.beforeCommit();
      return { id: f.instanceId, created: true };
    });
  }

  async load(instanceId: string): Promise<SettingsState> {
    return toState((await this.query<LoadRow>(loadStatement(instanceId))).rows[0]!);
  }

  commit(commit: Commit): Promise<void> {
    return writeCommit((statement) => this.query(statement), commit);
  }

  async commitLocked(instanceId: string, decide: (latest: SettingsState) => Commit | undefined): Promise<void> {
    await this.transaction(async (client) => {
      await client.query({ name: 'lock-instance', text: LOCK_INSTANCE, values: [instanceId] });
      // Read after the lock was granted: every commit takes it first, so this is the latest, and stays it until COMMIT.
      const commit = decide(toState((await client.query<LoadRow>(loadStatement(instanceId))).rows[0]!));
      if (commit) await writeCommit((statement) => client.query(statement), commit);
    });
  }

  async readEvents(instanceId: string, afterSequence = 0n, limit = 1000): Promise<StoredEvent[]> {
    const { rows } = await this.query<EventRow>(
      'SELECT * FROM events WHERE instance_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3',
      [instanceId, afterSequence.toString(), limit],
    );
    return rows.map(toStoredEvent);
  }

  fault(error: unknown): StoreFault | undefined {
    const cause = postgresFaultCause(error);
    return cause === undefined ? undefined : { id: STORE_UNAVAILABLE_ID, message: `the database is unavailable: ${cause}` };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** Runs `work` in a transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * One statement on a pooled connection. Unlike pool.query, an error of
   * the statement (a key taken by another replica: expected here) keeps the
   * connection; only a lost or stuck connection is thrown away.
   */
  private async query<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string | pg.QueryConfig,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const client = await this.pool.connect();
    let lost: Error | undefined;
    try {
      return await client.query<R>(text, values);
    } catch (error) {
      if (postgresFaultCause(error) !== undefined) lost = error as Error;
      throw error;
    } finally {
      client.release(lost);
    }
  }

  private async addToken(token: NewToken): Promise<void> {
    await this.transaction((client) => insertToken(client, token));
  }

  // -- Moving a store (src/cli/commands/copy-store.ts): dump and restore, as the port describes them. --

  async dump(): Promise<StoreDump> {
    return this.transaction(async (client) => {
      // Every read below sees the one snapshot taken at the first.
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const instances = (await client.query<{ id: string; created_at: string }>('SELECT id, created_at FROM instances')).rows
        .map((row) => ({ id: row.id, createdAt: Number(row.created_at) }))
        .sort(instanceOrder);
      const events: StoredEvent[] = [];
      const settings: InstanceSettings[] = [];
      for (const { id } of instances) {
        const log = await client.query<EventRow>('SELECT * FROM events WHERE instance_id = $1 ORDER BY sequence', [id]);
        for (const row of log.rows) events.push(toStoredEvent(row));
        const projection = await client.query<SettingsRow>('SELECT * FROM oidc_settings WHERE instance_id = $1', [id]);
        if (projection.rows[0]) settings.push({ instanceId: id, settings: toSettings(projection.rows[0]) });
      }
      const tokens = (await client.query<TokenRow & { hash: Buffer }>(`SELECT ${TOKEN_COLUMNS}, hash FROM tokens`)).rows
        .map((row) => ({ ...toToken(row), hash: row.hash }))
        .sort(tokenOrder);
      return { instances, events, settings, tokens };
    });
  }

  async restore(dump: StoreDump): Promise<void> {
    checkDump(dump);
    await this.transaction(async (client) => {
      // A replica starting meanwhile waits in ensureInstance and then finds the restored instance;
      // the table locks keep any other writer (the token CLI) out until the commit.
      await client.query('SELECT pg_advisory_xact_lock($1)', [SETUP_LOCK]);
      await client.query('LOCK TABLE instances, events, oidc_settings, tokens IN EXCLUSIVE MODE');
      const { rows } = await client.query<HeldRows>(
        `SELECT (SELECT count(*) FROM instances)::int AS instances, (SELECT count(*) FROM events)::int AS events,
                (SELECT count(*) FROM tokens)::int AS tokens`,
      );
      const held = rows[0]!;
      if (held.instances + held.events + held.tokens > 0) throw new StoreNotEmptyError(this.location, held);
      await restoreRows(client, dump);
    });
  }
}

const PROBE = 'INSERT INTO write_probe (id, written_at) VALUES (1, $2) ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at';

/**
 * The instance's write lock: its row in instances, taken by every commit
 * before it appends (append_events, migration 2, takes it the same way).
 * FOR NO KEY UPDATE, not FOR UPDATE: the events' foreign key checks take
 * FOR KEY SHARE on the same row, which this does not block.
 */
const LOCK_INSTANCE = 'SELECT 1 FROM instances WHERE id = $1 FOR NO KEY UPDATE';

type LoadRow = SettingsRow & { last: string };
type Run = <R extends pg.QueryResultRow>(statement: pg.QueryConfig) => Promise<pg.QueryResult<R>>;

/** One statement, one snapshot: the log's end and the projection agree. */
function loadStatement(instanceId: string): pg.QueryConfig {
  return {
    name: 'load',
    text: `SELECT (SELECT coalesce(max(sequence), 0) FROM events WHERE instance_id = $1) AS last, s.*
           FROM (SELECT 1) AS one LEFT JOIN oidc_settings AS s ON s.instance_id = $1`,
    values: [instanceId],
  };
}

function toState(row: LoadRow): SettingsState {
  return { sequence: BigInt(row.last), settings: row.instance_id === null ? undefined : toSettings(row) };
}

/** Writes a commit with one statement; StaleStateError when the log no longer ends at its expected sequence. */
async function writeCommit(run: Run, commit: Commit): Promise<void> {
  if (commit.events.length === 0) {
    // Nothing to append: the decision (no change, or a refusal) stands only if the log still ends where it was taken.
    // A data-modifying WITH runs whether or not the query reads it.
    const probe = commit.probeAt === undefined ? '' : `WITH probe AS (${PROBE}) `;
    const { rows } = await run<{ last: string }>({
      text: `${probe}SELECT coalesce(max(sequence), 0) AS last FROM events WHERE instance_id = $1`,
      values: commit.probeAt === undefined ? [commit.instanceId] : [commit.instanceId, commit.probeAt],
    });
    if (BigInt(rows[0]!.last) !== commit.expectedSequence) throw new StaleStateError(commit.instanceId);
    return;
  }
  let appended: number;
  try {
    const { rows } = await run<{ appended: number }>(appendStatement(commit.instanceId, commit.expectedSequence, commit.events, commit.settings, commit.probeAt));
    appended = rows[0]!.appended;
  } catch (error) {
    // Only a writer that appends without the lock (a replica of an older version) makes a key taken here.
    if ((error as { code?: string }).code === '23505') throw new StaleStateError(commit.instanceId);
    throw error;
  }
  if (appended !== commit.events.length) throw new StaleStateError(commit.instanceId);
}

/**
 * One statement (so one transaction, and one round trip) that appends the
 * events, only if the log of the instance ends at `expected`, and writes
 * the projection when they did. It answers how many events it appended.
 */
function appendStatement(
  instanceId: string,
  expected: bigint,
  events: readonly StoredEvent[],
  settings: OidcSettings | undefined,
  probeAt: number | undefined,
): pg.QueryConfig {
  const values: unknown[] = [
    instanceId,
    expected.toString(),
    events.map((e) => e.sequence.toString()),
    events.map((e) => e.type),
    events.map((e) => JSON.stringify(e.payload)),
    events.map((e) => e.actor),
    events.map((e) => e.createdAt),
  ];
  const parts = [
    // append_events (migration 2) takes the instance's write lock first, so that a decision taken
    // under it (commitLocked) is never beaten to its sequence.
    `appended AS (SELECT append_events($1, $2::bigint, $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS n)`,
  ];
  if (settings) {
    const first = values.length + 1;
    // $1 is the instance already.
    values.push(...projectionRow(instanceId, settings).slice(1));
    const placeholders = Array.from({ length: 11 }, (_, i) => `$${first + i}`).join(', ');
    parts.push(`projected AS (
      INSERT INTO oidc_settings (${PROJECTION_COLUMNS.join(', ')})
      SELECT $1, ${placeholders} WHERE (SELECT n FROM appended) > 0
      ${PROJECTION_ON_CONFLICT})`);
  }
  if (probeAt !== undefined) {
    values.push(probeAt);
    parts.push(`probe AS (
      INSERT INTO write_probe (id, written_at) SELECT 1, $${values.length} WHERE (SELECT n FROM appended) > 0
      ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at)`);
  }
  return {
    // Named (prepared once per connection) for the common shapes.
    name: `append-${settings ? 's' : ''}${probeAt !== undefined ? 'p' : ''}`,
    text: `WITH ${parts.join(',\n')} SELECT n AS appended FROM appended`,
    values,
  };
}

/** The projection's row for an instance, in PROJECTION_COLUMNS order, as query parameters. */
function projectionRow(instanceId: string, settings: OidcSettings): unknown[] {
  const l = settings.lifetimes;
  return [
    instanceId,
    l.accessTokenLifetime.seconds.toString(),
    l.accessTokenLifetime.nanos,
    l.idTokenLifetime.seconds.toString(),
    l.idTokenLifetime.nanos,
    l.refreshTokenIdleExpiration.seconds.toString(),
    l.refreshTokenIdleExpiration.nanos,
    l.refreshTokenExpiration.seconds.toString(),
    l.refreshTokenExpiration.nanos,
    settings.details.sequence.toString(),
    settings.details.creationDate,
    settings.details.changeDate,
  ];
}

async function insertToken(client: pg.PoolClient, token: NewToken): Promise<void> {
  await client.query(
    'INSERT INTO tokens (id, hash, role, description, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [token.id, token.hash, token.role, token.description, token.createdAt, token.expiresAt],
  );
}

/**
 * Brings the schema up to date under a session advisory lock, so replicas
 * starting together on an empty database migrate it exactly once; refuses a
 * schema newer than this build knows.
 */
async function migrate(config: pg.ClientConfig, location: string, onMigration: PostgresStoreOptions['onMigration']): Promise<void> {
  const client = new pg.Client(config);
  client.on('error', () => undefined); // a connection lost here fails the query below
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_migrations');
    const current = rows[0]!.version;
    if (current > POSTGRES_LATEST_VERSION) {
      throw new DatabaseOpenError(
        location,
        `its schema version ${current} is newer than this build supports (${POSTGRES_LATEST_VERSION}); run a newer release`,
      );
    }
    for (const migration of POSTGRES_MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      onMigration?.({ version: migration.version, name: migration.name });
    }
  } finally {
    await client.end().catch(() => undefined); // ending the session releases the lock
  }
}

/**
 * Why PostgreSQL cannot serve, in words a client may read (never a host or
 * a password), or undefined when `error` is no fault of the database's
 * availability (a bug, a constraint): those stay internal errors.
 * https://www.postgresql.org/docs/15/errcodes-appendix.html
 */
export function postgresFaultCause(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code)) {
      return 'it cannot be reached';
    }
    if (code.startsWith('08')) return 'the connection to it failed';
    if (code === '57P01' || code === '57P02') return 'it is shutting down';
    if (code === '57P03') return 'it is starting up';
    if (code === '53100') return 'its disk is full';
    if (code.startsWith('53')) return 'it is out of resources';
    if (code === '25006') return 'it is read-only';
    if (code === '57014') return 'it did not answer in time';
  }
  const message = error instanceof Error ? error.message : '';
  if (/Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(message)) {
    return 'the connection to it was lost';
  }
  if (/Query read timeout/i.test(message)) return 'it did not answer in time';
  return undefined;
}

interface SettingsRow {
  instance_id: string | null;
  access_token_lifetime_seconds: string;
  access_token_lifetime_nanos: number;
  id_token_lifetime_seconds: string;
  id_token_lifetime_nanos: number;
  refresh_token_idle_expiration_seconds: string;
  refresh_token_idle_expiration_nanos: number;
  refresh_token_expiration_seconds: string;
  refresh_token_expiration_nanos: number;
  sequence: string;
  created_at: string;
  changed_at: string;
}

function toSettings(row: SettingsRow): OidcSettings {
  return {
    lifetimes: {
      accessTokenLifetime: { seconds: BigInt(row.access_token_lifetime_seconds), nanos: row.access_token_lifetime_nanos },
      idTokenLifetime: { seconds: BigInt(row.id_token_lifetime_seconds), nanos: row.id_token_lifetime_nanos },
      refreshTokenIdleExpiration: {
        seconds: BigInt(row.refresh_token_idle_expiration_seconds),
        nanos: row.refresh_token_idle_expiration_nanos,
      },
      refreshTokenExpiration: { seconds: BigInt(row.refresh_token_expiration_seconds), nanos: row.refresh_token_expiration_nanos },
    },
    details: {
      sequence: BigInt(row.sequence),
      creationDate: Number(row.created_at),
      changeDate: Number(row.changed_at),
      resourceOwner: row.instance_id!,
    },
  };
}

interface EventRow {
  instance_id: string;
  sequence: string;
  type: string;
  payload: unknown;
  actor: string;
  created_at: string;
}

const TOKEN_COLUMNS = 'id, role, description, created_at, expires_at, revoked_at';

interface TokenRow {
  id: string;
  role: string;
  description: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

const toToken = (row: TokenRow): TokenRecord => ({
  id: row.id,
  role: row.role,
  description: row.description,
  createdAt: Number(row.created_at),
  expiresAt: row.expires_at === null ? null : Number(row.expires_at),
  revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
});

// -- Restore: the rows of a dump, a batch of events per statement. --

/** Events per INSERT: 1000 rows of arrays keep a statement well under a megabyte for ordinary payloads. */
const RESTORE_BATCH = 1000;

const toStoredEvent = (row: EventRow): StoredEvent => ({
  instanceId: row.instance_id,
  sequence: BigInt(row.sequence),
  type: row.type,
  payload: row.payload,
  actor: row.actor,
  createdAt: Number(row.created_at),
});

/** Writes every row of a dump on `client`, inside the caller's transaction. */
async function restoreRows(client: pg.PoolClient, dump: StoreDump): Promise<void> {
  await client.query('INSERT INTO instances (id, created_at) SELECT * FROM unnest($1::text[], $2::bigint[])', [
    dump.instances.map((i) => i.id),
    dump.instances.map((i) => i.createdAt),
  ]);
  for (let start = 0; start < dump.events.length; start += RESTORE_BATCH) {
    const batch = dump.events.slice(start, start + RESTORE_BATCH);
    await client.query({
      name: 'restore-events',
      text: `INSERT INTO events (instance_id, sequence, type, payload, actor, created_at)
             SELECT u.instance_id, u.sequence, u.type, u.payload::jsonb, u.actor, u.created_at
             FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[])
               AS u (instance_id, sequence, type, payload, actor, created_at)`,
      values: [
        batch.map((e) => e.instanceId),
        batch.map((e) => e.sequence.toString()),
        batch.map((e) => e.type),
        batch.map((e) => JSON.stringify(e.payload)),
        batch.map((e) => e.actor),
        batch.map((e) => e.createdAt),
      ],
    });
  }
  for (const { instanceId, settings } of dump.settings) {
    const row = projectionRow(instanceId, settings);
    await client.query(
      `INSERT INTO oidc_settings (${PROJECTION_COLUMNS.join(', ')}) VALUES (${row.map((_, i) => `$${i + 1}`).join(', ')})`,
      row,
    );
  }
  // One statement: the tokens_changed trigger bumps token_changes once, as for any other change of tokens.
  await client.query(
    `INSERT INTO tokens (id, hash, role, description, created_at, expires_at, revoked_at)
     SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])`,
    [
      dump.tokens.map((t) => t.id),
      dump.tokens.map((t) => t.hash),
      dump.tokens.map((t) => t.role),
      dump.tokens.map((t) => t.description),
      dump.tokens.map((t) => t.createdAt),
      dump.tokens.map((t) => t.expiresAt),
      dump.tokens.map((t) => t.revokedAt),
    ],
  );
}
