/**
 * Three replicas (real processes) on one PostgreSQL 15 database: first
 * start, the same settings over every protocol, reads never stale across
 * replicas, gapless sequences from concurrent writers, tokens.
 */
import type * as grpc from '@grpc/grpc-js';
import { adminClient, call, lifetimes, type ObjectDetails } from '../helpers/grpc-client';
import { type PostgresCluster, pgQuery, readPostgresEvents, startPostgres } from '../helpers/postgres';
import { PROTOCOLS, callersFor } from '../helpers/protocols';
import { expectLogHolds, type Acked } from '../helpers/write-load';
import { type Replica, adminTokenOf, startReplicas, stopAll, tokenCli } from './replicas';

interface Got {
  settings: { details: ObjectDetails; accessTokenLifetime: { seconds: string } };
}

let cluster: PostgresCluster;
let url: string;
let replicas: Replica[];
let clients: grpc.Client[];
let admin: string;

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase('replicas');
  // At the same moment, on an empty database.
  replicas = await startReplicas(url, 3);
  clients = replicas.map((r) => adminClient(r.grpcPort));
  admin = adminTokenOf(replicas);
}, 90_000);

afterAll(async () => {
  for (const client of clients ?? []) client.close();
  await stopAll(replicas ?? []);
  await cluster?.destroy();
}, 60_000);

const update = async (replica: number, access: number, token = admin): Promise<ObjectDetails> => {
  const outcome = await call<{ details: ObjectDetails }>(clients[replica]!, 'UpdateOIDCSettings', lifetimes(access, 60, 60, 60), token);
  if (!outcome.ok) throw new Error(`Update on replica ${replica}: ${outcome.code} ${outcome.message}`);
  return outcome.response.details;
};
const get = async (replica: number, token = admin) => {
  const outcome = await call<Got>(clients[replica]!, 'GetOIDCSettings', {}, token);
  if (!outcome.ok) throw new Error(`Get on replica ${replica}: ${outcome.code} ${outcome.message}`);
  return outcome.response.settings;
};

describe('three replicas on one PostgreSQL database', () => {
  it('created exactly one instance and one IAM_OWNER token, and migrated once', async () => {
    expect(await pgQuery(url, 'SELECT count(*)::int AS n FROM instances')).toEqual([{ n: 1 }]);
    expect(await pgQuery(url, 'SELECT role FROM tokens')).toEqual([{ role: 'IAM_OWNER' }]);
    expect(await pgQuery(url, 'SELECT version FROM schema_migrations ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }]);
    const creators = replicas.filter((r) => r.logs.some((l) => l['msg'] === 'created the instance and an IAM_OWNER token'));
    expect(creators).toHaveLength(1);
    // Each step once, all by the same replica.
    const migrated = replicas.map((r) => r.logs.filter((l) => l['msg'] === 'migrated database').map((l) => l['migration']));
    expect(migrated.filter((steps) => steps.length > 0)).toEqual([[1, 2]]);
    // Every replica serves the one instance.
    const instances = new Set(replicas.map((r) => r.logs.find((l) => l['msg'] === 'serving gRPC')?.['instance']));
    expect(instances.size).toBe(1);
  });

  it('serves the same settings over every protocol (gRPC, gRPC-Web, Connect, REST) on every replica', async () => {
    await update(0, 4242);
    const answers = new Set<string>();
    for (const replica of replicas) {
      const callers = callersFor({ grpcPort: replica.grpcPort, httpPort: replica.httpPort });
      try {
        for (const protocol of PROTOCOLS) {
          const result = await callers[protocol]('getOIDCSettings', {}, admin);
          expect({ protocol, code: result.code }).toEqual({ protocol, code: 0 });
          answers.add(JSON.stringify(result.json));
        }
      } finally {
        callers.close();
      }
    }
    expect(answers.size).toBe(1);
    expect([...answers][0]).toContain('"accessTokenLifetime":"4242s"');
  });

  it('never serves a stale read: 10,000 updates on one replica, each read at once on another', async () => {
    const TRIALS = Number(process.env.TRIALS ?? 10_000);
    const WORKERS = 8;
    let stale = 0;
    let next = 0;
    const worker = async (w: number) => {
      for (let trial = next++; trial < TRIALS; trial = next++) {
        const writer = trial % 3;
        const reader = (writer + 1 + (w % 2)) % 3;
        const access = 100_000 + trial;
        const details = await update(writer, access);
        const read = await get(reader);
        // That Update's values, or a newer write's: never an older state.
        if (BigInt(read.details.sequence) < BigInt(details.sequence)) stale++;
        else if (read.details.sequence === details.sequence && read.accessTokenLifetime.seconds !== String(access)) stale++;
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    expect(stale).toBe(0);
  }, 120_000);

  it('gives 1,000 concurrent Updates spread over the replicas 1,000 distinct, gapless sequences', async () => {
    const before = BigInt((await get(0)).details.sequence);
    const acked: Acked[] = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const access = 500_000 + i;
        const details = await update(i % 3, access);
        return { sequence: BigInt(details.sequence), access };
      }),
    );
    const sequences = acked.map((a) => a.sequence).sort((a, b) => (a < b ? -1 : 1));
    expect(sequences).toEqual(Array.from({ length: 1000 }, (_, i) => before + 1n + BigInt(i)));
    expectLogHolds(await readPostgresEvents(url), acked);
  }, 60_000);

  it('keeps the no-change Update idempotent across replicas', async () => {
    const written = await update(1, 777);
    const events = (await pgQuery<{ n: number }>(url, 'SELECT count(*)::int AS n FROM events'))[0]!.n;
    for (const replica of [0, 1, 2]) expect(await update(replica, 777)).toEqual(written);
    expect((await pgQuery<{ n: number }>(url, 'SELECT count(*)::int AS n FROM events'))[0]!.n).toBe(events);
  });

  it('runs the token CLI against the database; a revocation reaches every replica within a second', async () => {
    const created = await tokenCli(url, ['create', '--role', 'IAM_OWNER_VIEWER', '--description', 'replica test']);
    const token = created.stdout.trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const id = /created token (\S+)/.exec(created.stderr)![1]!;
    const list = await tokenCli(url, ['list']);
    expect(list.stdout).toContain(id);
    expect(list.stdout).toContain('replica test');
    // Each replica has seen it valid (and remembers it).
    for (const replica of [0, 1, 2]) await get(replica, token);

    await tokenCli(url, ['revoke', id]);
    const revokedAt = performance.now();
    const refusedAfter = await Promise.all(
      [0, 1, 2].map(async (replica) => {
        for (;;) {
          const outcome = await call<Got>(clients[replica]!, 'GetOIDCSettings', {}, token);
          if (!outcome.ok && outcome.code === 16) return performance.now() - revokedAt;
          if (performance.now() - revokedAt > 5000) throw new Error(`replica ${replica} still accepts a revoked token`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }),
    );
    expect(Math.max(...refusedAfter)).toBeLessThan(1000);
    const again = await tokenCli(url, ['revoke', id]).catch((error: { code: number; stderr: string }) => error);
    expect(again).toMatchObject({ code: 1 });
    expect((again as { stderr: string }).stderr).toContain(`no live token with id ${id}`);
  });
});
