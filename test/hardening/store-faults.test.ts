/**
 * A store that cannot commit (issue 10, defect 4): the service says it is
 * not ready, writes answer UNAVAILABLE naming the cause, reads go on, and
 * readiness comes back by itself once writing works again. Real faults, no
 * mocks: a 2 MB tmpfs filled to the last byte, and an immutable WAL file
 * (chattr +i). Runs as root, as CI does.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import * as grpc from '@grpc/grpc-js';
import { adminClient, call, lifetimes, type ObjectDetails } from '../helpers/grpc-client';
import { tempDir } from '../helpers/server';
import { type Child, grpcHealth, startServerChild } from './child';

const SERVICES = ['', 'zitadel.admin.v1.AdminService'];

interface Acked {
  readonly sequence: bigint;
  readonly access: number;
}

async function update(client: grpc.Client, token: string, access: number) {
  return call<{ details: ObjectDetails }>(client, 'UpdateOIDCSettings', lifetimes(access, 60, 60, 60), token);
}

const readyz = async (server: Child) => (await fetch(`http://127.0.0.1:${server.httpPort}/readyz`)).status;

/** Polls /readyz (every 20 ms, for at most 10 s) until it answers `status`. */
async function untilReady(server: Child, status: number): Promise<number> {
  let seen = 0;
  for (let i = 0; i < 500 && (seen = await readyz(server)) !== status; i++) await new Promise((r) => setTimeout(r, 20));
  return seen;
}

/** Every acknowledged Update is in the event log with its value, and the log has no gaps. */
function expectDurable(dataDir: string, acked: Acked[]) {
  const db = new Database(path.join(dataDir, 'oidc-settings.db'), { readonly: true });
  const events = db.prepare('SELECT sequence, payload FROM events ORDER BY sequence').all() as Array<{ sequence: number; payload: string }>;
  db.close();
  const bySequence = new Map(events.map((e) => [BigInt(e.sequence), e.payload]));
  for (const { sequence, access } of acked) {
    expect(JSON.parse(bySequence.get(sequence) ?? 'null')).toMatchObject({ new: { accessTokenLifetime: `${access}s` } });
  }
  expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
}

/** What a client sees while the store cannot commit: over gRPC, REST and health. */
async function expectUnavailable(server: Child, client: grpc.Client, token: string, cause: string, lastAccess: number) {
  expect(await readyz(server)).toBe(503);
  expect(await grpcHealth(server.grpcPort, SERVICES)).toEqual(['NOT_SERVING', 'NOT_SERVING']);

  const refused = await update(client, token, 999_999);
  expect(refused).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
  const message = (refused as { message: string }).message;
  expect(message).toContain(`the database cannot be written: ${cause}`);
  expect(message).not.toMatch(/\//); // no path

  const rest = await fetch(`http://127.0.0.1:${server.httpPort}/admin/v1/settings/oidc`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ accessTokenLifetime: '999998s', idTokenLifetime: '60s', refreshTokenIdleExpiration: '60s', refreshTokenExpiration: '60s' }),
  });
  expect(rest.status).toBe(503);
  const body = (await rest.json()) as { code: number; message: string };
  expect(body.code).toBe(14);
  expect(body.message).toContain(cause);

  // Reads are served from memory: the last acknowledged value.
  const read = await call<{ settings: { accessTokenLifetime: { seconds: string } } }>(client, 'GetOIDCSettings', {}, token);
  expect(read).toMatchObject({ ok: true, response: { settings: { accessTokenLifetime: { seconds: String(lastAccess) } } } });
}

async function expectRecovered(server: Child, client: grpc.Client, token: string, acked: Acked[], access: number) {
  expect(await untilReady(server, 200)).toBe(200);
  expect(await grpcHealth(server.grpcPort, SERVICES)).toEqual(['SERVING', 'SERVING']);
  const outcome = await update(client, token, access);
  expect(outcome.ok).toBe(true);
  if (outcome.ok) acked.push({ sequence: BigInt(outcome.response.details.sequence), access });
}

describe('a full disk', () => {
  const mount = tempDir('full-disk-');
  let mounted = false;
  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    mounted = true;
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', mount]);
  });

  it('is not ready and answers UNAVAILABLE until space is freed, then recovers by itself, losing nothing acknowledged', async () => {
    const dataDir = path.join(mount, 'data');
    const server = await startServerChild(dataDir);
    const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    const client = adminClient(server.grpcPort);
    const acked: Acked[] = [];
    try {
      let access = 1;
      for (; access <= 20; access++) {
        const outcome = await update(client, token, access);
        if (outcome.ok) acked.push({ sequence: BigInt(outcome.response.details.sequence), access });
      }
      expect(acked).toHaveLength(20);

      // Fill the disk to its last byte.
      const filler = path.join(mount, 'filler');
      const fd = fs.openSync(filler, 'w');
      const chunk = Buffer.alloc(4096, 1);
      try {
        for (let i = 0; i < 1024; i++) fs.writeSync(fd, chunk);
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        fs.closeSync(fd);
      }

      // Writes go on while the WAL and the database have room; then one fails.
      let failure: Awaited<ReturnType<typeof update>> | undefined;
      for (let i = 0; i < 3000 && !failure; i++, access++) {
        const outcome = await update(client, token, access);
        if (outcome.ok) acked.push({ sequence: BigInt(outcome.response.details.sequence), access });
        else failure = outcome;
      }
      expect(failure).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
      expect((failure as { message: string }).message).toContain('the disk is full');
      await expectUnavailable(server, client, token, 'the disk is full', acked.at(-1)!.access);

      // Failing checkpoints are logged when they start failing, not every 500 ms.
      await new Promise((r) => setTimeout(r, 1600));
      expect(server.logs.filter((l) => l['msg'] === 'WAL checkpoint failed').length).toBeLessThanOrEqual(1);
      expect(server.logs.filter((l) => l['msg'] === 'the database cannot be used')).toHaveLength(1);

      fs.unlinkSync(filler);
      await expectRecovered(server, client, token, acked, 777_777);
      await server.logLine((l) => l['msg'] === 'the database can be used again');
    } finally {
      client.close();
      await server.stop();
    }
    expectDurable(dataDir, acked);
  });
});

describe('an immutable WAL file', () => {
  const dataDir = tempDir('immutable-');
  const wal = path.join(dataDir, 'oidc-settings.db-wal');
  afterAll(() => {
    if (fs.existsSync(wal)) execFileSync('chattr', ['-i', wal]);
  });

  it('is not ready and answers UNAVAILABLE "read-only" until it can be written again', async () => {
    const server = await startServerChild(dataDir);
    const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    const client = adminClient(server.grpcPort);
    const acked: Acked[] = [];
    try {
      const first = await update(client, token, 5);
      if (first.ok) acked.push({ sequence: BigInt(first.response.details.sequence), access: 5 });
      expect(acked).toHaveLength(1);

      execFileSync('chattr', ['+i', wal]);
      const refused = await update(client, token, 6);
      expect(refused).toMatchObject({ ok: false, code: grpc.status.UNAVAILABLE });
      expect((refused as { message: string }).message).toContain('it is read-only');
      await expectUnavailable(server, client, token, 'it is read-only', 5);

      execFileSync('chattr', ['-i', wal]);
      await expectRecovered(server, client, token, acked, 7);
    } finally {
      client.close();
      await server.stop();
    }
    expectDurable(dataDir, acked);
  });
});

describe('a database file the server may only read', () => {
  // Root ignores permission bits: the server runs as nobody, on a folder it owns.
  const NOBODY = 65534;
  const dataDir = path.join(tempDir('read-only-'), 'data');

  it('starts not ready: reads are served, writes answer UNAVAILABLE "read-only"', async () => {
    fs.mkdirSync(dataDir);
    fs.chownSync(dataDir, NOBODY, NOBODY);
    fs.chmodSync(path.dirname(dataDir), 0o755);
    await (await startServerChild(dataDir, { uid: NOBODY })).stop();
    fs.chmodSync(path.join(dataDir, 'oidc-settings.db'), 0o400);

    const server = await startServerChild(dataDir, { uid: NOBODY });
    const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    const client = adminClient(server.grpcPort);
    try {
      // The seeded access token lifetime: 12 hours.
      await expectUnavailable(server, client, token, 'it is read-only', 43_200);
      expect(server.logs.filter((l) => l['msg'] === 'the database cannot be used')).toHaveLength(1);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
