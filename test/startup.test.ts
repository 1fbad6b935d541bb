/**
 * A database that cannot be trusted stops the start, naming the file and
 * the reason, and is left exactly as it was; so does bad configuration.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runChildServer, startChildServer } from './helpers/child-server';
import { tempDir } from './helpers/server';
import { LATEST_VERSION } from '../src/store/sqlite/migrations';

const dbFile = (dataDir: string) => path.join(dataDir, 'oidc-settings.db');
const sha = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

/** A database the server made and closed cleanly. */
async function createDatabase(): Promise<string> {
  const dataDir = tempDir();
  const server = await startChildServer(dataDir);
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
  return dataDir;
}

describe('start-up refuses a database it cannot trust', () => {
  it('a file that is not SQLite', async () => {
    const dataDir = tempDir();
    fs.writeFileSync(dbFile(dataDir), 'this is not a database, it is a text file that happens to be here\n'.repeat(100));
    const before = sha(dbFile(dataDir));
    const result = await runChildServer(dataDir);
    expect(result.code).toBe(1);
    expect(output(result)).toContain(dbFile(dataDir));
    expect(output(result)).toContain('not a SQLite database');
    expect(sha(dbFile(dataDir))).toBe(before);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['oidc-settings.db']);
  });

  it('a SQLite file with corrupt pages', async () => {
    const dataDir = await createDatabase();
    const file = dbFile(dataDir);
    // Overwrite every page after the first (schema) page with noise.
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    crypto.randomFillSync(bytes, pageSize);
    fs.writeFileSync(file, bytes);
    const before = sha(file);
    const result = await runChildServer(dataDir);
    expect(result.code).toBe(1);
    expect(output(result)).toContain(file);
    expect(output(result)).toMatch(/corrupt|malformed/);
    expect(sha(file)).toBe(before);
  });

  it('a database of a newer schema version', async () => {
    const dataDir = await createDatabase();
    const db = new Database(dbFile(dataDir));
    db.pragma('user_version = 99');
    db.close();
    const before = sha(dbFile(dataDir));
    const result = await runChildServer(dataDir);
    expect(result.code).toBe(1);
    expect(output(result)).toContain(dbFile(dataDir));
    expect(output(result)).toContain(`schema version 99 is newer than this build supports (${LATEST_VERSION})`);
    expect(sha(dbFile(dataDir))).toBe(before);
  });

  it('a database path that is a folder', async () => {
    const dataDir = tempDir();
    fs.mkdirSync(dbFile(dataDir));
    const result = await runChildServer(dataDir);
    expect(result.code).toBe(1);
    expect(output(result)).toContain('not a regular file');
  });
});

describe('start-up refuses bad configuration, naming the setting', () => {
  it.each([
    [{ GRPC_PORT: 'http' }, [], 'GRPC_PORT'],
    [{ GRPC_PORT: '70000' }, [], 'GRPC_PORT'],
    [{ DEFAULT_ACCESS_TOKEN_LIFETIME: 'forever' }, [], 'DEFAULT_ACCESS_TOKEN_LIFETIME'],
    [{ DEFAULT_REFRESH_TOKEN_EXPIRATION: '0h' }, [], 'DEFAULT_REFRESH_TOKEN_EXPIRATION'],
    [{ SEED_DEFAULTS: 'maybe' }, [], 'SEED_DEFAULTS'],
    [{}, ['--grpc-port', '-1'], '--grpc-port'],
    [{}, ['--no-such-option', '1'], '--no-such-option'],
  ])('%j %j', async (env, args, named) => {
    const dataDir = tempDir();
    const result = await runChildServer(dataDir, env, args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('configuration error');
    expect(result.stderr).toContain(named);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('--help lists every setting with its flag, variable and default', async () => {
    const result = await runChildServer(tempDir(), {}, ['--help']);
    expect(result.code).toBe(0);
    for (const name of ['--grpc-port', 'GRPC_PORT', '--data-dir', 'DATA_DIR', 'SEED_DEFAULTS', 'DEFAULT_ACCESS_TOKEN_LIFETIME']) {
      expect(result.stdout).toContain(name);
    }
  });
});

describe('first start', () => {
  it('creates admin.pat with mode 0600 and logs its path, never the token', async () => {
    const dataDir = tempDir();
    const server = await startChildServer(dataDir);
    server.child.kill('SIGTERM');
    await server.exited;
    const tokenFile = path.join(dataDir, 'admin.pat');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits
    const logged = JSON.stringify(server.logs);
    expect(logged).toContain(tokenFile);
    expect(logged).not.toContain(token);
  });
});
