import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { type Principal, type Role, invalidToken, isRole, missingToken } from '../domain/access';
import { type TokenRecord, TokenStore } from '../store/token-store';
import { newId } from './ids';

/** 256 random bits, base64url: opaque to everyone but this service. */
const SECRET_BYTES = 32;
const BEARER = /^Bearer +([A-Za-z0-9_-]{16,128})$/;

export interface IssuedToken {
  readonly id: string;
  /** Shown once, to whoever asked for it; only its SHA-256 is kept. */
  readonly secret: string;
}

const hashOf = (secret: string): Buffer => createHash('sha256').update(secret).digest();

/** Personal access tokens: issuing, listing, revoking, and checking them on each call. */
export class Tokens {
  private readonly store: TokenStore;

  constructor(
    db: Database,
    private readonly clock: () => number = Date.now,
  ) {
    this.store = new TokenStore(db);
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
   * The principal behind an `authorization` header value. Looked up in the
   * database on every call, so a token the CLI revoked is refused at once.
   */
  authenticate(authorization: string | undefined): Principal {
    if (authorization === undefined || authorization === '') throw missingToken();
    const match = BEARER.exec(authorization);
    if (!match) throw invalidToken();
    const record = this.store.findByHash(hashOf(match[1]!));
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
