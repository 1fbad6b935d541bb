import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseOpenError, openDatabase } from '../../src/store/sqlite/database';
import { verifyEarly } from '../../src/store/sqlite/verify-early';

/** The integrity check that runs on its own thread while the server's modules load. */
describe('verifyEarly', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-early-'));
  const sound = path.join(dir, 'sound.db');
  const db = openDatabase(sound);
  db.exec('CREATE TABLE t (v TEXT NOT NULL) STRICT');
  for (let i = 0; i < 200; i++) db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(500));
  db.close();

  it('finds a sound database sound', async () => {
    expect(await verifyEarly(sound)).toEqual({ ok: true });
  });

  it('finds corrupt pages, and openDatabase refuses the file on that verdict without touching it', async () => {
    const file = path.join(dir, 'corrupt.db');
    const bytes = fs.readFileSync(sound);
    crypto.randomFillSync(bytes, bytes.readUInt16BE(16)); // every page after the first
    fs.writeFileSync(file, bytes);
    const verdict = await verifyEarly(file);
    expect(verdict).toMatchObject({ ok: false, problems: expect.any(String) as string });
    expect(() => openDatabase(file, { verify: verdict })).toThrow(DatabaseOpenError);
    expect(() => openDatabase(file, { verify: verdict })).toThrow(/the file is corrupt/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
  });

  it('gives no verdict on what it cannot judge, leaving the reason to openDatabase', async () => {
    const foreign = path.join(dir, 'foreign.db');
    fs.writeFileSync(foreign, 'not a database, but long enough to have a header of sorts');
    expect(await verifyEarly(path.join(dir, 'missing.db'))).toBe('unknown');
    expect(await verifyEarly(dir)).toBe('unknown');
    expect(await verifyEarly(foreign)).toBe('unknown');
    expect(() => openDatabase(foreign, { verify: 'unknown' })).toThrow(/not a SQLite database/);
  });
});
