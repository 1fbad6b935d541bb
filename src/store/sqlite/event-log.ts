import type { Database, Statement } from 'better-sqlite3';
import type { StoredEvent } from '../port';

interface EventRow {
  instance_id: string;
  sequence: number;
  type: string;
  payload: string;
  actor: string;
  created_at: number;
}

/** The append-only audit trail (triggers refuse UPDATE and DELETE). */
export class EventLog {
  private readonly insert: Statement<[string, number, string, string, string, number]>;
  private readonly last: Statement<[string], number | null>;
  private readonly since: Statement<[string, number, number], EventRow>;
  private readonly count: Statement<[string], number>;

  constructor(db: Database) {
    this.insert = db.prepare(
      'INSERT INTO events (instance_id, sequence, type, payload, actor, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.last = db.prepare<[string], number | null>('SELECT MAX(sequence) FROM events WHERE instance_id = ?').pluck();
    this.since = db.prepare(
      'SELECT * FROM events WHERE instance_id = ? AND sequence > ? ORDER BY sequence LIMIT ?',
    );
    this.count = db.prepare<[string], number>('SELECT COUNT(*) FROM events WHERE instance_id = ?').pluck();
  }

  /** Must run inside the transaction that also updates the projection. */
  append(event: StoredEvent): void {
    this.insert.run(
      event.instanceId,
      Number(event.sequence),
      event.type,
      JSON.stringify(event.payload),
      event.actor,
      event.createdAt,
    );
  }

  lastSequence(instanceId: string): bigint {
    return BigInt(this.last.get(instanceId) ?? 0);
  }

  /** Events after `afterSequence`, oldest first. */
  read(instanceId: string, afterSequence = 0n, limit = 1000): StoredEvent[] {
    return this.since.all(instanceId, Number(afterSequence), limit).map((row) => ({
      instanceId: row.instance_id,
      sequence: BigInt(row.sequence),
      type: row.type,
      payload: JSON.parse(row.payload) as unknown,
      actor: row.actor,
      createdAt: row.created_at,
    }));
  }

  countFor(instanceId: string): number {
    return this.count.get(instanceId) ?? 0;
  }
}
