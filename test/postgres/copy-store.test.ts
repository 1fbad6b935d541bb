/**
 * Moving the service from SQLite to PostgreSQL with the copy-store command
 * (real processes throughout): a server on SQLite takes Updates and tokens
 * and stops; the copy lands in a fresh database of a real PostgreSQL 15
 * cluster, and a replica started on it carries on where SQLite stopped.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { startServerChild } from '../hardening/child';
import { CLI, type CliRun, runCli } from '../helpers/cli';
import { adminClient, call, lifetimes, type ObjectDetails } from '../helpers/grpc-client';
import { type PostgresCluster, pgQuery, startPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/server';
import { type Replica, startReplicas, stopAll } from './replicas';
import { PROJECTION_COLUMNS } from '../../src/store/projection';

const execFileAsync = promisify(execFile);
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;
/** Trust authentication never asks for it, so it only has to stay out of every output. */
const PASSWORD = 'n0t-to-be-printed';

interface Got {
  settings: { details: ObjectDetails; accessTokenLifetime: { seconds: string } };
}

/** The command as an operator runs it, without DATA_DIR or DATABASE_URL from this environment unless given. */
const copyStore = (args: string[], env: Record<string, string> = {}) => runCli(['copy-store', ...args], env);

/** The token CLI on a SQLite data folder. */
async function tokenCli(dataDir: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [CLI, 'token', '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 15_000 });
}

const withPassword = (url: string) => url.replace('postgres://postgres@', `postgres://postgres:${PASSWORD}@`);

async function get(client: grpc.Client, token: string): Promise<Got['settings']> {
  const outcome = await call<Got>(client, 'GetOIDCSettings', {}, token);
  if (!outcome.ok) throw new Error(`Get: ${outcome.code} ${outcome.message}`);
  return outcome.response.settings;
}

async function update(client: grpc.Client, token: string, access: number): Promise<ObjectDetails> {
  const outcome = await call<{ details: ObjectDetails }>(client, 'UpdateOIDCSettings', lifetimes(access, 60, 3600, 7200), token);
  if (!outcome.ok) throw new Error(`Update: ${outcome.code} ${outcome.message}`);
  return outcome.response.details;
}

let cluster: PostgresCluster;
let url: string;
let sourceDir: string;
let instanceId: unknown;
let admin: string;
let viewer: string;
let revoked: string;
let before: Got['settings'];
let copied: CliRun;

beforeAll(async () => {
  cluster = await startPostgres();
  sourceDir = tempDir('copy-source-');
  const server = await startServerChild(sourceDir, { env: { SHUTDOWN_GRACE: '1s' } });
  const client = adminClient(server.grpcPort);
  try {
    instanceId = server.logs.find((l) => l['msg'] === 'serving gRPC')?.['instance'];
    admin = fs.readFileSync(path.join(sourceDir, 'admin.pat'), 'utf8').trim();
    for (const access of [1000, 2000, 3000]) await update(client, admin, access);
    viewer = (await tokenCli(sourceDir, ['create', '--role', 'IAM_OWNER_VIEWER', '--expires', '30d', '--description', 'from before the move'])).stdout.trim();
    const doomed = await tokenCli(sourceDir, ['create', '--role', 'IAM_OWNER']);
    revoked = doomed.stdout.trim();
    await tokenCli(sourceDir, ['revoke', /created token (\S+)/.exec(doomed.stderr)![1]!]);
    before = await get(client, admin);
  } finally {
    client.close();
    expect(await server.stop()).toBe(0);
  }
  url = await cluster.createDatabase('copy');
  copied = await copyStore(['--data-dir', sourceDir, '--database-url', withPassword(url)]);
}, 90_000);

afterAll(() => cluster?.destroy(), 60_000);

describe('copy-store from a stopped SQLite server into an empty PostgreSQL database', () => {
  it('copies, and says so in one line on stderr without the password', () => {
    const last = before.details.sequence;
    expect(copied).toEqual({
      code: 0,
      stdout: '',
      stderr: `copied 1 instance, ${last} events (last sequence ${last}), 3 tokens to ${url}\n`,
    });
  });

  it('leaves PostgreSQL with the same rows as SQLite, table by table', async () => {
    // Every column as text on both sides (hashes as hex), payloads as the JSON values they are.
    const tables: Array<[string, string[], string]> = [
      ['instances', ['id', 'created_at'], 'id'],
      ['events', ['instance_id', 'sequence', 'type', 'payload', 'actor', 'created_at'], 'instance_id, sequence'],
      [
        'oidc_settings',
        [...PROJECTION_COLUMNS],
        'instance_id',
      ],
      ['tokens', ['id', 'hash', 'role', 'description', 'created_at', 'expires_at', 'revoked_at'], 'id'],
    ];
    const parsed = (rows: Array<Record<string, string | null>>) =>
      rows.map((row) => ('payload' in row ? { ...row, payload: JSON.parse(row['payload']!) as unknown } : row));
    const sqlite = new Database(path.join(sourceDir, 'oidc-settings.db'), { readonly: true, fileMustExist: true });
    try {
      for (const [table, columns, order] of tables) {
        const lite = sqlite
          .prepare<[], Record<string, string | null>>(
            `SELECT ${columns.map((c) => (c === 'hash' ? 'lower(hex(hash)) AS hash' : `CAST(${c} AS TEXT) AS ${c}`)).join(', ')} FROM ${table} ORDER BY ${order}`,
          )
          .all();
        const pg = await pgQuery<Record<string, string | null>>(
          url,
          `SELECT ${columns.map((c) => (c === 'hash' ? "encode(hash, 'hex') AS hash" : `${c}::text AS ${c}`)).join(', ')} FROM ${table} ORDER BY ${order}`,
        );
        expect({ table, rows: parsed(pg) }).toEqual({ table, rows: parsed(lite) });
        expect(lite.length).toBeGreaterThan(0);
      }
      expect(sqlite.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: Number(before.details.sequence) });
    } finally {
      sqlite.close();
    }
  });

  describe('a replica started on the copy', () => {
    let replicas: Replica[];
    let client: grpc.Client;
    beforeAll(async () => {
      replicas = await startReplicas(url, 1);
      client = adminClient(replicas[0]!.grpcPort);
    }, 30_000);
    afterAll(async () => {
      client?.close();
      await stopAll(replicas ?? []);
    }, 30_000);

    it('serves the same instance and the same settings, at the same sequence', async () => {
      const logs = replicas[0]!.logs;
      expect(logs.find((l) => l['msg'] === 'serving gRPC')?.['instance']).toBe(instanceId);
      expect(logs.some((l) => l['msg'] === 'created the instance and an IAM_OWNER token')).toBe(false);
      expect(fs.existsSync(path.join(replicas[0]!.dataDir, 'admin.pat'))).toBe(false);
      expect(await get(client, admin)).toEqual(before);
    });

    it('accepts the admin token and the second token in their roles, and refuses the token revoked before the copy', async () => {
      expect((await get(client, viewer)).details.sequence).toBe(before.details.sequence);
      const viewerUpdate = await call(client, 'UpdateOIDCSettings', lifetimes(1, 1, 1, 1), viewer);
      expect(viewerUpdate).toMatchObject({ ok: false, code: PERMISSION_DENIED });
      expect(await call(client, 'GetOIDCSettings', {}, revoked)).toMatchObject({ ok: false, code: UNAUTHENTICATED });
    });

    it('gives the next Update the next sequence', async () => {
      const details = await update(client, admin, 4000);
      expect(BigInt(details.sequence)).toBe(BigInt(before.details.sequence) + 1n);
      const settings = await get(client, viewer);
      expect(settings.details.sequence).toBe(details.sequence);
      expect(settings.accessTokenLifetime.seconds).toBe('4000');
    });
  });

  it('refuses to copy again into the now non-empty database (DATA_DIR and DATABASE_URL from the environment): exit 1, nothing written', async () => {
    const events = await pgQuery(url, 'SELECT count(*)::int AS n FROM events');
    const again = await copyStore([], { DATA_DIR: sourceDir, DATABASE_URL: withPassword(url) });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is not empty \(it holds 1 instance\(s\), \d+ event\(s\), 3 token\(s\)\).*nothing was written/);
    expect(again.stderr).not.toContain(PASSWORD);
    expect(await pgQuery(url, 'SELECT count(*)::int AS n FROM events')).toEqual(events);
  });
});

describe('copy-store refusals', () => {
  const untouched = async (target: string) =>
    expect(await pgQuery(target, "SELECT to_regclass('events') AS events")).toEqual([{ events: null }]);

  it('fails clearly when the data folder holds no SQLite database, and creates none', async () => {
    const empty = tempDir('copy-empty-');
    const target = await cluster.createDatabase('copy_none');
    const run = await copyStore(['--data-dir', empty, '--database-url', target]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`copy-store: no SQLite database at ${path.join(empty, 'oidc-settings.db')} (is --data-dir the server's data folder?)\n`);
    expect(fs.readdirSync(empty)).toEqual([]);
    await untouched(target);
  });

  it('refuses a SQLite file with corrupt pages (quick_check), leaving it as it was', async () => {
    const dataDir = tempDir('copy-corrupt-');
    const file = path.join(dataDir, 'oidc-settings.db');
    const bytes = fs.readFileSync(path.join(sourceDir, 'oidc-settings.db'));
    crypto.randomFillSync(bytes, bytes.readUInt16BE(16)); // every page after the first
    fs.writeFileSync(file, bytes, { mode: 0o600 });
    const target = await cluster.createDatabase('copy_corrupt');
    const run = await copyStore(['--data-dir', dataDir, '--database-url', target]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot use database ${file}: `);
    expect(run.stderr).toMatch(/corrupt|malformed/);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    await untouched(target);
  });

  it('refuses a SQLite database that a running server has open, which keeps serving', async () => {
    const dataDir = tempDir('copy-busy-');
    const server = await startServerChild(dataDir, { env: { SHUTDOWN_GRACE: '1s' } });
    const client = adminClient(server.grpcPort);
    try {
      const target = await cluster.createDatabase('copy_busy');
      const run = await copyStore(['--data-dir', dataDir, '--database-url', target]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/another process has it open: stop the server/);
      await untouched(target);
      const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
      await update(client, token, 5000);
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('answers --help with the usage (exit 0), and no database URL with a usage error (exit 2)', async () => {
    const help = await copyStore(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Stop the server first');
    const usage = await copyStore(['--data-dir', sourceDir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^copy-store: --database-url \(or DATABASE_URL\) is needed/);
    expect(usage.stderr).toContain('Usage: oidc-settings copy-store');
  });
});
