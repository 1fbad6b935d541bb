/**
 * `npm run bench`: starts the real server (and a ceiling, a peer and the
 * standalone gateway) as child processes with temporary data folders, loads
 * each path with h2load (gRPC) or wrk (HTTP/1.1) on this machine, checks
 * every call, and writes bench/out/results.json and BENCHMARKS.md. Then the
 * same server as replicas on a throwaway PostgreSQL cluster
 * (postgres-section.ts; alone: BENCH_ONLY=postgres). Exits non-zero if any
 * call failed or any check did not hold.
 *
 * Not part of `npm test`: timing belongs here, not in tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ValueBlocks } from './lib/bodies';
import { freePort } from './lib/children';
import { fsyncProbe } from './lib/disk';
import { type Seeded, quickCheckMs, seedEvents } from './lib/events';
import { machineInfo } from './lib/machine';
import { type MeasureContext, type PathResult, type PathSpec, measurePath } from './lib/measure';
import { type BenchResults, type GrowthResults, type ProfileResult, reportMarkdown } from './lib/report';
import { type OurServer, startBenchServer, startGateway, startServer, stopAll } from './lib/our-server';
import { waitForQuiet } from './lib/proc';
import { postgresAvailable } from './lib/postgres';
import type { PostgresResults } from './lib/report-postgres';
import { BENCH, LOAD, PATHS, SECTIONS } from './lib/settings';
import { type StartupTiming, moduleLoadMs, timeStartup } from './lib/startup';
import { buildShim, ensureTools } from './lib/tools';
import { type HeapResults, measureHeapSettings } from './heap-section';
import { type LatencyResults, measureLatency } from './latency-section';
import { measurePostgres } from './postgres-section';
import { summariseProfile } from './profile-summary';

const log = (line: string) => process.stdout.write(`${line}\n`);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const started = performance.now();
  ensureTools(log);
  const shim = buildShim();
  const machine = machineInfo();
  fs.mkdirSync(PATHS.out, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-bench-'));
  const dataDir = (name: string) => path.join(workDir, name);
  const ctx: MeasureContext = { workDir, shim, values: new ValueBlocks(), log };
  const paths: PathResult[] = [];
  const measure = async (spec: PathSpec) => {
    if (BENCH.only && !BENCH.only.includes(spec.id)) return undefined;
    // Latency is the latency section's, from these maxima.
    const result = await measurePath({ ...spec, paced: false }, ctx);
    paths.push(result);
    return result;
  };
  log(`bench: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; work folder ${workDir}`);
  log(`load: h2load -t${LOAD.h2.threads} -c${LOAD.h2.clients} -m${LOAD.h2.streams}; wrk -t${LOAD.http.threads} -c${LOAD.http.connections}`);
  const probeDisk = async () => {
    await waitForQuiet((busy) => log(`waiting for the machine to quieten (${busy.toFixed(2)} cores busy elsewhere)`));
    return fsyncProbe(workDir);
  };
  const diskAtStart = await probeDisk();
  log(`disk: ${diskAtStart.fsyncsPerSecond.toFixed(0)} fsyncs/s, p50 ${diskAtStart.p50Ms.toFixed(2)} ms, p99 ${diskAtStart.p99Ms.toFixed(2)} ms`);

  // Maximum throughput by path id, pass by pass: the ratio targets take the median over the passes.
  const passes: Array<Record<string, number>> = [];
  const failedInPasses: PathResult[] = [];
  let latency: LatencyResults | undefined;
  let heap: HeapResults | undefined;
  try {
    if (SECTIONS.sqlite) {
      await measurePaths(measure, dataDir);
      passes.push(Object.fromEntries(paths.map((p) => [p.id, p.max.rps])));
      log('latency: open loop at half of each path\'s maximum and at a moderate rate, the matching ceiling beside');
      latency = await measureLatency(ctx, dataDir, passes[0]!);
      if (BENCH.only === undefined || BENCH.only.includes('heap')) {
        log('heap settings: p99 against peak RSS, gRPC Update and Get open loop at half their maximum');
        heap = await measureHeapSettings(ctx, dataDir, passes[0]!);
      }
      for (let pass = 2; pass <= BENCH.runs; pass++) {
        log(`pass ${pass} of ${BENCH.runs} over the throughput paths: fresh servers, maximum throughput only`);
        const rps: Record<string, number> = {};
        const measureAgain = async (spec: PathSpec) => {
          if (BENCH.only && !BENCH.only.includes(spec.id)) return undefined;
          const result = await measurePath({ ...spec, paced: false }, ctx);
          rps[spec.id] = result.max.rps;
          if (result.problems.length > 0) failedInPasses.push({ ...result, label: `${result.label} (pass ${pass})` });
          return result;
        };
        await measurePaths(measureAgain, (name) => dataDir(`pass${pass}-${name}`));
        passes.push(rps);
      }
    }

    // --- Cost as work grows ---------------------------------------------------
    const growth = BENCH.only ? emptyGrowth() : await measureGrowth(dataDir, ctx);

    // --- Where the time goes ----------------------------------------------------
    const profiles = BENCH.profile ? await profileRuns(dataDir, ctx) : [];

    // --- Replicas on PostgreSQL -------------------------------------------------
    const postgres = SECTIONS.postgres ? await postgresSection(ctx, dataDir) : undefined;

    const diskAtEnd = await probeDisk();
    const fresh: BenchResults = {
      machine,
      disk: { start: diskAtStart, end: diskAtEnd },
      settings: { bench: BENCH, load: LOAD },
      paths,
      passes: passes.length > 0 ? passes : undefined,
      latency,
      heap,
      growth,
      profiles,
      postgres,
      durationSeconds: (performance.now() - started) / 1000,
    };
    // The PostgreSQL section alone replaces its part of the last results; the rest keeps its numbers.
    const previous = !SECTIONS.sqlite && fs.existsSync(PATHS.results) ? (JSON.parse(fs.readFileSync(PATHS.results, 'utf8')) as BenchResults) : undefined;
    const results: BenchResults = previous ? { ...previous, postgres } : fresh;
    fs.writeFileSync(PATHS.results, `${JSON.stringify(results, null, 2)}\n`);
    fs.writeFileSync(PATHS.report, reportMarkdown(results));
    const merged = previous ? ' (the PostgreSQL section into the previous results)' : '';
    log(`wrote ${path.relative(PATHS.root, PATHS.results)} and ${path.relative(PATHS.root, PATHS.report)}${merged} in ${fresh.durationSeconds.toFixed(0)} s`);

    const failed = [...paths, ...failedInPasses, ...growth.paths].filter((p) => p.problems.length > 0);
    const otherProblems = [...(latency?.problems ?? []), ...(heap?.problems ?? []), ...growth.problems, ...(postgres?.problems ?? [])];
    if (failed.length > 0 || otherProblems.length > 0) {
      for (const p of failed) log(`FAILED ${p.label}: ${p.problems.join('; ')}`);
      for (const p of otherProblems) log(`FAILED ${p}`);
      process.exitCode = 1;
    }
  } finally {
    await stopAll();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** The SQLite server's paths beside the ceilings and the peer: gRPC, then HTTP/1.1 through both gateways. */
async function measurePaths(measure: (spec: PathSpec) => Promise<unknown>, dataDir: (name: string) => string): Promise<void> {
  // --- gRPC (h2load) -------------------------------------------------------
  const grpcGroup = `gRPC (h2load -c${LOAD.h2.clients} -m${LOAD.h2.streams})`;
  log('gRPC ceiling: bare grpc-js, constant answers');
  const ceilingGrpcPort = await freePort();
  const ceilingGrpc = await startBenchServer('ceiling-grpc', 'ceiling-grpc.js', [String(ceilingGrpcPort)]);
  const ceilingGrpcPid = { 'ceiling-grpc': ceilingGrpc.pid };
  await measure({ id: 'ceiling-grpc-update', label: 'ceiling: bare grpc-js Update', group: grpcGroup, load: { kind: 'grpc', port: ceilingGrpcPort, call: 'update' }, serves: ceilingGrpcPid });
  await measure({ id: 'ceiling-grpc-get', label: 'ceiling: bare grpc-js Get', group: grpcGroup, load: { kind: 'grpc', port: ceilingGrpcPort, call: 'get' }, serves: ceilingGrpcPid });
  await ceilingGrpc.stop();

  log('our server: gRPC');
  const ours = await startServer('server', dataDir('server'));
  const oursPid = { server: ours.child.pid };
  await measure({
    id: 'grpc-update',
    label: 'ours: gRPC Update (durable)',
    group: grpcGroup,
    load: { kind: 'grpc', port: ours.grpcPort, call: 'update', token: ours.token },
    serves: oursPid,
    writesTo: ours.databaseFile,
    ceiling: 'ceiling-grpc-update',
    peer: 'peer-grpc-update',
  });
  await measure({
    id: 'grpc-get',
    label: 'ours: gRPC Get',
    group: grpcGroup,
    load: { kind: 'grpc', port: ours.grpcPort, call: 'get', token: ours.token },
    serves: oursPid,
    ceiling: 'ceiling-grpc-get',
    peer: 'peer-grpc-get',
  });

  log('peer: connect-node over the same core');
  const [peerHttpPort, peerH2Port] = [await freePort(), await freePort()];
  const peerDir = dataDir('peer');
  const peer = await startBenchServer('peer', 'peer.js', [String(peerHttpPort), String(peerH2Port), peerDir]);
  const peerToken = fs.readFileSync(path.join(peerDir, 'admin.pat'), 'utf8').trim();
  const peerDb = path.join(peerDir, 'oidc-settings.db');
  const peerPid = { peer: peer.pid };
  await measure({
    id: 'peer-grpc-update',
    label: 'peer: connect-node gRPC Update',
    group: grpcGroup,
    load: { kind: 'grpc', port: peerH2Port, call: 'update', token: peerToken },
    serves: peerPid,
    writesTo: peerDb,
    ceiling: 'ceiling-grpc-update',
  });
  await measure({
    id: 'peer-grpc-get',
    label: 'peer: connect-node gRPC Get',
    group: grpcGroup,
    load: { kind: 'grpc', port: peerH2Port, call: 'get', token: peerToken },
    serves: peerPid,
    ceiling: 'ceiling-grpc-get',
  });

  // --- HTTP/1.1 (wrk) ------------------------------------------------------
  const httpGroup = (where: string) => `${where} (wrk -c${LOAD.http.connections})`;
  log('HTTP ceiling: bare node:http, JSON.parse, constant answers');
  const ceilingHttpPort = await freePort();
  const ceilingHttp = await startBenchServer('ceiling-http', 'ceiling-http.js', [String(ceilingHttpPort)]);
  const ceilingHttpPid = { 'ceiling-http': ceilingHttp.pid };
  const ceilingGroup = httpGroup('HTTP/1.1 ceiling');
  await measure({ id: 'ceiling-http-put', label: 'ceiling: bare node:http PUT (JSON.parse)', group: ceilingGroup, load: { kind: 'http', port: ceilingHttpPort, style: 'rest-put' }, serves: ceilingHttpPid });
  await measure({ id: 'ceiling-http-get', label: 'ceiling: bare node:http GET', group: ceilingGroup, load: { kind: 'http', port: ceilingHttpPort, style: 'rest-get' }, serves: ceilingHttpPid });
  await ceilingHttp.stop();

  const gatewayPaths = async (prefix: string, where: string, port: number, serves: Record<string, number>) => {
    const group = httpGroup(where);
    const load = (style: 'grpc-web-update' | 'rest-put' | 'rest-get' | 'connect-update') => ({ kind: 'http' as const, port, style, token: ours.token });
    await measure({ id: `${prefix}-grpcweb-update`, label: `${where}: gRPC-Web Update`, group, load: load('grpc-web-update'), serves, writesTo: ours.databaseFile, ceiling: 'ceiling-http-put', peer: 'peer-grpcweb-update' });
    await measure({ id: `${prefix}-rest-put`, label: `${where}: REST PUT`, group, load: load('rest-put'), serves, writesTo: ours.databaseFile, ceiling: 'ceiling-http-put', peer: 'peer-connect-update' });
    await measure({ id: `${prefix}-rest-get`, label: `${where}: REST GET`, group, load: load('rest-get'), serves, ceiling: 'ceiling-http-get', peer: 'peer-connect-get' });
    await measure({ id: `${prefix}-connect-update`, label: `${where}: Connect JSON Update`, group, load: load('connect-update'), serves, writesTo: ours.databaseFile, ceiling: 'ceiling-http-put', peer: 'peer-connect-update' });
  };
  log('our gateway, in process');
  await gatewayPaths('inproc', 'gateway in process', ours.httpPort, oursPid);

  log('our gateway, standalone in front of the gRPC port');
  const { child: gateway, port: gatewayPort } = await startGateway(ours.grpcPort);
  await gatewayPaths('standalone', 'gateway standalone', gatewayPort, { gateway: gateway.pid, ...oursPid });
  await gateway.stop();

  const peerGroup = httpGroup('peer: connect-node');
  const peerLoad = (style: 'grpc-web-update' | 'connect-update' | 'connect-get') => ({ kind: 'http' as const, port: peerHttpPort, style, token: peerToken });
  await measure({ id: 'peer-grpcweb-update', label: 'peer: gRPC-Web Update', group: peerGroup, load: peerLoad('grpc-web-update'), serves: peerPid, writesTo: peerDb, ceiling: 'ceiling-http-put' });
  await measure({ id: 'peer-connect-update', label: 'peer: Connect JSON Update', group: peerGroup, load: peerLoad('connect-update'), serves: peerPid, writesTo: peerDb, ceiling: 'ceiling-http-put' });
  await measure({ id: 'peer-connect-get', label: 'peer: Connect JSON Get', group: peerGroup, load: peerLoad('connect-get'), serves: peerPid, ceiling: 'ceiling-http-get' });
  await peer.stop();
  await ours.child.stop();
}

/**
 * Start-up to SERVING with an empty log and with BENCH.events events, and
 * the same gRPC Update and Get runs on both. The two servers run side by
 * side and are measured in alternation, twice; the report takes the better
 * of the two runs of each, so a neighbour's burst of work does not decide
 * the 10% comparison.
 */
async function measureGrowth(dataDir: (name: string) => string, ctx: MeasureContext): Promise<GrowthResults> {
  const group = `growth: gRPC (h2load -c${LOAD.h2.clients} -m${LOAD.h2.streams})`;
  const events = BENCH.events.toLocaleString('en');

  const startups = async (server: OurServer, label: string): Promise<StartupTiming[]> => {
    const timings: StartupTiming[] = [];
    for (let i = 0; i < BENCH.startups; i++) timings.push(await timeStartup(server.env, server.grpcPort));
    log(`  start-up with ${label}: median ${median(timings.map((t) => t.logMs)).toFixed(0)} ms to "serving gRPC", ${median(timings.map((t) => t.healthMs)).toFixed(0)} ms to health SERVING`);
    return timings;
  };

  log('growth: start-up');
  const createdEmpty = await startServer('server (empty log)', dataDir('growth-empty'));
  const firstStartMs = createdEmpty.servingMs;
  await createdEmpty.child.stop();
  const emptyStartups = await startups(createdEmpty, 'an empty log');

  const createdBig = await startServer('server (big log)', dataDir('growth-big'));
  await createdBig.child.stop();
  const seeded: Seeded = seedEvents(createdBig.databaseFile, BENCH.events);
  log(`  wrote ${seeded.events.toLocaleString('en')} events in ${seeded.seconds.toFixed(1)} s; database ${seeded.fileMb.toFixed(0)} MB`);
  const bigStartups = await startups(createdBig, `${events} events`);
  const bigQuickCheckMs = quickCheckMs(createdBig.databaseFile);
  const serverModulesMs = await moduleLoadMs();
  log(`  of which: PRAGMA quick_check ${bigQuickCheckMs.toFixed(0)} ms with ${events} events; loading the server's modules ${serverModulesMs.toFixed(0)} ms`);

  log(`growth: gRPC with an empty log and with ${events} events, alternating`);
  const empty = await startServer('server (empty log)', dataDir('growth-empty'));
  const big = await startServer('server (big log)', dataDir('growth-big'));
  const runs: PathResult[] = [];
  const servers = [
    { server: empty, tag: 'empty', label: 'empty log' },
    { server: big, tag: 'big', label: `${events} events` },
  ];
  for (let round = 1; round <= 2; round++) {
    for (const call of ['update', 'get'] as const) {
      for (const { server, tag, label } of servers) {
        runs.push(
          await measurePath(
            {
              id: `${tag}-grpc-${call}`,
              label: `${label}: gRPC ${call === 'update' ? 'Update' : 'Get'} (round ${round})`,
              group,
              load: { kind: 'grpc', port: server.grpcPort, call, token: server.token },
              serves: { server: server.child.pid },
              writesTo: call === 'update' ? server.databaseFile : undefined,
              paced: false,
            },
            ctx,
          ),
        );
      }
    }
  }
  await Promise.all([empty.child.stop(), big.child.stop()]);

  const problems = runs.filter((run) => run.problems.length > 0).map((run) => `${run.label}: ${run.problems.join('; ')}`);
  return { seeded, firstStartMs, emptyStartups, bigStartups, bigQuickCheckMs, serverModulesMs, paths: runs, problems };
}

/** The PostgreSQL section, or undefined (and a line saying why) on a full run where PostgreSQL is not installed. */
async function postgresSection(ctx: MeasureContext, dataDir: (name: string) => string): Promise<PostgresResults | undefined> {
  if (!postgresAvailable()) {
    const why = 'the PostgreSQL 15 binaries (initdb, pg_ctl, postgres) were not found';
    if (!SECTIONS.sqlite) throw new Error(`BENCH_ONLY=postgres: ${why}`);
    log(`PostgreSQL section left out: ${why}`);
    return undefined;
  }
  return measurePostgres(ctx, dataDir);
}

function emptyGrowth(): GrowthResults {
  const none: Seeded = { events: 0, seconds: 0, fileMb: 0, lastSequence: 0 };
  return { seeded: none, firstStartMs: 0, emptyStartups: [], bigStartups: [], bigQuickCheckMs: 0, serverModulesMs: 0, paths: [], problems: [] };
}

/** The server under the gRPC Update and the REST GET loads with --cpu-prof; profiles in bench/out/profiles. */
async function profileRuns(dataDir: (name: string) => string, ctx: MeasureContext): Promise<ProfileResult[]> {
  fs.mkdirSync(PATHS.profiles, { recursive: true });
  const results: ProfileResult[] = [];
  const cases = [
    { id: 'grpc-update', label: 'gRPC Update', load: (s: OurServer) => ({ kind: 'grpc' as const, port: s.grpcPort, call: 'update' as const, token: s.token }), writes: true },
    { id: 'rest-get', label: 'REST GET (gateway in process)', load: (s: OurServer) => ({ kind: 'http' as const, port: s.httpPort, style: 'rest-get' as const, token: s.token }), writes: false },
  ];
  for (const c of cases) {
    const file = path.join(PATHS.profiles, `${c.id}.cpuprofile`);
    fs.rmSync(file, { force: true });
    log(`profile: ${c.label}`);
    const server = await startServer(`server (profile ${c.id})`, dataDir(`profile-${c.id}`), {
      nodeFlags: ['--cpu-prof', '--cpu-prof-dir', PATHS.profiles, '--cpu-prof-name', `${c.id}.cpuprofile`, '--cpu-prof-interval', '250'],
    });
    const run = await measurePath(
      {
        id: `profile-${c.id}`,
        label: `profiled ${c.label}`,
        group: 'profile',
        load: c.load(server),
        serves: { server: server.child.pid },
        writesTo: c.writes ? server.databaseFile : undefined,
        paced: false,
      },
      ctx,
    );
    await server.child.stop();
    if (!fs.existsSync(file)) {
      results.push({ id: c.id, label: c.label, file: path.relative(PATHS.root, file), run, summary: undefined });
      log(`  no profile written at ${file}`);
      continue;
    }
    results.push({ id: c.id, label: c.label, file: path.relative(PATHS.root, file), run, summary: summariseProfile(file, 15) });
  }
  return results;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  void stopAll().finally(() => process.exit(1));
});
