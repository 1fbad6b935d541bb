/**
 * p99 against peak RSS for the heap settings tried: the gRPC Update and Get
 * paths, open loop at half of their maximum throughput (from the first
 * pass), on a fresh server per setting. What the deployed flags were chosen
 * from, measured again on every run.
 */
import type { MeasureContext } from './lib/measure';
import { pacedRun, verifyPaced } from './lib/measure';
import { lastSequenceAt, settledSequenceAt } from './lib/events';
import { startServer } from './lib/our-server';
import { RssWatch, waitForQuiet } from './lib/proc';
import { BENCH, START_FLAGS } from './lib/settings';

/**
 * Heap flags tried; the deployed ones (npm start) are among them. The young
 * generation's size sets how often scavenges run and how much survives them
 * into the old generation (whose mark-compacts are the long pauses);
 * --single-threaded-gc keeps V8's helper threads off the second core, which
 * on two cores the load generator and the server's own I/O want.
 */
export const HEAP_SETTINGS: readonly (readonly string[])[] = [
  ['--max-old-space-size=128', '--max-semi-space-size=4'],
  ['--max-old-space-size=128', '--max-semi-space-size=8'],
  ['--max-old-space-size=128', '--max-semi-space-size=8', '--single-threaded-gc'],
  ['--max-old-space-size=128', '--max-semi-space-size=16'],
  ['--max-old-space-size=128', '--max-semi-space-size=32'],
  [],
];

/** One path's open-loop run under a heap setting. */
export interface HeapPathRun {
  readonly rate: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

export interface HeapRun {
  readonly flags: readonly string[];
  readonly deployed: boolean;
  readonly update: HeapPathRun;
  readonly get: HeapPathRun;
  readonly peakRssMb: number;
}

export interface HeapResults {
  readonly seconds: number;
  readonly runs: HeapRun[];
  readonly problems: string[];
}

export async function measureHeapSettings(ctx: MeasureContext, dataDir: (name: string) => string, maxRps: Readonly<Record<string, number>>): Promise<HeapResults> {
  const problems: string[] = [];
  const runs: HeapRun[] = [];
  const [updateRate, getRate] = [maxRps['grpc-update'], maxRps['grpc-get']];
  if (updateRate === undefined || getRate === undefined) return { seconds: BENCH.pacedSeconds, runs, problems };
  for (const [i, flags] of HEAP_SETTINGS.entries()) {
    const label = flags.length === 0 ? 'no heap flags' : flags.join(' ');
    ctx.log(`heap settings: ${label}`);
    // A later flag wins: these replace the deployed ones.
    const server = await startServer('server', dataDir(`heap-${i}`), { nodeFlags: flags.length === 0 ? ['--max-old-space-size=0', '--max-semi-space-size=0'] : flags });
    const rss = new RssWatch({ server: server.child.pid });
    const measured = async (call: 'update' | 'get', rate: number): Promise<HeapPathRun> => {
      await waitForQuiet((busy) => ctx.log(`    waiting for the machine to quieten (${busy.toFixed(2)} cores busy elsewhere)`));
      const before = call === 'update' ? await lastSequenceAt(server.databaseFile) : undefined;
      const run = await pacedRun({ kind: 'grpc', port: server.grpcPort, call, token: server.token }, rate, ctx);
      const appended = before === undefined ? undefined : (await settledSequenceAt(server.databaseFile)) - before;
      problems.push(...verifyPaced(run, appended).map((p) => `${label}, ${call}: ${p}`));
      ctx.log(`    gRPC ${call} at ${rate.toFixed(0)} req/s: p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, max ${run.maxMs.toFixed(1)} ms`);
      return { rate, p50Ms: run.p50Ms, p99Ms: run.p99Ms, p999Ms: run.p999Ms, maxMs: run.maxMs };
    };
    try {
      const update = await measured('update', updateRate / 2);
      const get = await measured('get', getRate / 2);
      const peakRssMb = rss.stop()['server'] ?? NaN;
      ctx.log(`    peak RSS ${peakRssMb.toFixed(0)} MB`);
      runs.push({ flags, deployed: flags.join(' ') === START_FLAGS.join(' '), update, get, peakRssMb });
    } finally {
      await server.child.stop();
    }
  }
  return { seconds: BENCH.pacedSeconds, runs, problems };
}
