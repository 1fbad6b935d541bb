/**
 * The instance's write lock on PostgreSQL: every commit takes it before it
 * appends, and a batch that lost a race is decided again under it, so two
 * replicas writing steadily never starve each other (before, ~5 % of one
 * replica's Updates lost 20 races in a row and answered ABORTED).
 */
import pg from 'pg';
import { Writer } from '../../src/app/writer';
import { StaleStateError, type StoredEvent } from '../../src/store/port';
import { PostgresStore } from '../../src/store/postgres/postgres-store';
import { type PostgresCluster, pgQuery, startPostgres } from '../helpers/postgres';
import { appendEvent, bareFirstStart } from '../helpers/writes';

const INSTANCE = 'inst';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(() => cluster?.destroy(), 60_000);

const event = (sequence: bigint, payload: unknown = { n: Number(sequence) }): StoredEvent => ({
  instanceId: INSTANCE,
  sequence,
  type: 'test.event',
  payload,
  actor: 'test',
  createdAt: 1_700_000_000_000,
});

/** A write that appends one event carrying `by`; it answers its sequence. */
const append = (by: string) => appendEvent(INSTANCE, { by });

const settled = async (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true, () => true), new Promise((resolve) => setTimeout(() => resolve(false), ms))]);

describe('the write lock on PostgreSQL', () => {
  let url: string;
  let stores: PostgresStore[] = [];
  let holder: pg.Client | undefined;

  beforeEach(async () => {
    url = await cluster.createDatabase('lock');
    stores = [await PostgresStore.open(url, { poolSize: 4 }), await PostgresStore.open(url, { poolSize: 4 })];
    await stores[0]!.ensureInstance(() => bareFirstStart(INSTANCE));
  });
  afterEach(async () => {
    await holder?.end().catch(() => undefined);
    holder = undefined;
    for (const store of stores) await store.close();
  });

  /** Another session that takes the instance's lock and keeps its transaction open. */
  const holdLock = async () => {
    holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM instances WHERE id = $1 FOR NO KEY UPDATE', [INSTANCE]);
    return holder;
  };
  const sequences = async () => (await pgQuery<{ sequence: string }>(url, 'SELECT sequence FROM events ORDER BY sequence')).map((r) => Number(r.sequence));

  it('makes an optimistic commit wait for the lock, then append nothing (no error logged): the holder took its sequence', async () => {
    const lock = await holdLock();
    const commit = stores[0]!.commit({ instanceId: INSTANCE, expectedSequence: 0n, events: [event(1n, { by: 'optimistic' })] });
    expect(await settled(commit, 300)).toBe(false);
    await lock.query('INSERT INTO events (instance_id, sequence, type, payload, actor, created_at) VALUES ($1, 1, $2, $3, $4, 1)', [INSTANCE, 't', '{"by":"holder"}', 'x']);
    await lock.query('COMMIT');
    await expect(commit).rejects.toBeInstanceOf(StaleStateError);
    expect(await pgQuery(url, 'SELECT payload FROM events')).toEqual([{ payload: { by: 'holder' } }]);
    // It appended nothing, rather than failing on the holder's key: no error in the server's log.
    expect(cluster.log()).not.toMatch(/duplicate key/);
  });

  it('decides a locked commit only once it holds the lock, against what was committed while it waited', async () => {
    const lock = await holdLock();
    const seen: bigint[] = [];
    const locked = stores[0]!.commitLocked(INSTANCE, (latest) => {
      seen.push(latest.sequence);
      return { instanceId: INSTANCE, expectedSequence: latest.sequence, events: [event(latest.sequence + 1n, { by: 'locked' })] };
    });
    expect(await settled(locked, 300)).toBe(false);
    expect(seen).toEqual([]);
    await lock.query('INSERT INTO events (instance_id, sequence, type, payload, actor, created_at) VALUES ($1, 1, $2, $3, $4, 1)', [INSTANCE, 't', '{"by":"holder"}', 'x']);
    await lock.query('COMMIT');
    await locked;
    expect(seen).toEqual([1n]);
    expect(await sequences()).toEqual([1, 2]);
  });

  it('rolls back a locked commit whose decision throws, writing nothing', async () => {
    await expect(
      stores[0]!.commitLocked(INSTANCE, () => {
        throw new Error('a bug');
      }),
    ).rejects.toThrow('a bug');
    await stores[0]!.commitLocked(INSTANCE, () => undefined);
    expect(await sequences()).toEqual([]);
    // The lock was released: an optimistic commit goes through at once.
    await stores[1]!.commit({ instanceId: INSTANCE, expectedSequence: 0n, events: [event(1n)] });
    expect(await sequences()).toEqual([1]);
  });

  it('lets two replicas write steadily at once without either starving: every write commits, no locked decision loses', async () => {
    const PER_WRITER = 1500;
    let conflicts = 0;
    let lockedLost = 0;
    for (const store of stores) {
      const commitLocked = store.commitLocked.bind(store);
      store.commitLocked = (id, decide) =>
        commitLocked(id, decide).catch((error: unknown) => {
          if (error instanceof StaleStateError) lockedLost++;
          throw error;
        });
    }
    // Races a batch lost before it committed, per writer: the worst, and now.
    const losing = [0, 0];
    let worst = 0;
    const writers = await Promise.all(
      stores.map(
        async (store, w) =>
          new Writer(store, INSTANCE, await store.load(INSTANCE), {
            onConflict: () => {
              conflicts++;
              worst = Math.max(worst, ++losing[w]!);
            },
            onCommit: () => (losing[w] = 0),
          }),
      ),
    );
    // Each writer gets one write a turn of the event loop, as a replica under steady load does, until it has PER_WRITER.
    const steady = (writer: Writer, by: string) =>
      new Promise<PromiseSettledResult<number>[]>((resolve) => {
        const writes: Promise<number>[] = [];
        const next = () => {
          writes.push(writer.submit(append(by)));
          if (writes.length < PER_WRITER) setImmediate(next);
          else resolve(Promise.allSettled(writes));
        };
        next();
      });
    const outcomes = (await Promise.all([steady(writers[0]!, 'a'), steady(writers[1]!, 'b')])).flat();
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed.map((f) => String(f.reason))).toEqual([]);
    // Both wrote all the time, so they raced; the batches that lost were decided again under the lock, and won.
    expect(conflicts).toBeGreaterThan(0);
    expect(lockedLost).toBe(0);
    // No batch lost twice: the second decision was taken under the lock. (Without it, batches lost up to N times in a row.)
    expect({ worst, conflicts }).toEqual({ worst: 1, conflicts });
    const acked = outcomes.map((o) => (o as PromiseFulfilledResult<number>).value).sort((x, y) => x - y);
    expect(acked).toEqual(Array.from({ length: 2 * PER_WRITER }, (_, i) => i + 1));
    expect(await sequences()).toEqual(acked);
    // A lost race is a commit that appended nothing, not a duplicate-key error in the server's log.
    expect(cluster.log()).not.toMatch(/duplicate key/);
  }, 60_000);
});
