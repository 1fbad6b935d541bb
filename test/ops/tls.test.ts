/**
 * TLS: with a certificate configured, gRPC is served over TLS and the
 * gateway over HTTPS with HTTP/2 (ALPN) and HTTP/1.1; the standalone gateway
 * dials a TLS upstream with a CA file. The certificate is made at test time.
 */
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { compressionGzip, createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { AdminService } from '../../gen/es/zitadel/admin_pb';
import { improbableCaller } from '../helpers/protocols';
import { type ChildGateway, runChildServer, startChildGateway } from '../helpers/child-server';
import { selfSignedCertificate } from '../helpers/self-signed';
import { type TestServer, startTestServer, tempDir } from '../helpers/server';

const { certFile, keyFile, ca } = selfSignedCertificate('tls-');

let server: TestServer;
let base: string;
beforeAll(async () => {
  server = await startTestServer({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
  base = `https://localhost:${server.server.http.port}`;
});
afterAll(() => server.stop());

const auth = () => ({ authorization: `Bearer ${server.adminToken}` });

/** One request on an HTTP/2 session: its status and its body as text. */
function h2Call(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let status = 0;
    let text = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream.on('end', () => resolve({ status, body: text }));
    stream.on('error', reject);
    stream.end(body);
  });
}

it('serves gRPC over TLS', async () => {
  const client = new grpc.Client(`localhost:${server.grpcPort}`, grpc.credentials.createSsl(ca));
  const metadata = new grpc.Metadata();
  metadata.set('authorization', auth().authorization);
  const bytes = await new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest('/zitadel.admin.v1.AdminService/GetOIDCSettings', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), metadata, (e, r) =>
      e ? reject(e) : resolve(r!),
    ),
  );
  client.close();
  expect(bytes.length).toBeGreaterThan(20);
  const plain = new grpc.Client(`localhost:${server.grpcPort}`, grpc.credentials.createInsecure());
  const refused = await new Promise<grpc.ServiceError | null>((resolve) =>
    plain.makeUnaryRequest('/zitadel.admin.v1.AdminService/GetOIDCSettings', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), metadata, { deadline: Date.now() + 2000 }, (e) => resolve(e)),
  );
  plain.close();
  expect(refused?.code).toBe(grpc.status.UNAVAILABLE);
});

it('serves REST over HTTPS with HTTP/1.1', async () => {
  const { status, alpn } = await new Promise<{ status: number; alpn: string | false | null }>((resolve, reject) => {
    const request = https.request(`${base}/admin/v1/settings/oidc`, { ca, headers: auth(), agent: false }, (response) => {
      response.resume();
      resolve({ status: response.statusCode!, alpn: (response.socket as unknown as { alpnProtocol: string | false }).alpnProtocol });
    });
    request.on('error', reject);
    request.end();
  });
  expect(status).toBe(200);
  expect(alpn === false || alpn === 'http/1.1').toBe(true);
});

it('serves REST over HTTP/2, negotiated by ALPN', async () => {
  const session = http2.connect(base, { ca });
  const { status, body } = await h2Call(session, { ':path': '/admin/v1/settings/oidc', ...auth() });
  expect(session.alpnProtocol).toBe('h2');
  session.close();
  expect(status).toBe(200);
  expect(JSON.parse(body)).toHaveProperty('settings.accessTokenLifetime', '43200s');
});

it.each(['2', '1.1'] as const)('serves gRPC-Web over HTTPS with HTTP/%s (Connect)', async (httpVersion) => {
  const client = createClient(AdminService, createGrpcWebTransport({ baseUrl: base, httpVersion, nodeOptions: { ca } }));
  const response = await client.getOIDCSettings({}, { headers: auth() });
  expect(response.settings?.details?.resourceOwner).toBe(server.server.instanceId);
});

it.each([
  ['2', false],
  ['2', true],
  ['1.1', false],
] as const)('serves Connect over HTTPS with HTTP/%s (binary: %s), gzipped requests included', async (httpVersion, useBinaryFormat) => {
  const transport = createConnectTransport({ baseUrl: base, httpVersion, useBinaryFormat, nodeOptions: { ca }, sendCompression: compressionGzip, compressMinBytes: 0 });
  const client = createClient(AdminService, transport);
  const response = await client.getOIDCSettings({}, { headers: auth() });
  expect(response.settings?.details?.resourceOwner).toBe(server.server.instanceId);
  const refused = await client.getOIDCSettings({}).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e).code,
  );
  expect(refused).toBe(Code.Unauthenticated);
});

it('serves gRPC-Web text over HTTP/2 (raw frames, base64 both ways)', async () => {
  const session = http2.connect(base, { ca });
  const headers = {
    ':method': 'POST',
    ':path': '/zitadel.admin.v1.AdminService/GetOIDCSettings',
    'content-type': 'application/grpc-web-text',
    accept: 'application/grpc-web-text',
    'x-grpc-web': '1',
    ...auth(),
  };
  const { status, body } = await h2Call(session, headers, Buffer.alloc(5).toString('base64'));
  session.close();
  expect(status).toBe(200);
  // Each frame is base64 on its own: decode chunk by chunk at the padding.
  const bytes = Buffer.concat((body.match(/[^=]+=*/g) ?? []).map((chunk) => Buffer.from(chunk, 'base64')));
  expect(bytes[0]).toBe(0);
  const length = bytes.readUInt32BE(1);
  const trailer = bytes.subarray(5 + length);
  expect(trailer[0]).toBe(0x80);
  expect(trailer.subarray(5).toString()).toMatch(/^grpc-status: ?0\r\n/);
});

it('serves gRPC-Web over HTTPS to improbable-eng (Node transport)', async () => {
  const saved = https.globalAgent.options.ca;
  https.globalAgent.options.ca = ca;
  try {
    const result = await improbableCaller({ grpcPort: 0, httpPort: server.server.http.port, scheme: 'https', host: 'localhost' })(
      'getOIDCSettings',
      {},
      server.adminToken,
    );
    expect(result.code).toBe(0);
  } finally {
    https.globalAgent.options.ca = saved;
  }
});

describe('standalone gateway dialing a TLS upstream with a CA file', () => {
  let gateway: ChildGateway;
  beforeAll(async () => {
    gateway = await startChildGateway(['--upstream', `localhost:${server.grpcPort}`, '--upstream-ca-file', certFile]);
  });
  afterAll(async () => {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  });

  it('forwards calls over TLS', async () => {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/admin/v1/settings/oidc`, { headers: auth() });
    expect(response.status).toBe(200);
  });

  it('is ready (/readyz) once the upstream is reachable', async () => {
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await fetch(`http://127.0.0.1:${gateway.port}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});

describe('standalone gateway serving HTTPS itself, in front of the TLS upstream', () => {
  let gateway: ChildGateway;
  beforeAll(async () => {
    gateway = await startChildGateway([
      '--upstream', `localhost:${server.grpcPort}`, '--upstream-ca-file', certFile,
      '--tls-cert-file', certFile, '--tls-key-file', keyFile,
    ]);
  });
  afterAll(async () => {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  });

  it('answers REST over HTTP/2 (ALPN) and gRPC-Web over HTTP/1.1', async () => {
    const session = http2.connect(`https://localhost:${gateway.port}`, { ca });
    const { status } = await h2Call(session, { ':path': '/admin/v1/settings/oidc', ...auth() });
    expect(session.alpnProtocol).toBe('h2');
    session.close();
    expect(status).toBe(200);
    const web = await new Promise<{ status: number; alpn: unknown; body: Buffer }>((resolve, reject) => {
      const request = https.request(
        `https://localhost:${gateway.port}/zitadel.admin.v1.AdminService/GetOIDCSettings`,
        { method: 'POST', ca, agent: false, headers: { ...auth(), 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode!, alpn: (response.socket as unknown as { alpnProtocol: unknown }).alpnProtocol, body: Buffer.concat(chunks) }),
          );
        },
      );
      request.on('error', reject);
      request.end(Buffer.alloc(5));
    });
    expect(web.status).toBe(200);
    expect(web.alpn === false || web.alpn === 'http/1.1').toBe(true);
    expect(web.body.subarray(5 + web.body.readUInt32BE(1) + 5).toString()).toMatch(/^grpc-status: ?0\r\n/);
  });
});

it('refuses to start with a TLS file missing, naming the setting', async () => {
  const result = await runChildServer(tempDir(), { TLS_CERT_FILE: path.join(path.dirname(certFile), 'missing.pem'), TLS_KEY_FILE: keyFile });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('TLS_CERT_FILE');
  const half = await runChildServer(tempDir(), { TLS_CERT_FILE: certFile });
  expect(half.code).toBe(2);
  expect(half.stderr).toContain('TLS_KEY_FILE');
});
