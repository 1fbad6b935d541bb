/**
 * gzip on every protocol: compressed requests are read, their decompressed
 * size is bounded (a gzip bomb is refused and the server keeps serving),
 * encodings not offered are refused by name, and answers are gzipped only
 * for a client that takes gzip and only from compressMinBytes up.
 *
 * Native gRPC is grpc-js's server (src/grpc/server.ts), which reads gzip
 * itself and never compresses answers; gRPC-Web, Connect and REST are the gateway
 * (gateway/compression.ts). What travelled is read off the wire: an HTTP tap
 * on the gateway's server (test/helpers/http-tap.ts) and a TCP relay on the
 * gRPC port that reads each request's compressed flag (test/helpers/h2-tap.ts),
 * so a client that quietly stopped compressing would fail these tests too.
 */
import http2 from 'node:http2';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { grpc as improbable } from '@improbable-eng/grpc-web';
import { NodeHttpTransport } from '@improbable-eng/grpc-web-node-http-transport';
import {
  type DescMessage,
  type DescMethod,
  type JsonObject,
  type JsonValue,
  type MessageShape,
  create,
  createFileRegistry,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
} from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type Transport, createClient } from '@connectrpc/connect';
import { Http2SessionManager, compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { type GatewayServer, createGateway, startGatewayServer } from '../../gateway/server';
import { type UpstreamChannel, upstreamChannel } from '../../gateway/upstream-channel';
import { base64Decode } from '../../gateway/grpc-web/base64';
import { trailerParse } from '../../gateway/grpc-web/trailer';
import { AdminService, GetOIDCSettingsResponseSchema, UpdateOIDCSettingsRequestSchema } from '../../gen/es/zitadel/admin_pb';
import { type LibraryUpstream, libraryDescriptorSet, startLibraryUpstream } from '../helpers/library-upstream';
import { improbableMethod } from '../helpers/protocols';
import { type TestServer, issueToken, startTestServer } from '../helpers/server';
import { type RawResponse, rawRequest } from '../helpers/raw-http';
import { type H2Answer, grpcFrame, grpcStatusOf, h2Request } from '../helpers/raw-h2';
import { type HttpTap, tapHttp } from '../helpers/http-tap';
import { type H2Tap, startH2Tap } from '../helpers/h2-tap';

const gzip = (bytes: Uint8Array | string) => zlib.gzipSync(bytes);
/** 10 MiB of zeros: about 10 KB gzipped, under every body limit here, far over every message limit. */
const BOMB = gzip(Buffer.alloc(10 * 1024 * 1024));
/** A request message that gzips to almost nothing: a real client sends this one. */
const HUGE_PATH = 'a'.repeat(1024 * 1024);
/** The gateway's default compressMinBytes. */
const MIN = 1024;
/** Whether bytes begin with gzip's magic number (RFC 1952 §2.3.1). */
const isGzip = (bytes: Buffer): boolean => bytes[0] === 0x1f && bytes[1] === 0x8b;
/** Whether a gRPC-Web request body is one frame flagged compressed whose payload is gzip. */
const isGzipFrame = (body: Buffer): boolean => body[0] === 1 && isGzip(body.subarray(5));

// ---------------------------------------------------------------------------
// The test-only library service: its methods echo their request, so an
// answer is as large as the request makes it.

const descriptorSet = libraryDescriptorSet();
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
const library = registry.getService('library.v1.LibraryService')!;
const Echo = registry.getMessage('library.v1.Echo')!;
const GetFile = library.methods.find((m) => m.name === 'GetFile')!;
const GET_FILE = '/library.v1.LibraryService/GetFile';

const getFileRequest = (path: string): Buffer => Buffer.from(toBinary(GetFile.input, create(GetFile.input, { path })));
/** The path an Echo answer says the upstream received. */
const echoedPath = (message: Uint8Array): string | undefined =>
  (toJson(Echo, fromBinary(Echo, message)) as { getFile?: { path?: string } }).getFile?.path;

interface WebAnswer {
  readonly status: number;
  readonly headers: RawResponse['headers'];
  /** The flag byte of the data frame. */
  readonly flags?: number;
  /** The data frame's payload as sent. */
  readonly wire?: Buffer;
  /** The message, gunzipped when the frame says it is compressed. */
  readonly message?: Buffer;
  readonly trailers?: Record<string, string>;
}

function webAnswer(response: RawResponse, text: boolean): WebAnswer {
  let bytes = text ? base64Decode(response.body.toString('latin1')) : response.body;
  let answer: WebAnswer = { status: response.status, headers: response.headers };
  while (bytes.length >= 5) {
    const flags = bytes[0]!;
    const payload = bytes.subarray(5, 5 + bytes.readUInt32BE(1));
    if (flags & 0x80) answer = { ...answer, trailers: trailerParse(payload) };
    else answer = { ...answer, flags, wire: payload, message: flags & 1 ? zlib.gunzipSync(payload) : payload };
    bytes = bytes.subarray(5 + payload.length);
  }
  return answer;
}

/** One gRPC-Web call by hand: `frame` is the whole body (one message frame), base64 in text mode. */
async function grpcWebPost(port: number, path: string, frame: Buffer, headers: Record<string, string> = {}, text = false): Promise<WebAnswer> {
  const response = await rawRequest(port, {
    method: 'POST',
    path,
    headers: { 'content-type': text ? 'application/grpc-web-text' : 'application/grpc-web+proto', 'x-grpc-web': '1', ...headers },
    body: text ? frame.toString('base64') : frame,
  });
  return webAnswer(response, text);
}

/** One Connect unary POST by hand. */
const connectPost = (port: number, path: string, body: Buffer, headers: Record<string, string>): Promise<RawResponse> =>
  rawRequest(port, { method: 'POST', path, headers, body });

/** The body of a Connect answer, gunzipped when it says it is gzip. */
const connectBody = (response: RawResponse): Buffer =>
  response.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(response.body) : response.body;

type Unary = (request: object, options?: { headers?: Record<string, string> }) => Promise<MessageShape<DescMessage>>;
/** A method of a client built from a runtime descriptor, by its local name. */
const methodOf = (transport: Transport, service: typeof library, name: string): Unary =>
  (createClient(service, transport) as unknown as Record<string, Unary>)[name]!;

/** Whatever a call threw, as a ConnectError. */
const failure = (promise: Promise<unknown>): Promise<ConnectError> =>
  promise.then(
    () => {
      throw new Error('the call succeeded');
    },
    (error: unknown) => ConnectError.from(error),
  );

/** @improbable-eng/grpc-web's unary call on a @bufbuild method, in the google-protobuf shape it expects. */
function improbableUnary(
  port: number,
  method: DescMethod,
  request: JsonObject,
): Promise<{ status: number; json?: JsonValue; headers: improbable.Metadata }> {
  const descriptor = improbableMethod(method, request);
  return new Promise((resolve) => {
    improbable.unary(descriptor, {
      host: `http://127.0.0.1:${port}`,
      request: new descriptor.requestType(),
      transport: NodeHttpTransport(),
      onEnd: (output) =>
        resolve({ status: output.status, json: output.message ? (output.message.toObject() as JsonValue) : undefined, headers: output.headers }),
    });
  });
}

// ---------------------------------------------------------------------------

describe('gateway in front of the library upstream', () => {
  let upstream: LibraryUpstream;
  let channel: UpstreamChannel;
  /** compressMinBytes left at its default (1024). */
  let gateway: GatewayServer;
  /** compressMinBytes: 0. */
  let eager: GatewayServer;
  let tap: HttpTap;
  let port: number;

  beforeAll(async () => {
    upstream = await startLibraryUpstream(descriptorSet);
    channel = upstreamChannel(`127.0.0.1:${upstream.port}`);
    const options = { call: channel.call, descriptorSet, mounts: {}, cors: { origins: '*' as const, maxAgeSeconds: 60 }, maxBodyBytes: 65536 };
    gateway = await startGatewayServer(createGateway(options), { host: '127.0.0.1', port: 0 });
    eager = await startGatewayServer(createGateway({ ...options, compressMinBytes: 0 }), { host: '127.0.0.1', port: 0 });
    tap = tapHttp(gateway.server);
    port = gateway.port;
  });
  afterAll(async () => {
    tap?.stop();
    await gateway?.close();
    await eager?.close();
    channel?.close();
    await upstream?.stop();
  });
  beforeEach(() => tap.clear());

  describe('gRPC-Web by hand', () => {
    it('reads a gzipped message frame (flag 1, grpc-encoding: gzip)', async () => {
      const r = await grpcWebPost(port, GET_FILE, grpcFrame(gzip(getFileRequest('x/compressed')), true), { 'grpc-encoding': 'gzip' });
      expect(r.status).toBe(200);
      expect(r.trailers?.['grpc-status']).toBe('0');
      expect(echoedPath(r.message!)).toBe('x/compressed');
    });

    it('reads an uncompressed frame under grpc-encoding: gzip as it is (the flag says, per message)', async () => {
      const r = await grpcWebPost(port, GET_FILE, grpcFrame(getFileRequest('x/plain')), { 'grpc-encoding': 'gzip' });
      expect(r.trailers?.['grpc-status']).toBe('0');
      expect(echoedPath(r.message!)).toBe('x/plain');
    });

    it('reads a gzipped frame in text mode (application/grpc-web-text)', async () => {
      const r = await grpcWebPost(port, GET_FILE, grpcFrame(gzip(getFileRequest('x/text')), true), { 'grpc-encoding': 'gzip' }, true);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/grpc-web-text+proto');
      expect(r.trailers?.['grpc-status']).toBe('0');
      expect(echoedPath(r.message!)).toBe('x/text');
    });

    it.each([false, true])('refuses a gzip bomb with 413 and grpc-status 8, then serves the next call (text mode: %s)', async (text) => {
      const r = await grpcWebPost(port, GET_FILE, grpcFrame(BOMB, true), { 'grpc-encoding': 'gzip' }, text);
      expect(r.status).toBe(413);
      expect(r.headers['grpc-status']).toBe('8');
      expect(decodeURIComponent(String(r.headers['grpc-message']))).toContain('larger than the limit of 65536 bytes once decompressed');
      const next = await grpcWebPost(port, GET_FILE, grpcFrame(gzip(getFileRequest('after/bomb')), true), { 'grpc-encoding': 'gzip' }, text);
      expect(echoedPath(next.message!)).toBe('after/bomb');
    });

    it.each([
      ['bytes that are not gzip', grpcFrame(Buffer.from('not gzip at all'), true), { 'grpc-encoding': 'gzip' }],
      ['a truncated gzip stream', grpcFrame(gzip(getFileRequest('x')).subarray(0, 12), true), { 'grpc-encoding': 'gzip' }],
      ['a compressed flag without grpc-encoding', grpcFrame(gzip(getFileRequest('x')), true), {}],
      ['a compressed flag under grpc-encoding: identity', grpcFrame(gzip(getFileRequest('x')), true), { 'grpc-encoding': 'identity' }],
    ])('refuses %s: grpc-status 3, HTTP 400', async (_, frame, headers: Record<string, string>) => {
      const r = await grpcWebPost(port, GET_FILE, frame, headers);
      expect(r.status).toBe(400);
      expect(r.headers['grpc-status']).toBe('3');
    });

    it.each(['snappy', 'deflate', 'br'])('refuses grpc-encoding: %s with 415, grpc-status 12 and grpc-accept-encoding: gzip', async (encoding) => {
      const r = await grpcWebPost(port, GET_FILE, grpcFrame(zlib.deflateSync(getFileRequest('x')), true), { 'grpc-encoding': encoding });
      expect(r.status).toBe(415);
      expect(r.headers['grpc-status']).toBe('12');
      expect(r.headers['grpc-accept-encoding']).toBe('gzip');
      expect(decodeURIComponent(String(r.headers['grpc-message']))).toContain(encoding);
    });

    it.each([false, true])('gzips a large answer for a client that takes gzip: flag 1, grpc-encoding: gzip, trailer frame plain (text mode: %s)', async (text) => {
      const path = 'p'.repeat(5000);
      const r = await grpcWebPost(port, GET_FILE, grpcFrame(getFileRequest(path)), { 'grpc-accept-encoding': 'identity, gzip' }, text);
      expect(r.status).toBe(200);
      expect(r.headers['grpc-encoding']).toBe('gzip');
      expect(r.flags).toBe(1);
      expect(r.wire!.length).toBeLessThan(r.message!.length);
      expect(echoedPath(r.message!)).toBe(path);
      expect(r.trailers?.['grpc-status']).toBe('0');
    });

    it.each([
      ['no grpc-accept-encoding', {}],
      ['grpc-accept-encoding without gzip', { 'grpc-accept-encoding': 'identity, deflate, br' }],
      ['gzip refused with q=0', { 'grpc-accept-encoding': 'gzip;q=0, identity' }],
      ['gzip asked in Accept-Encoding, which gRPC-Web does not read', { 'accept-encoding': 'gzip' }],
    ])('never gzips for %s', async (_, headers: Record<string, string>) => {
      const path = 'p'.repeat(5000);
      const r = await grpcWebPost(port, GET_FILE, grpcFrame(getFileRequest(path)), headers);
      expect(r.status).toBe(200);
      expect(r.headers['grpc-encoding']).toBeUndefined();
      expect(r.flags).toBe(0);
      expect(echoedPath(r.message!)).toBe(path);
    });

    it('gzips an answer of exactly compressMinBytes, not one a byte shorter', async () => {
      // The Echo is the path plus what does not change with it (field tags,
      // two 2-byte lengths, the metadata echoed): measured once, uncompressed.
      const probe = await grpcWebPost(port, GET_FILE, grpcFrame(getFileRequest('q'.repeat(2000))));
      const overhead = probe.message!.length - 2000;
      const accept = { 'grpc-accept-encoding': 'gzip' };
      const at = await grpcWebPost(port, GET_FILE, grpcFrame(getFileRequest('q'.repeat(MIN - overhead))), accept);
      expect(at.message!.length).toBe(MIN);
      expect(at.flags).toBe(1);
      expect(at.headers['grpc-encoding']).toBe('gzip');
      const under = await grpcWebPost(port, GET_FILE, grpcFrame(getFileRequest('q'.repeat(MIN - 1 - overhead))), accept);
      expect(under.message!.length).toBe(MIN - 1);
      expect(under.flags).toBe(0);
      expect(under.headers['grpc-encoding']).toBeUndefined();
    });

    it('never compresses an error (trailers-only, nothing to compress)', async () => {
      const fail = library.methods.find((m) => m.name === 'Fail')!;
      const body = grpcFrame(toBinary(fail.input, create(fail.input, { code: 9, message: 'm'.repeat(2000) })));
      const r = await grpcWebPost(port, '/library.v1.LibraryService/Fail', body, { 'grpc-accept-encoding': 'gzip' });
      expect(r.headers['grpc-status']).toBe('9');
      expect(r.headers['grpc-encoding']).toBeUndefined();
      expect(r.headers['grpc-message']).toBe('m'.repeat(2000));
    });
  });

  describe('gRPC-Web clients', () => {
    const webTransport = () =>
      createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: '1.1', sendCompression: compressionGzip, compressMinBytes: 0 });

    it.each([
      ['a small answer, left as it is', 'small/path', undefined],
      ['a large answer, gzipped', 'L'.repeat(5000), 'gzip'],
    ])('Connect gRPC-Web client sending gzip: %s', async (_, path, answerEncoding) => {
      const response = await methodOf(webTransport(), library, 'getFile')({ path });
      expect((toJson(Echo, response) as { getFile: { path: string } }).getFile.path).toBe(path);
      const [exchange] = tap.on(GET_FILE);
      expect(exchange!.request['grpc-encoding']).toBe('gzip');
      expect(isGzipFrame(exchange!.body())).toBe(true);
      expect(exchange!.request['grpc-accept-encoding']).toContain('gzip');
      expect(exchange!.status).toBe(200);
      expect(exchange!.response['grpc-encoding']).toBe(answerEncoding);
    });

    it('Connect gRPC-Web client: a message that gzips small but inflates past the limit is refused (413, grpc-status 8)', async () => {
      const error = await failure(methodOf(webTransport(), library, 'getFile')({ path: HUGE_PATH }));
      // Connect's gRPC-Web client takes its code from the HTTP status on a non-2xx answer, the message from grpc-message.
      expect(error.rawMessage).toContain('once decompressed');
      const [exchange] = tap.on(GET_FILE);
      expect(exchange!.request['grpc-encoding']).toBe('gzip');
      expect(isGzipFrame(exchange!.body())).toBe(true);
      expect(exchange!.body().length).toBeLessThan(65536);
      expect(exchange!.status).toBe(413);
      expect(exchange!.response['grpc-status']).toBe('8');
      const after = await methodOf(webTransport(), library, 'getFile')({ path: 'after' });
      expect((toJson(Echo, after) as { getFile: { path: string } }).getFile.path).toBe('after');
    });

    it('improbable-eng grpc-web (neither compresses nor reads gzip) gets a large answer uncompressed', async () => {
      const path = 'I'.repeat(5000);
      const result = await improbableUnary(port, GetFile, { path });
      expect(result.status).toBe(improbable.Code.OK);
      expect((result.json as { getFile: { path: string } }).getFile.path).toBe(path);
      const [exchange] = tap.on(GET_FILE);
      expect(exchange!.request['grpc-accept-encoding']).toBeUndefined();
      expect(exchange!.body()[0]).toBe(0);
      expect(exchange!.response['grpc-encoding']).toBeUndefined();
      expect(result.headers.get('grpc-encoding')).toEqual([]);
    });
  });

  describe('Connect by hand', () => {
    it.each([
      ['application/proto', () => gzip(getFileRequest('c/proto'))],
      ['application/json', () => gzip(JSON.stringify({ path: 'c/proto' }))],
    ])('reads a %s body with Content-Encoding: gzip', async (contentType, body) => {
      const r = await connectPost(port, GET_FILE, body(), { 'content-type': contentType, 'content-encoding': 'gzip' });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBeUndefined();
      const path = contentType === 'application/json' ? (JSON.parse(r.body.toString()) as { getFile: { path: string } }).getFile.path : echoedPath(r.body);
      expect(path).toBe('c/proto');
    });

    it.each(['application/proto', 'application/json'])('gzips a large %s answer for Accept-Encoding: gzip', async (contentType) => {
      const path = 'J'.repeat(5000);
      const body = contentType === 'application/json' ? Buffer.from(JSON.stringify({ path })) : getFileRequest(path);
      const r = await connectPost(port, GET_FILE, body, { 'content-type': contentType, 'accept-encoding': 'br, gzip' });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(Number(r.headers['content-length'])).toBe(r.body.length);
      const plain = zlib.gunzipSync(r.body);
      expect(r.body.length).toBeLessThan(plain.length);
      const echoed = contentType === 'application/json' ? (JSON.parse(plain.toString()) as { getFile: { path: string } }).getFile.path : echoedPath(plain);
      expect(echoed).toBe(path);
    });

    it.each([
      ['no Accept-Encoding', {}],
      ['an Accept-Encoding without gzip', { 'accept-encoding': 'br, identity' }],
      ['gzip refused with q=0', { 'accept-encoding': 'gzip;q=0' }],
      ['gzip in grpc-accept-encoding, which Connect does not read', { 'grpc-accept-encoding': 'gzip' }],
    ])('never gzips for %s', async (_, headers: Record<string, string>) => {
      const path = 'J'.repeat(5000);
      const r = await connectPost(port, GET_FILE, getFileRequest(path), { 'content-type': 'application/proto', ...headers });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(echoedPath(r.body)).toBe(path);
    });

    it('gzips an answer of exactly compressMinBytes, not one a byte shorter', async () => {
      const headers = { 'content-type': 'application/proto' };
      const probe = await connectPost(port, GET_FILE, getFileRequest('q'.repeat(2000)), headers);
      const overhead = probe.body.length - 2000;
      const accept = { ...headers, 'accept-encoding': 'gzip' };
      const at = await connectPost(port, GET_FILE, getFileRequest('q'.repeat(MIN - overhead)), accept);
      expect(at.headers['content-encoding']).toBe('gzip');
      expect(zlib.gunzipSync(at.body)).toHaveLength(MIN);
      const under = await connectPost(port, GET_FILE, getFileRequest('q'.repeat(MIN - 1 - overhead)), accept);
      expect(under.headers['content-encoding']).toBeUndefined();
      expect(under.body).toHaveLength(MIN - 1);
    });

    it.each(['application/proto', 'application/json'])('refuses a %s gzip bomb: 413 resource_exhausted, then serves the next call', async (contentType) => {
      const r = await connectPost(port, GET_FILE, BOMB, { 'content-type': contentType, 'content-encoding': 'gzip' });
      expect(r.status).toBe(413);
      expect(r.headers['content-type']).toBe('application/json');
      const error = JSON.parse(r.body.toString()) as { code: string; message: string };
      expect(error.code).toBe('resource_exhausted');
      expect(error.message).toContain('larger than the limit of 65536 bytes once decompressed');
      const next = await connectPost(port, GET_FILE, gzip(getFileRequest('after/bomb')), { 'content-type': 'application/proto', 'content-encoding': 'gzip' });
      expect(echoedPath(next.body)).toBe('after/bomb');
    });

    it.each(['br', 'snappy', 'deflate', 'gzip, br'])('refuses Content-Encoding: %s with 415 unimplemented and Accept-Encoding: gzip', async (encoding) => {
      const r = await connectPost(port, GET_FILE, getFileRequest('x'), { 'content-type': 'application/proto', 'content-encoding': encoding });
      expect(r.status).toBe(415);
      expect(r.headers['accept-encoding']).toBe('gzip');
      expect((JSON.parse(r.body.toString()) as { code: string }).code).toBe('unimplemented');
    });

    it.each([
      ['bytes that are not gzip', Buffer.from('plain, not gzip')],
      ['a truncated gzip stream', gzip(getFileRequest('x')).subarray(0, 12)],
    ])('refuses %s under Content-Encoding: gzip: 400 invalid_argument', async (_, body) => {
      const r = await connectPost(port, GET_FILE, body, { 'content-type': 'application/proto', 'content-encoding': 'gzip' });
      expect(r.status).toBe(400);
      expect((JSON.parse(r.body.toString()) as { code: string }).code).toBe('invalid_argument');
    });

    const getUrl = (message: Buffer, compression = 'gzip') =>
      `${GET_FILE}?connect=v1&encoding=proto&base64=1&compression=${compression}&message=${message.toString('base64url')}`;

    it('reads a GET whose message is base64 gzip (compression=gzip)', async () => {
      const r = await rawRequest(port, { method: 'GET', path: getUrl(gzip(getFileRequest('get/compressed'))) });
      expect(r.status).toBe(200);
      expect(echoedPath(r.body)).toBe('get/compressed');
    });

    it('gzips a large GET answer for Accept-Encoding: gzip', async () => {
      const path = 'G'.repeat(5000);
      const r = await rawRequest(port, { method: 'GET', path: getUrl(gzip(getFileRequest(path))), headers: { 'accept-encoding': 'gzip' } });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(echoedPath(connectBody(r))).toBe(path);
    });

    it.each([
      ['with Accept-Encoding: gzip', { 'accept-encoding': 'gzip' }, 'gzip'],
      ['without one', {}, undefined],
    ])('answers a GET %s with Vary: Accept-Encoding, so a cache keeps the gzipped and the plain answer apart', async (_, headers: Record<string, string>, encoding) => {
      const r = await rawRequest(port, { method: 'GET', path: getUrl(gzip(getFileRequest('G'.repeat(5000)))), headers });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe(encoding);
      const vary = String(r.headers['vary']).split(',').map((v) => v.trim().toLowerCase());
      expect(vary).toEqual(expect.arrayContaining(['origin', 'accept-encoding']));
    });

    it('refuses a GET whose gzip message inflates past the limit: 413 resource_exhausted', async () => {
      const r = await rawRequest(port, { method: 'GET', path: getUrl(gzip(Buffer.alloc(1024 * 1024))) });
      expect(r.status).toBe(413);
      expect((JSON.parse(r.body.toString()) as { code: string }).code).toBe('resource_exhausted');
    });

    it('refuses a GET with compression=snappy: 415 unimplemented, Accept-Encoding: gzip', async () => {
      const r = await rawRequest(port, { method: 'GET', path: getUrl(getFileRequest('x'), 'snappy') });
      expect(r.status).toBe(415);
      expect(r.headers['accept-encoding']).toBe('gzip');
      expect((JSON.parse(r.body.toString()) as { code: string }).code).toBe('unimplemented');
    });
  });

  describe('Connect clients', () => {
    const connectTransport = (useBinaryFormat: boolean, useHttpGet = false) =>
      createConnectTransport({
        baseUrl: `http://127.0.0.1:${port}`,
        httpVersion: '1.1',
        sendCompression: compressionGzip,
        compressMinBytes: 0,
        useBinaryFormat,
        useHttpGet,
      });

    describe.each([true, false])('useBinaryFormat: %s', (binary) => {
      it.each([
        ['a small answer, left as it is', 'small/path', undefined],
        ['a large answer, gzipped', 'C'.repeat(5000), 'gzip'],
      ])('sends gzip; %s', async (_, path, answerEncoding) => {
        const response = await methodOf(connectTransport(binary), library, 'getFile')({ path });
        expect((toJson(Echo, response) as { getFile: { path: string } }).getFile.path).toBe(path);
        const [exchange] = tap.on(GET_FILE);
        expect(exchange!.request['content-type']).toBe(binary ? 'application/proto' : 'application/json');
        expect(exchange!.request['content-encoding']).toBe('gzip');
        expect(isGzip(exchange!.body())).toBe(true);
        expect(exchange!.request['accept-encoding']).toContain('gzip');
        expect(exchange!.response['content-encoding']).toBe(answerEncoding);
      });

      it('is refused a message that inflates past the limit with RESOURCE_EXHAUSTED (413)', async () => {
        const error = await failure(methodOf(connectTransport(binary), library, 'getFile')({ path: HUGE_PATH }));
        expect(error.code).toBe(Code.ResourceExhausted);
        const [exchange] = tap.on(GET_FILE);
        expect(exchange!.request['content-encoding']).toBe('gzip');
        expect(isGzip(exchange!.body())).toBe(true);
        expect(exchange!.body().length).toBeLessThan(65536);
        expect(exchange!.status).toBe(413);
      });
    });

    it('calls a NO_SIDE_EFFECTS method with GET and a gzip message (compression=gzip)', async () => {
      const path = 'V'.repeat(5000);
      const response = await methodOf(connectTransport(true, true), library, 'getFile')({ path });
      expect((toJson(Echo, response) as { getFile: { path: string } }).getFile.path).toBe(path);
      const [exchange] = tap.on(GET_FILE);
      expect(exchange!.method).toBe('GET');
      expect(new URLSearchParams(exchange!.url.split('?')[1]).get('compression')).toBe('gzip');
      expect(exchange!.status).toBe(200);
    });
  });

  describe('REST by hand', () => {
    /** MoveBook: POST /v1/shelves/{shelf}/books/{id}:move, body "*", response_body "move_book". */
    const MOVE = '/v1/shelves/s1/books/b1:move';
    const restCall = (method: string, path: string, body: Buffer | undefined, headers: Record<string, string>) =>
      rawRequest(port, { method, path, headers: { 'content-type': 'application/json', ...headers }, body });
    const statusOf = (r: RawResponse) => JSON.parse(r.body.toString()) as { code: number; message: string };

    it('reads a JSON body with Content-Encoding: gzip', async () => {
      const r = await restCall('POST', MOVE, gzip(JSON.stringify({ destination: 'shelves/2' })), { 'content-encoding': 'gzip' });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body.toString())).toEqual({ shelf: 's1', id: 'b1', destination: 'shelves/2' });
    });

    it('refuses a gzip bomb with 413 and code 8, then serves the next call', async () => {
      const r = await restCall('POST', MOVE, BOMB, { 'content-encoding': 'gzip' });
      expect(r.status).toBe(413);
      expect(statusOf(r).code).toBe(8);
      const ok = await restCall('POST', MOVE, Buffer.from('{}'), {});
      expect(ok.status).toBe(200);
    });

    it.each(['br', 'snappy'])('refuses Content-Encoding: %s with 415, code 12 and Accept-Encoding: gzip', async (encoding) => {
      const r = await restCall('POST', MOVE, Buffer.from('{}'), { 'content-encoding': encoding });
      expect(r.status).toBe(415);
      expect(statusOf(r).code).toBe(12);
      expect(r.headers['accept-encoding']).toBe('gzip');
    });

    it('answers bytes that are not gzip with 400 and code 3', async () => {
      const r = await restCall('POST', MOVE, Buffer.from('{"destination":"x"}'), { 'content-encoding': 'gzip' });
      expect(r.status).toBe(400);
      expect(statusOf(r)).toMatchObject({ code: 3, message: expect.stringContaining('gzip') as unknown });
    });

    it('gzips a large answer for Accept-Encoding: gzip, and only then', async () => {
      const path = 'R'.repeat(5000);
      const zipped = await restCall('GET', `/v1/files/${path}`, undefined, { 'accept-encoding': 'gzip' });
      expect(zipped.status).toBe(200);
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect((JSON.parse(zlib.gunzipSync(zipped.body).toString()) as { getFile: { path: string } }).getFile.path).toBe(path);
      const plain = await restCall('GET', `/v1/files/${path}`, undefined, {});
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect((JSON.parse(plain.body.toString()) as { getFile: { path: string } }).getFile.path).toBe(path);
    });
  });

  describe('compressMinBytes', () => {
    const small = getFileRequest('s');

    it('at 0, gzips even a small answer, on gRPC-Web and Connect', async () => {
      const web = await grpcWebPost(eager.port, GET_FILE, grpcFrame(small), { 'grpc-accept-encoding': 'gzip' });
      expect(web.headers['grpc-encoding']).toBe('gzip');
      expect(web.flags).toBe(1);
      expect(echoedPath(web.message!)).toBe('s');
      const connect = await connectPost(eager.port, GET_FILE, small, { 'content-type': 'application/proto', 'accept-encoding': 'gzip' });
      expect(connect.headers['content-encoding']).toBe('gzip');
      expect(echoedPath(connectBody(connect))).toBe('s');
    });

    it('by default (1024), leaves the same small answer as it is', async () => {
      const web = await grpcWebPost(port, GET_FILE, grpcFrame(small), { 'grpc-accept-encoding': 'gzip' });
      expect(web.headers['grpc-encoding']).toBeUndefined();
      expect(web.flags).toBe(0);
      const connect = await connectPost(port, GET_FILE, small, { 'content-type': 'application/proto', 'accept-encoding': 'gzip' });
      expect(connect.headers['content-encoding']).toBeUndefined();
      expect(echoedPath(connect.body)).toBe('s');
    });
  });
});

// ---------------------------------------------------------------------------
// The real service: native gRPC on grpc-js, gRPC-Web and Connect through
// the in-process gateway. Its answers (~100 bytes) are under compressMinBytes.

describe('the service', () => {
  let server: TestServer;
  let token: string;
  let h2Tap: H2Tap;
  let tap: HttpTap;
  let httpPort: number;
  /** Each update sets lifetimes never set before, so it is a change the next read shows. */
  let next = 0;

  const UPDATE = '/zitadel.admin.v1.AdminService/UpdateOIDCSettings';
  const GET = '/zitadel.admin.v1.AdminService/GetOIDCSettings';
  const lifetimes = (n: number): JsonObject => ({
    accessTokenLifetime: `${3600 + n}s`,
    idTokenLifetime: `${7200 + n}s`,
    refreshTokenIdleExpiration: `${86_400 + n}s`,
    refreshTokenExpiration: `${2_592_000 + n}s`,
  });
  const accessSecondsOf = (json: JsonValue): string => (json as { settings: { accessTokenLifetime: string } }).settings.accessTokenLifetime;

  beforeAll(async () => {
    server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' });
    token = await issueToken(server.dataDir, 'IAM_OWNER');
    h2Tap = await startH2Tap(server.grpcPort);
    httpPort = server.server.http.port;
    tap = tapHttp(server.server.http.server);
  });
  afterAll(async () => {
    tap?.stop();
    await h2Tap?.close();
    await server?.stop();
  });
  beforeEach(() => {
    tap.clear();
    h2Tap.clear();
  });

  describe('native gRPC (grpc-js server)', () => {
    /** Update then read back over a grpc-js client, with the channel options given. */
    async function updateAndRead(options: grpc.ChannelOptions): Promise<{ written: string; read: string }> {
      const client = new grpc.Client(`127.0.0.1:${h2Tap.port}`, grpc.credentials.createInsecure(), options);
      const call = (path: string, message: Uint8Array) =>
        new Promise<Buffer>((resolve, reject) => {
          const metadata = new grpc.Metadata();
          metadata.set('authorization', `Bearer ${token}`);
          client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(message), metadata, (error, response) =>
            error ? reject(error) : resolve(response!),
          );
        });
      try {
        const n = ++next;
        await call(UPDATE, toBinary(UpdateOIDCSettingsRequestSchema, fromJson(UpdateOIDCSettingsRequestSchema, lifetimes(n))));
        const read = await call(GET, new Uint8Array());
        return { written: `${3600 + n}s`, read: accessSecondsOf(toJson(GetOIDCSettingsResponseSchema, fromBinary(GetOIDCSettingsResponseSchema, read))) };
      } finally {
        client.close();
      }
    }

    it('takes gzipped requests from a grpc-js client (grpc.default_compression_algorithm: gzip)', async () => {
      const { written, read } = await updateAndRead({ 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
      expect(read).toBe(written);
      // Both requests went compressed; the answers, which grpc-js never compresses, read right.
      expect(h2Tap.requestFlags()).toEqual([1, 1]);
    });

    it('the same client without compression sends flag 0 (the tap sees the difference)', async () => {
      const { written, read } = await updateAndRead({});
      expect(read).toBe(written);
      expect(h2Tap.requestFlags()).toEqual([0, 0]);
    });

    it("takes gzipped requests from Connect's gRPC transport, which also accepts gzip answers", async () => {
      const sessionManager = new Http2SessionManager(`http://127.0.0.1:${h2Tap.port}`);
      try {
        const transport = createGrpcTransport({
          baseUrl: `http://127.0.0.1:${h2Tap.port}`,
          sendCompression: compressionGzip,
          compressMinBytes: 0,
          sessionManager,
        });
        const client = createClient(AdminService, transport);
        const headers = { authorization: `Bearer ${token}` };
        const n = ++next;
        await client.updateOIDCSettings(fromJson(UpdateOIDCSettingsRequestSchema, lifetimes(n)), { headers });
        const read = await client.getOIDCSettings({}, { headers });
        expect(read.settings?.accessTokenLifetime?.seconds).toBe(BigInt(3600 + n));
        expect(h2Tap.requestFlags()).toEqual([1, 1]);
      } finally {
        sessionManager.abort();
      }
    });

    describe('by hand over HTTP/2', () => {
      let session: http2.ClientHttp2Session;
      beforeAll(async () => {
        session = http2.connect(`http://127.0.0.1:${server.grpcPort}`);
        session.on('error', () => undefined);
        await new Promise<void>((resolve, reject) => {
          session.once('remoteSettings', () => resolve());
          session.once('error', reject);
        });
      });
      afterAll(() => session?.destroy());

      const post = (path: string, body: Buffer, headers: http2.OutgoingHttpHeaders) =>
        h2Request(session, { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${token}`, ...headers }, body);
      const grpcMessageOf = (answer: H2Answer) => decodeURIComponent(String(answer.trailers['grpc-message'] ?? answer.headers['grpc-message']));
      const getSettings = async (): Promise<string> => {
        const answer = await post(GET, grpcFrame(new Uint8Array()), {});
        expect(grpcStatusOf(answer)).toBe(0);
        const payload = answer.body.subarray(5);
        const message = answer.body[0] === 1 ? zlib.gunzipSync(payload) : payload;
        return accessSecondsOf(toJson(GetOIDCSettingsResponseSchema, fromBinary(GetOIDCSettingsResponseSchema, message)));
      };

      it('reads a gzipped message (flag 1, grpc-encoding: gzip)', async () => {
        const n = ++next;
        const update = toBinary(UpdateOIDCSettingsRequestSchema, fromJson(UpdateOIDCSettingsRequestSchema, lifetimes(n)));
        const answer = await post(UPDATE, grpcFrame(gzip(update), true), { 'grpc-encoding': 'gzip' });
        expect(grpcStatusOf(answer)).toBe(0);
        expect(await getSettings()).toBe(`${3600 + n}s`);
      });

      it('refuses a gzip bomb with RESOURCE_EXHAUSTED (bounded by the max receive length) and keeps serving', async () => {
        const answer = await post(UPDATE, grpcFrame(BOMB, true), { 'grpc-encoding': 'gzip' });
        expect(grpcStatusOf(answer)).toBe(grpc.status.RESOURCE_EXHAUSTED);
        expect(grpcMessageOf(answer)).toContain('decompresses to a size larger than 16384');
        // The same connection, and a new client, are served.
        expect(await getSettings()).toMatch(/^\d+s$/);
        const { written, read } = await updateAndRead({ 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
        expect(read).toBe(written);
      });

      it('refuses a compressed message under grpc-encoding: snappy with UNIMPLEMENTED', async () => {
        const answer = await post(GET, grpcFrame(Buffer.from('snappy bytes'), true), { 'grpc-encoding': 'snappy' });
        expect(grpcStatusOf(answer)).toBe(grpc.status.UNIMPLEMENTED);
        expect(grpcMessageOf(answer)).toContain('snappy');
        expect(await getSettings()).toMatch(/^\d+s$/);
      });

      it('answers bytes that are not gzip with INTERNAL (grpc-js; the gateway says INVALID_ARGUMENT)', async () => {
        const answer = await post(GET, grpcFrame(Buffer.from('not gzip'), true), { 'grpc-encoding': 'gzip' });
        expect(grpcStatusOf(answer)).toBe(grpc.status.INTERNAL);
        expect(await getSettings()).toMatch(/^\d+s$/);
      });
    });
  });

  describe('in-process gateway', () => {
    const headers = () => ({ authorization: `Bearer ${token}` });

    /** Update then read back over a Connect client; both requests gzipped (compressMinBytes: 0). */
    async function updateAndRead(transport: Transport): Promise<void> {
      const client = createClient(AdminService, transport);
      const n = ++next;
      await client.updateOIDCSettings(fromJson(UpdateOIDCSettingsRequestSchema, lifetimes(n)), { headers: headers() });
      const read = await client.getOIDCSettings({}, { headers: headers() });
      expect(read.settings?.accessTokenLifetime?.seconds).toBe(BigInt(3600 + n));
    }

    it('gRPC-Web: takes gzipped requests; answers under compressMinBytes go uncompressed', async () => {
      await updateAndRead(
        createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${httpPort}`, httpVersion: '1.1', sendCompression: compressionGzip, compressMinBytes: 0 }),
      );
      const exchanges = [...tap.on(UPDATE), ...tap.on(GET)];
      expect(exchanges).toHaveLength(2);
      for (const exchange of exchanges) {
        expect(exchange.request['grpc-encoding']).toBe('gzip');
        expect(isGzipFrame(exchange.body())).toBe(true);
        expect(exchange.request['grpc-accept-encoding']).toContain('gzip');
        expect(exchange.status).toBe(200);
        expect(exchange.response['grpc-encoding']).toBeUndefined();
      }
    });

    it.each([true, false])('Connect (useBinaryFormat: %s): takes gzipped requests; small answers go uncompressed', async (useBinaryFormat) => {
      await updateAndRead(
        createConnectTransport({
          baseUrl: `http://127.0.0.1:${httpPort}`,
          httpVersion: '1.1',
          sendCompression: compressionGzip,
          compressMinBytes: 0,
          useBinaryFormat,
        }),
      );
      const exchanges = [...tap.on(UPDATE), ...tap.on(GET)];
      expect(exchanges).toHaveLength(2);
      // Connect's client gzips a body longer than compressMinBytes: the empty
      // GetOIDCSettingsRequest goes as it is in binary, as "{}" gzipped in JSON.
      expect(exchanges[0]!.request['content-encoding']).toBe('gzip');
      expect(isGzip(exchanges[0]!.body())).toBe(true);
      for (const exchange of exchanges) {
        expect(exchange.request['accept-encoding']).toContain('gzip');
        expect(exchange.status).toBe(200);
        expect(exchange.response['content-encoding']).toBeUndefined();
      }
    });

    it('gRPC-Web text: reads a gzipped request frame', async () => {
      const r = await grpcWebPost(httpPort, GET, grpcFrame(gzip(new Uint8Array()), true), { 'grpc-encoding': 'gzip', ...headers() }, true);
      expect(r.status).toBe(200);
      expect(r.trailers?.['grpc-status']).toBe('0');
      expect(accessSecondsOf(toJson(GetOIDCSettingsResponseSchema, fromBinary(GetOIDCSettingsResponseSchema, r.message!)))).toMatch(/^\d+s$/);
    });

    it('gRPC-Web: refuses a gzip bomb with 413 and grpc-status 8, and keeps serving', async () => {
      const r = await grpcWebPost(httpPort, UPDATE, grpcFrame(BOMB, true), { 'grpc-encoding': 'gzip', ...headers() });
      expect(r.status).toBe(413);
      expect(r.headers['grpc-status']).toBe('8');
      const ok = await grpcWebPost(httpPort, GET, grpcFrame(gzip(new Uint8Array()), true), { 'grpc-encoding': 'gzip', ...headers() });
      expect(ok.trailers?.['grpc-status']).toBe('0');
    });

    it('REST: takes a gzipped PUT body, refuses a gzip bomb with 413 and code 8, and keeps serving', async () => {
      const put = (body: Buffer) =>
        rawRequest(httpPort, {
          method: 'PUT',
          path: '/admin/v1/settings/oidc',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...headers() },
          body,
        });
      const n = ++next;
      expect((await put(gzip(JSON.stringify(lifetimes(n))))).status).toBe(200);
      const bomb = await put(BOMB);
      expect(bomb.status).toBe(413);
      expect((JSON.parse(bomb.body.toString()) as { code: number }).code).toBe(8);
      const read = await rawRequest(httpPort, { method: 'GET', path: '/admin/v1/settings/oidc', headers: headers() });
      expect(accessSecondsOf(JSON.parse(read.body.toString()) as JsonValue)).toBe(`${3600 + n}s`);
    });

    it('Connect: refuses a gzip bomb with 413 resource_exhausted, and keeps serving', async () => {
      const r = await connectPost(httpPort, UPDATE, BOMB, { 'content-type': 'application/proto', 'content-encoding': 'gzip', ...headers() });
      expect(r.status).toBe(413);
      expect((JSON.parse(r.body.toString()) as { code: string }).code).toBe('resource_exhausted');
      const ok = await connectPost(httpPort, GET, gzip(new Uint8Array()), { 'content-type': 'application/proto', 'content-encoding': 'gzip', ...headers() });
      expect(ok.status).toBe(200);
      expect(accessSecondsOf(toJson(GetOIDCSettingsResponseSchema, fromBinary(GetOIDCSettingsResponseSchema, ok.body)))).toMatch(/^\d+s$/);
    });
  });
});
