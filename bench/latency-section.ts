/**
 * Tail latency, open loop: each of our paths at half of its maximum
 * throughput (from the first pass) and at one moderate rate, each run
 * followed by the matching ceiling at the same rate, on servers started for
 * this section. Latency counts from each call's due time (bench/loadgen).
 * Peak RSS is read over the whole section.
 */
import { freePort } from './lib/children';
import { lastSequenceAt, settledSequenceAt } from './lib/events';
import type { GrpcLoad, HttpLoad, HttpStyle, MeasureContext } from './lib/measure';
import { pacedRun, verifyPaced } from './lib/measure';
import type { OpenLoopResult } from './lib/open-loop';
import { startBenchServer, startGateway, startServer } from './lib/our-server';
import { CpuWindow, RssWatch, waitForQuiet } from './lib/proc';
import { BENCH, START_FLAGS } from './lib/settings';

/** One open-loop run, as the report needs it. */
export type LatencyRun = Pick<OpenLoopResult, 'targetRps' | 'rps' | 'p50Ms' | 'p90Ms' | 'p99Ms' | 'p999Ms' | 'maxMs' | 'lagP99Ms' | 'maxInFlight'> & {
  /** Cores used by everything but the bench's processes during the run. */
  readonly otherCores: number;
  /** Peak RSS (MB) of our server and of the standalone gateway during the run (our runs only). */
  readonly peakRssMb?: Readonly<Record<string, number>>;
};

export interface LatencyRow {
  readonly id: string;
  readonly label: string;
  readonly rate: 'half' | 'moderate';
  readonly ours: LatencyRun;
  readonly ceilingLabel: string;
  readonly ceiling: LatencyRun;
}

export interface LatencyResults {
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly moderateRps: number;
  /** The flags our server and the standalone gateway ran with. */
  readonly nodeFlags: readonly string[];
  readonly rows: LatencyRow[];
  /** Peak RSS (MB) of our server and of the standalone gateway over the whole section. */
  readonly peakRssMb: Record<string, number>;
  readonly problems: string[];
  /** Set when these results were measured in a run apart from the rest and merged in: what that run was. */
  readonly measuredApart?: string;
}

/** A rate every path (the standalone gateway's slowest at ~2,800/s) and every ceiling sustain with room to spare. */
export const MODERATE_RPS = 1000;

interface LatencyPath {
  readonly id: string;
  readonly label: string;
  readonly load: GrpcLoad | HttpLoad;
  readonly writes: boolean;
  readonly ceilingId: string;
  readonly ceilingLabel: string;
  readonly ceilingLoad: GrpcLoad | HttpLoad;
}

const asRun = (run: OpenLoopResult, otherCores: number, peakRssMb: Record<string, number> | undefined): LatencyRun => ({
  targetRps: run.targetRps,
  rps: run.rps,
  p50Ms: run.p50Ms,
  p90Ms: run.p90Ms,
  p99Ms: run.p99Ms,
  p999Ms: run.p999Ms,
  maxMs: run.maxMs,
  lagP99Ms: run.lagP99Ms,
  maxInFlight: run.maxInFlight,
  otherCores: Math.round(otherCores * 100) / 100,
  ...(peakRssMb && { peakRssMb }),
});

/** `maxRps`: each path's maximum throughput by id, from the first pass (paths without one are left out). */
export async function measureLatency(
  ctx: MeasureContext,
  dataDir: (name: string) => string,
  maxRps: Readonly<Record<string, number>>,
): Promise<LatencyResults> {
  const log = ctx.log;
  const problems: string[] = [];
  const [ceilingGrpcPort, ceilingHttpPort] = [await freePort(), await freePort()];
  const ceilingGrpc = await startBenchServer('ceiling-grpc', 'ceiling-grpc.js', [String(ceilingGrpcPort)]);
  const ceilingHttp = await startBenchServer('ceiling-http', 'ceiling-http.js', [String(ceilingHttpPort)]);
  const ours = await startServer('server', dataDir('latency-server'));
  const { child: gateway, port: gatewayPort } = await startGateway(ours.grpcPort);

  const grpc = (call: 'update' | 'get'): Omit<LatencyPath, 'id' | 'label'> => ({
    load: { kind: 'grpc', port: ours.grpcPort, call, token: ours.token },
    writes: call === 'update',
    ceilingId: `ceiling-grpc-${call}`,
    ceilingLabel: `bare grpc-js ${call === 'update' ? 'Update' : 'Get'}`,
    ceilingLoad: { kind: 'grpc', port: ceilingGrpcPort, call },
  });
  const http = (port: number, style: HttpStyle): Omit<LatencyPath, 'id' | 'label'> => {
    const get = style === 'rest-get';
    return {
      load: { kind: 'http', port, style, token: ours.token },
      writes: !get,
      ceilingId: get ? 'ceiling-http-get' : 'ceiling-http-put',
      ceilingLabel: get ? 'bare node:http GET' : 'bare node:http PUT',
      ceilingLoad: { kind: 'http', port: ceilingHttpPort, style: get ? 'rest-get' : 'rest-put' },
    };
  };
  const gatewayPaths = (prefix: string, where: string, port: number): LatencyPath[] => [
    { id: `${prefix}-grpcweb-update`, label: `${where}: gRPC-Web Update`, ...http(port, 'grpc-web-update') },
    { id: `${prefix}-rest-put`, label: `${where}: REST PUT`, ...http(port, 'rest-put') },
    { id: `${prefix}-rest-get`, label: `${where}: REST GET`, ...http(port, 'rest-get') },
    { id: `${prefix}-connect-update`, label: `${where}: Connect JSON Update`, ...http(port, 'connect-update') },
  ];
  const paths: LatencyPath[] = [
    { id: 'grpc-update', label: 'ours: gRPC Update (durable)', ...grpc('update') },
    { id: 'grpc-get', label: 'ours: gRPC Get', ...grpc('get') },
    ...gatewayPaths('inproc', 'gateway in process', ours.httpPort),
    ...gatewayPaths('standalone', 'gateway standalone', gatewayPort),
  ].filter((p) => maxRps[p.id] !== undefined);

  const serving = { server: ours.child.pid, gateway: gateway.pid };
  const all = { ...serving, 'ceiling-grpc': ceilingGrpc.pid, 'ceiling-http': ceilingHttp.pid };
  const timed = async (what: string, load: GrpcLoad | HttpLoad, rate: number, writes: boolean, isOurs: boolean): Promise<LatencyRun> => {
    await waitForQuiet((busy) => log(`    waiting for the machine to quieten before ${what} (${busy.toFixed(2)} cores busy elsewhere)`));
    const before = writes ? await lastSequenceAt(ours.databaseFile) : 0;
    const cpu = new CpuWindow(all);
    // Per run (the high-water mark is reset at each start): which path and rate drives the section's peak.
    const rss = isOurs ? new RssWatch(serving) : undefined;
    const run = await pacedRun(load, rate, ctx);
    const peak = rss?.stop();
    const used = cpu.stop(run.cpuSeconds);
    const appended = writes ? (await settledSequenceAt(ours.databaseFile)) - before : undefined;
    for (const problem of verifyPaced(run, appended)) problems.push(`${what}: ${problem}`);
    log(`    ${what} at ${rate.toFixed(0)} req/s: p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, p99.9 ${run.p999Ms.toFixed(2)} ms, max ${run.maxMs.toFixed(1)} ms`);
    return asRun(run, used.other, peak);
  };

  const rows: LatencyRow[] = [];
  const moderateCeilings = new Map<string, LatencyRun>();
  try {
    for (const p of paths) {
      log(`latency: ${p.label}`);
      const half = maxRps[p.id]! / 2;
      const oursHalf = await timed(p.label, p.load, half, p.writes, true);
      const ceilingHalf = await timed(`ceiling (${p.ceilingLabel})`, p.ceilingLoad, half, false, false);
      rows.push({ id: p.id, label: p.label, rate: 'half', ours: oursHalf, ceilingLabel: p.ceilingLabel, ceiling: ceilingHalf });
      const oursModerate = await timed(p.label, p.load, MODERATE_RPS, p.writes, true);
      let ceilingModerate = moderateCeilings.get(p.ceilingId);
      if (!ceilingModerate) {
        ceilingModerate = await timed(`ceiling (${p.ceilingLabel})`, p.ceilingLoad, MODERATE_RPS, false, false);
        moderateCeilings.set(p.ceilingId, ceilingModerate);
      }
      rows.push({ id: p.id, label: p.label, rate: 'moderate', ours: oursModerate, ceilingLabel: p.ceilingLabel, ceiling: ceilingModerate });
    }
  } finally {
    await Promise.all([ceilingGrpc.stop(), ceilingHttp.stop(), gateway.stop(), ours.child.stop()]);
  }
  // The section's peak: the highest of its runs' (between runs the servers idle).
  const peakRssMb: Record<string, number> = {};
  for (const row of rows) for (const [name, mb] of Object.entries(row.ours.peakRssMb ?? {})) peakRssMb[name] = Math.max(peakRssMb[name] ?? 0, mb);
  return { seconds: BENCH.pacedSeconds, warmupSeconds: BENCH.warmupSeconds, moderateRps: MODERATE_RPS, nodeFlags: START_FLAGS, rows, peakRssMb, problems };
}
