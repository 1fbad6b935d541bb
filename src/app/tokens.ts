import { createHash, randomBytes } from 'node:crypto';
import { type Principal, type Role, invalidToken, isRole, missingToken } from '../domain/access';
import type { NewToken, TokenRecord, TokenRepository } from '../store/port';
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

/**
 * Valid tokens are remembered (by the header value carrying them) only while a reading of the
 * repository's version, started at most this long ago, says no token
 * changed since; a revocation therefore takes effect everywhere within
 * this bound (plus one reading's round trip), on every replica.
 */
const TRUST_MS = 750;

/** Personal access tokens: issuing, listing, revoking, and checking them on each call. */
export class Tokens {
  /** Valid tokens seen, by the authorization value that carried them: a call then needs neither SHA-256 nor a query. */
  private readonly known = new Map<string, TokenRecord>();
  private knownAt: number | string | undefined;
  /** When the version reading that confirmed `known` started (performance.now()). */
  private confirmedAt = -Infinity;
  /** When the last version reading started. */
  private askedAt = -Infinity;
  private asking = false;
  private readonly clock: () => number;

  constructor(
    private readonly store: TokenRepository,
    private readonly options: {
      readonly clock?: () => number;
      /** The error a lookup that failed answers (e.g. UNAVAILABLE when the database is down). */
      readonly failure?: (thrown: unknown) => unknown;
    } = {},
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** A new token: its secret (shown once) and the record to store (only the secret's SHA-256). */
  mint(role: Role, options: { expiresAt?: number | null; description?: string } = {}): IssuedToken & { record: NewToken } {
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const now = this.clock();
    const id = newId(now);
    const record: NewToken = {
      id,
      hash: hashOf(secret),
      role,
      description: options.description ?? '',
      createdAt: now,
      expiresAt: options.expiresAt ?? null,
    };
    return { id, secret, record };
  }

  async issue(role: Role, options: { expiresAt?: number | null; description?: string } = {}): Promise<IssuedToken> {
    const minted = this.mint(role, options);
    await this.store.add(minted.record);
    return { id: minted.id, secret: minted.secret };
  }

  async list(): Promise<TokenRecord[]> {
    return this.store.list();
  }

  async revoke(id: string): Promise<boolean> {
    return this.store.revoke(id, this.clock());
  }

  /**
   * The principal behind an `authorization` header value. Tokens seen valid
   * are remembered, and forgotten when the repository's version changes: it
   * is read again when the last reading is recheckMs old (SQLite: 1 ms, a
   * read transaction of ~8 µs; PostgreSQL: a query, in the background). A
   * token found in memory answers at once; otherwise the repository is asked.
   */
  authenticate(authorization: string | undefined): Principal | Promise<Principal> {
    if (authorization === undefined || authorization === '') throw missingToken();
    const now = performance.now();
    if (now - this.askedAt >= this.store.recheckMs && !this.asking) this.askVersion(now);
    if (now - this.confirmedAt > TRUST_MS) this.known.clear();
    // Remembered by the whole header value: a known token is not even parsed.
    const record = this.known.get(authorization);
    if (record) return this.principal(record);
    const match = BEARER.exec(authorization);
    if (!match) throw invalidToken();
    const found = this.store.findByHash(hashOf(match[1]!));
    if (found instanceof Promise) {
      return found.then(
        (r) => this.remember(authorization, r, now),
        (error: unknown) => {
          throw this.options.failure ? this.options.failure(error) : error;
        },
      );
    }
    return this.remember(authorization, found, now);
  }

  private askVersion(now: number): void {
    this.askedAt = now;
    const apply = (version: number | string) => {
      if (version !== this.knownAt) {
        this.known.clear();
        this.knownAt = version;
      }
      this.confirmedAt = Math.max(this.confirmedAt, now);
    };
    let version;
    try {
      version = this.store.version();
    } catch {
      return; // not confirmed: what is remembered expires after TRUST_MS
    }
    if (!(version instanceof Promise)) return apply(version);
    this.asking = true;
    version.then(apply, () => undefined).finally(() => (this.asking = false));
  }

  /** Remembers a valid token, unless a version reading began after its lookup did (it may predate a revocation). */
  private remember(authorization: string, record: TokenRecord | undefined, asked: number): Principal {
    if (record && record.revokedAt === null && asked >= this.confirmedAt) {
      if (this.known.size >= CACHE_LIMIT) this.known.clear();
      this.known.set(authorization, record);
    }
    return this.principal(record);
  }

  private principal(record: TokenRecord | undefined): Principal {
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
