import { EMPTY_FRAME, type ValueBlocks, updateBinary, updateJson, varint4 } from './bodies';
import { type EventLogAt, settledSequenceAt } from './events';
import { grpcProbe } from './grpc-probe';
import { type H2Mode, type H2Result, type H2Spec, h2loadRun, h2loadRunTogether } from './h2load';
import { type OpenLoopResult, openLoopRun } from './open-loop';
import type { OpenLoopSpec } from '../loadgen/main';
import { type CpuUse, CpuWindow, RssWatch, waitForQuiet } from './proc';
import { BENCH, LOAD, METHODS, REST_PATH } from './settings';
import { type WrkBody, type WrkResult, type WrkSpec, wrkRun } from './wrk';

/** gRPC over HTTP/2 (h2load): an Update with a body of its own per request, or a Get. */
export interface GrpcLoad {
  readonly kind: 'grpc';
  readonly port: number;
  readonly call: 'update' | 'get';
  readonly token?: string;
  /**
   * gRPC ports of further replicas serving the same instance: the load is
   * split evenly, one h2load per replica at the same time, summed.
   */
  readonly otherReplicas?: readonly number[];
}

/** What an HTTP/1.1 (wrk) path sends. */
export type HttpStyle = 'grpc-web-update' | 'rest-put' | 'rest-get' | 'connect-update' | 'connect-get';

export interface HttpLoad {
  readonly kind: 'http';
  readonly port: number;
  readonly style: HttpStyle;
  readonly token?: string;
}

export interface PathSpec {
  readonly id: string;
  readonly label: string;
  readonly group: string;
  readonly load: GrpcLoad | HttpLoad;
  /** The processes doing the serving (RSS and CPU are read for these). */
  readonly serves: Readonly<Record<string, number>>;
  /** The database whose log each Update appends to: the run's calls are checked against its events. */
  readonly writesTo?: EventLogAt;
  /** CPU seconds used so far by serving work that is not one process (PostgreSQL's processes): served, not other load. */
  readonly cpuOf?: Readonly<Record<string, () => number>>;
  /** Counters read from the servers before and after each run (e.g. from /metrics); the result keeps their increase. */
  readonly counters?: () => Promise<Record<string, number>>;
  /** Ids of the rows this one is compared with. */
  readonly ceiling?: string;
  readonly peer?: string;
  /** Also run at half the maximum throughput (default true). */
  readonly paced?: boolean;
  /** Shorter runs (the growth and profile runs). */
  readonly seconds?: number;
}

export interface RunSummary {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly cpu: CpuUse;
}

export interface PathResult {
  readonly id: string;
  readonly label: string;
  readonly group: string;
  readonly tool: 'h2load' | 'wrk';
  readonly ceiling?: string;
  readonly peer?: string;
  readonly max: RunSummary;
  /** Every maximum-throughput run when BENCH_REPEAT > 1 (`max` is the best). */
  readonly attempts?: RunSummary[];
  readonly half?: RunSummary & { readonly targetRps: number };
  /** Peak RSS (MB) of each serving process over the warm-up, maximum and paced runs. */
  readonly peakRssMb: Record<string, number>;
  /** What was verified about every call. */
  readonly checks: string[];
  readonly problems: string[];
  /** Before each run: how long it waited for the machine to quieten, and how busy it still was. */
  readonly quietGates: Array<{ readonly run: string; readonly waitedMs: number; readonly busyCores: number }>;
  /** How much each of `PathSpec.counters` grew over the warm-up, the counted maximum-throughput run and the paced run. */
  readonly counters?: { readonly warmUp: Record<string, number>; readonly max: Record<string, number>; readonly half?: Record<string, number> };
}

export interface MeasureContext {
  readonly workDir: string;
  readonly shim: string;
  readonly values: ValueBlocks;
  readonly log: (line: string) => void;
}

type AnyResult = H2Result | WrkResult;

const auth = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** The wrk request of an HTTP style. */
function wrkRequest(load: HttpLoad, values: ValueBlocks): Omit<WrkSpec, 'seconds' | 'port'> {
  const json = updateJson();
  const jsonBody = (): WrkBody => ({
    kind: 'vary',
    before: Buffer.from(json.before),
    after: Buffer.from(json.after),
    encoding: 'decimal',
    first: values.take(),
  });
  const connect = { 'content-type': 'application/json', 'connect-protocol-version': '1' };
  switch (load.style) {
    case 'grpc-web-update': {
      const binary = updateBinary();
      return {
        method: 'POST',
        path: METHODS.update,
        headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', ...auth(load.token) },
        body: { kind: 'vary', before: binary.before, after: binary.after, encoding: 'varint4', first: values.take() },
        checkGrpcWeb: true,
      };
    }
    case 'rest-put':
      return { method: 'PUT', path: REST_PATH, headers: { 'content-type': 'application/json', ...auth(load.token) }, body: jsonBody(), checkGrpcWeb: false };
    case 'rest-get':
      return { method: 'GET', path: REST_PATH, headers: auth(load.token), body: { kind: 'none' }, checkGrpcWeb: false };
    case 'connect-update':
      return { method: 'POST', path: METHODS.update, headers: { ...connect, ...auth(load.token) }, body: jsonBody(), checkGrpcWeb: false };
    case 'connect-get':
      return {
        method: 'POST',
        path: METHODS.get,
        headers: { ...connect, ...auth(load.token) },
        body: { kind: 'static', body: Buffer.from('{}') },
        checkGrpcWeb: false,
      };
  }
}

/** Every gRPC port a load goes to. */
const grpcPorts = (load: GrpcLoad): number[] => [load.port, ...(load.otherReplicas ?? [])];

/** `mode` for one of `n` load generators sharing a run: its share of the requests and of the rate. */
function share(mode: H2Mode, n: number, i: number): H2Mode {
  if (mode.kind === 'duration') return mode;
  const requests = Math.floor(mode.requests / n) + (i < mode.requests % n ? 1 : 0);
  return { kind: 'count', requests };
}

async function runOnce(spec: PathSpec, ctx: MeasureContext, mode: H2Mode): Promise<AnyResult> {
  const load = spec.load;
  if (load.kind === 'grpc') {
    const headers = auth(load.token);
    const ports = grpcPorts(load);
    const specs = ports.map((port, i): H2Spec => {
      const split = ports.length === 1 ? {} : { clients: Math.max(1, Math.round(LOAD.h2.clients / ports.length)) };
      const runMode = share(mode, ports.length, i);
      if (load.call === 'get') return { port, path: METHODS.get, body: EMPTY_FRAME, headers, mode: runMode, ...split };
      // Each load generator its own block of values: every Update on every replica is an effective change.
      const binary = updateBinary();
      return { port, path: METHODS.update, body: binary.frame, headers, vary: { offset: binary.offset, first: ctx.values.take() }, mode: runMode, ...split };
    });
    return specs.length === 1 ? h2loadRun(specs[0]!, ctx.workDir, ctx.shim) : h2loadRunTogether(specs, ctx.workDir, ctx.shim);
  }
  // wrk runs for a time only.
  const seconds = mode.kind === 'duration' ? mode.seconds : mode.requests / 1000;
  return wrkRun({ ...wrkRequest(load, ctx.values), port: load.port, seconds }, ctx.workDir);
}

/** The open-loop generator's description of a load's requests (bench/loadgen). */
function openLoopRequest(load: GrpcLoad | HttpLoad, values: ValueBlocks): Omit<OpenLoopSpec, 'rate' | 'requests' | 'warmupRequests' | 'connections'> {
  const base64 = (bytes: Buffer) => bytes.toString('base64');
  if (load.kind === 'grpc') {
    const common = { protocol: 'grpc' as const, ports: grpcPorts(load), method: 'POST' as const, headers: auth(load.token) };
    if (load.call === 'get') return { ...common, path: METHODS.get, body: { kind: 'static', body: base64(EMPTY_FRAME) } };
    const binary = updateBinary();
    return { ...common, path: METHODS.update, body: { kind: 'vary', before: base64(binary.before), after: base64(binary.after), encoding: 'varint4', first: values.take() } };
  }
  const request = wrkRequest(load, values);
  const body = request.body;
  return {
    protocol: 'http1',
    ports: [load.port],
    method: request.method,
    path: request.path,
    headers: request.headers,
    grpcWeb: request.checkGrpcWeb,
    body:
      body.kind === 'vary'
        ? { kind: 'vary', before: base64(body.before), after: base64(body.after), encoding: body.encoding, first: body.first }
        : body.kind === 'static'
          ? { kind: 'static', body: base64(body.body) }
          : { kind: 'none' },
  };
}

/**
 * A run of `load` at a fixed rate, open loop (bench/loadgen): BENCH.pacedSeconds
 * measured after BENCH.warmupSeconds at the same rate, latency counted from
 * each call's due time.
 */
export function pacedRun(load: GrpcLoad | HttpLoad, rate: number, ctx: MeasureContext): Promise<OpenLoopResult> {
  return openLoopRun(openLoopRequest(load, ctx.values), rate, BENCH.pacedSeconds, BENCH.warmupSeconds, ctx.workDir);
}

/** A paced run's problems, and whether the log grew by one event per Update that went out (warm-up included). */
export function verifyPaced(run: OpenLoopResult, appended: number | undefined): string[] {
  const problems = [...run.problems];
  if (appended !== undefined && appended !== run.sentInAll - run.errors) {
    problems.push(`${run.sentInAll} Updates sent, ${run.errors} failed, but ${appended} events appended`);
  }
  return problems;
}

/** Whatever the run can tell about the calls, and the log's growth, as problems. */
function verify(
  run: AnyResult,
  appended: number | undefined,
  frameBytes: number | undefined,
  exact: boolean,
): string[] {
  const problems = [...run.problems];
  if (appended !== undefined) {
    if (run.tool === 'h2load') {
      const sent = run.bodiesSent ?? NaN;
      if (exact && !(appended === run.done && sent === run.done)) {
        problems.push(`${run.done} calls answered, ${sent} sent, but ${appended} events appended: some Updates failed or changed nothing`);
      }
      if (!exact && !(appended >= run.succeeded && appended <= sent)) {
        problems.push(`${run.succeeded} calls succeeded, ${sent} sent, ${appended} events appended`);
      }
    } else if (!(appended >= run.done && appended <= run.sent)) {
      problems.push(`${run.done} calls answered, ${run.sent} sent, but ${appended} events appended: some Updates failed or changed nothing`);
    }
  }
  if (frameBytes !== undefined && run.tool === 'h2load') {
    const expected = run.done * frameBytes;
    const ok = exact ? run.dataBytes === expected : run.dataBytes >= run.succeeded * frameBytes;
    if (!ok) problems.push(`${run.dataBytes} bytes of messages for ${run.done} calls of ${frameBytes} bytes each: some calls answered no message (a gRPC error)`);
  }
  return problems;
}

const summary = (run: AnyResult | OpenLoopResult, cpu: CpuUse): RunSummary => ({
  requests: run.done,
  seconds: run.seconds,
  rps: run.rps,
  p50Ms: run.p50Ms,
  p99Ms: run.p99Ms,
  maxMs: run.maxMs,
  cpu,
});

/** One call first, answered as every call of the run must be (also tells the size of a Get's answer). */
async function probe(spec: PathSpec, ctx: MeasureContext): Promise<{ frameBytes?: number; problem?: string }> {
  const load = spec.load;
  if (load.kind === 'grpc') {
    const isGet = load.call === 'get';
    const sizes = new Set<number>();
    // Replicas answer the same instance: each is probed, their answers must agree in size.
    for (const port of grpcPorts(load)) {
      const body = isGet ? EMPTY_FRAME : updateBinary(ctx.values.take()).frame;
      const result = await grpcProbe(port, isGet ? METHODS.get : METHODS.update, body, auth(load.token));
      if (result.grpcStatus !== 0) return { problem: `probe call to port ${port}: grpc-status ${result.grpcStatus} ${result.grpcMessage}` };
      sizes.add(result.data.length);
    }
    if (isGet && sizes.size > 1) return { problem: `probe calls: the replicas answered Gets of different sizes (${[...sizes].join(', ')} bytes)` };
    // Answers to Gets (nothing changes during the run) and to the ceiling's constant Updates all have this size.
    return { frameBytes: isGet || spec.writesTo === undefined ? [...sizes][0] : undefined };
  }
  const request = wrkRequest(load, ctx.values);
  let body: Buffer | undefined;
  if (request.body.kind === 'static') body = request.body.body;
  if (request.body.kind === 'vary') {
    const value = request.body.first;
    const middle = request.body.encoding === 'decimal' ? Buffer.from(String(value)) : varint4(value);
    body = Buffer.concat([request.body.before, middle, request.body.after]);
  }
  const response = await fetch(`http://127.0.0.1:${load.port}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: body && new Uint8Array(body),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) return { problem: `probe call: HTTP ${response.status} ${bytes.toString('utf8').slice(0, 300)}` };
  if (request.checkGrpcWeb && !/grpc-status:\s*0\r\n/.test(bytes.toString('latin1'))) {
    return { problem: `probe call: no grpc-status 0 (headers grpc-status ${response.headers.get('grpc-status')} ${response.headers.get('grpc-message')})` };
  }
  return {};
}

/**
 * Measures one path: a probe call, a warm-up run (which also sizes the
 * measured h2load run), the run at maximum throughput, and a run paced at
 * half of it for the latency there. Every call of every run is checked.
 */
export async function measurePath(spec: PathSpec, ctx: MeasureContext): Promise<PathResult> {
  const tool = spec.load.kind === 'grpc' ? 'h2load' : 'wrk';
  const seconds = spec.seconds ?? BENCH.seconds;
  const checks = [
    tool === 'h2load'
      ? 'h2load: every request done, HTTP 200, no failed/errored streams'
      : 'wrk: no socket errors or timeouts, no HTTP status >= 400',
  ];
  if (spec.load.kind === 'http' && spec.load.style === 'grpc-web-update') checks.push('each gRPC-Web body ends in a trailer with grpc-status 0');
  if (spec.writesTo) checks.push('events appended = Updates answered (each call an effective change, hence OK)');
  const problems: string[] = [];
  const rss = new RssWatch(spec.serves);

  const first = await probe(spec, ctx);
  if (first.problem) problems.push(first.problem);
  if (first.frameBytes !== undefined) checks.push(`every answer carries a ${first.frameBytes}-byte message (no gRPC error)`);

  const settled = async (): Promise<number> => (spec.writesTo ? settledSequenceAt(spec.writesTo) : 0);
  const before = settled;
  const appendedSince = async (sequence: number) => (spec.writesTo ? (await settled()) - sequence : undefined);
  const quietGates: PathResult['quietGates'] = [];
  // Read right before a run starts; the function it returns reads them again once the run has settled.
  const counted = async (): Promise<() => Promise<Record<string, number>>> => {
    const read = spec.counters ?? (() => Promise.resolve<Record<string, number>>({}));
    const start = await read();
    return async () => {
      const end = await read();
      return Object.fromEntries(Object.entries(end).map(([name, value]) => [name, value - (start[name] ?? 0)]));
    };
  };
  const quiet = async (what: string) => {
    const gate = await waitForQuiet((busy) => ctx.log(`    waiting for the machine to quieten before the ${what} run (${busy.toFixed(2)} cores busy elsewhere)`));
    quietGates.push({ run: what, waitedMs: Math.round(gate.waitedMs), busyCores: Math.round(gate.busyCores * 100) / 100 });
  };

  await quiet('warm-up');
  let sequence = await before();
  let grown = await counted();
  const warm = await runOnce(spec, ctx, { kind: 'duration', seconds: BENCH.warmupSeconds });
  problems.push(...verify(warm, await appendedSince(sequence), first.frameBytes, false).map((p) => `warm-up: ${p}`));
  const warmUpCounters = await grown();

  // h2load runs an exact number of requests (so events can be matched one
  // for one), sized from the warm-up's rate; wrk runs for a time.
  const mode: H2Mode = tool === 'h2load' ? { kind: 'count', requests: Math.max(1000, Math.round(warm.rps * seconds)) } : { kind: 'duration', seconds };
  // BENCH_REPEAT runs; the best one counts (a disturbance only ever slows a run).
  const attempts: Array<{ run: AnyResult; cpu: CpuUse; counters: Record<string, number> }> = [];
  for (let i = 0; i < BENCH.repeat; i++) {
    await quiet('maximum-throughput');
    sequence = await before();
    grown = await counted();
    const window = new CpuWindow(spec.serves, spec.cpuOf);
    const run = await runOnce(spec, ctx, mode);
    const cpu = window.stop(run.cpuSeconds);
    problems.push(...verify(run, await appendedSince(sequence), first.frameBytes, tool === 'h2load'));
    attempts.push({ run, cpu, counters: await grown() });
    ctx.log(`  ${spec.label}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms`);
  }
  const best = attempts.sort((a, b) => b.run.rps - a.run.rps)[0]!;
  const [max, maxCpu] = [best.run, best.cpu];

  let half: PathResult['half'];
  let halfCounters: Record<string, number> | undefined;
  if (spec.paced !== false && max.rps > 0) {
    const targetRps = max.rps / 2;
    await quiet('paced');
    sequence = await before();
    grown = await counted();
    const cpu = new CpuWindow(spec.serves, spec.cpuOf);
    const paced = await pacedRun(spec.load, targetRps, ctx);
    const pacedCpu = cpu.stop(paced.cpuSeconds);
    const pacedProblems = verifyPaced(paced, await appendedSince(sequence));
    halfCounters = await grown();
    // What the servers say the failed calls were (their /metrics, when the path reads them).
    const failed = Object.entries(halfCounters).filter(([name, n]) => name.startsWith('failed ') && n > 0);
    const how = failed.length > 0 ? ` (the servers answered ${failed.map(([name, n]) => `${n} ${name.slice('failed '.length)}`).join(', ')})` : '';
    problems.push(...pacedProblems.map((p) => `paced: ${p}${how}`));
    half = { ...summary(paced, pacedCpu), targetRps };
    ctx.log(`    at ${targetRps.toFixed(0)} req/s (half): ${paced.rps.toFixed(0)} req/s, p99 ${paced.p99Ms.toFixed(2)} ms`);
  }
  const peakRssMb = rss.stop();
  for (const problem of problems) ctx.log(`  PROBLEM ${spec.label}: ${problem}`);
  return {
    id: spec.id,
    label: spec.label,
    group: spec.group,
    tool,
    ceiling: spec.ceiling,
    peer: spec.peer,
    max: summary(max, maxCpu),
    attempts: attempts.length > 1 ? attempts.map((a) => summary(a.run, a.cpu)) : undefined,
    half,
    peakRssMb,
    checks,
    problems,
    quietGates,
    counters: spec.counters ? { warmUp: warmUpCounters, max: best.counters, half: halfCounters } : undefined,
  };
}

