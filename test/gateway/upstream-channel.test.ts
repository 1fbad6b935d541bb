/**
 * The standalone gateway's upstream client (node:http2) against real
 * servers: the grpc-js library upstream for ordinary calls, and bare
 * node:http2 servers for what a gRPC server rarely does (trailers-only,
 * other HTTP statuses, oversized or compressed answers, GOAWAY, silence).
 */
import fs from 'node:fs';
import http2 from 'node:http2';
import type net from 'node:net';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { type UpstreamChannel, type UpstreamOptions, upstreamChannel } from '../../gateway/upstream-channel';
import { grpcTimeoutEncode } from '../../gateway/upstream/grpc-timeout';
import { httpStatusToCode } from '../../gateway/upstream/http-status-code';
import type { UnaryCallRequest } from '../../gateway/unary-call';
import { StatusSchema } from '../../gen/es/google/rpc/status_pb';
import { type LibraryUpstream, libraryDescriptorSet, startLibraryUpstream } from '../helpers/library-upstream';
import { freePort } from '../helpers/free-port';
import { grpcFrame } from '../helpers/raw-h2';
import { selfSignedCertificate } from '../helpers/self-signed';

const descriptorSet = libraryDescriptorSet();
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
const failRequest = registry.getMessage('library.v1.FailRequest')!;
const echo = registry.getMessage('library.v1.Echo')!;
const FAIL = '/library.v1.LibraryService/Fail';

const failMessage = (init: object) => toBinary(failRequest, create(failRequest, init as never));
const request = (init: object, extra: Partial<UnaryCallRequest> = {}): UnaryCallRequest => ({
  method: FAIL,
  metadata: {},
  message: failMessage(init),
  deadline: Date.now() + 5000,
  ...extra,
});
const echoedMetadata = (response: Uint8Array | undefined) =>
  (fromBinary(echo, response!) as unknown as { metadata: Record<string, string> }).metadata;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));



interface RawUpstream {
  readonly port: number;
  /** Request headers of every stream, in arrival order. */
  readonly requests: http2.IncomingHttpHeaders[];
  /** Sessions opened, and the most streams each had open at once. */
  readonly sessions: Array<{ open: number; most: number; streams: number }>;
  /** RST_STREAM codes of streams the client reset. */
  readonly resets: number[];
  stop(): Promise<void>;
}

/** A bare node:http2 server; `answer` does what the test needs with each stream. */
async function startRawUpstream(
  answer: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, session: http2.ServerHttp2Session) => void,
  settings: http2.Settings = {},
  port = 0,
): Promise<RawUpstream> {
  const requests: http2.IncomingHttpHeaders[] = [];
  const sessions: RawUpstream['sessions'] = [];
  const resets: number[] = [];
  const open = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer({ settings });
  server.on('session', (session) => {
    const count = { open: 0, most: 0, streams: 0 };
    sessions.push(count);
    open.add(session);
    session.on('close', () => open.delete(session));
    session.on('stream', (stream, headers) => {
      requests.push(headers);
      count.open++;
      count.streams++;
      count.most = Math.max(count.most, count.open);
      stream.on('close', () => {
        count.open--;
        if (stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR) resets.push(stream.rstCode);
      });
      stream.on('error', () => undefined);
      stream.resume();
      stream.on('end', () => answer(stream, headers, session));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    sessions,
    resets,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const session of open) session.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An OK answer with the message, as a gRPC server sends it. */
function answerOk(stream: http2.ServerHttp2Stream, message: Buffer = Buffer.from('ok')): void {
  if (stream.destroyed) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
  stream.end(grpcFrame(message));
}

const channels: UpstreamChannel[] = [];
const servers: Array<{ stop(): Promise<void> }> = [];
function channelTo(port: number, options: UpstreamOptions = {}): UpstreamChannel {
  const channel = upstreamChannel(`127.0.0.1:${port}`, options);
  channels.push(channel);
  return channel;
}
async function raw(...args: Parameters<typeof startRawUpstream>): Promise<RawUpstream> {
  const server = await startRawUpstream(...args);
  servers.push(server);
  return server;
}
afterEach(async () => {
  for (const channel of channels.splice(0)) channel.close();
  for (const server of servers.splice(0)) await server.stop();
});

describe('against a grpc-js server', () => {
  let upstream: LibraryUpstream;
  beforeAll(async () => {
    upstream = await startLibraryUpstream(descriptorSet);
  });
  afterAll(() => upstream.stop());

  it('carries the message, metadata out (-bin padded or not), response headers and trailers back', async () => {
    const channel = channelTo(upstream.port);
    const result = await channel.call(
      request(
        { code: 0 },
        { metadata: { authorization: 'Bearer t', 'x-padded-bin': Buffer.from('ab').toString('base64'), 'x-bare-bin': 'YWJj', 'x-bad': 'caf\u00e9' } },
      ),
    );
    expect(result.code).toBe(0);
    const seen = echoedMetadata(result.response);
    expect(seen['authorization']).toBe('Bearer t');
    expect(seen['x-padded-bin']).toBe('ab');
    expect(seen['x-bare-bin']).toBe('abc');
    expect(seen['x-bad']).toBeUndefined(); // not printable ASCII: not forwarded
    expect(seen['user-agent']).toContain('oidc-settings-gateway');
    expect(result.metadata?.['x-echo-header']).toBe('Fail');
    expect(result.metadata?.['content-type']).toBeUndefined();
    expect(result.trailers).toEqual({ 'x-echo-trailer': 'Fail' });
  });

  it('answers an error with its percent-decoded message, details and trailers, without the status fields', async () => {
    const channel = channelTo(upstream.port);
    const result = await channel.call(request({ code: 5, message: 'nicht gefunden: 100% ü', withDetails: true }));
    expect(result.code).toBe(5);
    expect(result.message).toBe('nicht gefunden: 100% ü');
    expect(fromBinary(StatusSchema, result.details!).code).toBe(5);
    expect(result.trailers).toEqual({ 'x-echo-trailer': 'Fail' });
  });

  it('ends a call past its deadline with DEADLINE_EXCEEDED, and the upstream sees it cancelled', async () => {
    const channel = channelTo(upstream.port);
    const before = upstream.cancelled.length;
    const result = await channel.call(request({ code: 0, delayMs: 2000 }, { deadline: Date.now() + 200 }));
    expect(result.code).toBe(4);
    for (let i = 0; i < 40 && upstream.cancelled.length === before; i++) await wait(25);
    expect(upstream.cancelled.length).toBe(before + 1);
  });

  it('cancels the upstream call when the caller goes away (the signal aborts)', async () => {
    const channel = channelTo(upstream.port);
    const before = upstream.cancelled.length;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const result = await channel.call(request({ code: 0, delayMs: 2000 }, { signal: controller.signal }));
    expect(result.code).toBe(1);
    for (let i = 0; i < 40 && upstream.cancelled.length === before; i++) await wait(25);
    expect(upstream.cancelled.length).toBe(before + 1);
  });

  it('reconnects after the upstream restarts on the same port, and is ready again', async () => {
    const port = await freePort();
    let restarted = await startLibraryUpstream(descriptorSet, port);
    const channel = channelTo(port);
    try {
      expect((await channel.call(request({ code: 0 }))).code).toBe(0);
      expect(channel.ready()).toBe(true);
      await restarted.stop();
      const down = await channel.call(request({ code: 0 }));
      expect(down.code).toBe(14);
      expect(down.message).toContain(`upstream 127.0.0.1:${port} unavailable`);
      restarted = await startLibraryUpstream(descriptorSet, port);
      let code = -1;
      for (let attempt = 0; attempt < 50 && code !== 0; attempt++) {
        code = (await channel.call(request({ code: 0 }))).code;
        if (code !== 0) await wait(100);
      }
      expect(code).toBe(0);
      expect(channel.ready()).toBe(true);
    } finally {
      channel.close();
      await restarted.stop();
    }
  });
});

describe('what it sends', () => {
  it('sends the gRPC request headers, the deadline as grpc-timeout, and asks for no compression', async () => {
    const upstream = await raw((stream) => answerOk(stream));
    const channel = channelTo(upstream.port, { userAgent: 'gateway-under-test/1' });
    expect((await channel.call(request({}, { deadline: Date.now() + 1500 }))).code).toBe(0);
    const headers = upstream.requests[0]!;
    expect(headers[':method']).toBe('POST');
    expect(headers[':path']).toBe(FAIL);
    expect(headers[':authority']).toBe(`127.0.0.1:${upstream.port}`);
    expect(headers['content-type']).toBe('application/grpc');
    expect(headers['te']).toBe('trailers');
    expect(headers['user-agent']).toBe('gateway-under-test/1');
    expect(headers['grpc-accept-encoding']).toBe('identity');
    const timeout = /^(\d+)m$/.exec(String(headers['grpc-timeout']));
    expect(Number(timeout?.[1])).toBeGreaterThan(1000);
    expect(Number(timeout?.[1])).toBeLessThanOrEqual(1500);
  });

  it.each([
    [1, '1m'],
    [1234.2, '1235m'],
    [99_999_999, '99999999m'],
    [100_000_000, '100000S'],
    [0, '1m'],
    [-5, '1m'],
  ])('grpc-timeout for %p ms is %p', (ms, encoded) => {
    expect(grpcTimeoutEncode(ms)).toBe(encoded);
  });
});

describe('odd answers', () => {
  it('reads a trailers-only answer (the status in the only HEADERS frame)', async () => {
    const upstream = await raw((stream) =>
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '7', 'grpc-message': 'not%20for%20you', 'x-why': 'policy' },
        { endStream: true },
      ),
    );
    const result = await channelTo(upstream.port).call(request({}));
    expect(result).toMatchObject({ code: 7, message: 'not for you', trailers: { 'x-why': 'policy' } });
  });

  it.each([
    [503, 14],
    [404, 12],
    [401, 16],
    [502, 14],
  ])('maps HTTP %p with no grpc-status to code %p', async (httpStatus, code) => {
    const upstream = await raw((stream) => {
      stream.respond({ ':status': httpStatus, 'content-type': 'text/plain' });
      stream.end('no');
    });
    const result = await channelTo(upstream.port).call(request({}));
    expect(result.code).toBe(code);
    expect(result.message).toContain(`HTTP ${httpStatus}`);
  });

  it.each([
    [400, 13],
    [403, 7],
    [429, 14],
    [504, 14],
    [500, 2],
    [200, 2],
  ])('HTTP %p maps to code %p (the gRPC spec table)', (httpStatus, code) => {
    expect(httpStatusToCode(httpStatus)).toBe(code);
  });

  it('answers UNKNOWN when the upstream answers 200 with a content type that is not gRPC', async () => {
    const upstream = await raw((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/html' });
      stream.end('<html></html>');
    });
    const result = await channelTo(upstream.port).call(request({}));
    expect(result.code).toBe(2);
    expect(result.message).toContain('text/html');
  });

  it('refuses a response message over the limit with RESOURCE_EXHAUSTED and resets the stream', async () => {
    const upstream = await raw((stream) => answerOk(stream, Buffer.alloc(200_000, 1)));
    const result = await channelTo(upstream.port, { maxResponseBytes: 1024 }).call(request({}));
    expect(result.code).toBe(8);
    for (let i = 0; i < 40 && upstream.resets.length === 0; i++) await wait(25);
    expect(upstream.resets).toEqual([http2.constants.NGHTTP2_CANCEL]);
  });

  it('treats a compressed message it did not ask for as INTERNAL', async () => {
    const upstream = await raw((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(grpcFrame(Buffer.from('not really gzip'), true));
    });
    const result = await channelTo(upstream.port).call(request({}));
    expect(result.code).toBe(13);
  });

  it('ends a call the upstream never answers at its deadline, resetting the stream (CANCEL)', async () => {
    const upstream = await raw(() => undefined);
    const started = Date.now();
    const result = await channelTo(upstream.port).call(request({}, { deadline: Date.now() + 300 }));
    expect(result.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(2000);
    for (let i = 0; i < 40 && upstream.resets.length === 0; i++) await wait(25);
    expect(upstream.resets).toEqual([http2.constants.NGHTTP2_CANCEL]);
  });
});

describe('sessions', () => {
  it('spreads calls over the pooled sessions, opened as calls come', async () => {
    const held: http2.ServerHttp2Stream[] = [];
    let hold = false;
    const upstream = await raw((stream) => (hold ? held.push(stream) : answerOk(stream)));
    const channel = channelTo(upstream.port, { sessions: 3 });
    for (let i = 0; i < 20 && upstream.sessions.length < 3; i++) {
      expect((await channel.call(request({}))).code).toBe(0);
      await wait(10);
    }
    expect(upstream.sessions.length).toBe(3);
    hold = true;
    const calls = Array.from({ length: 6 }, () => channel.call(request({})));
    for (let i = 0; i < 40 && held.length < 6; i++) await wait(25);
    expect(upstream.sessions.map((s) => s.open)).toEqual([2, 2, 2]);
    for (const stream of held) answerOk(stream);
    expect((await Promise.all(calls)).map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("keeps within the server's SETTINGS_MAX_CONCURRENT_STREAMS", async () => {
    const upstream = await raw((stream) => setTimeout(() => answerOk(stream), 50), { maxConcurrentStreams: 1 });
    const channel = channelTo(upstream.port, { sessions: 1 });
    expect((await channel.call(request({}))).code).toBe(0); // connected, SETTINGS known
    const results = await Promise.all(Array.from({ length: 4 }, () => channel.call(request({}))));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(upstream.sessions[0]!.most).toBe(1);
  });

  it('lets a call in flight on a session that got GOAWAY finish, and opens another session for the next', async () => {
    let first: http2.ServerHttp2Stream | undefined;
    const upstream = await raw((stream, _headers, session) => {
      if (first === undefined) {
        first = stream;
        session.goaway(http2.constants.NGHTTP2_NO_ERROR, stream.id);
        setTimeout(() => answerOk(stream, Buffer.from('after goaway')), 100);
      } else answerOk(stream);
    });
    const channel = channelTo(upstream.port, { sessions: 1 });
    const inFlight = await channel.call(request({}));
    expect(inFlight.code).toBe(0);
    expect(Buffer.from(inFlight.response!).subarray(0).toString()).toBe('after goaway');
    expect((await channel.call(request({}))).code).toBe(0);
    expect(upstream.sessions.length).toBe(2);
  });

  it('fails fast with UNAVAILABLE naming the upstream while it is down, and is not ready', async () => {
    const port = await freePort();
    const channel = channelTo(port);
    const first = await channel.call(request({}));
    expect(first.code).toBe(14);
    expect(first.message).toContain(`upstream 127.0.0.1:${port} unavailable`);
    const started = Date.now();
    const again = await channel.call(request({}));
    expect(again.code).toBe(14);
    expect(Date.now() - started).toBeLessThan(50); // backing off: no attempt
    expect(channel.ready()).toBe(false);
  });

  it('counts as ready while idle after a connection that worked, not before', async () => {
    let server: RawUpstream | undefined = await raw((stream) => answerOk(stream));
    const channel = channelTo(server.port);
    expect(channel.ready()).toBe(false); // asking starts connecting
    for (let i = 0; i < 40 && !channel.ready(); i++) await wait(25);
    expect(channel.ready()).toBe(true);
    // The upstream drops the idle connection (as MAX_CONNECTION_IDLE would): still reachable.
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    server = undefined;
    await wait(50);
    expect(channel.ready()).toBe(true);
  });
});

describe('TLS', () => {
  const { keyFile, certFile, ca } = selfSignedCertificate('upstream-tls-');

  async function tlsUpstream(): Promise<{ port: number; stop(): Promise<void> }> {
    const server = http2.createSecureServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) });
    server.on('stream', (stream) => {
      stream.resume();
      stream.on('end', () => answerOk(stream, Buffer.from('over tls')));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
    servers.push({ stop });
    return { port: (server.address() as net.AddressInfo).port, stop };
  }

  it('dials over TLS with a CA file and a server name override (ALPN h2)', async () => {
    const upstream = await tlsUpstream();
    const result = await channelTo(upstream.port, { ca, serverName: 'localhost' }).call(request({}));
    expect(result.code).toBe(0);
    expect(Buffer.from(result.response!).toString()).toBe('over tls');
  });

  it('refuses an upstream whose certificate it does not trust (UNAVAILABLE)', async () => {
    const upstream = await tlsUpstream();
    const result = await channelTo(upstream.port, { tls: true, serverName: 'localhost' }).call(request({}));
    expect(result.code).toBe(14);
    expect(result.message).toContain(`upstream 127.0.0.1:${upstream.port} unavailable`);
  });
});
