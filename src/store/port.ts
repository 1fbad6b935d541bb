import type { OidcSettings } from '../domain/oidc-settings';

/**
 * The storage port: what the core needs from a store, whichever database
 * holds it. Two adapters implement it: SQLite (store/sqlite, one process
 * owns one file) and PostgreSQL (store/postgres, any number of replicas on
 * one database). test/store-contract.test.ts holds both to the same rules.
 *
 * Methods answer a value or a promise: SQLite answers at once, and the core
 * then answers its caller in the same turn, as it did before there was a port.
 */

/** One entry of the append-only audit trail, the source of truth. */
export interface StoredEvent {
  readonly instanceId: string;
  /** Per instance: 1, 2, 3, … with no gaps and no duplicates. */
  readonly sequence: bigint;
  /** e.g. "instance.oidc.settings.changed" */
  readonly type: string;
  /** JSON-serialisable; for changes it holds the old and the new values. */
  readonly payload: unknown;
  /** The acting token's id, or "system" for what the service did itself. */
  readonly actor: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

/** An instance's state as of its last event. */
export interface SettingsState {
  /** The sequence of its last event (0 when it has none). */
  readonly sequence: bigint;
  /** The projection: undefined until settings were added. */
  readonly settings: OidcSettings | undefined;
}

/**
 * What one transaction writes: the events a batch of commands decided on,
 * against the state whose sequence was `expectedSequence`, and the
 * projection they leave behind.
 */
export interface Commit {
  readonly instanceId: string;
  readonly expectedSequence: bigint;
  /** Sequences expectedSequence + 1, + 2, … in order. */
  readonly events: readonly StoredEvent[];
  /** The settings after the events, when they changed them. */
  readonly settings?: OidcSettings;
  /** Also rewrite the write-probe row (a real write that changes nothing else), at this time. */
  readonly probeAt?: number;
}

/**
 * The commit decided against a state that is no longer the latest: another
 * writer appended first. The database detects it (the event log's primary
 * key, or the sequence check of a commit without events); nothing of the
 * commit was written, and the writer reloads and decides again.
 */
export class StaleStateError extends Error {
  override readonly name = 'StaleStateError';
  constructor(readonly instanceId: string) {
    super(`the state of instance ${instanceId} changed meanwhile`);
  }
}

export interface TokenRecord {
  readonly id: string;
  readonly role: string;
  readonly description: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
}

export type NewToken = Omit<TokenRecord, 'revokedAt'> & { readonly hash: Buffer };

/** Personal access tokens, known by the SHA-256 of their secret only. */
export interface TokenRepository {
  add(token: NewToken): void | Promise<void>;
  findByHash(hash: Buffer): TokenRecord | undefined | Promise<TokenRecord | undefined>;
  list(): TokenRecord[] | Promise<TokenRecord[]>;
  /** True when a live token was revoked; false when unknown or already revoked. */
  revoke(id: string, at: number): boolean | Promise<boolean>;
  /** Changes whenever any process adds or revokes a token. */
  version(): number | string | Promise<number | string>;
  /** How old a version reading may be before remembered tokens are checked again (ms). */
  readonly recheckMs: number;
}

/** What first start writes, all in one transaction, unless an instance exists already. */
export interface FirstStart {
  readonly instanceId: string;
  readonly createdAt: number;
  readonly events: readonly StoredEvent[];
  readonly settings: OidcSettings | undefined;
  readonly adminToken: NewToken;
  /** Called inside the transaction, before it commits (e.g. to write the token file). */
  readonly beforeCommit: () => void;
}

/** A store a request cannot use now, in words a client may read (never a path or a password). */
export interface StoreFault {
  readonly id: string;
  readonly message: string;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is, for logs: the file, or the database URL without its password. */
  readonly location: string;
  /**
   * Whether other processes write the same settings (replicas on
   * PostgreSQL): then every read asks the database, and every decision is
   * checked against it at commit. False for SQLite, whose one writer is
   * this process and whose memory is therefore never behind.
   */
  readonly shared: boolean;
  readonly tokens: TokenRepository;
  /** The instance this service serves: found, or created exactly once however many processes start at once. */
  ensureInstance(first: () => FirstStart): Promise<{ readonly id: string; readonly created: boolean }>;
  /** The instance's latest committed state. */
  load(instanceId: string): SettingsState | Promise<SettingsState>;
  /** One transaction; throws StaleStateError when expectedSequence is no longer the latest. */
  commit(commit: Commit): void | Promise<void>;
  /**
   * Shared stores: one transaction that holds the instance's write lock,
   * reads the latest state, asks `decide` what to write against it, and
   * writes that (nothing when it answers undefined). Every commit takes the
   * same lock, so no other writer can append between the read and the
   * write: a decision taken here cannot lose the race. The writer falls
   * back to it after losing once, so a replica that keeps losing to
   * another's steady writes is not starved. A throw of `decide` rolls back.
   */
  commitLocked?(instanceId: string, decide: (latest: SettingsState) => Commit | undefined): Promise<void>;
  /** Events after `afterSequence`, oldest first. */
  readEvents(instanceId: string, afterSequence?: bigint, limit?: number): StoredEvent[] | Promise<StoredEvent[]>;
  /** When `error` is the store being unusable (a full disk, a database that is down), what to tell the client. */
  fault(error: unknown): StoreFault | undefined;
  /** Asked before each commit: a promise to wait for first (e.g. while SQLite's WAL is checkpointed). */
  gate?(): Promise<void> | undefined;
  /** Whether it is open (false once closed). */
  readonly open: boolean;
  close(): Promise<void>;

  // -- Moving a store to another database (src/cli/commands/copy-store.ts): see StoreDump. --

  /** Everything the store holds, read in one snapshot. */
  dump(): StoreDump | Promise<StoreDump>;
  /**
   * Writes a dump, all of it in one transaction. Refuses with
   * StoreNotEmptyError, writing nothing, when the store already holds an
   * instance, an event or a token.
   */
  restore(dump: StoreDump): Promise<void>;
}

/**
 * A database that cannot be used as it is: a SQLite file that is corrupt,
 * unreadable or not SQLite, or a schema newer than this build knows.
 * Start-up stops on it; the database is left as it was, never recreated.
 * `file` is where it is (for PostgreSQL, the URL without its password).
 */
export class DatabaseOpenError extends Error {
  override readonly name = 'DatabaseOpenError';
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot use database ${file}: ${reason}`, options);
  }
}

// -- Dump and restore: what a store holds, as one value to move elsewhere. --

export interface StoredInstance {
  readonly id: string;
  readonly createdAt: number;
}

/** A token as stored: with the SHA-256 of its secret, so the secret keeps working where it is restored. */
export type StoredToken = TokenRecord & { readonly hash: Buffer };

/** The projection of one instance. */
export interface InstanceSettings {
  readonly instanceId: string;
  readonly settings: OidcSettings;
}

/**
 * A whole store, in an order both adapters give alike (see store/dump.ts):
 * instances by id; events by instance in that order, then by sequence (all
 * of them, 1…n per instance); settings by instance; tokens by creation time,
 * then id. Not the write probe, which holds nothing worth moving.
 */
export interface StoreDump {
  readonly instances: readonly StoredInstance[];
  readonly events: readonly StoredEvent[];
  readonly settings: readonly InstanceSettings[];
  readonly tokens: readonly StoredToken[];
}

/** What a store already held when a dump was to be restored into it. */
export interface HeldRows {
  readonly instances: number;
  readonly events: number;
  readonly tokens: number;
}

/** Restore refused: the target is not empty, and was left as it was. `location` never holds a password. */
export class StoreNotEmptyError extends Error {
  override readonly name = 'StoreNotEmptyError';
  constructor(
    readonly location: string,
    readonly held: HeldRows,
  ) {
    super(
      `${location} is not empty (it holds ${held.instances} instance(s), ${held.events} event(s), ${held.tokens} token(s)): ` +
        'a dump is restored only into an empty database; nothing was written',
    );
  }
}
