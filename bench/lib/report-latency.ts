import type { HeapResults } from '../heap-section';
import type { LatencyResults, LatencyRow, LatencyRun } from '../latency-section';
import { DISTURBED_CORES, ms, num, times } from './report-format';

/** The tail-latency targets (issue 14): p99 within 5 ms, and within 1.5× the matching ceiling's p99 in the same run. */
export const P99_LIMIT_MS = 5;
export const P99_CEILING_FACTOR = 1.5;

export interface LatencyTarget {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const rowName = (r: LatencyRow, moderateRps: number) => `${r.label} at ${r.rate === 'half' ? `half max (${num(r.ours.targetRps)}/s)` : `${num(moderateRps)}/s`}`;

export function latencyTargets(latency: LatencyResults | undefined): LatencyTarget[] {
  if (!latency || latency.rows.length === 0) {
    return [{ target: `p99 ≤ ${P99_LIMIT_MS} ms and ≤ ${P99_CEILING_FACTOR}× the ceiling's, open loop (our paths)`, measured: 'not measured in this run', met: false }];
  }
  const rows = latency.rows;
  const over = rows.filter((r) => !(r.ours.p99Ms <= P99_LIMIT_MS));
  const worst = [...rows].sort((a, b) => b.ours.p99Ms - a.ours.p99Ms)[0]!;
  const factor = (r: LatencyRow) => r.ours.p99Ms / r.ceiling.p99Ms;
  const far = rows.filter((r) => !(factor(r) <= P99_CEILING_FACTOR));
  const worstFactor = [...rows].sort((a, b) => factor(b) - factor(a))[0]!;
  const list = (picked: LatencyRow[], cell: (r: LatencyRow) => string) => picked.map((r) => `${rowName(r, latency.moderateRps)} ${cell(r)}`).join('; ');
  return [
    {
      target: `p99 ≤ ${P99_LIMIT_MS} ms on every path, open loop at half of its maximum and at ${num(latency.moderateRps)}/s`,
      measured:
        over.length === 0
          ? `all ${rows.length} runs within; worst ${rowName(worst, latency.moderateRps)} ${ms(worst.ours.p99Ms)} ms`
          : `${over.length} of ${rows.length} runs over: ${list(over, (r) => `${ms(r.ours.p99Ms)} ms`)}`,
      met: over.length === 0,
    },
    {
      target: `p99 ≤ ${P99_CEILING_FACTOR}× the matching ceiling's p99 at the same rate, same run`,
      measured:
        far.length === 0
          ? `all ${rows.length} runs within; worst ${rowName(worstFactor, latency.moderateRps)} ${times(factor(worstFactor))}`
          : `${far.length} of ${rows.length} runs over: ${list(far, (r) => `${ms(r.ours.p99Ms)} vs ${ms(r.ceiling.p99Ms)} ms (${times(factor(r))})`)}`,
      met: far.length === 0,
    },
  ];
}

const cells = (run: LatencyRun): string =>
  `${ms(run.p50Ms)} | ${ms(run.p99Ms)} | ${ms(run.p999Ms)} | ${ms(run.maxMs)}`;

/** Measured per run since session 6; older results have the section's peak only. */
const rssCell = (run: LatencyRun): string => {
  const peak = run.peakRssMb;
  return peak ? `${num(peak['server'] ?? 0)} / ${num(peak['gateway'] ?? 0)}` : '—';
};

const disturbed = (run: LatencyRun) => (run.otherCores > DISTURBED_CORES ? ' ⚠' : '');

/** The "Tail latency" section of BENCHMARKS.md. */
export function latencyMarkdown(latency: LatencyResults | undefined): string[] {
  if (!latency) return [];
  const peaks = Object.entries(latency.peakRssMb).map(([name, mb]) => `${name} ${num(mb)} MB`).join(', ');
  return [
    '## Tail latency (open loop)',
    '',
    `Each of our paths at half of its maximum throughput (${latency.measuredApart ? `from the first pass of ${latency.measuredApart}` : 'from run 1 above'}) and at ${num(latency.moderateRps)} req/s, each run followed by the matching ceiling at the same rate. ` +
      `Every run: ${latency.warmupSeconds} s at the rate (not counted), then ${latency.seconds} s counted, from the bench's open-loop generator (bench/loadgen): ` +
      'request k is due at start + k/rate whatever happened before it, and its latency is counted from that due time to the end of its answer, so a stall counts in full for every call due during it. ' +
      'gRPC over 10 HTTP/2 connections, HTTP/1.1 over 50 keep-alive connections (a call due while all 50 are busy waits for one, and the wait counts). ' +
      `Our server and the standalone gateway run with \`node ${latency.nodeFlags.join(' ')}\`, as deployed; their peak RSS over the whole section: ${peaks}, and per run in the table (the gateway column moves only on the standalone rows). ` +
      '"gen. lag p99" is how late the generator itself sent (its timers fire at 1 ms resolution): a floor under every latency here. ' +
      `⚠: other processes used more than ${DISTURBED_CORES} cores during the run.`,
    '',
    '| path | rate | req/s | p50 ms | p99 ms | p99.9 ms | max ms | ceiling | ceiling p50 | ceiling p99 | ceiling p99.9 | ceiling max | p99 × ceiling | gen. lag p99 ms (ours / ceiling) | peak RSS MB (server / gateway) | most in flight |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...latency.rows.map(
      (r) =>
        `| ${r.label}${disturbed(r.ours)} | ${r.rate === 'half' ? 'half max' : 'moderate'} | ${num(r.ours.rps)} | ${cells(r.ours)} | ${r.ceilingLabel}${disturbed(r.ceiling)} | ${cells(r.ceiling)} | ${times(r.ours.p99Ms / r.ceiling.p99Ms)} | ${ms(r.ours.lagP99Ms)} / ${ms(r.ceiling.lagP99Ms)} | ${rssCell(r.ours)} | ${num(r.ours.maxInFlight)} |`,
    ),
    '',
  ];
}

/** The "Heap settings" section: p99 against peak RSS, one row per setting tried. */
export function heapMarkdown(heap: HeapResults | undefined): string[] {
  if (!heap || heap.runs.length === 0) return [];
  const first = heap.runs[0]!;
  return [
    '## Heap settings: p99 against peak RSS',
    '',
    `Our server started afresh with each setting, the gRPC Update (durable) and Get paths open loop at half of their maximum from run 1 ` +
      `(${num(first.update.rate)} and ${num(first.get.rate)} req/s), ${heap.seconds} s each after the warm-up, as in *Tail latency*. ` +
      'Peak RSS is the server\'s high-water mark over both runs. The deployed setting (npm start, Dockerfile, compose) is in bold.',
    '',
    '| node flags | Update p50 ms | Update p99 ms | Update p99.9 ms | Get p50 ms | Get p99 ms | Get p99.9 ms | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...heap.runs.map((r) => {
      const name = r.flags.length === 0 ? 'none (V8 defaults)' : `\`${r.flags.join(' ')}\``;
      return `| ${r.deployed ? `**${name}**` : name} | ${ms(r.update.p50Ms)} | ${ms(r.update.p99Ms)} | ${ms(r.update.p999Ms)} | ${ms(r.get.p50Ms)} | ${ms(r.get.p99Ms)} | ${ms(r.get.p999Ms)} | ${num(r.peakRssMb)} |`;
    }),
    '',
  ];
}
