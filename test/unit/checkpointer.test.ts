import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CheckpointResult, startCheckpointer } from '../../src/store/checkpointer';
import { openDatabase } from '../../src/store/database';

it('copies the WAL back into the database from a worker, while the main connection never checkpoints', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-')), 'test.db');
  const db = openDatabase(file, { externalCheckpoints: true });
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  db.exec('CREATE TABLE t (v TEXT NOT NULL) STRICT');
  const insert = db.prepare('INSERT INTO t VALUES (?)');
  for (let i = 0; i < 600; i++) db.transaction(() => insert.run('x'.repeat(8000)))();
  const walBefore = fs.statSync(`${file}-wal`).size;
  expect(walBefore).toBeGreaterThan(1000 * 4096); // past where SQLite would have checkpointed itself

  const results: CheckpointResult[] = [];
  const checkpointer = startCheckpointer(file, { intervalMs: 20, onCheckpoint: (r) => results.push(r) });
  for (let i = 0; i < 100 && !results.some((r) => r.log > 0 && r.checkpointed === r.log); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await checkpointer.stop();
  expect(results.some((r) => r.log > 0 && r.checkpointed === r.log)).toBe(true);

  // With the WAL checkpointed, the next write starts it over instead of growing it.
  db.transaction(() => insert.run('y'))();
  expect(fs.statSync(`${file}-wal`).size).toBe(walBefore);
  expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(601);
  db.close();
});
