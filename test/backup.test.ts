/**
 * `oidc-settings backup` and `restore`, with real processes: the built
 * server as a child process under a gRPC write load, the command line as an
 * operator runs it, and a second server on the restored data folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Client } from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/store/sqlite/database';
import { backupDatabase } from '../src/store/sqlite/backup';
import { type ChildServer, startChildServer } from './helpers/child-server';
import { type CliRun, runCli } from './helpers/cli';
import { adminClient, call, lifetimes, type ObjectDetails } from './helpers/grpc-client';
import { tempDir } from './helpers/server';
import { type Acked, type WriteLoad, expectLogHolds, readEvents, writeLoad } from './helpers/write-load';

const PERMISSION_DENIED = 7;
const UNAUTHENTICATED = 16;

interface Got {
  settings: { details: ObjectDetails; accessTokenLifetime: { seconds: string } };
}

const adminPat = (dataDir: string) => fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();

async function stop(server: ChildServer | undefined): Promise<void> {
  if (server === undefined || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  await server.exited;
}

/** A token from `oidc-settings token create`; its secret and id. */
async function createToken(dataDir: string, role: string): Promise<{ secret: string; id: string }> {
  const run = await runCli(['token', 'create', '--role', role, '--data-dir', dataDir]);
  if (run.code !== 0) throw new Error(`token create: ${run.stderr}`);
  return { secret: run.stdout.trim(), id: /created token (\d+)/.exec(run.stderr)![1]! };
}

/** The gRPC status code of a call (0 for OK). */
async function codeOf(client: Client, method: 'GetOIDCSettings' | 'UpdateOIDCSettings', request: object, token: string): Promise<number> {
  const outcome = await call(client, method, request, token);
  return outcome.ok ? 0 : outcome.code;
}

/** A data folder holding a database of this service (the token command creates it), with one token. */
async function smallDataDir(prefix: string): Promise<string> {
  const dataDir = tempDir(prefix);
  await createToken(dataDir, 'IAM_OWNER_VIEWER');
  return dataDir;
}

describe('a backup taken under a write load, restored, serves everything acknowledged before it', () => {
  let original: ChildServer | undefined;
  let restored: ChildServer | undefined;
  let originalDir: string;
  let restoredDir: string;
  let backupDir: string;
  let backupFile: string;
  let load: WriteLoad;
  /** Every Update acknowledged before the backup command started. */
  let before: Acked[];
  let backup: CliRun;
  let restore: CliRun;
  let viewer: { secret: string; id: string };
  let revoked: { secret: string; id: string };
  let client: Client;

  beforeAll(async () => {
    originalDir = tempDir('backup-original-');
    original = await startChildServer(originalDir);
    viewer = await createToken(originalDir, 'IAM_OWNER_VIEWER');
    revoked = await createToken(originalDir, 'IAM_OWNER');
    expect((await runCli(['token', 'revoke', revoked.id, '--data-dir', originalDir])).code).toBe(0);

    load = writeLoad(original.port, adminPat(originalDir), 8);
    // Enough writes for a database of well over 100 pages: the size at which
    // a backup in steps of 100 pages starts over at every write (see
    // src/store/sqlite/backup.ts); checked below.
    await load.acknowledged(2500);
    backupDir = tempDir('backup-files-');
    backupFile = path.join(backupDir, 'oidc-settings-backup.db');
    before = [...load.acked];
    backup = await runCli(['backup', '--to', backupFile, '--data-dir', originalDir]);
    // The server kept taking writes through the backup, and after it.
    await load.acknowledged(load.acked.length + 100);
    await load.stop();

    restoredDir = path.join(tempDir('backup-restored-'), 'data');
    restore = await runCli(['restore', '--from', backupFile, '--data-dir', restoredDir]);
    restored = await startChildServer(restoredDir);
    client = adminClient(restored.port);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await Promise.all([stop(original), stop(restored)]);
  });

  /** The last sequence in the backup, from the backup command's summary line. */
  const backedUpSequence = () => BigInt(/last sequence (\d+)/.exec(backup.stderr)![1]!);

  it('backs up while the server runs and writes, and the load sees no error', () => {
    expect(backup.code).toBe(0);
    expect(backup.stdout).toBe('');
    const source = path.join(originalDir, 'oidc-settings.db');
    expect(backup.stderr).toMatch(
      new RegExp(`^backed up ${source} to ${backupFile}: \\d+ KiB, (\\d+) events \\(last sequence \\1\\), 3 tokens; integrity_check ok\\n$`),
    );
    expect(load.failed()).toBe(0);
    const highest = before.reduce((max, a) => (a.sequence > max ? a.sequence : max), 0n);
    expect(backedUpSequence()).toBeGreaterThanOrEqual(highest);
    expect(fs.statSync(backupFile).size).toBeGreaterThan(100 * 4096);
  });

  it('writes the backup 0600, under its name only: no temporary file is left beside it', () => {
    expect(fs.readdirSync(backupDir)).toEqual([path.basename(backupFile)]);
    expect(fs.statSync(backupFile).mode & 0o777).toBe(0o600);
  });

  it('restores into a new data folder (created 0700), with a one-line summary', () => {
    expect(restore.code).toBe(0);
    expect(restore.stderr).toBe(
      `restored ${backupFile} to ${path.join(restoredDir, 'oidc-settings.db')}: ${/: (.*); integrity_check ok/.exec(backup.stderr)![1]}\n`,
    );
    expect(fs.statSync(restoredDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(restoredDir, 'oidc-settings.db')).mode & 0o777).toBe(0o600);
  });

  it('the server on the restore has every Update acknowledged before the backup, in its settings and its event log', async () => {
    expect(restored!.logs.some((l) => l['msg'] === 'created the instance and an IAM_OWNER token')).toBe(false);
    const got = await call<Got>(client, 'GetOIDCSettings', {}, adminPat(originalDir));
    if (!got.ok) throw new Error(got.message);
    expect(BigInt(got.response.settings.details.sequence)).toBe(backedUpSequence());
    // Each acknowledged Update is the event at its sequence, with its value; sequences 1..n without a gap.
    const events = readEvents(restoredDir);
    expectLogHolds(events, before);
    const last = JSON.parse(events.at(-1)!.payload) as { new: { accessTokenLifetime: string } };
    expect(`${got.response.settings.accessTokenLifetime.seconds}s`).toBe(last.new.accessTokenLifetime);
    // And it carries on from there.
    const updated = await call<{ details: ObjectDetails }>(client, 'UpdateOIDCSettings', lifetimes(7, 7, 7, 7), adminPat(originalDir));
    if (!updated.ok) throw new Error(updated.message);
    expect(BigInt(updated.response.details.sequence)).toBe(backedUpSequence() + 1n);
  });

  it('serves the same tokens: the original admin.pat, a CLI token by its role, and a revoked one stays revoked', async () => {
    expect(fs.existsSync(path.join(restoredDir, 'admin.pat'))).toBe(false);
    expect(await codeOf(client, 'GetOIDCSettings', {}, adminPat(originalDir))).toBe(0);
    expect(await codeOf(client, 'GetOIDCSettings', {}, viewer.secret)).toBe(0);
    expect(await codeOf(client, 'UpdateOIDCSettings', lifetimes(8, 8, 8, 8), viewer.secret)).toBe(PERMISSION_DENIED);
    expect(await codeOf(client, 'GetOIDCSettings', {}, revoked.secret)).toBe(UNAUTHENTICATED);
  });
});

describe('backup', () => {
  it('finishes while another connection writes between every step of the copy', async () => {
    // The backup API starts over at the next step whenever another
    // connection wrote; here one writes at every turn of the event loop, as
    // often as the copy steps. In steps of 100 pages this never ends; in one
    // step, it ends at once.
    const dir = tempDir('backup-steps-');
    const file = path.join(dir, 'oidc-settings.db');
    const db = openDatabase(file);
    db.prepare('INSERT INTO instances (id, created_at) VALUES (?, ?)').run('1', Date.now());
    const append = db.prepare("INSERT INTO events VALUES ('1', ?, 'instance.oidc.settings.changed', ?, 'system', 0)");
    db.transaction(() => {
      for (let sequence = 1; sequence <= 8000; sequence++) append.run(sequence, JSON.stringify({ pad: 'x'.repeat(200) }));
    })();
    expect(db.pragma('page_count', { simple: true })).toBeGreaterThan(500);
    const probe = db.prepare<[number]>('INSERT INTO write_probe (id, written_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET written_at = excluded.written_at');
    let writing = true;
    let writes = 0;
    const write = () => {
      if (!writing) return;
      probe.run(writes++);
      setImmediate(write);
    };
    setImmediate(write);
    let timer: NodeJS.Timeout | undefined;
    try {
      const copy = backupDatabase(file, path.join(dir, 'backup.db'));
      const outcome = await Promise.race([copy.then(() => 'done'), new Promise((resolve) => (timer = setTimeout(resolve, 15_000, 'still copying')))]);
      writing = false;
      await copy; // ends once the writes stop, either way
      expect(outcome).toBe('done');
      expect(writes).toBeGreaterThan(0);
      expect((await copy).events).toBe(8000);
    } finally {
      writing = false;
      clearTimeout(timer);
      db.close();
    }
  }, 30_000);

  it('refuses to replace an existing file unless --force', async () => {
    const dataDir = await smallDataDir('backup-force-');
    const target = path.join(tempDir('backup-force-to-'), 'backup.db');
    fs.writeFileSync(target, 'an older backup');
    const refused = await runCli(['backup', '--to', target, '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`backup: ${target} exists: choose another file, or add --force to replace it\n`);
    expect(fs.readFileSync(target, 'utf8')).toBe('an older backup');

    const forced = await runCli(['backup', '--to', target, '--data-dir', dataDir, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/: \d+ KiB, 0 instances, 0 events \(no instance\), 1 token; integrity_check ok\n$/);
    expect(fs.readFileSync(target).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(target))).toEqual(['backup.db']);

    // Not even --force replaces the database with a copy of itself.
    const live = path.join(dataDir, 'oidc-settings.db');
    const bytes = fs.readFileSync(live);
    const itself = await runCli(['backup', '--to', live, '--data-dir', dataDir, '--force']);
    expect(itself.code).toBe(1);
    expect(itself.stderr).toBe(`backup: ${live} is the database itself: choose a file elsewhere\n`);
    expect(fs.readFileSync(live).equals(bytes)).toBe(true);
  });

  it('fails clearly when the data folder holds no database, and creates nothing', async () => {
    const empty = tempDir('backup-empty-');
    const target = path.join(tempDir('backup-empty-to-'), 'backup.db');
    const run = await runCli(['backup', '--to', target, '--data-dir', empty]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`backup: no SQLite database at ${path.join(empty, 'oidc-settings.db')} (is --data-dir the server's data folder?)\n`);
    expect(fs.readdirSync(empty)).toEqual([]);
    expect(fs.readdirSync(path.dirname(target))).toEqual([]);
  });

  it.each([
    { command: 'backup', file: '--to', tool: 'pg_dump' },
    { command: 'restore', file: '--from', tool: 'pg_restore' },
  ])('$command on PostgreSQL is refused with a $tool hint (exit 2), before connecting or loading pg', async ({ command, file, tool }) => {
    // A port that counts who connects: PostgreSQL's, as far as the command knows.
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const url = `postgres://oidc:secret@127.0.0.1:${(listener.address() as net.AddressInfo).port}/oidc_settings`;
    const dir = tempDir('backup-pg-');
    const args = [command, file, path.join(dir, 'backup.db'), '--data-dir', dir];
    try {
      for (const env of [{ DATABASE_URL: url }, {}] as Array<Record<string, string>>) {
        const run = await runCli('DATABASE_URL' in env ? args : [...args, '--database-url', url], { ...env, NODE_DEBUG: 'module' });
        expect(run.code).toBe(2);
        const said = run.stderr.split('\n').filter((line) => !line.startsWith('MODULE '));
        expect(said[0]).toMatch(new RegExp(`^${command}: the service is on PostgreSQL here`));
        expect(said[1]).toContain(`${tool} `);
        expect(run.stderr).not.toContain('secret');
        expect(run.stderr).not.toMatch(/load .*\/node_modules\/pg\//);
      }
      expect(connections).toBe(0);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      listener.close();
    }
  });
});

describe('restore', () => {
  let backupFile: string;

  beforeAll(async () => {
    const dataDir = await smallDataDir('restore-source-');
    backupFile = path.join(tempDir('restore-backup-'), 'backup.db');
    expect((await runCli(['backup', '--to', backupFile, '--data-dir', dataDir])).code).toBe(0);
  });

  it('refuses while a server has the database open, which keeps serving', async () => {
    const dataDir = tempDir('restore-busy-');
    const server = await startChildServer(dataDir, { SHUTDOWN_GRACE: '1s' });
    const client = adminClient(server.port);
    try {
      const files = fs.readdirSync(dataDir).sort();
      const run = await runCli(['restore', '--from', backupFile, '--data-dir', dataDir]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^restore: cannot use database .*oidc-settings\.db: another process has it open: stop the server/);
      expect(fs.readdirSync(dataDir).sort()).toEqual(files);
      expect(await codeOf(client, 'UpdateOIDCSettings', lifetimes(5, 5, 5, 5), adminPat(dataDir))).toBe(0);
    } finally {
      client.close();
      await stop(server);
    }
  });

  it('keeps the database that was in place, whole, beside it (here one a SIGKILL left with its -wal)', async () => {
    const dataDir = tempDir('restore-aside-');
    const server = await startChildServer(dataDir);
    const load = writeLoad(server.port, adminPat(dataDir), 4);
    await load.acknowledged(200);
    server.child.kill('SIGKILL');
    await server.exited;
    await load.stop();
    expect(fs.existsSync(path.join(dataDir, 'oidc-settings.db-wal'))).toBe(true);

    const run = await runCli(['restore', '--from', backupFile, '--data-dir', dataDir]);
    expect(run.code).toBe(0);
    const aside = /the database that was there is now (.*)\n$/.exec(run.stderr)![1]!;
    expect(path.dirname(aside)).toBe(dataDir);
    expect(path.basename(aside)).toMatch(/^oidc-settings\.db\.before-restore-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    // The restored database has no stale -wal beside it (it would be applied to it) ...
    const files = fs.readdirSync(dataDir);
    expect(files.filter((f) => f.startsWith('oidc-settings.db-'))).toEqual([]);
    expect(fs.readFileSync(path.join(dataDir, 'oidc-settings.db')).equals(fs.readFileSync(backupFile))).toBe(true);
    // ... and the one set aside still holds every write acknowledged to it.
    const old = new Database(aside, { readonly: true });
    try {
      const rows = old.prepare('SELECT instance_id AS instanceId, sequence, type, payload FROM events ORDER BY sequence').all();
      expectLogHolds(rows as Parameters<typeof expectLogHolds>[0], load.acked);
    } finally {
      old.close();
    }
    expect(fs.statSync(aside).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('moves even a database it cannot read aside, with the -wal and -shm beside it, byte for byte', async () => {
    // Files SQLite cannot open as a database: nothing checkpoints or removes
    // the -wal on the way, so the restore itself must move it (left there, it
    // would be applied to the restored database).
    const dataDir = tempDir('restore-sidecars-');
    const old = ['', '-wal', '-shm'].map((suffix) => ({ suffix, bytes: crypto.randomBytes(8192) }));
    for (const { suffix, bytes } of old) fs.writeFileSync(path.join(dataDir, `oidc-settings.db${suffix}`), bytes, { mode: 0o600 });
    const run = await runCli(['restore', '--from', backupFile, '--data-dir', dataDir]);
    expect(run.code).toBe(0);
    const aside = /the database that was there is now (.*)\n$/.exec(run.stderr)![1]!;
    for (const { suffix, bytes } of old) expect(fs.readFileSync(`${aside}${suffix}`).equals(bytes)).toBe(true);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['oidc-settings.db', ...old.map(({ suffix }) => `${path.basename(aside)}${suffix}`)].sort());
    expect(fs.readFileSync(path.join(dataDir, 'oidc-settings.db')).equals(fs.readFileSync(backupFile))).toBe(true);
  });

  describe('refuses a file that is not a sound backup of this service (exit 1), and changes nothing', () => {
    const cases: Array<{ what: string; make: (file: string) => void; says: RegExp }> = [
      { what: 'a text file', make: (f) => fs.writeFileSync(f, 'not a database\n'), says: /not a SQLite database \(bad header\)/ },
      { what: 'an empty file', make: (f) => fs.writeFileSync(f, ''), says: /the file is empty/ },
      {
        what: 'a backup cut short',
        make: (f) => fs.writeFileSync(f, fs.readFileSync(backupFile).subarray(0, 12_000)),
        says: /the file is corrupt/,
      },
      {
        what: 'a backup with its pages overwritten',
        make: (f) => {
          const bytes = fs.readFileSync(backupFile);
          crypto.randomFillSync(bytes, bytes.readUInt16BE(16)); // every page after the first
          fs.writeFileSync(f, bytes);
        },
        says: /the file is corrupt/,
      },
      {
        what: "another program's SQLite database",
        make: (f) => {
          const other = new Database(f);
          other.exec('CREATE TABLE notes (text TEXT)');
          other.close();
        },
        says: /it is not a database of this service \(no table instances, events, oidc_settings, tokens\)/,
      },
    ];

    it.each(cases)('$what', async ({ make, says }) => {
      const dataDir = await smallDataDir('restore-bad-');
      const file = path.join(dataDir, 'oidc-settings.db');
      const bytes = fs.readFileSync(file);
      const files = fs.readdirSync(dataDir).sort();
      const bad = path.join(tempDir('restore-bad-from-'), 'backup.db');
      make(bad);
      const run = await runCli(['restore', '--from', bad, '--data-dir', dataDir]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^restore: ${bad} is not a backup that can be restored: `));
      expect(run.stderr).toMatch(says);
      expect(run.stderr).toMatch(/; nothing was changed\n$/);
      expect(fs.readdirSync(dataDir).sort()).toEqual(files);
      expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    });
  });
});
