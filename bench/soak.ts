/**
 * `npm run soak -- --minutes N` (or `--seconds N`): the built server, as its
 * own process on 127.0.0.1 with a temporary data folder, under a moderate
 * paced mix of every protocol (gRPC Get/Update, gRPC-Web binary Update and
 * text Get, REST GET/PUT), beside idle HTTP/2 and HTTP/1.1 connections and
 * slow ones (slowloris-style headers that never end, a body a byte at a
 * time). Every few seconds it samples the server's RSS, open descriptors,
 * database and WAL size and the calls that succeeded or failed, and prints
 * a row; at the end a summary. Exits non-zero if any valid call failed or
 * the server did not stop cleanly.
 *
 * What it is for: growth over time (memory, descriptors, WAL) and
 * connections the server never lets go, which a test of seconds cannot see.
 * Not part of `npm test`.
 */
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AddOIDCSettingsRequestSchema,
  GetOIDCSettingsResponseSchema,
  UpdateOIDCSettingsRequestSchema,
  UpdateOIDCSettingsResponseSchema,
} from '../gen/es/zitadel/admin_pb';
import { NodeChild } from './lib/children';
import { METHODS, PATHS, REST_PATH, START_FLAGS } from './lib/settings';

const log = (line: string) => process.stdout.write(`${line}\n`);

interface Options {
  readonly seconds: number;
  /** Calls per second of each of the six kinds. */
  readonly rate: number;
  readonly sampleSeconds: number;
}

function parseArgs(argv: string[]): Options {
  const value = (name: string): number | undefined => {
    const at = argv.indexOf(`--${name}`);
    if (at < 0) return undefined;
    const n = Number(argv[at + 1]);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number, got ${JSON.stringify(argv[at + 1])}`);
    return n;
  };
  const seconds = value('seconds') ?? (value('minutes') ?? 1) * 60;
  return {
    seconds,
    rate: value('rate') ?? 10,
    sampleSeconds: value('sample') ?? Math.min(10, Math.max(2, Math.round(seconds / 20))),
  };
}

const frameOf = (message: Uint8Array): Buffer => {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
};

const lifetimesOf = (access: number) => ({
  accessTokenLifetime: { seconds: BigInt(access) },
  idTokenLifetime: { seconds: 43_200n },
  refreshTokenIdleExpiration: { seconds: 2_592_000n },
  refreshTokenExpiration: { seconds: 7_776_000n },
});

type Kind = 'grpc-get' | 'grpc-update' | 'grpc-web-update' | 'grpc-web-text-get' | 'rest-get' | 'rest-put';
const KINDS: readonly Kind[] = ['grpc-get', 'grpc-update', 'grpc-web-update', 'grpc-web-text-get', 'rest-get', 'rest-put'];

/** Calls per kind: cumulative, and since the last sample. */
class Tally {
  readonly ok = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
  readonly failed = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
  /** Calls not started because too many of that kind were still in flight (the server fell behind). */
  skipped = 0;
  readonly errors: string[] = [];
  private window: number[] = [];
  private windowFailed = 0;

  record(kind: Kind, ms: number, error?: string): void {
    if (error === undefined) {
      this.ok.set(kind, this.ok.get(kind)! + 1);
    } else {
      this.failed.set(kind, this.failed.get(kind)! + 1);
      this.windowFailed++;
      if (this.errors.length < 20) this.errors.push(`${kind}: ${error}`);
    }
    this.window.push(ms);
  }

  /** Calls, failures and p50/p99 latency since the last call of this. */
  take(): { calls: number; failed: number; p50: number; p99: number } {
    const sorted = this.window.sort((a, b) => a - b);
    const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0);
    const out = { calls: sorted.length, failed: this.windowFailed, p50: at(0.5), p99: at(0.99) };
    this.window = [];
    this.windowFailed = 0;
    return out;
  }

  total(map: Map<Kind, number>): number {
    return [...map.values()].reduce((a, b) => a + b, 0);
  }
}

/** One HTTP/1.1 request on a keep-alive agent; resolves with status, headers and body. */
function httpCall(agent: http.Agent, port: number, method: string, urlPath: string, headers: http.OutgoingHttpHeaders, body?: Buffer | string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error('no answer in 10 s')));
    request.on('error', reject);
    request.end(body);
  });
}

/** grpc-status of a gRPC-Web answer: trailers-only headers, or the trailer frame. */
function grpcWebStatus(headers: http.IncomingHttpHeaders, frames: Buffer): { status: number; message?: Buffer } {
  if (headers['grpc-status'] !== undefined) return { status: Number(headers['grpc-status']) };
  let message: Buffer | undefined;
  let status = NaN;
  for (let at = 0; at + 5 <= frames.length; ) {
    const length = frames.readUInt32BE(at + 1);
    const data = frames.subarray(at + 5, at + 5 + length);
    if (frames[at]! & 0x80) status = Number(/grpc-status:\s*(\d+)/i.exec(data.toString('latin1'))?.[1] ?? NaN);
    else message = data;
    at += 5 + length;
  }
  return { status, message };
}

interface Server {
  readonly child: NodeChild;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly token: string;
  readonly dataDir: string;
}

async function startServer(): Promise<Server> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'oidc-soak-'));
  const child = new NodeChild('server', PATHS.serverMain, {
    // As deployed: npm start's node flags, a log line per call (drained, not parsed, once started).
    // GRPC_IDLE_TIMEOUT is shorter than its 2m default (unless set), so a run of minutes sees idle gRPC connections closed.
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN: '0s',
      GRPC_IDLE_TIMEOUT: process.env['GRPC_IDLE_TIMEOUT'] ?? '30s',
    },
    nodeFlags: [...START_FLAGS],
  });
  const port = (entry: Record<string, unknown>) => Number(String(entry['address']).split(':').at(-1));
  const grpcPort = port((await child.waitForMsg('serving gRPC')).entry);
  const httpPort = port((await child.waitForMsg('serving gRPC-Web, Connect and REST')).entry);
  child.stopReading();
  const token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
  return { child, grpcPort, httpPort, token, dataDir };
}

/** The six kinds of valid call, each a function that resolves with an error message or undefined. */
function callers(server: Server, grpcClient: grpc.Client, agent: http.Agent) {
  let next = 1_000;
  const auth = `Bearer ${server.token}`;
  const metadata = () => {
    const m = new grpc.Metadata();
    m.set('authorization', auth);
    return m;
  };
  const grpcUnary = (method: string, message: Uint8Array) =>
    new Promise<Buffer>((resolve, reject) =>
      grpcClient.makeUnaryRequest(method, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, message, metadata(), { deadline: Date.now() + 10_000 }, (error, response) =>
        error ? reject(new Error(`${error.code} ${error.details}`)) : resolve(response!),
      ),
    );
  const expectSettings = (bytes: Uint8Array) => {
    if (!fromBinary(GetOIDCSettingsResponseSchema, bytes).settings?.accessTokenLifetime) throw new Error('Get answered without settings');
  };
  const expectSequence = (bytes: Uint8Array) => {
    if (!fromBinary(UpdateOIDCSettingsResponseSchema, bytes).details?.sequence) throw new Error('Update answered without a sequence');
  };
  const update = () => toBinary(UpdateOIDCSettingsRequestSchema, create(UpdateOIDCSettingsRequestSchema, lifetimesOf(next++)));
  const web = { 'x-grpc-web': '1', authorization: auth };
  const calls: Record<Kind, () => Promise<void>> = {
    'grpc-get': async () => expectSettings(await grpcUnary(METHODS.get, new Uint8Array(0))),
    'grpc-update': async () => expectSequence(await grpcUnary(METHODS.update, update())),
    'grpc-web-update': async () => {
      const r = await httpCall(agent, server.httpPort, 'POST', METHODS.update, { ...web, 'content-type': 'application/grpc-web+proto' }, frameOf(update()));
      const { status, message } = grpcWebStatus(r.headers, r.body);
      if (r.status !== 200 || status !== 0 || !message) throw new Error(`HTTP ${r.status} grpc-status ${status} ${String(r.headers['grpc-message'] ?? '')}`);
      expectSequence(message);
    },
    'grpc-web-text-get': async () => {
      const r = await httpCall(agent, server.httpPort, 'POST', METHODS.get, { ...web, 'content-type': 'application/grpc-web-text' }, frameOf(new Uint8Array(0)).toString('base64'));
      const text = r.body.toString('latin1');
      const frames = Buffer.concat((text.match(/[^=]*=*/g) ?? []).filter((c) => c !== '').map((c) => Buffer.from(c, 'base64')));
      const { status, message } = grpcWebStatus(r.headers, frames);
      if (r.status !== 200 || status !== 0 || !message) throw new Error(`HTTP ${r.status} grpc-status ${status} ${String(r.headers['grpc-message'] ?? '')}`);
      expectSettings(message);
    },
    'rest-get': async () => {
      const r = await httpCall(agent, server.httpPort, 'GET', REST_PATH, { authorization: auth });
      if (r.status !== 200 || !(JSON.parse(r.body.toString()) as { settings?: object }).settings) throw new Error(`HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
    },
    'rest-put': async () => {
      const body = JSON.stringify({ accessTokenLifetime: `${next++}s`, idTokenLifetime: '43200s', refreshTokenIdleExpiration: '2592000s', refreshTokenExpiration: '7776000s' });
      const r = await httpCall(agent, server.httpPort, 'PUT', REST_PATH, { authorization: auth, 'content-type': 'application/json' }, body);
      if (r.status !== 200 || !(JSON.parse(r.body.toString()) as { details?: { sequence?: string } }).details?.sequence) throw new Error(`HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
    },
  };
  return { calls, first: () => grpcUnary(`/zitadel.admin.v1.AdminService/AddOIDCSettings`, toBinary(AddOIDCSettingsRequestSchema, create(AddOIDCSettingsRequestSchema, lifetimesOf(999)))) };
}

/**
 * A pool of connections of one sort, kept at `size`: when the server closes
 * one, how long it lived is recorded and another takes its place (at most
 * one replacement per slot per second, so a server that refuses them all
 * does not make this spin).
 */
class ConnectionPool {
  readonly lifetimesMs: number[] = [];
  private readonly open = new Set<{ close(): void }>();
  private stopped = false;

  constructor(
    readonly name: string,
    readonly size: number,
    /** Opens one connection; calls `closed` once when it ends, whoever ended it. */
    private readonly openOne: (closed: () => void) => { close(): void },
  ) {}

  start(): void {
    for (let i = 0; i < this.size; i++) this.spawn();
  }

  get count(): number {
    return this.open.size;
  }

  private spawn(): void {
    if (this.stopped) return;
    const opened = performance.now();
    let ended = false;
    const connection = this.openOne(() => {
      if (ended) return;
      ended = true;
      this.open.delete(connection);
      if (this.stopped) return;
      this.lifetimesMs.push(performance.now() - opened);
      setTimeout(() => this.spawn(), Math.max(0, 1000 - (performance.now() - opened))).unref();
    });
    this.open.add(connection);
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.open) c.close();
    this.open.clear();
  }
}

function pools(server: Server) {
  const socket = (closed: () => void) => {
    const s = net.connect(server.httpPort, '127.0.0.1');
    s.on('error', () => undefined);
    s.on('close', closed);
    s.on('data', () => undefined);
    return s;
  };
  // HTTP/2 to the gRPC port: connected, settings exchanged, no stream.
  const idleH2 = new ConnectionPool('idle h2', 20, (closed) => {
    const session = http2.connect(`http://127.0.0.1:${server.grpcPort}`);
    session.on('error', () => undefined);
    session.on('close', closed);
    return { close: () => session.destroy() };
  });
  // HTTP/1.1 keep-alive: one request answered, then nothing.
  const idleH1 = new ConnectionPool('idle h1', 20, (closed) => {
    const s = socket(closed);
    s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
    return { close: () => s.destroy() };
  });
  // Slowloris: a header line every 2 s, the header block never ends.
  const slowHeaders = new ConnectionPool('slow headers', 10, (closed) => {
    const s = socket(closed);
    s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    let n = 0;
    const timer = setInterval(() => s.writable && s.write(`X-Slow-${n++}: x\r\n`), 2000);
    s.on('close', () => clearInterval(timer));
    return { close: () => s.destroy() };
  });
  // A PUT whose body comes a byte a second (of a declared 1000).
  const slowBodies = new ConnectionPool('slow body', 5, (closed) => {
    const s = socket(closed);
    s.write(`PUT ${REST_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
    const timer = setInterval(() => s.writable && s.write(' '), 1000);
    s.on('close', () => clearInterval(timer));
    return { close: () => s.destroy() };
  });
  return [idleH2, idleH1, slowHeaders, slowBodies];
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function processSample(pid: number): { rssMb: number; fds: number } {
  try {
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return { rssMb: rss / 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rssMb: NaN, fds: NaN };
  }
}

const pad = (value: string | number, width: number) => String(value).padStart(width);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
const seconds = (values: number[]) => {
  if (values.length === 0) return 'none closed';
  const sorted = [...values].sort((a, b) => a - b);
  return `${values.length} closed by the server after ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} s (median), ${(sorted[0]! / 1000).toFixed(1)}-${(sorted.at(-1)! / 1000).toFixed(1)} s`;
};

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const server = await startServer();
  const databaseFile = path.join(server.dataDir, 'oidc-settings.db');
  const pid = server.child.pid;
  const grpcClient = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const { calls, first } = callers(server, grpcClient, agent);
  await first().catch((error: Error) => {
    // A fresh data folder may already hold seeded settings.
    if (!error.message.startsWith('6 ')) throw error;
  });
  const tally = new Tally();
  const connectionPools = pools(server);
  for (const pool of connectionPools) pool.start();

  log(`soak: ${options.seconds} s, ${options.rate} calls/s of each of ${KINDS.join(', ')}; server pid ${pid}, gRPC :${server.grpcPort}, HTTP :${server.httpPort}, data ${server.dataDir}`);
  log(`beside it: ${connectionPools.map((p) => `${p.size} ${p.name}`).join(', ')} connections (GRPC_IDLE_TIMEOUT ${process.env['GRPC_IDLE_TIMEOUT'] ?? '30s'})`);
  const header = ['t (s)', 'RSS MB', 'fds', 'db MB', 'WAL MB', 'calls', 'failed', 'p50 ms', 'p99 ms', 'idle h2', 'idle h1', 'slow hdr', 'slow body'];
  const widths = [6, 7, 5, 7, 7, 7, 7, 7, 7, 8, 8, 9, 10];
  log(header.map((h, i) => pad(h, widths[i]!)).join(' '));
  const rows: Array<{ rssMb: number; fds: number; wal: number; db: number }> = [];
  const started = performance.now();
  const sample = () => {
    const { rssMb, fds } = processSample(pid);
    const wal = fileSize(`${databaseFile}-wal`);
    const db = fileSize(databaseFile);
    const window = tally.take();
    rows.push({ rssMb, fds, wal, db });
    const cells = [
      ((performance.now() - started) / 1000).toFixed(0),
      rssMb.toFixed(1),
      fds,
      mb(db),
      mb(wal),
      window.calls,
      window.failed,
      window.p50.toFixed(1),
      window.p99.toFixed(1),
      ...connectionPools.map((p) => p.count),
    ];
    log(cells.map((c, i) => pad(c, widths[i]!)).join(' '));
  };
  sample();

  // Paced load: each kind starts `rate` calls a second, at most 32 in flight per kind.
  const inFlight = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
  const pending = new Set<Promise<void>>();
  const tick = () => {
    for (const kind of KINDS) {
      if (inFlight.get(kind)! >= 32) {
        tally.skipped++;
        continue;
      }
      inFlight.set(kind, inFlight.get(kind)! + 1);
      const t0 = performance.now();
      const p = calls[kind]().then(
        () => tally.record(kind, performance.now() - t0),
        (error: unknown) => tally.record(kind, performance.now() - t0, error instanceof Error ? error.message : String(error)),
      );
      const tracked = p.finally(() => {
        inFlight.set(kind, inFlight.get(kind)! - 1);
        pending.delete(tracked);
      });
      pending.add(tracked);
    }
  };
  const loadTimer = setInterval(tick, 1000 / options.rate);
  const sampleTimer = setInterval(sample, options.sampleSeconds * 1000);
  let serverExit: number | null | undefined;
  void server.child.exited.then((code) => (serverExit = code));
  await Promise.race([new Promise((resolve) => setTimeout(resolve, options.seconds * 1000)), server.child.exited]);
  clearInterval(loadTimer);
  await Promise.all(pending);
  clearInterval(sampleTimer);
  sample();
  for (const pool of connectionPools) pool.stop();
  grpcClient.close();
  agent.destroy();

  const died = serverExit !== undefined;
  const stopCode = died ? serverExit : await server.child.stop();
  const ok = tally.total(tally.ok);
  const failed = tally.total(tally.failed);
  const first3 = rows.slice(0, Math.min(3, rows.length));
  const last3 = rows.slice(-3);
  const avg = (list: typeof rows, f: (r: (typeof rows)[number]) => number) => list.reduce((a, r) => a + f(r), 0) / list.length;
  log('');
  log(`summary after ${((performance.now() - started) / 1000).toFixed(0)} s:`);
  log(`  calls: ${ok} ok, ${failed} failed, ${tally.skipped} not started (too many in flight); ${KINDS.map((k) => `${k} ${tally.ok.get(k)}/${tally.failed.get(k)}`).join(', ')}`);
  log(`  RSS: ${first3[0]!.rssMb.toFixed(1)} MB at start, ${Math.max(...rows.map((r) => r.rssMb)).toFixed(1)} MB at most, ${avg(first3, (r) => r.rssMb).toFixed(1)} -> ${avg(last3, (r) => r.rssMb).toFixed(1)} MB (first three samples -> last three)`);
  log(`  descriptors: ${first3[0]!.fds} at start, ${Math.max(...rows.map((r) => r.fds))} at most, ${rows.at(-1)!.fds} at the end (with the soak's own connections open)`);
  log(`  database: ${mb(rows.at(-1)!.db)} MB; WAL at most ${mb(Math.max(...rows.map((r) => r.wal)))} MB, ${mb(rows.at(-1)!.wal)} MB at the end`);
  for (const pool of connectionPools) log(`  ${pool.name}: ${seconds(pool.lifetimesMs)}`);
  log(`  server: ${died ? `EXITED during the soak (${serverExit})` : `stopped with SIGTERM, exit ${stopCode}`}`);
  for (const error of tally.errors) log(`  failed: ${error}`);
  fs.rmSync(server.dataDir, { recursive: true, force: true });
  if (failed > 0 || died || stopCode !== 0) {
    log('soak: FAILED');
    process.exitCode = 1;
  } else {
    log('soak: ok');
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
