import type { Database, Statement } from 'better-sqlite3';

/** The write_probe row: a real write that touches nothing else. */
export class WriteProbe {
  private readonly upsert: Statement<[number]>;

  constructor(db: Database) {
    this.upsert = db.prepare('INSERT INTO write_probe (id, written_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at');
  }

  write(at: number): void {
    this.upsert.run(at);
  }
}
