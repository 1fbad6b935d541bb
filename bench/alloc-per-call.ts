/**
 * Bytes the server allocates per call, on each hot path: the built server
 * (as `npm start` runs it) with bench/lib/alloc-probe.ts preloaded, driven by
 * a plain client with 10 calls in flight; over N calls after a warm-up, V8's
 * sampling heap profiler (collected objects included) records the
 * allocations, and their sum over N is the bytes per call. Allocation
 * counts, unlike throughput, do not depend on what else the machine runs.
 *
 *   npm run -s build && npx tsc -p bench/tsconfig.json
 *   node dist/bench/alloc-per-call.js [calls=5000] [path,...] [--top 25]
 *
 * Prints bytes per call per path, and with --top the largest allocating
 * functions (self) and the project functions whose calls allocate the most
 * (the innermost frame of our own code in each sample's stack).
 */
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { NodeChild, freePort } from './lib/children';
import { EMPTY_FRAME, updateBinary, updateJson, varint4 } from './lib/bodies';
import { PROJECT_ROOT } from '../src/paths';

const GET = '/zitadel.admin.v1.AdminService/GetOIDCSettings';
const UPDATE = '/zitadel.admin.v1.AdminService/UpdateOIDCSettings';
const REST = '/admin/v1/settings/oidc';
const IN_FLIGHT = 10;

interface Ports {
  readonly grpc: number;
  readonly http: number;
  readonly token: string;
}

/** One call of a path; `i` makes each Update's value new. */
type Call = (ports: Ports, i: number) => Promise<void>;

let nextValue = 2 ** 21;
const binary = updateBinary();
const json = updateJson();

function grpcUpdateBody(): Buffer {
  const body = Buffer.from(binary.frame);
  varint4(nextValue++).copy(body, binary.offset);
  return body;
}

const jsonUpdateBody = () => `${json.before}${nextValue++}${json.after}`;

let session: http2.ClientHttp2Session | undefined;
function grpcCall(ports: Ports, method: string, body: Buffer): Promise<void> {
  session ??= http2.connect(`http://127.0.0.1:${ports.grpc}`);
  return new Promise((resolve, reject) => {
    const stream = session!.request({
      ':method': 'POST',
      ':path': method,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${ports.token}`,
    });
    stream.on('trailers', (trailers: http2.IncomingHttpHeaders) => {
      const status = String(trailers['grpc-status']);
      if (status !== '0') reject(new Error(`${method}: grpc-status ${status} ${String(trailers['grpc-message'])}`));
    });
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.on('error', reject);
    stream.end(body);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
function httpCall(ports: Ports, method: string, target: string, headers: Record<string, string>, body?: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: ports.http, method, path: target, agent, headers: { authorization: `Bearer ${ports.token}`, ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.headers['grpc-status'];
          if (response.statusCode !== 200 || (status !== undefined && status !== '0')) {
            reject(new Error(`${method} ${target}: ${response.statusCode} ${String(status)} ${Buffer.concat(chunks).toString()}`));
          } else resolve();
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const PATHS: Record<string, Call> = {
  'grpc-get': (p) => grpcCall(p, GET, EMPTY_FRAME),
  'grpc-update': (p) => grpcCall(p, UPDATE, grpcUpdateBody()),
  'rest-get': (p) => httpCall(p, 'GET', REST, {}),
  'rest-put': (p) => httpCall(p, 'PUT', REST, { 'content-type': 'application/json' }, jsonUpdateBody()),
  'grpc-web-update': (p) =>
    httpCall(p, 'POST', UPDATE, { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' }, grpcUpdateBody()),
  'connect-update': (p) =>
    httpCall(p, 'POST', UPDATE, { 'content-type': 'application/json', 'connect-protocol-version': '1' }, jsonUpdateBody()),
};

async function drive(call: Call, ports: Ports, count: number): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) await call(ports, started++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  id: number;
  children: ProfileNode[];
}

interface Totals {
  bytes: number;
  bySelf: Map<string, number>;
  byOurs: Map<string, number>;
}

const OURS = /\/dist\/(src|gateway)\//;

const frameName = (node: ProfileNode) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '(native)' : url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '').replace(PROJECT_ROOT + '/', '');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
};

function summarise(root: ProfileNode): Totals {
  const totals: Totals = { bytes: 0, bySelf: new Map(), byOurs: new Map() };
  const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes);
  const walk = (node: ProfileNode, ours: string) => {
    const name = frameName(node);
    const inner = OURS.test(node.callFrame.url) ? name : ours;
    if (node.selfSize > 0) {
      totals.bytes += node.selfSize;
      add(totals.bySelf, name, node.selfSize);
      add(totals.byOurs, inner, node.selfSize);
    }
    for (const child of node.children) walk(child, inner);
  };
  walk(root, '(no project frame)');
  return totals;
}

async function profile(child: NodeChild, out: string, run: () => Promise<void>): Promise<ProfileNode> {
  fs.rmSync(out, { force: true });
  child.process.kill('SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 200));
  await run();
  child.process.kill('SIGUSR2');
  while (!fs.existsSync(out)) await new Promise((resolve) => setTimeout(resolve, 50));
  const parsed = JSON.parse(fs.readFileSync(out, 'utf8')) as { head: ProfileNode; error?: string };
  if (parsed.error) throw new Error(parsed.error);
  return parsed.head;
}

function table(map: Map<string, number>, calls: number, top: number): string {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => `  ${(bytes / calls).toFixed(0).padStart(7)} B  ${name}`)
    .join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 0;
  const calls = Number(args[0] ?? 5000);
  const chosen = args[1]?.split(',') ?? Object.keys(PATHS);
  // ALLOC_KEEP=<folder> keeps each path's profile there (<path>.heapprofile: Chrome DevTools opens it).
  const keep = process.env['ALLOC_KEEP'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloc-per-call-'));
  const out = path.join(dir, 'profile.json');
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const child = new NodeChild('server', path.join(PROJECT_ROOT, 'dist', 'src', 'main.js'), {
    nodeFlags: ['--max-old-space-size=128', '--max-semi-space-size=8', '--require', path.join(__dirname, 'lib', 'alloc-probe.js')],
    env: {
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(grpcPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN: '0s',
      ALLOC_PROFILE_OUT: out,
    },
  });
  try {
    await child.waitForMsg('serving gRPC-Web, Connect and REST');
    child.stopReading();
    const ports = { grpc: grpcPort, http: httpPort, token: fs.readFileSync(path.join(dir, 'data', 'admin.pat'), 'utf8').trim() };
    const results: [string, number][] = [];
    for (const name of chosen) {
      const call = PATHS[name];
      if (!call) throw new Error(`unknown path ${name}; known: ${Object.keys(PATHS).join(', ')}`);
      await drive(call, ports, Math.max(2000, calls / 2)); // warm-up: JIT, caches, connections
      const head = await profile(child, out, () => drive(call, ports, calls));
      if (keep) fs.writeFileSync(path.join(keep, `${name}.heapprofile`), JSON.stringify({ head, samples: [] }));
      const totals = summarise(head);
      results.push([name, totals.bytes / calls]);
      console.log(`${name}: ${(totals.bytes / calls).toFixed(0)} B/call (${(totals.bytes / 1e6).toFixed(1)} MB over ${calls} calls)`);
      if (top > 0) {
        console.log(` allocated by (self):\n${table(totals.bySelf, calls, top)}`);
        console.log(` allocated under our function (innermost project frame):\n${table(totals.byOurs, calls, top)}\n`);
      }
    }
    console.log(`\n| path | bytes/call |\n|---|---:|\n${results.map(([n, b]) => `| ${n} | ${Math.round(b).toLocaleString('en')} |`).join('\n')}`);
  } finally {
    session?.close();
    agent.destroy();
    await child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
