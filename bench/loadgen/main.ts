/**
 * The bench's open-loop load generator, run as its own process (so its work
 * and its garbage collections happen beside the server, as a client's
 * would): `node dist/bench/loadgen/main.js <spec.json>`. It sends the
 * requests the spec describes at a fixed rate and prints one JSON line: the
 * counts and the latency quantiles, counted from each request's due time.
 */
import fs from 'node:fs';
import { varint4 } from '../lib/bodies';
import { grpcTransport } from './grpc-client';
import { http1Transport } from './http1-client';
import { quantileOf, runSchedule } from './schedule';

/** What a run sends; buffers travel as base64. */
export interface OpenLoopSpec {
  readonly protocol: 'grpc' | 'http1';
  /** Several ports (replicas of one service): requests go to each in turn. */
  readonly ports: readonly number[];
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body:
    | { readonly kind: 'none' }
    | { readonly kind: 'static'; readonly body: string }
    /** `before` + the value + `after`, the value counting up from `first`, one per request. */
    | { readonly kind: 'vary'; readonly before: string; readonly after: string; readonly encoding: 'varint4' | 'decimal'; readonly first: number };
  /** HTTP/1.1 only: also require grpc-status 0 in each answer. */
  readonly grpcWeb?: boolean;
  readonly rate: number;
  readonly requests: number;
  /** Requests sent at the same rate before the measured ones, not counted: they warm the generator's (and the server's) JIT. */
  readonly warmupRequests: number;
  /** Connections per port. */
  readonly connections: number;
}

export interface OpenLoopOutput {
  /** Requests sent in all, warm-up included (each Update appends an event). */
  readonly sentInAll: number;
  readonly sent: number;
  readonly done: number;
  readonly errors: number;
  readonly errorSamples: string[];
  readonly seconds: number;
  readonly rps: number;
  readonly maxInFlight: number;
  readonly timedOut: boolean;
  /** Latency from the due time, ms. */
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** How late requests went out, ms (the generator's own part of the latency). */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
}

function bodyMaker(body: OpenLoopSpec['body']): (index: number) => Buffer | undefined {
  switch (body.kind) {
    case 'none':
      return () => undefined;
    case 'static': {
      const bytes = Buffer.from(body.body, 'base64');
      return () => bytes;
    }
    case 'vary': {
      const [before, after] = [Buffer.from(body.before, 'base64'), Buffer.from(body.after, 'base64')];
      const encode = body.encoding === 'varint4' ? varint4 : (value: number) => Buffer.from(String(value));
      return (index) => Buffer.concat([before, encode(body.first + index), after]);
    }
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as OpenLoopSpec;
  const body = bodyMaker(spec.body);
  const transports = await Promise.all(
    spec.ports.map((port) =>
      spec.protocol === 'grpc'
        ? grpcTransport(port, spec.connections, { path: spec.path, headers: spec.headers, body: (i) => body(i) ?? Buffer.alloc(5) })
        : http1Transport(port, spec.connections, { method: spec.method, path: spec.path, headers: spec.headers, body, check: spec.grpcWeb ? 'grpc-web' : 'http' }),
    ),
  );
  const limitMs = (requests: number) => (requests / spec.rate) * 1000 * 2 + 30_000;
  const from = (offset: number) => ({ send: (index: number, done: (error?: string) => void) => transports[index % transports.length]!.send(offset + index, done) });
  const warmUp = await runSchedule(from(0), spec.rate, spec.warmupRequests, limitMs(spec.warmupRequests));
  const result = await runSchedule(from(spec.warmupRequests), spec.rate, spec.requests, limitMs(spec.requests));
  for (const transport of transports) transport.close();
  const output: OpenLoopOutput = {
    sentInAll: warmUp.sent + result.sent,
    sent: result.sent,
    done: result.done,
    errors: warmUp.errors + result.errors,
    errorSamples: [...new Set([...warmUp.errorSamples, ...result.errorSamples])],
    seconds: result.seconds,
    rps: result.seconds > 0 ? result.done / result.seconds : 0,
    maxInFlight: result.maxInFlight,
    timedOut: warmUp.timedOut || result.timedOut,
    p50Ms: quantileOf(result.latencies, 0.5),
    p90Ms: quantileOf(result.latencies, 0.9),
    p99Ms: quantileOf(result.latencies, 0.99),
    p999Ms: quantileOf(result.latencies, 0.999),
    maxMs: quantileOf(result.latencies, 1),
    lagP99Ms: quantileOf(result.lags, 0.99),
    lagMaxMs: quantileOf(result.lags, 1),
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`open-loop load generator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
