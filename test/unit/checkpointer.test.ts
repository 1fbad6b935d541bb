import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CheckpointResult, startCheckpointer } from '../../src/store/sqlite/checkpointer';
import { openDatabase } from '../../src/store/sqlite/database';
import { WAL_SIZE_LIMIT_BYTES } from '../../src/store/sqlite/wal-gate';

function fillWal(pages: number) {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-')), 'test.db');
  const db = openDatabase(file, { externalCheckpoints: true });
  db.exec('CREATE TABLE t (v TEXT NOT NULL) STRICT');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < pages / 2; i++) db.transaction(() => insert.run('x'.repeat(8000)))();
  return { file, db, insert };
}

it('copies the WAL back into the database from a worker, while the main connection never checkpoints', async () => {
  const { file, db, insert } = fillWal(1200);
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  const walBefore = fs.statSync(`${file}-wal`).size;
  expect(walBefore).toBeGreaterThan(1000 * 4096); // past where SQLite would have checkpointed itself

  const results: CheckpointResult[] = [];
  const checkpointer = startCheckpointer(file, { intervalMs: 20, onCheckpoint: (r) => results.push(r) });
  for (let i = 0; i < 100 && !results.some((r) => r.log > 0 && r.checkpointed === r.log); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await checkpointer.stop();
  expect(results.some((r) => r.log > 0 && r.checkpointed === r.log)).toBe(true);

  // With the WAL checkpointed, the next write starts it over instead of
  // growing it, and journal_size_limit shrinks the file.
  db.transaction(() => insert.run('y'))();
  expect(fs.statSync(`${file}-wal`).size).toBeLessThanOrEqual(WAL_SIZE_LIMIT_BYTES);
  expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(601);
  db.close();
});

it('checkpoints on request, answering how much of the WAL is copied back', async () => {
  const { file, db } = fillWal(400);
  const checkpointer = startCheckpointer(file, { intervalMs: 60_000 });
  const result = await checkpointer.checkpointNow();
  await checkpointer.stop();
  expect(result.log).toBeGreaterThan(300);
  expect(result.checkpointed).toBe(result.log);
  db.close();
});

it('reports a run of failing checkpoints once, not at every attempt, and its end', async () => {
  const { file, db } = fillWal(10);
  const failures: Array<{ code: string | undefined; failures: number }> = [];
  let recovered = 0;
  const checkpointer = startCheckpointer(file, {
    intervalMs: 5,
    onFailure: (f) => failures.push({ code: f.code, failures: f.failures }),
    onRecovery: () => recovered++,
  });
  await checkpointer.checkpointNow();
  // Immutable: copying the WAL into the database file fails (root ignores permission bits).
  execFileSync('chattr', ['+i', file]);
  try {
    db.transaction(() => db.prepare('INSERT INTO t VALUES (?)').run('z'))();
    const failed = await checkpointer.checkpointNow().then(
      () => 'checkpointed',
      (error: { code?: string }) => error.code,
    );
    expect(failed).toMatch(/^SQLITE_IOERR/);
    // Timed checkpoints, every 5 ms, keep failing meanwhile: reported once.
    for (let i = 0; i < 100 && failures.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
  } catch (error) {
    await checkpointer.stop();
    throw error;
  } finally {
    execFileSync('chattr', ['-i', file]);
  }
  expect(failures).toEqual([{ code: expect.stringMatching(/^SQLITE_IOERR/) as unknown, failures: 1 }]);
  for (let i = 0; i < 200 && recovered === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  await checkpointer.stop();
  expect(recovered).toBe(1);
  await expect(checkpointer.checkpointNow()).rejects.toThrow('the checkpointer stopped');
  db.close();
});
