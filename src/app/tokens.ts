import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { type Principal, type Role, invalidToken, isRole, missingToken } from '../domain/access';
import { type TokenRecord, TokenStore } from '../store/token-store';
import { newId } from './ids';

/** 256 random bits, base64url: opaque to everyone but this service. */
const SECRET_BYTES = 32;
/** The scheme is case-insensitive (RFC 7235 §2.1): "bearer" and "BEARER" are "Bearer". */
const BEARER = /^bearer +([A-Za-z0-9_-]{16,128})$/i;

export interface IssuedToken {
  readonly id: string;
  /** Shown once, to whoever asked for it; only its SHA-256 is kept. */
  readonly secret: string;
}

const hashOf = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/** Tokens remembered at most; past that the memory starts afresh. */
const CACHE_LIMIT = 1024;

/** Personal access tokens: issuing, listing, revoking, and checking them on each call. */
export class Tokens {
  private readonly store: TokenStore;
  private readonly dataVersion: () => number;
  /** Valid tokens seen, by secret: a call then needs neither SHA-256 nor a query. */
  private readonly known = new Map<string, TokenRecord>();
  private knownAt = -1;
  /** When data_version was last read (performance.now()); see authenticate. */
  private versionReadAt = -Infinity;

  constructor(
    db: Database,
    private readonly clock: () => number = Date.now,
  ) {
    this.store = new TokenStore(db);
    // Changes whenever another connection (the token CLI) commits, so the
    // memory above is dropped before the first call after a revocation.
    const version = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.dataVersion = () => version.get()!;
  }

  issue(role: Role, options: { expiresAt?: number | null; description?: string } = {}): IssuedToken {
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const id = newId(this.clock());
    this.store.add({
      id,
      hash: hashOf(secret),
      role,
      description: options.description ?? '',
      createdAt: this.clock(),
      expiresAt: options.expiresAt ?? null,
    });
    return { id, secret };
  }

  list(): TokenRecord[] {
    return this.store.list();
  }

  revoke(id: string): boolean {
    return this.store.revoke(id, this.clock());
  }

  /**
   * The principal behind an `authorization` header value. A token the CLI
   * revoked (or any other change another connection commits) is refused
   * within a millisecond: the database's data_version is read again when the
   * last reading is a millisecond old. Reading it costs a read transaction
   * (file locks, ~8 µs); under load one reading serves the many calls of
   * that millisecond, and each of them still sees every change committed
   * more than a millisecond before it arrived.
   */
  authenticate(authorization: string | undefined): Principal {
    if (authorization === undefined || authorization === '') throw missingToken();
    const match = BEARER.exec(authorization);
    if (!match) throw invalidToken();
    const secret = match[1]!;
    const now = performance.now();
    if (now - this.versionReadAt >= 1) {
      this.versionReadAt = now;
      const version = this.dataVersion();
      if (version !== this.knownAt) {
        this.known.clear();
        this.knownAt = version;
      }
    }
    if (this.known.size >= CACHE_LIMIT) this.known.clear();
    let record = this.known.get(secret);
    if (!record) {
      record = this.store.findByHash(hashOf(secret));
      if (record && record.revokedAt === null) this.known.set(secret, record);
    }
    if (
      !record ||
      record.revokedAt !== null ||
      (record.expiresAt !== null && record.expiresAt <= this.clock()) ||
      !isRole(record.role)
    ) {
      throw invalidToken();
    }
    return { tokenId: record.id, role: record.role };
  }
}
