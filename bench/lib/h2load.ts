import fs from 'node:fs';
import path from 'node:path';
import { LOAD } from './settings';
import { execTimed } from './exec';
import { quantile } from './quantile';

/** How long h2load runs: for a time (warm-up), or an exact number of requests as fast as they go. */
export type H2Mode = { readonly kind: 'duration'; readonly seconds: number } | { readonly kind: 'count'; readonly requests: number };

export interface H2Spec {
  readonly port: number;
  readonly path: string;
  /** The framed request body h2load posts (-d). */
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  /** Give each request its own access token lifetime (the vary-body shim): offset of the varint, first value. */
  readonly vary?: { readonly offset: number; readonly first: number };
  readonly mode: H2Mode;
  /** Connections (-c); LOAD.h2.clients unless a run splits its load over several servers. */
  readonly clients?: number;
}

export interface H2Result {
  readonly tool: 'h2load';
  readonly done: number;
  readonly succeeded: number;
  /** failed + errored + timeout, as h2load counts them. */
  readonly failed: number;
  readonly non2xx: number;
  /** DATA bytes received: framed messages only (HEADERS carry grpc-status). */
  readonly dataBytes: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Bodies the shim handed out (every request sent), when bodies vary. */
  readonly bodiesSent?: number;
  readonly cpuSeconds: number;
  readonly problems: string[];
}

/** Runs h2load once (-t1 -c10 -m10) against a gRPC method and reads its summary and per-request log. */
export async function h2loadRun(spec: H2Spec, workDir: string, shim: string): Promise<H2Result> {
  return (await runWithLatencies(spec, workDir, shim)).result;
}

/**
 * Several h2load runs at the same time (one per replica of a service), as
 * one result: counts and CPU summed, the duration of the longest run (so the
 * rate is the calls of all over the time they took together), p50/p99 over
 * the calls of all runs.
 */
export async function h2loadRunTogether(specs: readonly H2Spec[], workDir: string, shim: string): Promise<H2Result> {
  const runs = await Promise.all(specs.map((spec) => runWithLatencies(spec, workDir, shim)));
  const sum = (pick: (r: H2Result) => number) => runs.reduce((total, run) => total + pick(run.result), 0);
  const seconds = Math.max(...runs.map((run) => run.result.seconds));
  const done = sum((r) => r.done);
  const durations = runs.flatMap((run) => run.durations ?? []).sort((a, b) => a - b);
  const sent = runs.map((run) => run.result.bodiesSent);
  return {
    tool: 'h2load',
    done,
    succeeded: sum((r) => r.succeeded),
    failed: sum((r) => r.failed),
    non2xx: sum((r) => r.non2xx),
    dataBytes: sum((r) => r.dataBytes),
    seconds,
    rps: seconds > 0 ? done / seconds : 0,
    ...(runs.every((run) => run.durations) ? quantiles(durations) : { p50Ms: NaN, p99Ms: NaN, maxMs: NaN }),
    bodiesSent: sent.some((n) => n === undefined) ? undefined : sent.reduce<number>((a, b) => a + b!, 0),
    cpuSeconds: sum((r) => r.cpuSeconds),
    problems: runs.flatMap((run, i) => run.result.problems.map((p) => `h2load to port ${specs[i]!.port}: ${p}`)),
  };
}

async function runWithLatencies(spec: H2Spec, workDir: string, shim: string): Promise<{ result: H2Result; durations?: number[] }> {
  const { threads, streams } = LOAD.h2;
  const clients = spec.clients ?? LOAD.h2.clients;
  const tag = `h2-${process.hrtime.bigint()}`;
  const bodyFile = path.join(workDir, `${tag}.body`);
  const logFile = path.join(workDir, `${tag}.log`);
  const countFile = path.join(workDir, `${tag}.count`);
  fs.writeFileSync(bodyFile, spec.body);

  const args = ['-t', String(threads), '-c', String(clients), '-m', String(streams), '-d', bodyFile];
  for (const [key, value] of Object.entries({ 'content-type': 'application/grpc', te: 'trailers', ...spec.headers })) {
    args.push('-H', `${key}: ${value}`);
  }
  let expectedSeconds: number;
  if (spec.mode.kind === 'duration') {
    args.push('-D', `${Math.round(spec.mode.seconds * 1000)}ms`);
    expectedSeconds = spec.mode.seconds;
  } else {
    args.push('-n', String(spec.mode.requests), `--log-file=${logFile}`);
    expectedSeconds = spec.mode.requests / 1000;
  }
  args.push(`http://127.0.0.1:${spec.port}${spec.path}`);

  // The shim is preloaded into h2load alone (not the bash and timeout around it).
  const preload = spec.vary
    ? [
        `LD_PRELOAD=${shim}`,
        `VARY_BODY_FILE=${bodyFile}`,
        `VARY_BODY_OFFSET=${spec.vary.offset}`,
        `VARY_BODY_FIRST=${spec.vary.first}`,
        `VARY_BODY_COUNT_FILE=${countFile}`,
      ]
    : [];
  const run = await execTimed('env', [...preload, 'h2load', ...args], { timeoutSeconds: expectedSeconds * 3 + 60 });
  const problems: string[] = [];
  if (run.code !== 0) problems.push(`h2load exited ${run.code}: ${run.stderr.trim().slice(-500)}`);
  const out = run.stdout;
  const num = (re: RegExp, what: string): number => {
    const match = re.exec(out);
    if (!match) {
      problems.push(`h2load printed no ${what}`);
      return 0;
    }
    return Number(match[1]);
  };
  // "finished in 5.01s" or, under a second, "finished in 998.63ms".
  const finished = /finished in ([\d.]+)(us|ms|s),/.exec(out);
  if (!finished) problems.push('h2load printed no duration');
  const seconds = finished ? Number(finished[1]) / ({ us: 1e6, ms: 1e3, s: 1 } as Record<string, number>)[finished[2]!]! : 0;
  const done = num(/requests: \d+ total, \d+ started, (\d+) done/, 'request count');
  const succeeded = num(/(\d+) succeeded/, 'success count');
  const failed = num(/(\d+) failed/, 'failures') + num(/(\d+) errored/, 'errors') + num(/(\d+) timeout/, 'timeouts');
  const statusMatch = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const non2xx = statusMatch ? Number(statusMatch[2]) + Number(statusMatch[3]) + Number(statusMatch[4]) : 0;
  const dataBytes = num(/\((\d+)\) data/, 'data bytes');
  if (failed > 0) problems.push(`h2load counted ${failed} failed/errored/timed-out requests`);
  if (non2xx > 0) problems.push(`${non2xx} responses had an HTTP status other than 2xx`);

  let latencies = { p50Ms: NaN, p99Ms: NaN, maxMs: NaN };
  let durations: number[] | undefined;
  if (spec.mode.kind === 'count') {
    if (done !== spec.mode.requests) problems.push(`asked for ${spec.mode.requests} requests, ${done} done`);
    durations = latencyLog(logFile, problems);
    if (durations) latencies = quantiles(durations);
  }
  let bodiesSent: number | undefined;
  if (spec.vary) {
    bodiesSent = fs.existsSync(countFile) ? Number(fs.readFileSync(countFile, 'utf8').trim()) : undefined;
    if (bodiesSent === undefined) problems.push('the vary-body shim reported no count (was it preloaded?)');
  }
  for (const file of [bodyFile, logFile, countFile]) fs.rmSync(file, { force: true });
  const result: H2Result = {
    tool: 'h2load',
    done,
    succeeded,
    failed,
    non2xx,
    dataBytes,
    seconds,
    rps: seconds > 0 ? done / seconds : 0,
    ...latencies,
    bodiesSent,
    cpuSeconds: run.cpuSeconds,
    problems,
  };
  return { result, durations };
}

/** Request durations (µs, ascending) from h2load's --log-file: start (µs), HTTP status (-1: failed), duration (µs). */
function latencyLog(file: string, problems: string[]): number[] | undefined {
  if (!fs.existsSync(file)) {
    problems.push('h2load wrote no request log');
    return undefined;
  }
  const durations: number[] = [];
  let bad = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const [, status, micros] = line.split('\t');
    if (status !== '200') bad++;
    durations.push(Number(micros));
  }
  if (bad > 0) problems.push(`${bad} requests in the log did not end with HTTP 200`);
  return durations.sort((a, b) => a - b);
}

/** p50 / p99 / max in ms of ascending durations in µs. */
function quantiles(durations: readonly number[]): { p50Ms: number; p99Ms: number; maxMs: number } {
  const at = (q: number) => quantile(durations, q) / 1000;
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}
