import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTENDED_ID, Writer } from '../../src/app/writer';
import { AppError } from '../../src/domain/app-error';
import { Code } from '../../src/domain/code';
import { type SettingsState, type Store, StaleStateError } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { appendEvent, bareFirstStart } from '../helpers/writes';

const INSTANCE = 'i1';

/** Group commit on a real SQLite file: one transaction per turn, each write its own outcome. */
describe('Writer', () => {
  let store: SqliteStore;
  let commits = 0;

  beforeEach(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-'));
    store = SqliteStore.open(path.join(dir, 'test.db'));
    await store.ensureInstance(() => bareFirstStart(INSTANCE));
    commits = 0;
    const commit = store.commit.bind(store);
    store.commit = (c) => {
      commit(c);
      commits++;
    };
  });
  afterEach(() => store.close());

  const initial: SettingsState = { sequence: 0n, settings: undefined };
  /** A write that appends one event carrying n; it answers its sequence. */
  const append = (n: number) => appendEvent(INSTANCE, { n });
  const logged = () => store.readEvents(INSTANCE).map((e) => (e.payload as { n: number }).n);
  /** The store with another gate in front of its commits. */
  const gated = (gate: () => Promise<void> | undefined): Store => Object.assign(Object.create(store) as Store, { gate });

  it('commits writes of the same turn together, each with its own result and event, in order', async () => {
    const writer = new Writer(store, INSTANCE, initial);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => writer.submit(append(n))));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(commits).toBe(1);
    expect(writer.state.sequence).toBe(5n);
    expect(logged()).toEqual([1, 2, 3, 4, 5]);
  });

  it('lets a write refuse alone', async () => {
    const writer = new Writer(store, INSTANCE, initial);
    const refuse = () => {
      throw new AppError(Code.NotFound, 'T-1', 'no');
    };
    const outcomes = await Promise.allSettled([writer.submit(append(1)), writer.submit(refuse), writer.submit(append(3))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(logged()).toEqual([1, 3]);
    expect(writer.state.sequence).toBe(2n);
  });

  it('writes nothing of a batch on an unexpected failure, answering INTERNAL to all and keeping the state', async () => {
    const writer = new Writer(store, INSTANCE, initial);
    const broken = () => {
      throw new Error('a bug');
    };
    const outcomes = await Promise.allSettled([writer.submit(append(1)), writer.submit(broken), writer.submit(append(3))]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: Code.Internal } });
    }
    expect(logged()).toEqual([]);
    expect(writer.state.sequence).toBe(0n);
    expect(await writer.submit(append(4))).toBe(1);
  });

  it('splits very large turns into batches of maxBatch', async () => {
    const writer = new Writer(store, INSTANCE, initial, { maxBatch: 10 });
    await Promise.all(Array.from({ length: 25 }, (_, i) => writer.submit(append(i))));
    expect(commits).toBe(3);
    expect(writer.state.sequence).toBe(25n);
  });

  it('never shows a pending batch to readers', async () => {
    const writer = new Writer(store, INSTANCE, initial);
    const pending = writer.submit(append(1));
    expect(writer.state.sequence).toBe(0n);
    await pending;
    expect(writer.state.sequence).toBe(1n);
  });

  it('drains: resolves once everything submitted before is done', async () => {
    const writer = new Writer(store, INSTANCE, initial);
    void writer.submit(append(1));
    void writer.submit(append(2));
    await writer.drain();
    expect(logged()).toEqual([1, 2]);
  });

  it('decides again, against the reloaded state, when another writer appended first', async () => {
    const mine = new Writer(store, INSTANCE, initial);
    const other = new Writer(store, INSTANCE, initial);
    expect(await other.submit(append(1))).toBe(1);
    // `mine` still believes the log is empty: its commit is refused, nothing is written, it reloads and decides again.
    expect(await Promise.all([mine.submit(append(2)), mine.submit(append(3))])).toEqual([2, 3]);
    expect(commits).toBe(2);
    expect(logged()).toEqual([1, 2, 3]);
    expect(mine.state.sequence).toBe(3n);
  });

  it('answers ABORTED (not INTERNAL) and writes nothing when other writers appended first every time, and keeps writing after', async () => {
    let refusals = 0;
    let loads = 0;
    const losing: Store = Object.create(store) as Store;
    losing.commit = () => {
      refusals++;
      throw new StaleStateError(INSTANCE);
    };
    losing.load = (id) => {
      loads++;
      return store.load(id);
    };
    const failures: unknown[] = [];
    const writer = new Writer(losing, INSTANCE, initial, { failure: (thrown) => (failures.push(thrown), new AppError(Code.Unavailable, 'TEST', 'store')) });
    const outcomes = await Promise.allSettled([writer.submit(append(1)), writer.submit(append(2))]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: Code.Aborted, id: CONTENDED_ID });
    }
    // Decided 20 times, reloading before each retry; the store's failure() was not asked (this is no store fault).
    expect(refusals).toBe(20);
    expect(loads).toBe(19);
    expect(failures).toEqual([]);
    expect(logged()).toEqual([]);
    // The next write, once the race is won, goes through.
    losing.commit = (c) => store.commit(c);
    expect(await writer.submit(append(3))).toBe(1);
  });

  it('decides again under the store\'s write lock after losing once, where the lost race cannot repeat', async () => {
    let refusals = 0;
    const locked: bigint[] = [];
    let conflicts = 0;
    const other = new Writer(store, INSTANCE, initial);
    const racing: Store = Object.create(store) as Store;
    // Every optimistic commit loses (another writer appends first, then its commit is refused) ...
    racing.commit = async (c) => {
      refusals++;
      await other.submit(append(100 + refusals));
      throw new StaleStateError(c.instanceId);
    };
    // ... and the locked one decides against the latest state, inside the store's transaction.
    racing.commitLocked = (instanceId, decideOn) =>
      new Promise<void>((resolve) => {
        const latest = store.load(instanceId);
        locked.push(latest.sequence);
        const c = decideOn(latest);
        if (c) store.commit(c);
        resolve();
      });
    const writer = new Writer(racing, INSTANCE, initial, { onConflict: () => conflicts++ });
    expect(await Promise.all([writer.submit(append(1)), writer.submit(append(2))])).toEqual([2, 3]);
    expect({ refusals, conflicts, locked }).toEqual({ refusals: 1, conflicts: 1, locked: [1n] });
    expect(logged()).toEqual([101, 1, 2]);
    expect(writer.state.sequence).toBe(3n);
    // The next batch tries the cheap optimistic commit first again.
    expect(await writer.submit(append(3))).toBe(5);
    expect({ refusals, locked }).toEqual({ refusals: 2, locked: [1n, 4n] });
    expect(logged()).toEqual([101, 1, 2, 102, 3]);
  });

  it('decides again under the lock when a writer that does not take it (an older replica) won, and answers ABORTED after 20 attempts in all', async () => {
    let lockedTries = 0;
    let losses = 2;
    const mixed: Store = Object.create(store) as Store;
    mixed.commit = (c) => {
      throw new StaleStateError(c.instanceId);
    };
    mixed.commitLocked = (instanceId, decideOn) =>
      new Promise<void>((resolve) => {
        lockedTries++;
        const c = decideOn(store.load(instanceId));
        if (losses-- > 0) throw new StaleStateError(instanceId);
        if (c) store.commit(c);
        resolve();
      });
    const writer = new Writer(mixed, INSTANCE, initial);
    expect(await writer.submit(append(1))).toBe(1);
    // One optimistic attempt, then three locked ones: the first two lost.
    expect(lockedTries).toBe(3);
    expect(logged()).toEqual([1]);

    lockedTries = 0;
    losses = Infinity;
    const outcome = await writer.submit(append(2)).catch((error: unknown) => error);
    expect(outcome).toMatchObject({ code: Code.Aborted, id: CONTENDED_ID });
    expect(lockedTries).toBe(19);
    expect(logged()).toEqual([1]);
  });

  it('holds commits back while its gate is closed, and commits what queued meanwhile in one transaction', async () => {
    let open!: () => void;
    let closed: Promise<void> | undefined = new Promise<void>((resolve) => (open = resolve));
    const writer = new Writer(gated(() => closed), INSTANCE, initial);
    const first = writer.submit(append(1));
    await new Promise((resolve) => setImmediate(resolve));
    const second = writer.submit(append(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged()).toEqual([]);
    closed = undefined;
    open();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(logged()).toEqual([1, 2]);
    expect(commits).toBe(1);
  });

  it('fails every queued write with failure(error) when the gate rejects, and commits nothing', async () => {
    const fault = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    let gate: Promise<void> | undefined = Promise.reject(fault);
    const writer = new Writer(
      gated(() => gate),
      INSTANCE,
      initial,
      { failure: (thrown) => new AppError(Code.Unavailable, 'TEST', `unavailable: ${(thrown as Error).message}`) },
    );
    const outcomes = await Promise.allSettled([writer.submit(append(1)), writer.submit(append(2))]);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as AppError).code)).toEqual([Code.Unavailable, Code.Unavailable]);
    expect(logged()).toEqual([]);
    expect(writer.state.sequence).toBe(0n);
    gate = undefined;
    expect(await writer.submit(append(3))).toBe(1);
  });

  it('answers a failed commit with failure(error), never with success', async () => {
    const writer = new Writer(store, INSTANCE, initial, {
      failure: (thrown) => new AppError(Code.Unavailable, 'TEST', String((thrown as { code?: string }).code)),
    });
    store.db.exec("CREATE TRIGGER full BEFORE INSERT ON events BEGIN SELECT RAISE(FAIL, 'full'); END");
    await expect(writer.submit(append(1))).rejects.toMatchObject({ code: Code.Unavailable });
    expect(writer.state.sequence).toBe(0n);
  });
});
