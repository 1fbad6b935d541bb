/**
 * The PostgreSQL section of `npm run bench` (alone: BENCH_ONLY=postgres):
 * the server on SQLite for reference, then one throwaway PostgreSQL cluster
 * with 1 replica on a fresh database and 2 replicas on another, each under
 * the gRPC Update and Get loads of the SQLite rows, and the read-after-write
 * loop (an Update, then a Get that must see it) on each.
 */
import { machineInfo } from './lib/machine';
import { type MeasureContext, type PathResult, type PathSpec, measurePath } from './lib/measure';
import { type OurServer, startServer } from './lib/our-server';
import { connectionsOf, postgresCpu, postgresInfo, startPostgres } from './lib/postgres';
import { waitForQuiet } from './lib/proc';
import { type ReadAfterWriteResult, readAfterWrite } from './lib/read-after-write';
import type { PostgresResults } from './lib/report-postgres';
import { BENCH, LOAD } from './lib/settings';
import { storeCounters } from './lib/store-counters';

const ms = (n: number) => n.toFixed(2);

/** What PostgreSQL's own log has grown by: a statement that fails (a commit losing on the primary key) is logged as an ERROR with its text. */
function serverLogCounters(text: string): Record<string, number> {
  return { serverLogErrors: text.match(/^\S+ \S+ \S+ \[\d+\] ERROR: /gm)?.length ?? 0, serverLogBytes: Buffer.byteLength(text) };
}

export async function measurePostgres(ctx: MeasureContext, dataDir: (name: string) => string): Promise<PostgresResults> {
  const started = performance.now();
  const { commit, date } = machineInfo();
  const log = ctx.log;
  const group = (where: string) => `${where} (h2load, ${LOAD.h2.clients} connections × ${LOAD.h2.streams} streams in all)`;
  const paths: PathResult[] = [];
  const loops: ReadAfterWriteResult[] = [];

  /** Update and Get on a server, or on replicas sharing the load, then the read-after-write loop. */
  const measureServers = async (
    tag: string,
    where: string,
    servers: readonly OurServer[],
    more: { cpuOf?: PathSpec['cpuOf']; serverLog?: () => string } = {},
  ) => {
    const [first, ...others] = servers;
    const serves = Object.fromEntries(servers.map((s) => [s.child.name, s.child.pid]));
    const load = (call: 'update' | 'get') => ({
      kind: 'grpc' as const,
      port: first!.grpcPort,
      otherReplicas: others.map((s) => s.grpcPort),
      call,
      token: first!.token,
    });
    const counters = async () => ({ ...(await storeCounters(servers.map((s) => s.httpPort))), ...(more.serverLog ? serverLogCounters(more.serverLog()) : {}) });
    for (const call of ['update', 'get'] as const) {
      paths.push(
        await measurePath(
          {
            id: `${tag}-grpc-${call}`,
            label: `${where}: gRPC ${call === 'update' ? 'Update (durable)' : 'Get'}`,
            group: group(where),
            load: load(call),
            serves,
            cpuOf: more.cpuOf,
            ...(call === 'update' ? { writesTo: first!.eventLog, counters } : {}),
          },
          ctx,
        ),
      );
    }
    const reader = others[0] ?? first!;
    await waitForQuiet((busy) => log(`    waiting for the machine to quieten before the read-after-write loop (${busy.toFixed(2)} cores busy elsewhere)`));
    const loop = await readAfterWrite({
      id: `${tag}-read-after-write`,
      label: others.length > 0 ? `${where}: Update on ${first!.child.name}, then Get on ${reader.child.name}` : `${where}: Update, then Get on the same server`,
      writePort: first!.grpcPort,
      readPort: reader.grpcPort,
      token: first!.token,
      firstValue: ctx.values.take(),
      seconds: BENCH.seconds,
    });
    log(`  ${loop.label}: ${loop.trials} trials; Update p50 ${ms(loop.update.p50Ms)} ms, then Get p50 ${ms(loop.get.p50Ms)} ms, p99 ${ms(loop.get.p99Ms)} ms`);
    for (const problem of loop.problems) log(`  PROBLEM ${loop.label}: ${problem}`);
    loops.push(loop);
  };

  log('PostgreSQL section: the same server on SQLite first, for reference');
  const sqlite = await startServer('server', dataDir('pg-reference-sqlite'));
  await measureServers('sqlite', 'SQLite, 1 server', [sqlite]);
  await sqlite.child.stop();

  log('PostgreSQL section: a throwaway cluster (initdb, pg_ctl start)');
  const cluster = await startPostgres();
  try {
    const server = await postgresInfo(cluster.url());
    const cpuOf = { postgres: postgresCpu(cluster) };
    const serverLog = () => cluster.log();
    log(`  PostgreSQL ${server.version}: ${Object.entries(server.settings).map(([name, value]) => `${name}=${value}`).join(', ')}`);

    log('PostgreSQL, 1 replica, on a fresh database');
    const one = await startServer('replica', dataDir('pg-one'), { databaseUrl: await cluster.createDatabase('bench_one') });
    await measureServers('pg1', 'PostgreSQL, 1 replica', [one], { cpuOf, serverLog });
    await one.child.stop();

    log('PostgreSQL, 2 replicas, on another fresh database');
    const twoUrl = await cluster.createDatabase('bench_two');
    const a = await startServer('replica A', dataDir('pg-two-a'), { databaseUrl: twoUrl });
    const b = await startServer('replica B', dataDir('pg-two-b'), { databaseUrl: twoUrl, token: a.token });
    await measureServers('pg2', 'PostgreSQL, 2 replicas', [a, b], { cpuOf, serverLog });
    // The pools' connections, still open (idle) after the load: what the two replicas hold on the server.
    const connectionsHeld = await connectionsOf(twoUrl, 'oidc-settings');
    await Promise.all([a.child.stop(), b.child.stop()]);

    const problems = [
      ...paths.flatMap((p) => p.problems.map((problem) => `${p.label}: ${problem}`)),
      ...loops.flatMap((l) => l.problems.map((problem) => `${l.label}: ${problem}`)),
    ];
    return {
      date,
      commit,
      settings: { bench: BENCH, load: LOAD },
      server,
      connectionsHeld,
      paths,
      readAfterWrite: loops,
      problems,
      durationSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await cluster.destroy();
  }
}
