import type { Database, Statement } from 'better-sqlite3';
import type { Commit, FirstStart, SettingsState, Store, StoreDump, StoreFault, StoredEvent, TokenRepository } from '../port';
import { StaleStateError, StoreNotEmptyError } from '../port';
import { type Checkpointer, type CheckpointFailure, startCheckpointer } from './checkpointer';
import { type OpenOptions, openDatabase } from './database';
import { EventLog } from './event-log';
import { InstanceStore, SettingsProjection } from './settings-store';
import { TokenStore } from './token-store';
import { walGate } from './wal-gate';
import { writeFaultCause } from './write-fault';
import { WriteProbe } from './write-probe';
import { checkDump, instanceOrder, tokenOrder } from '../dump';

/** The error id of a write the storage refused (a full disk, a read-only file). */
export const STORE_UNWRITABLE_ID = 'STORE-w7r1t3';

export interface SqliteStoreOptions extends OpenOptions {
  /**
   * Checkpoint the WAL on a thread of its own and bound it (see wal-gate.ts):
   * what the server does. Without it, SQLite checkpoints on commit (the CLI).
   */
  readonly checkpoints?: {
    readonly onFailure?: (failure: CheckpointFailure) => void;
    readonly onRecovery?: () => void;
  };
}

/** The SQLite adapter: one file, one writing process. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly shared = false;
  readonly tokens: TokenRepository;
  readonly gate: (() => Promise<void> | undefined) | undefined;
  private readonly events: EventLog;
  private readonly projection: SettingsProjection;
  private readonly instances: InstanceStore;
  private readonly probeRow: WriteProbe;
  private readonly commitTransaction: (commit: Commit) => void;
  private readonly dataVersion: Statement<[], number>;
  private readonly tokenStore: TokenStore;

  private constructor(
    /** The connection; for tests and tools that look underneath. */
    readonly db: Database,
    readonly location: string,
    private readonly checkpointer: Checkpointer | undefined,
  ) {
    this.events = new EventLog(db);
    this.projection = new SettingsProjection(db);
    this.instances = new InstanceStore(db);
    this.probeRow = new WriteProbe(db);
    // Made once: db.transaction() builds its wrapper and four variants of it
    // on every call, which allocated more per commit than the writes did.
    this.commitTransaction = db.transaction((commit: Commit) => {
      if (this.events.lastSequence(commit.instanceId) !== commit.expectedSequence) {
        throw new StaleStateError(commit.instanceId);
      }
      for (const event of commit.events) this.events.append(event);
      if (commit.settings) this.projection.put(commit.instanceId, commit.settings);
      if (commit.probeAt !== undefined) this.probeRow.write(commit.probeAt);
    });
    const tokenStore = (this.tokenStore = new TokenStore(db));
    // data_version changes whenever another connection (the token CLI)
    // commits; reading it costs a read transaction (~8 µs), so it is read
    // again when the last reading is a millisecond old.
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.tokens = {
      add: (token) => tokenStore.add(token),
      findByHash: (hash) => tokenStore.findByHash(hash),
      list: () => tokenStore.list(),
      revoke: (id, at) => tokenStore.revoke(id, at),
      version: () => this.dataVersion.get()!,
      recheckMs: 1,
    };
    this.gate = checkpointer && walGate(location, checkpointer);
  }

  static open(file: string, options: SqliteStoreOptions = {}): SqliteStore {
    const db = openDatabase(file, { ...options, externalCheckpoints: options.checkpoints !== undefined });
    const checkpointer = options.checkpoints && startCheckpointer(file, options.checkpoints);
    return new SqliteStore(db, file, checkpointer);
  }

  get open(): boolean {
    return this.db.open;
  }

  ensureInstance(first: () => FirstStart): Promise<{ id: string; created: boolean }> {
    // The executor's throw becomes the promise's rejection.
    return new Promise((resolve) => resolve(this.createOnce(first)));
  }

  private createOnce(first: () => FirstStart): { id: string; created: boolean } {
    const existing = this.instances.find();
    if (existing) return { id: existing.id, created: false };
    const f = first();
    this.db.transaction(() => {
      this.instances.create(f.instanceId, f.createdAt);
      for (const event of f.events) this.events.append(event);
      if (f.settings) this.projection.put(f.instanceId, f.settings);
      this.tokenStore.add(f.adminToken);
      f.beforeCommit();
    })();
    return { id: f.instanceId, created: true };
  }

  load(instanceId: string): SettingsState {
    return { sequence: this.events.lastSequence(instanceId), settings: this.projection.get(instanceId) };
  }

  commit(commit: Commit): void {
    this.commitTransaction(commit);
  }

  readEvents(instanceId: string, afterSequence = 0n, limit = 1000): StoredEvent[] {
    return this.events.read(instanceId, afterSequence, limit);
  }

  fault(error: unknown): StoreFault | undefined {
    const cause = writeFaultCause(error, this.location);
    return cause === undefined ? undefined : { id: STORE_UNWRITABLE_ID, message: `the database cannot be written: ${cause}` };
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  // -- Moving a store (src/cli/commands/copy-store.ts): dump and restore, as the port describes them. --

  dump(): StoreDump {
    // One read transaction: one snapshot.
    return this.db.transaction((): StoreDump => {
      const instances = this.db
        .prepare<[], { id: string; created_at: number }>('SELECT id, created_at FROM instances')
        .all()
        .map((row) => ({ id: row.id, createdAt: row.created_at }))
        .sort(instanceOrder);
      const tokens = this.db
        .prepare<[], StoredTokenRow>('SELECT id, hash, role, description, created_at, expires_at, revoked_at FROM tokens')
        .all()
        .map((row) => ({
          id: row.id,
          hash: row.hash,
          role: row.role,
          description: row.description,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          revokedAt: row.revoked_at,
        }))
        .sort(tokenOrder);
      return {
        instances,
        events: instances.flatMap((i) => this.events.read(i.id, 0n, Number.MAX_SAFE_INTEGER)),
        settings: instances.flatMap((i) => {
          const settings = this.projection.get(i.id);
          return settings ? [{ instanceId: i.id, settings }] : [];
        }),
        tokens,
      };
    })();
  }

  restore(dump: StoreDump): Promise<void> {
    // The executor's throw becomes the promise's rejection.
    return new Promise((resolve) => {
      checkDump(dump);
      // IMMEDIATE: the emptiness check and the writes see no other writer in between.
      this.db.transaction(() => {
        const [instances, events, tokens] = this.db
          .prepare<[], [number, number, number]>('SELECT (SELECT count(*) FROM instances), (SELECT count(*) FROM events), (SELECT count(*) FROM tokens)')
          .raw()
          .get()!;
        if (instances + events + tokens > 0) throw new StoreNotEmptyError(this.location, { instances, events, tokens });
        for (const instance of dump.instances) this.instances.create(instance.id, instance.createdAt);
        for (const event of dump.events) this.events.append(event);
        for (const { instanceId, settings } of dump.settings) this.projection.put(instanceId, settings);
        for (const token of dump.tokens) {
          this.tokenStore.add(token);
          if (token.revokedAt !== null) this.tokenStore.revoke(token.id, token.revokedAt);
        }
      }).immediate();
      resolve();
    });
  }
}

interface StoredTokenRow {
  id: string;
  hash: Buffer;
  role: string;
  description: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}
