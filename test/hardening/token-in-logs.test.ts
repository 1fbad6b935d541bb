/**
 * No path writes an authorization header's value anywhere (issue 10, defect 2):
 * a token pasted with a non-breaking space, a tab, or a trailing non-ASCII
 * character made grpc-js log "Failed to add metadata entry authorization:
 * Bearer <the token>" on stderr. The server and the standalone gateway run
 * as the user runs them, and everything both print is searched.
 */
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import path from 'node:path';
import { type ChildGateway, type ChildServer, startChildGateway, startChildServer } from '../helpers/child-server';
import { tempDir } from '../helpers/server';

const GET = '/zitadel.admin.v1.AdminService/GetOIDCSettings';
/** Answered by grpc-js itself (our methods are answered on the stream), so its metadata parser sees the header. */
const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
const EMPTY_FRAME = Buffer.alloc(5);

/** One native gRPC call with exactly these headers; resolves with its grpc-status. */
function grpcCall(port: number, headers: http2.OutgoingHttpHeaders, method = GET): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const stream = session.request({ ':method': 'POST', ':path': method, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    let status: string | undefined;
    stream.on('response', (h: http2.IncomingHttpHeaders) => (status ??= h['grpc-status'] as string | undefined));
    stream.on('trailers', (t: http2.IncomingHttpHeaders) => (status = t['grpc-status'] as string | undefined));
    stream.on('error', reject);
    stream.resume();
    stream.on('close', () => {
      session.close();
      resolve(status);
    });
    stream.end(EMPTY_FRAME);
  });
}

/** One gRPC-Web call over HTTP/1.1 (node:http sends latin-1 header bytes as they are). */
function grpcWebCall(port: number, headers: http.OutgoingHttpHeaders): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: GET, agent: false, headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1', ...headers } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.headers['grpc-status'] as string | undefined));
      },
    );
    request.on('error', reject);
    request.end(EMPTY_FRAME);
  });
}

describe('a token in a malformed authorization header never reaches the logs', () => {
  let server: ChildServer;
  let gateway: ChildGateway;
  let token: string;

  beforeAll(async () => {
    const dataDir = tempDir();
    server = await startChildServer(dataDir, { LOG_LEVEL: 'debug', GRPC_TRACE: 'all', GRPC_VERBOSITY: 'DEBUG' });
    token = fs.readFileSync(path.join(dataDir, 'admin.pat'), 'utf8').trim();
    gateway = await startChildGateway(['--upstream', `127.0.0.1:${server.port}`], { LOG_LEVEL: 'debug', GRPC_TRACE: 'all', GRPC_VERBOSITY: 'DEBUG' });
  });
  afterAll(() => {
    for (const child of [gateway?.child, server?.child]) child?.kill('SIGKILL');
  });

  it('on the gRPC port, the gateway in process and the standalone gateway', async () => {
    const httpPort = Number(String(server.logs.find((l) => l['msg'] === 'serving gRPC-Web, Connect and REST')!['address']).split(':').at(-1));
    const values = [`Bearer\u00a0${token}`, `Bearer\t${token}`, `Bearer ${token}\u00e9`, `Bearer\u00a0${token}\u00a0`];
    for (const value of values) {
      // Refused, whichever way in, and the process goes on serving.
      expect(await grpcCall(server.port, { authorization: value, 'x-api-key': value })).toBe('16');
      expect(await grpcCall(server.port, { authorization: value }, HEALTH_CHECK)).toBe('0');
      expect(await grpcWebCall(httpPort, { authorization: Buffer.from(value, 'latin1').toString('latin1') })).toBe('16');
      expect(await grpcWebCall(gateway.port, { authorization: value })).toBe('16');
    }
    expect(await grpcCall(server.port, { authorization: `Bearer ${token}` })).toBe('0');

    // Stop both so every buffered line is written out, then search all of it.
    gateway.child.kill('SIGTERM');
    server.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const printed = server.output() + gateway.output();
    expect(printed).toContain('stopped');
    // grpc-js's own line still says what happened, through the service's logger, without the value.
    expect(printed).toContain('"source":"grpc-js","msg":"Failed to add metadata entry authorization: [withheld]"');
    expect(printed).not.toContain(token.slice(0, 16));
    expect(printed).not.toContain(token.slice(-16));
  });
});
