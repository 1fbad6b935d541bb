import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/paths';

/** A whole number of seconds (or a count) from the environment, with a default. */
function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * What one bench run does. Every knob has an environment variable so a quick
 * run (BENCH_SECONDS=2) or a longer, steadier one needs no code change.
 */
export const BENCH = {
  /** Length of each measured run. */
  seconds: envNumber('BENCH_SECONDS', 5),
  /** Length of the run before it that warms the JIT and sizes the measured run. */
  warmupSeconds: envNumber('BENCH_WARMUP_SECONDS', 2),
  /**
   * Length of each open-loop run at a fixed rate (the latency section, and
   * the PostgreSQL section's runs at half load), after a warm-up of
   * BENCH_WARMUP_SECONDS at the same rate.
   */
  pacedSeconds: envNumber('BENCH_PACED_SECONDS', 20),
  /** Events written into the log before the "work grows" runs. */
  events: envNumber('BENCH_EVENTS', 1_000_000),
  /** Start-ups timed per log size; the median is reported. */
  startups: envNumber('BENCH_STARTUPS', 3),
  /**
   * Passes over the throughput paths (servers started afresh each time); the
   * ratio targets take the median of the passes' ratios, and the report shows
   * every pass side by side. The latency section runs after the first pass,
   * from its maxima.
   */
  runs: envNumber('BENCH_RUNS', 3),
  /** Maximum-throughput runs per path; the best counts (all are kept in results.json). */
  repeat: envNumber('BENCH_REPEAT', 1),
  /** 0 skips the two --cpu-prof runs. */
  profile: process.env['BENCH_PROFILE'] !== '0' && process.env['BENCH_ONLY'] === undefined,
  /**
   * For quick before/after checks while optimising: a comma list of path ids
   * (e.g. "grpc-update,grpc-get,inproc-rest-get") measures only those and
   * skips growth and profiles; "heap" (with grpc-update and grpc-get) adds
   * the heap settings. The report it writes is partial. "postgres"
   * runs the PostgreSQL section (alone: its results replace that section of
   * an existing results.json, the rest of the report keeps its numbers).
   */
  only: process.env['BENCH_ONLY']?.split(',').map((id) => id.trim()),
} as const;

/** The parts of the bench this run measures, from BENCH_ONLY. */
export const SECTIONS = {
  /** The SQLite paths (ceilings, ours, the peer, the gateways) and, on a full run, growth and profiles. */
  sqlite: BENCH.only === undefined || BENCH.only.some((id) => id !== 'postgres'),
  /** Replicas on PostgreSQL (bench/postgres-section.ts). */
  postgres: BENCH.only === undefined || BENCH.only.includes('postgres'),
} as const;

/**
 * The load shape, the same for every path of a protocol family: h2load
 * (gRPC over HTTP/2) keeps 10 connections x 10 streams in flight, wrk
 * (HTTP/1.1) 50 connections; each with one thread, which leaves the other of
 * two cores to the server.
 */
export const LOAD = {
  h2: { threads: 1, clients: 10, streams: 10 },
  http: { threads: 1, connections: 50 },
} as const;

/**
 * The node flags `npm start` runs the server with (package.json), so the
 * bench measures the server as it is deployed (e.g. its heap limit).
 */
export const START_FLAGS: readonly string[] = (
  JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

export const PATHS = {
  root: PROJECT_ROOT,
  out: path.join(PROJECT_ROOT, 'bench', 'out'),
  profiles: path.join(PROJECT_ROOT, 'bench', 'out', 'profiles'),
  results: path.join(PROJECT_ROOT, 'bench', 'out', 'results.json'),
  report: path.join(PROJECT_ROOT, 'BENCHMARKS.md'),
  serverMain: path.join(PROJECT_ROOT, 'dist', 'src', 'main.js'),
  serverModule: path.join(PROJECT_ROOT, 'dist', 'src', 'server.js'),
  gatewayMain: path.join(PROJECT_ROOT, 'dist', 'src', 'gateway-main.js'),
  /** The compiled bench's own child programs. */
  benchServers: path.join(PROJECT_ROOT, 'dist', 'bench', 'servers'),
  shimSource: path.join(PROJECT_ROOT, 'bench', 'vary-body.c'),
  tmp: os.tmpdir(),
} as const;

export const METHODS = {
  update: '/zitadel.admin.v1.AdminService/UpdateOIDCSettings',
  get: '/zitadel.admin.v1.AdminService/GetOIDCSettings',
  health: '/grpc.health.v1.Health/Check',
} as const;

export const REST_PATH = '/admin/v1/settings/oidc';
