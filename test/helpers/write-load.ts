/**
 * Concurrent Update load against a server, and the checks that every
 * acknowledged write is in its event log: shared by the durability test
 * (one SIGKILL, SIGTERM, SIGINT) and the crash test (many SIGKILLs).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import type { EventRow } from './event-row';
import { adminClient, call, lifetimes, type ObjectDetails } from './grpc-client';

export interface Acked {
  readonly sequence: bigint;
  /** The access token lifetime written, in seconds: distinct for every Update sent. */
  readonly access: number;
}

export interface WriteLoad {
  /** Every Update the server acknowledged so far. */
  readonly acked: Acked[];
  failed(): number;
  /** Resolves once `count` Updates have been acknowledged (rejects once the load stops short of it). */
  acknowledged(count: number): Promise<void>;
  /** Stops sending and waits for the calls in flight to end (answered or failed). */
  stop(): Promise<void>;
}

/**
 * Sends Updates with distinct access token lifetimes (firstValue, firstValue + 1, ...),
 * `concurrency` at a time, until stopped; records what was acknowledged.
 */
export function writeLoad(port: number, token: string, concurrency: number, firstValue = 1): WriteLoad {
  const client = adminClient(port);
  const acked: Acked[] = [];
  let failed = 0;
  let running = true;
  let next = firstValue;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const worker = async () => {
    while (running) {
      const access = next++;
      const outcome = await call<{ details: ObjectDetails }>(client, 'UpdateOIDCSettings', lifetimes(access, 60, 60, 60), token);
      if (outcome.ok) acked.push({ sequence: BigInt(outcome.response.details.sequence), access });
      else {
        failed++;
        // A server that is down refuses at once: do not spin on it.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (const waiter of waiters.filter((w) => acked.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    acked,
    failed: () => failed,
    acknowledged: (count) =>
      acked.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ count, resolve });
            void done.then(() => reject(new Error(`the load stopped at ${acked.length} of ${count} acknowledged Updates (${failed} failed)`)));
          }),
    stop: async () => {
      running = false;
      await done;
      client.close();
    },
  };
}

/** The whole event log, read straight from the database file (WAL: also while the server runs). */
export function readEvents(dataDir: string): EventRow[] {
  const db = new Database(path.join(dataDir, 'oidc-settings.db'), { readonly: true });
  try {
    return db
      .prepare('SELECT instance_id AS instanceId, sequence, type, payload FROM events ORDER BY instance_id, sequence')
      .all() as EventRow[];
  } finally {
    db.close();
  }
}

/**
 * Every acknowledged Update is the event at its sequence, with the value it
 * wrote, and each instance's sequences are exactly 1..n: no gap, no duplicate.
 */
export function expectAllDurable(dataDir: string, acked: readonly Acked[]): void {
  expectLogHolds(readEvents(dataDir), acked);
}

/** The same checks on an event log read from anywhere (e.g. PostgreSQL). */
export function expectLogHolds(rows: readonly EventRow[], acked: readonly Acked[]): void {
  const instances = new Map<string, number[]>();
  for (const row of rows) instances.set(row.instanceId, [...(instances.get(row.instanceId) ?? []), row.sequence]);
  // One server, one instance: the acknowledged sequences are that instance's.
  expect(instances.size).toBe(1);
  const events = new Map(rows.map((e) => [BigInt(e.sequence), e]));
  for (const { sequence, access } of acked) {
    const event = events.get(sequence);
    expect(event?.type).toBe('instance.oidc.settings.changed');
    const payload = JSON.parse(event!.payload) as { new: { accessTokenLifetime: string } };
    expect({ sequence, accessTokenLifetime: payload.new.accessTokenLifetime }).toEqual({ sequence, accessTokenLifetime: `${access}s` });
  }
  for (const sequences of instances.values()) {
    expect(sequences).toEqual(sequences.map((_, i) => i + 1));
  }
}
