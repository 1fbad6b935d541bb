import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { Writer } from '../../src/app/writer';
import { AppError } from '../../src/domain/app-error';
import { Code } from '../../src/domain/code';
import { openDatabase } from '../../src/store/database';

/** Group commit on a real SQLite file: one transaction per turn, each write its own outcome. */
describe('Writer', () => {
  let db: Database;
  let commits = 0;

  beforeEach(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writer-'));
    db = openDatabase(path.join(dir, 'test.db'));
    db.exec('CREATE TABLE log (n INTEGER NOT NULL) STRICT');
    commits = 0;
    const transaction = db.transaction.bind(db);
    db.transaction = ((fn: (...args: unknown[]) => unknown) => {
      const tx = transaction(fn);
      return Object.assign((...args: unknown[]) => {
        const result = tx(...args);
        commits++;
        return result;
      }, tx);
    }) as typeof db.transaction;
  });
  afterEach(() => db.close());

  const insert = (n: number) => (state: number) => {
    db.prepare('INSERT INTO log VALUES (?)').run(n);
    return { state: state + 1, result: state + 1 };
  };
  const rows = () => db.prepare('SELECT n FROM log ORDER BY n').pluck().all();

  it('commits writes of the same turn together, each with its own result, in order', async () => {
    const writer = new Writer(db, 0);
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => writer.submit(insert(n))));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(commits).toBe(1);
    expect(writer.state).toBe(5);
    expect(rows()).toEqual([1, 2, 3, 4, 5]);
  });

  it('lets a write refuse alone, before writing', async () => {
    const writer = new Writer(db, 0);
    const refuse = () => {
      throw new AppError(Code.NotFound, 'T-1', 'no');
    };
    const outcomes = await Promise.allSettled([writer.submit(insert(1)), writer.submit(refuse), writer.submit(insert(3))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual([1, 3]);
    expect(writer.state).toBe(2);
  });

  it('rolls the whole batch back on an unexpected failure, answering INTERNAL to all and keeping the state', async () => {
    const writer = new Writer(db, 0);
    const broken = () => {
      db.prepare('INSERT INTO log VALUES (NULL)').run(); // NOT NULL violation
      return { state: 99, result: 99 };
    };
    const outcomes = await Promise.allSettled([writer.submit(insert(1)), writer.submit(broken), writer.submit(insert(3))]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: Code.Internal } });
    }
    expect(rows()).toEqual([]);
    expect(writer.state).toBe(0);
    expect(await writer.submit(insert(4))).toBe(1);
  });

  it('splits very large turns into batches of maxBatch', async () => {
    const writer = new Writer(db, 0, { maxBatch: 10 });
    await Promise.all(Array.from({ length: 25 }, (_, i) => writer.submit(insert(i))));
    expect(commits).toBe(3);
    expect(writer.state).toBe(25);
  });

  it('never shows a pending batch to readers', async () => {
    const writer = new Writer(db, 0);
    const pending = writer.submit(insert(1));
    expect(writer.state).toBe(0);
    await pending;
    expect(writer.state).toBe(1);
  });

  it('drains: resolves once everything submitted before is done', async () => {
    const writer = new Writer(db, 0);
    void writer.submit(insert(1));
    void writer.submit(insert(2));
    await writer.drain();
    expect(rows()).toEqual([1, 2]);
  });

  it('holds commits back while its gate is closed, and commits what queued meanwhile in one transaction', async () => {
    let open!: () => void;
    let closed: Promise<void> | undefined = new Promise<void>((resolve) => (open = resolve));
    const writer = new Writer(db, 0, { gate: () => closed });
    const first = writer.submit(insert(1));
    await new Promise((resolve) => setImmediate(resolve));
    const second = writer.submit(insert(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(rows()).toEqual([]);
    closed = undefined;
    open();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(rows()).toEqual([1, 2]);
    expect(commits).toBe(1);
  });

  it('fails every queued write with failure(error) when the gate rejects, and commits nothing', async () => {
    const fault = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    let gate: Promise<void> | undefined = Promise.reject(fault);
    const writer = new Writer(db, 0, {
      gate: () => gate,
      failure: (thrown) => new AppError(Code.Unavailable, 'TEST', `unavailable: ${(thrown as Error).message}`),
    });
    const outcomes = await Promise.allSettled([writer.submit(insert(1)), writer.submit(insert(2))]);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as AppError).code)).toEqual([Code.Unavailable, Code.Unavailable]);
    expect(rows()).toEqual([]);
    expect(writer.state).toBe(0);
    gate = undefined;
    expect(await writer.submit(insert(3))).toBe(1);
  });

  it('answers a failed commit with failure(error), never with success', async () => {
    const writer = new Writer(db, 0, {
      failure: (thrown) => new AppError(Code.Unavailable, 'TEST', String((thrown as { code?: string }).code)),
    });
    db.exec('CREATE TRIGGER full BEFORE INSERT ON log BEGIN SELECT RAISE(FAIL, \'full\'); END');
    await expect(writer.submit(insert(1))).rejects.toMatchObject({ code: Code.Unavailable });
    expect(writer.state).toBe(0);
  });
});
