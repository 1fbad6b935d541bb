import type { Database, Statement } from 'better-sqlite3';
import type { NewToken, TokenRecord } from '../port';

interface TokenRow {
  id: string;
  role: string;
  description: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

const toRecord = (row: TokenRow): TokenRecord => ({
  id: row.id,
  role: row.role,
  description: row.description,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

/** Personal access tokens, known by the SHA-256 of their secret only. */
export class TokenStore {
  private readonly insert: Statement<[string, Buffer, string, string, number, number | null]>;
  private readonly byHash: Statement<[Buffer], TokenRow>;
  private readonly all: Statement<[], TokenRow>;
  private readonly revokeOne: Statement<[number, string]>;
  private readonly countAll: Statement<[], number>;

  constructor(db: Database) {
    const columns = 'id, role, description, created_at, expires_at, revoked_at';
    this.insert = db.prepare(
      'INSERT INTO tokens (id, hash, role, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.byHash = db.prepare(`SELECT ${columns} FROM tokens WHERE hash = ?`);
    this.all = db.prepare(`SELECT ${columns} FROM tokens ORDER BY created_at, id`);
    this.revokeOne = db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.countAll = db.prepare<[], number>('SELECT COUNT(*) FROM tokens').pluck();
  }

  add(token: NewToken): void {
    this.insert.run(token.id, token.hash, token.role, token.description, token.createdAt, token.expiresAt);
  }

  findByHash(hash: Buffer): TokenRecord | undefined {
    const row = this.byHash.get(hash);
    return row && toRecord(row);
  }

  list(): TokenRecord[] {
    return this.all.all().map(toRecord);
  }

  /** True when a live token was revoked; false when unknown or already revoked. */
  revoke(id: string, at: number): boolean {
    return this.revokeOne.run(at, id).changes === 1;
  }

  count(): number {
    return this.countAll.get() ?? 0;
  }
}
