/**
 * Replicas on PostgreSQL when things go wrong: the database down, restarted
 * (crashed) under load, connections cut during commits, a replica SIGKILLed
 * under load. Nothing acknowledged is lost; replicas recover by themselves.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { grpcHealth } from '../hardening/child';
import { adminClient, call, lifetimes, type ObjectDetails } from '../helpers/grpc-client';
import { type PostgresCluster, pgQuery, readPostgresEvents, startPostgres } from '../helpers/postgres';
import { type WriteLoad, expectLogHolds, writeLoad } from '../helpers/write-load';
import { type Replica, adminTokenOf, startReplicas, stopAll } from './replicas';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(() => cluster?.destroy(), 60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it holds; throws after `ms`. */
async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

const readyz = async (replica: Replica) => (await fetch(`http://127.0.0.1:${replica.httpPort}/readyz`)).status;

/** Resolves once every load has `more` acknowledged Updates beyond what it had. */
const acknowledgedMore = (loads: readonly WriteLoad[], more: number) => Promise.all(loads.map((l) => l.acknowledged(l.acked.length + more)));

describe('replicas on PostgreSQL, when things go wrong', () => {
  let url: string;
  let replicas: Replica[] = [];
  let clients: grpc.Client[] = [];
  let admin: string;

  beforeEach(async () => {
    url = await cluster.createDatabase('faults');
    replicas = await startReplicas(url, 3);
    clients = replicas.map((r) => adminClient(r.grpcPort));
    admin = adminTokenOf(replicas);
  }, 60_000);
  afterEach(async () => {
    for (const client of clients) client.close();
    await stopAll(replicas);
  }, 30_000);

  it('answers UNAVAILABLE (503 on REST) at once while the database is down, is not ready, and serves again by itself', async () => {
    await cluster.stop();
    try {
      for (const [i, client] of clients.entries()) {
        const started = performance.now();
        const update = await call<{ details: ObjectDetails }>(client, 'UpdateOIDCSettings', lifetimes(100 + i, 60, 60, 60), admin);
        expect(update).toMatchObject({ ok: false, code: 14 });
        const get = await call(client, 'GetOIDCSettings', {}, admin);
        expect(get).toMatchObject({ ok: false, code: 14, message: expect.stringContaining('the database is unavailable') as unknown });
        // Well within any sensible deadline: a database that refuses connections is known at once.
        expect(performance.now() - started).toBeLessThan(3000);
      }
      const rest = await fetch(`http://127.0.0.1:${replicas[0]!.httpPort}/admin/v1/settings/oidc`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(rest.status).toBe(503);
      for (const replica of replicas) {
        expect(await readyz(replica)).toBe(503);
        expect(await grpcHealth(replica.grpcPort, ['', 'zitadel.admin.v1.AdminService'])).toEqual(['NOT_SERVING', 'NOT_SERVING']);
        expect(replica.child.exitCode).toBeNull();
      }
    } finally {
      await cluster.start();
    }
    // No restart: the probe write brings each replica back.
    for (const replica of replicas) await eventually('ready again', 10_000, async () => (await readyz(replica)) === 200);
    for (const client of clients) {
      expect(await call(client, 'UpdateOIDCSettings', lifetimes(4711, 60, 60, 60), admin)).toMatchObject({ ok: true });
    }
    expect(replicas.every((r) => r.logs.some((l) => l['msg'] === 'the database can be used again'))).toBe(true);
  }, 60_000);

  it('answers UNAVAILABLE within seconds while the database hangs (stopped, not down), and serves again when it resumes', async () => {
    const postmaster = fs.readFileSync(path.join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]!;
    const pids = [postmaster, ...execFileSync('pgrep', ['-P', postmaster], { encoding: 'utf8' }).trim().split('\n')];
    execFileSync('kill', ['-STOP', ...pids]);
    try {
      const started = performance.now();
      const outcomes = await Promise.all([
        call(clients[0]!, 'GetOIDCSettings', {}, admin),
        call(clients[1]!, 'UpdateOIDCSettings', lifetimes(31, 60, 60, 60), admin),
      ]);
      for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: false, code: 14 });
      // The query timeout (5 s), well within the default deadline (CALL_TIMEOUT, 30 s).
      expect(performance.now() - started).toBeLessThan(8000);
      expect(await readyz(replicas[0]!)).toBe(503);
    } finally {
      execFileSync('kill', ['-CONT', ...pids]);
    }
    for (const replica of replicas) await eventually('ready again', 15_000, async () => (await readyz(replica)) === 200);
    expect(await call(clients[2]!, 'UpdateOIDCSettings', lifetimes(32, 60, 60, 60), admin)).toMatchObject({ ok: true });
  }, 60_000);

  it('loses no acknowledged write when the database crashes and restarts under load, and recovers without a restart', async () => {
    const loads = replicas.map((r, i) => writeLoad(r.grpcPort, admin, 8, 1 + i * 1_000_000));
    try {
      await acknowledgedMore(loads, 100);
      await cluster.kill(); // immediate: a crash, connections cut mid-commit
      await sleep(500);
      await cluster.start();
      await acknowledgedMore(loads, 100);
    } finally {
      await Promise.all(loads.map((l) => l.stop()));
    }
    expect(loads.reduce((n, l) => n + l.failed(), 0)).toBeGreaterThan(0);
    expectLogHolds(await readPostgresEvents(url), loads.flatMap((l) => l.acked));
  }, 60_000);

  it('loses no acknowledged write when its connections are cut during commits', async () => {
    const loads = replicas.map((r, i) => writeLoad(r.grpcPort, admin, 8, 1 + i * 1_000_000));
    let cut = 0;
    try {
      await acknowledgedMore(loads, 50);
      for (let round = 0; round < 10; round++) {
        const rows = await pgQuery<{ cut: boolean }>(
          url,
          "SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE application_name = 'oidc-settings' AND pid <> pg_backend_pid()",
        );
        cut += rows.filter((r) => r.cut).length;
        await sleep(100);
      }
      await acknowledgedMore(loads, 50);
    } finally {
      await Promise.all(loads.map((l) => l.stop()));
    }
    expect(cut).toBeGreaterThan(10);
    expectLogHolds(await readPostgresEvents(url), loads.flatMap((l) => l.acked));
  }, 60_000);

  it('keeps serving on the other replicas when one is SIGKILLed under load, losing nothing it acknowledged', async () => {
    const loads = replicas.map((r, i) => writeLoad(r.grpcPort, admin, 8, 1 + i * 1_000_000));
    try {
      await acknowledgedMore(loads, 100);
      replicas[0]!.child.kill('SIGKILL');
      await replicas[0]!.exited;
      await acknowledgedMore(loads.slice(1), 200);
    } finally {
      await Promise.all(loads.map((l) => l.stop()));
    }
    expectLogHolds(await readPostgresEvents(url), loads.flatMap((l) => l.acked));
    // What the survivors serve is the log's last word.
    const got = await call<{ settings: { details: ObjectDetails } }>(clients[1]!, 'GetOIDCSettings', {}, admin);
    const events = await readPostgresEvents(url);
    expect(got).toMatchObject({ ok: true, response: { settings: { details: { sequence: String(events.at(-1)!.sequence) } } } });
  }, 60_000);
});
