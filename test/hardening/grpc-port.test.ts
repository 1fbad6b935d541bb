/**
 * The native gRPC port under clients that misbehave: oversized headers,
 * connections kept open or never used, more connections than allowed,
 * HTTP methods other than POST, and malformed requests (issue 10).
 */
import http2 from 'node:http2';
import path from 'node:path';
import Database from 'better-sqlite3';
import { create, toBinary } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { UpdateOIDCSettingsRequestSchema } from '../../gen/es/zitadel/admin_pb';
import { type TestServer, startTestServer } from '../helpers/server';
import { FrameType, PREFACE, type H2Answer, frame, grpcFrame, grpcStatusOf, h2Request, rawConnection, sendOversizedHeader } from '../helpers/raw-h2';
import { within } from '../helpers/within';

const UPDATE = '/zitadel.admin.v1.AdminService/UpdateOIDCSettings';
const GRPC = { INVALID_ARGUMENT: 3, INTERNAL: 13 } as const;

function connect(port: number): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    session.once('remoteSettings', () => resolve(session));
    session.once('error', reject);
  });
}

const closedOf = (session: http2.ClientHttp2Session) => new Promise<void>((resolve) => session.once('close', () => resolve()));

describe('connections on the gRPC port', () => {
  let server: TestServer;
  beforeAll(async () => {
    // A short idle time stands for the default's minutes; the cap is small enough to reach.
    server = await startTestServer({ GRPC_IDLE_TIMEOUT: '1s', GRPC_MAX_CONNECTIONS: '4' });
  });
  afterAll(() => server.stop());

  it('closes a connection that got GOAWAY for an oversized header, though the client keeps it open', async () => {
    const connection = await sendOversizedHeader(server.grpcPort, '/grpc.health.v1.Health/Check', 400_000);
    await within(connection.closed, 10_000, 'the server closes the socket');
    expect(connection.received()).toContain(FrameType.GOAWAY);
  });

  it('closes a connection that stays idle', async () => {
    const session = await connect(server.grpcPort);
    const closed = closedOf(session);
    const answer = await h2Request(session, { ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc' }, grpcFrame(new Uint8Array()));
    expect(grpcStatusOf(answer)).toBe(0);
    await within(closed, 10_000, 'the idle connection is closed');
  });

  it('cuts a connection that never starts HTTP/2', async () => {
    const connection = await rawConnection(server.grpcPort);
    await within(connection.closed, 10_000, 'the silent connection is cut');
  });

  it('refuses connections past GRPC_MAX_CONNECTIONS and takes new ones once some close', async () => {
    const sessions = await Promise.all([1, 2, 3, 4].map(() => connect(server.grpcPort)));
    try {
      expect(server.server.grpc.connections()).toBe(4);
      const fifth = await rawConnection(server.grpcPort);
      fifth.socket.write(PREFACE);
      fifth.socket.write(frame(FrameType.SETTINGS, 0, 0));
      await within(fifth.closed, 10_000, 'the fifth connection is refused');
      expect(fifth.received()).toEqual([]);
    } finally {
      await Promise.all(sessions.map((s) => (s.destroy(), closedOf(s))));
    }
    // Closing is seen by the server a moment later; a new connection is then served.
    const again = await within(retryConnect(server.grpcPort), 10_000, 'a connection is taken again');
    again.close();
  });
});

/** Connects until the server accepts (it may not have seen the previous closes yet). */
async function retryConnect(port: number): Promise<http2.ClientHttp2Session> {
  for (;;) {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    const outcome = await new Promise<'ok' | 'closed'>((resolve) => {
      session.once('remoteSettings', () => resolve('ok'));
      session.once('close', () => resolve('closed'));
    });
    if (outcome === 'ok') return session;
  }
}

describe('HTTP methods and content types on the gRPC port', () => {
  let server: TestServer;
  let session: http2.ClientHttp2Session;
  beforeAll(async () => {
    server = await startTestServer();
    session = await connect(server.grpcPort);
  });
  afterAll(async () => {
    session.close();
    await server.stop();
  });

  // Each request asks for different lifetimes, so each one that runs appends an event.
  let requests = 0;
  const body = () => {
    const hours = (n: number) => create(DurationSchema, { seconds: BigInt(n * 3600) });
    const request = create(UpdateOIDCSettingsRequestSchema, {
      accessTokenLifetime: hours(1 + ++requests),
      idTokenLifetime: hours(1),
      refreshTokenIdleExpiration: hours(24),
      refreshTokenExpiration: hours(48),
    });
    return grpcFrame(toBinary(UpdateOIDCSettingsRequestSchema, request));
  };
  const eventCount = () => {
    const db = new Database(path.join(server.dataDir, 'oidc-settings.db'), { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  const call = (method: string, contentType = 'application/grpc'): Promise<H2Answer> =>
    h2Request(
      session,
      { ':method': method, ':path': UPDATE, 'content-type': contentType, authorization: `Bearer ${server.adminToken}`, te: 'trailers' },
      method === 'HEAD' || method === 'GET' ? undefined : body(),
    );

  it.each(['HEAD', 'GET', 'PUT', 'DELETE', 'PATCH'])('%s is answered 405 with allow: POST, and runs nothing', async (method) => {
    const before = eventCount();
    const answer = await call(method);
    expect(answer.status).toBe(405);
    expect(answer.headers['allow']).toBe('POST');
    expect(eventCount()).toBe(before);
  });

  it.each(['text/plain', 'application/grpc-web', 'application/grpc+json', 'application/grpcx'])('POST as %s is answered 415, and runs nothing', async (type) => {
    const before = eventCount();
    const answer = await call('POST', type);
    expect(answer.status).toBe(415);
    expect(eventCount()).toBe(before);
  });

  it.each(['application/grpc', 'application/grpc+proto', 'application/grpc; charset=utf-8'])('POST as %s runs the write', async (type) => {
    const before = eventCount();
    const answer = await call('POST', type);
    expect(grpcStatusOf(answer)).toBe(0);
    expect(eventCount()).toBe(before + 1);
  });
});

describe('malformed requests on the gRPC port are INVALID_ARGUMENT, not INTERNAL', () => {
  let server: TestServer;
  let session: http2.ClientHttp2Session;
  beforeAll(async () => {
    server = await startTestServer();
    session = await connect(server.grpcPort);
  });
  afterAll(async () => {
    session.close();
    await server.stop();
  });

  // Not a protobuf message: a tag with field number 0 and wire type 7, neither of which exists.
  const garbage = Buffer.from([0x07]);
  const post = (path: string, message: Buffer, extra: http2.OutgoingHttpHeaders = {}) =>
    h2Request(
      session,
      { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${server.adminToken}`, ...extra },
      message,
    );

  it.each(['abc', '', '1', '123456789S', '-1S', '1.5S', '10x'])('grpc-timeout %j', async (timeout) => {
    const answer = await post('/grpc.health.v1.Health/Check', grpcFrame(new Uint8Array()), { 'grpc-timeout': timeout });
    expect(grpcStatusOf(answer)).toBe(GRPC.INVALID_ARGUMENT);
  });

  it('a valid grpc-timeout still works', async () => {
    const answer = await post('/grpc.health.v1.Health/Check', grpcFrame(new Uint8Array()), { 'grpc-timeout': '5S' });
    expect(grpcStatusOf(answer)).toBe(0);
  });

  it.each([
    '/grpc.health.v1.Health/Check',
    '/grpc.health.v1.Health/Watch',
    '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
    '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
    UPDATE,
    '/zitadel.admin.v1.AdminService/GetOIDCSettings',
    '/zitadel.admin.v1.AdminService/AddOIDCSettings',
  ])('an undecodable body to %s', async (method) => {
    const answer = await post(method, grpcFrame(garbage));
    expect(grpcStatusOf(answer)).toBe(GRPC.INVALID_ARGUMENT);
  });

  it('reflection still answers a valid request', async () => {
    // ServerReflectionRequest{list_services: "*"} (field 7).
    const answer = await post('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', grpcFrame(Buffer.from([0x3a, 0x01, 0x2a])));
    expect(grpcStatusOf(answer)).toBe(0);
    expect(answer.body.includes(Buffer.from('zitadel.admin.v1.AdminService'))).toBe(true);
  });

  // What grpc-js answers for broken framing; none of it may be INTERNAL. It
  // reads a compressed flag without grpc-encoding as identity (then the
  // message decodes or is INVALID_ARGUMENT), an unknown encoding is
  // UNIMPLEMENTED and a message over the limit RESOURCE_EXHAUSTED (both as
  // doc/statuscodes.md names them), a truncated message UNIMPLEMENTED
  // ("Received no request message").
  it.each([
    ['the compressed flag without grpc-encoding', grpcFrame(Buffer.from([0x08, 0x01]), true), {}],
    ['an unknown grpc-encoding', grpcFrame(Buffer.from([0x08, 0x01]), true), { 'grpc-encoding': 'br0ken' }],
    ['a length prefix past the end of the body', grpcFrame(Buffer.from([0x08]), false, 100), {}],
    ['a body shorter than a length prefix', Buffer.from([0, 0, 0]), {}],
    ['a length prefix past GRPC_MAX_RECEIVE_BYTES', grpcFrame(Buffer.from([0x08]), false, 1 << 30), {}],
  ] as const)('%s', async (_, message, extra) => {
    for (const method of ['/grpc.health.v1.Health/Check', UPDATE]) {
      const answer = await post(method, message, extra);
      expect(grpcStatusOf(answer)).not.toBe(GRPC.INTERNAL);
    }
  });

  it('gzip that does not inflate is INTERNAL, as doc/statuscodes.md names "could not decompress but compression algorithm supported"', async () => {
    // Health is grpc-js's; Update is answered on the stream by the service itself: both say the same.
    for (const method of ['/grpc.health.v1.Health/Check', UPDATE]) {
      const answer = await post(method, grpcFrame(Buffer.from('not gzip'), true), { 'grpc-encoding': 'gzip' });
      expect(grpcStatusOf(answer)).toBe(GRPC.INTERNAL);
    }
  });
});
