import fs from 'node:fs';
import Sqlite from 'better-sqlite3';
import { EventTypes, lifetimesPayload } from '../../src/app/oidc-settings-service';
import { hours } from '../../src/domain/duration';
import { DEFAULT_LIFETIMES, type OidcLifetimes } from '../../src/domain/oidc-settings';
import { SettingsProjection } from '../../src/store/sqlite/settings-store';
import { lastPostgresSequence } from './postgres';

/** Where a server appends its events: a SQLite database file, or a PostgreSQL database (its URL). */
export type EventLogAt = string | { readonly postgres: string };

/**
 * The newest event's sequence. Every effective write appends exactly one
 * event and the sequence goes up by one per event, so the difference over a
 * run is the number of effective Updates the server acknowledged: the
 * bench's proof that every call it counted succeeded and wrote.
 */
export function lastSequence(databaseFile: string): number {
  const db = new Sqlite(databaseFile, { readonly: true, fileMustExist: true });
  try {
    return Number(db.prepare('SELECT MAX(sequence) FROM events').pluck().get() ?? 0);
  } finally {
    db.close();
  }
}

/** lastSequence() of either store. */
export async function lastSequenceAt(log: EventLogAt): Promise<number> {
  return typeof log === 'string' ? lastSequence(log) : lastPostgresSequence(log.postgres);
}

/**
 * The log's last sequence once it has stopped growing: calls still in
 * flight when a load generator stops are finished by the server after it
 * exits (read every 50 ms, for at most 5 s).
 */
export async function settledSequenceAt(log: EventLogAt): Promise<number> {
  let last = await lastSequenceAt(log);
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = await lastSequenceAt(log);
    if (now === last) break;
    last = now;
  }
  return last;
}

export interface Seeded {
  readonly events: number;
  readonly seconds: number;
  readonly fileMb: number;
  readonly lastSequence: number;
}

/**
 * Appends `count` settings-changed events to a stopped server's log, fast:
 * one prepared INSERT in one transaction, payloads as the service writes
 * them (old and new lifetimes, alternating between two sets), and the
 * projection moved to the last one, as if the server had written them.
 */
export function seedEvents(databaseFile: string, count: number): Seeded {
  const started = performance.now();
  const db = new Sqlite(databaseFile, { fileMustExist: true });
  try {
    const instanceId = db.prepare('SELECT id FROM instances').pluck().get() as string;
    const actor = (db.prepare('SELECT id FROM tokens ORDER BY created_at LIMIT 1').pluck().get() as string | undefined) ?? 'system';
    const first = Number(db.prepare('SELECT MAX(sequence) FROM events WHERE instance_id = ?').pluck().get(instanceId)) + 1;
    const projection = new SettingsProjection(db);
    const current = projection.get(instanceId);
    if (!current) throw new Error('the instance has no OIDC settings to change');
    const a: OidcLifetimes = DEFAULT_LIFETIMES;
    const b: OidcLifetimes = { ...DEFAULT_LIFETIMES, accessTokenLifetime: hours(1) };
    const aToB = JSON.stringify({ old: lifetimesPayload(a), new: lifetimesPayload(b) });
    const bToA = JSON.stringify({ old: lifetimesPayload(b), new: lifetimesPayload(a) });
    const insert = db.prepare('INSERT INTO events (instance_id, sequence, type, payload, actor, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    const now = Date.now();
    const last = first + count - 1;
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        insert.run(instanceId, first + i, EventTypes.settingsChanged, i % 2 === 0 ? aToB : bToA, actor, now - (count - i));
      }
      projection.put(instanceId, {
        lifetimes: (count - 1) % 2 === 0 ? b : a,
        details: { ...current.details, sequence: BigInt(last), changeDate: now },
      });
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return {
      events: count,
      seconds: (performance.now() - started) / 1000,
      fileMb: fs.statSync(databaseFile).size / 2 ** 20,
      lastSequence: last,
    };
  } finally {
    db.close();
  }
}

/**
 * How long PRAGMA quick_check takes on a database (the check the server runs
 * at every start), median of `runs` (the first warms the page cache, as the
 * server's start after the seeding finds it).
 */
export function quickCheckMs(databaseFile: string, runs = 3): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const db = new Sqlite(databaseFile, { readonly: true, fileMustExist: true });
    try {
      const started = performance.now();
      db.pragma('quick_check');
      times.push(performance.now() - started);
    } finally {
      db.close();
    }
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
