/**
 * The Connect protocol, unary (REFERENCE §8), through the gateway.
 *
 * Real clients first: connect-es's Node transport and its fetch-based web
 * transport, each in JSON and in binary, read and update the OIDC settings
 * through the gateway in process and a standalone one in front of the gRPC
 * port, and get the service's errors with their details decoded; in front
 * of the test-only library upstream they show deadlines, GET for
 * NO_SIDE_EFFECTS methods, and response headers and trailers.
 *
 * Then the wire by hand: the HTTP status of each code, the error body and
 * its details, trailer- headers, and every refusal (bad protocol version or
 * timeout, GET where it is not allowed or malformed, unknown method, wrong
 * content type, a body that is no JSON object), each followed by a call
 * that must still be served.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { type DescService, type JsonObject, create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { type CallOptions, type Client, Code, ConnectError, type Transport, createClient } from '@connectrpc/connect';
import { createConnectTransport as createNodeTransport } from '@connectrpc/connect-node';
import { createConnectTransport as createWebTransport } from '@connectrpc/connect-web';
import { type Gateway, type GatewayServer, createGateway, startGatewayServer } from '../../gateway/server';
import { type UpstreamChannel, upstreamChannel } from '../../gateway/upstream-channel';
import { BadRequestSchema } from '../../gen/es/google/rpc/error_details_pb';
import { AdminService } from '../../gen/es/zitadel/admin_pb';
import { ErrorDetailSchema } from '../../gen/es/zitadel/message_pb';
import { DESCRIPTOR_SET_PATH } from '../../src/paths';
import { type LibraryUpstream, libraryDescriptorSet, startLibraryUpstream } from '../helpers/library-upstream';
import { type TestServer, issueToken, startTestServer } from '../helpers/server';

const libraryDescriptors = libraryDescriptorSet();
const libraryRegistry = createFileRegistry(fromBinary(FileDescriptorSetSchema, libraryDescriptors));
const Library = libraryRegistry.getService('library.v1.LibraryService')!;
const Echo = libraryRegistry.getMessage('library.v1.Echo')!;
const LIBRARY = '/library.v1.LibraryService';
const ADMIN = '/zitadel.admin.v1.AdminService';

/** What the library upstream answers, as a client decodes it. */
interface EchoShape {
  readonly request: { readonly case: string | undefined; readonly value?: Record<string, unknown> };
  readonly metadata: Record<string, string>;
}
type Unary = (request: object, options?: CallOptions) => Promise<EchoShape>;
const libraryMethod = (client: Client<DescService>, name: string) => (client as unknown as Record<string, Unary>)[name]!;
const encode = (name: string, init: object) => {
  const m = Library.methods.find((x) => x.name === name)!;
  return toBinary(m.input, create(m.input, init as never));
};

/** A request as the gateway's listener saw it, before anything else. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
}

/** The gateway with its listener wrapped, so a test sees which HTTP method and content type a client really used. */
function recording(gateway: Gateway, seen: Seen[]): Gateway {
  return {
    ...gateway,
    listener: (request: IncomingMessage, response: ServerResponse) => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'] });
      gateway.listener(request, response);
    },
  };
}

type Kind = 'connect-node' | 'connect-web';
const CLIENTS: ReadonlyArray<readonly [string, Kind, boolean]> = [
  ['connect-node JSON', 'connect-node', false],
  ['connect-node binary', 'connect-node', true],
  ['connect-web JSON', 'connect-web', false],
  ['connect-web binary', 'connect-web', true],
];

function transportFor(kind: Kind, useBinaryFormat: boolean, port: number, useHttpGet = false): Transport {
  const baseUrl = `http://127.0.0.1:${port}`;
  // The gateway serves plain HTTP/1.1 (HTTP/2 only over TLS), so connect-node speaks 1.1; connect-web uses the global fetch.
  return kind === 'connect-node'
    ? createNodeTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat, useHttpGet })
    : createWebTransport({ baseUrl, useBinaryFormat, useHttpGet });
}

/** The error a call failed with; fails the test when it succeeded. */
async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error('the call succeeded');
}

/** The names of the headers (the DOM lib this project types against has no Headers.keys()). */
function headerKeys(headers: Headers): string[] {
  const keys: string[] = [];
  headers.forEach((_value, key) => keys.push(key));
  return keys;
}

/** Waits for a condition an event will make true (the test's own timeout bounds it). */
async function eventually(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

let server: TestServer;
let viewer: string;
let adminChannel: UpstreamChannel;
let adminGateway: GatewayServer;
const adminSeen: Seen[] = [];
let upstream: LibraryUpstream;
let libraryChannel: UpstreamChannel;
let libraryGateway: GatewayServer;
const librarySeen: Seen[] = [];

beforeAll(async () => {
  server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' });
  viewer = await issueToken(server.dataDir, 'IAM_OWNER_VIEWER');
  adminChannel = upstreamChannel(`127.0.0.1:${server.grpcPort}`);
  adminGateway = await startGatewayServer(
    recording(
      createGateway({
        call: adminChannel.call,
        descriptorSet: fs.readFileSync(DESCRIPTOR_SET_PATH),
        mounts: { 'zitadel.admin.v1.AdminService': '/admin/v1' },
        cors: { origins: '*', maxAgeSeconds: 60 },
        maxBodyBytes: 65536,
      }),
      adminSeen,
    ),
    { host: '127.0.0.1', port: 0 },
  );
  upstream = await startLibraryUpstream(libraryDescriptors);
  libraryChannel = upstreamChannel(`127.0.0.1:${upstream.port}`);
  libraryGateway = await startGatewayServer(
    recording(
      createGateway({ call: libraryChannel.call, descriptorSet: libraryDescriptors, mounts: {}, cors: { origins: '*', maxAgeSeconds: 60 }, maxBodyBytes: 4096 }),
      librarySeen,
    ),
    { host: '127.0.0.1', port: 0 },
  );
});

afterAll(async () => {
  // Each step alone, so one that throws still lets the others stop their servers.
  await Promise.allSettled([libraryGateway?.close(1000), adminGateway?.close(1000)]);
  libraryChannel?.close();
  adminChannel?.close();
  await Promise.allSettled([upstream?.stop(), server?.stop()]);
});

describe.each(['in-process', 'standalone'] as const)('AdminService over Connect, gateway %s', (mode) => {
  const port = () => (mode === 'in-process' ? server.server.http.port : adminGateway.port);
  const owner = () => ({ authorization: `Bearer ${server.adminToken}` });
  let hours = 100;

  describe.each(CLIENTS)('%s', (_name, kind, binary) => {
    const codec = binary ? 'application/proto' : 'application/json';
    const client = () => createClient(AdminService, transportFor(kind, binary, port()));

    it('Update, then Get sees the new values (sub-second durations too), in the codec asked', async () => {
      const base = BigInt(3600 * ++hours);
      const values = {
        accessTokenLifetime: { seconds: base },
        idTokenLifetime: { seconds: base + 1n },
        refreshTokenIdleExpiration: { seconds: base + 2n, nanos: 500_000_000 },
        refreshTokenExpiration: { seconds: base + 3n, nanos: 1 },
      };
      const seenBefore = adminSeen.length;
      let contentType: string | null = null;
      const updated = await client().updateOIDCSettings(values, {
        headers: owner(),
        onHeader: (headers) => (contentType = headers.get('content-type')),
      });
      expect(contentType).toBe(codec);
      expect(updated.details!.sequence).toBeGreaterThan(0n);
      expect(updated.details!.resourceOwner).not.toBe('');

      const got = await client().getOIDCSettings({}, { headers: owner() });
      const s = got.settings!;
      expect([s.accessTokenLifetime, s.idTokenLifetime, s.refreshTokenIdleExpiration, s.refreshTokenExpiration].map((d) => [d!.seconds, d!.nanos])).toEqual([
        [base, 0],
        [base + 1n, 0],
        [base + 2n, 500_000_000],
        [base + 3n, 1],
      ]);
      expect(s.details!.sequence).toBe(updated.details!.sequence);
      expect(s.details!.changeDate).toEqual(updated.details!.changeDate);

      if (mode === 'standalone') {
        // The client spoke Connect unary (not gRPC-Web) in the codec asked.
        expect(adminSeen.slice(seenBefore).map((r) => `${r.method} ${r.url} ${r.contentType}`)).toEqual([
          `POST ${ADMIN}/UpdateOIDCSettings ${codec}`,
          `POST ${ADMIN}/GetOIDCSettings ${codec}`,
        ]);
      }
    });

    it('INVALID_ARGUMENT: the client decodes google.rpc.BadRequest and zitadel.v1.ErrorDetail', async () => {
      const error = await failure(client().updateOIDCSettings({ idTokenLifetime: { seconds: 0n, nanos: -1 } }, { headers: owner() }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.findDetails(ErrorDetailSchema)[0]?.id).toBe('INST-10sxks');
      expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field).sort()).toEqual([
        'access_token_lifetime',
        'id_token_lifetime',
        'refresh_token_expiration',
        'refresh_token_idle_expiration',
      ]);
    });

    it('ALREADY_EXISTS on Add, with its error id', async () => {
      const d = { seconds: 3600n };
      const error = await failure(
        client().addOIDCSettings({ accessTokenLifetime: d, idTokenLifetime: d, refreshTokenIdleExpiration: d, refreshTokenExpiration: d }, { headers: owner() }),
      );
      expect(error.code).toBe(Code.AlreadyExists);
      expect(error.findDetails(ErrorDetailSchema)[0]?.id).toBe('INST-0aaj1o');
    });

    it('UNAUTHENTICATED (16) without a token', async () => {
      const error = await failure(client().getOIDCSettings({}));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.findDetails(ErrorDetailSchema)[0]?.id).toBe('AUTH-7fs1e');
    });

    it('PERMISSION_DENIED for a viewer on Update; the viewer still reads', async () => {
      const d = { seconds: 7200n };
      const error = await failure(
        client().updateOIDCSettings(
          { accessTokenLifetime: d, idTokenLifetime: d, refreshTokenIdleExpiration: d, refreshTokenExpiration: d },
          { headers: { authorization: `Bearer ${viewer}` } },
        ),
      );
      expect(error.code).toBe(Code.PermissionDenied);
      expect(error.findDetails(ErrorDetailSchema)[0]?.id).toBe('AUTH-5mWD2');
      const got = await client().getOIDCSettings({}, { headers: { authorization: `Bearer ${viewer}` } });
      expect(got.settings?.accessTokenLifetime?.seconds).toBeGreaterThan(0n);
    });
  });
});

describe.each(CLIENTS)('LibraryService over Connect (standalone gateway), %s', (_name, kind, binary) => {
  const client = (useHttpGet = false) => createClient(Library, transportFor(kind, binary, libraryGateway.port, useHttpGet));
  const encoding = binary ? 'proto' : 'json';

  it('response headers reach onHeader, upstream trailers onTrailer; request headers reach the upstream as metadata', async () => {
    let headers: Headers | undefined;
    let trailers: Headers | undefined;
    const echo = await libraryMethod(client(), 'getShelfSettings')(
      { name: 'shelves/1/settings' },
      { headers: { 'x-custom': 'yes' }, onHeader: (h) => (headers = h), onTrailer: (t) => (trailers = t) },
    );
    expect(echo.request.value?.['name']).toBe('shelves/1/settings');
    expect(echo.metadata['x-custom']).toBe('yes');
    expect(echo.metadata['connect-protocol-version']).toBeUndefined();
    expect(headers?.get('x-echo-header')).toBe('GetShelfSettings');
    expect(trailers?.get('x-echo-trailer')).toBe('GetShelfSettings');
    // The protocol's own words never come from metadata.
    for (const key of [...headerKeys(headers!), ...headerKeys(trailers!)]) expect(key).not.toMatch(/^grpc-/);
  });

  it('an error carries its code, message, details and the upstream header and trailer', async () => {
    const error = await failure(libraryMethod(client(), 'fail')({ code: Code.FailedPrecondition, message: 'not now', withDetails: true }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe('not now');
    expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => [v.field, v.description])).toEqual([['code', 'as asked']]);
    expect(error.metadata.get('x-echo-header')).toBe('Fail');
    expect(error.metadata.get('x-echo-trailer')).toBe('Fail');
  });

  it('timeoutMs: a slow call ends with DEADLINE_EXCEEDED and the upstream call is cancelled', async () => {
    const before = upstream.cancelled.length;
    const error = await failure(libraryMethod(client(), 'fail')({ code: 0, delayMs: 2000 }, { timeoutMs: 200 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    await eventually(() => upstream.cancelled.length > before);
    expect(upstream.cancelled.slice(before)).toContain('Fail');
  });

  it("the gateway's own deadline (connect-timeout-ms, the client not timing out) reaches the client as DEADLINE_EXCEEDED", async () => {
    const error = await failure(libraryMethod(client(), 'fail')({ code: 0, delayMs: 2000 }, { headers: { 'connect-timeout-ms': '100' } }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    // An answer from the gateway, not the client giving up: it came with the error body's content type.
    expect(error.metadata.get('content-type')).toBe('application/json');
  });

  it('useHttpGet: NO_SIDE_EFFECTS methods go as GET and are answered; Fail (side effects) stays POST', async () => {
    const get = client(true);
    // Characters a query string must escape, and non-ASCII text.
    const name = 'shelves/ü x?&=+%#/settings';
    const seenBefore = librarySeen.length;
    expect((await libraryMethod(get, 'getShelfSettings')({ name })).request.value?.['name']).toBe(name);
    expect((await libraryMethod(get, 'getFile')({ path: 'a/b c' })).request.value?.['path']).toBe('a/b c');
    await libraryMethod(get, 'fail')({ code: 0 });
    const seen = librarySeen.slice(seenBefore);
    expect(seen.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      `GET ${LIBRARY}/GetShelfSettings`,
      `GET ${LIBRARY}/GetFile`,
      `POST ${LIBRARY}/Fail`,
    ]);
    const query = new URLSearchParams(seen[0]!.url.split('?')[1]);
    expect(query.get('connect')).toBe('v1');
    expect(query.get('encoding')).toBe(encoding);
    expect(query.get('base64')).toBe(binary ? '1' : null);
  });
});

/** fetch against a gateway, the body read whole. */
async function send(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const body = typeof init.body === 'string' ? init.body : init.body && new Uint8Array(init.body);
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method: init.method ?? 'POST', headers: init.headers, body });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

interface ErrorBody {
  code: string;
  message?: string;
  details?: Array<{ type: string; value: string }>;
}
const errorBody = (body: Buffer) => JSON.parse(body.toString('utf8')) as ErrorBody;
const JSON_TYPE = { 'content-type': 'application/json' };

describe('the Connect wire, by hand (standalone gateway, library upstream)', () => {
  const post = (method: string, body: string | Uint8Array, headers: Record<string, string> = JSON_TYPE) =>
    send(libraryGateway.port, `${LIBRARY}/${method}`, { headers, body });

  /** A call that must be served: the gateway took the refusal before it in its stride. */
  async function stillServes(): Promise<void> {
    const r = await post('GetShelfSettings', JSON.stringify({ name: 'shelves/ok/settings' }));
    expect(r.status).toBe(200);
    expect((JSON.parse(r.body.toString('utf8')) as { getShelfSettings: { name: string } }).getShelfSettings.name).toBe('shelves/ok/settings');
  }

  it.each([
    [1, 499, 'canceled'],
    [2, 500, 'unknown'],
    [3, 400, 'invalid_argument'],
    [4, 504, 'deadline_exceeded'],
    [5, 404, 'not_found'],
    [6, 409, 'already_exists'],
    [7, 403, 'permission_denied'],
    [8, 429, 'resource_exhausted'],
    [9, 400, 'failed_precondition'],
    [10, 409, 'aborted'],
    [11, 400, 'out_of_range'],
    [12, 501, 'unimplemented'],
    [13, 500, 'internal'],
    [14, 503, 'unavailable'],
    [15, 500, 'data_loss'],
    [16, 401, 'unauthenticated'],
  ])('code %i: HTTP %i, a JSON error body "%s" with decodable details, the upstream header and trailer', async (code, status, name) => {
    const r = await post('Fail', JSON.stringify({ code, message: `asked for ${name}`, withDetails: true }));
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json');
    const body = errorBody(r.body);
    expect(body.code).toBe(name);
    // The gateway may say which upstream was unavailable; the text asked for is kept.
    expect(body.message).toContain(`asked for ${name}`);
    expect(body.details!.map((d) => d.type)).toEqual(['google.rpc.BadRequest']);
    const value = body.details![0]!.value;
    expect(fromBinary(BadRequestSchema, Buffer.from(value, 'base64')).fieldViolations.map((v) => [v.field, v.description])).toEqual([['code', 'as asked']]);
    expect(r.headers.get('x-echo-header')).toBe('Fail');
    expect(r.headers.get('trailer-x-echo-trailer')).toBe('Fail');
    // grpc-status-details-bin travelled in the body; no grpc-* key (nor trailer-grpc-*) leaks into headers.
    for (const key of headerKeys(r.headers)) expect(key).not.toMatch(/^(trailer-)?grpc-/);
    expect(r.headers.get('www-authenticate') !== null).toBe(code === 16);
  });

  it.each([
    ['application/json', 'application/json'],
    ['application/json; charset=utf-8', 'application/json'],
    ['application/proto', 'application/proto'],
  ])('POST %s: 200, %s, the bare message; trailers as trailer- headers', async (contentType, answered) => {
    const json = contentType.startsWith('application/json');
    const r = await post(
      'GetFile',
      json ? JSON.stringify({ path: 'a/ü', unknownField: 1 }) : encode('GetFile', { path: 'a/ü' }),
      { 'content-type': contentType, 'connect-protocol-version': '1' },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(answered);
    const echo = json
      ? (JSON.parse(r.body.toString('utf8')) as { getFile: { path: string } })
      : (fromBinary(Echo, r.body) as unknown as { request: { value: { path: string } } });
    expect('getFile' in echo ? echo.getFile.path : echo.request.value.path).toBe('a/ü');
    expect(r.headers.get('x-echo-header')).toBe('GetFile');
    expect(r.headers.get('trailer-x-echo-trailer')).toBe('GetFile');
    for (const key of headerKeys(r.headers)) expect(key).not.toMatch(/^(trailer-)?grpc-/);
  });

  it("forwards the caller's headers as metadata, never the protocol's own (version, timeout, a content coding already undone)", async () => {
    const r = await post('GetFile', gzipSync(JSON.stringify({ path: 'p' })), {
      ...JSON_TYPE,
      'connect-protocol-version': '1',
      'connect-timeout-ms': '10000',
      'content-encoding': 'gzip',
      authorization: 'Bearer t0ken',
      'x-custom': 'yes',
    });
    expect(r.status).toBe(200);
    const metadata = (JSON.parse(r.body.toString('utf8')) as { metadata: Record<string, string> }).metadata;
    expect(metadata).toMatchObject({ authorization: 'Bearer t0ken', 'x-custom': 'yes' });
    // The upstream gets an uncompressed message: a content-encoding: gzip beside it would be a lie.
    for (const key of ['connect-protocol-version', 'connect-timeout-ms', 'content-encoding', 'content-type']) expect(metadata[key]).toBeUndefined();
  });

  it('no connect-protocol-version header is accepted', async () => {
    const r = await post('GetFile', JSON.stringify({ path: 'p' }));
    expect(r.status).toBe(200);
  });

  it('connect-timeout-ms is the deadline: 504 deadline_exceeded, and the upstream call is cancelled', async () => {
    const before = upstream.cancelled.length;
    const r = await post('Fail', JSON.stringify({ code: 0, delayMs: 2000 }), { ...JSON_TYPE, 'connect-timeout-ms': '150' });
    expect(r.status).toBe(504);
    expect(errorBody(r.body).code).toBe('deadline_exceeded');
    await eventually(() => upstream.cancelled.length > before);
    await stillServes();
  });

  const GET = (method: string, query: string) => ({ method: 'GET', path: `${LIBRARY}/${method}?${query}` });
  const POST = (method: string, body: string, headers: Record<string, string> = JSON_TYPE) => ({ method: 'POST', path: `${LIBRARY}/${method}`, body, headers });

  it.each([
    ['connect-protocol-version 2', POST('GetFile', '{}', { ...JSON_TYPE, 'connect-protocol-version': '2' }), 400, 'invalid_argument', /connect-protocol-version/],
    ['connect-timeout-ms not a number', POST('GetFile', '{}', { ...JSON_TYPE, 'connect-timeout-ms': 'soon' }), 400, 'invalid_argument', /connect-timeout-ms/],
    ['connect-timeout-ms of 11 digits', POST('GetFile', '{}', { ...JSON_TYPE, 'connect-timeout-ms': '12345678901' }), 400, 'invalid_argument', /connect-timeout-ms/],
    ['connect-timeout-ms negative', POST('GetFile', '{}', { ...JSON_TYPE, 'connect-timeout-ms': '-5' }), 400, 'invalid_argument', /connect-timeout-ms/],
    ['a JSON array body', POST('GetFile', '[{"path":"p"}]'), 400, 'invalid_argument', /JSON object/],
    ['a JSON string body', POST('GetFile', '"p"'), 400, 'invalid_argument', /JSON object/],
    ['a JSON null body', POST('GetFile', 'null'), 400, 'invalid_argument', /JSON object/],
    ['malformed JSON', POST('GetFile', '{"path":'), 400, 'invalid_argument', /JSON/],
    ['a bad field value', POST('Fail', '{"code":"abc"}'), 400, 'invalid_argument', /code/],
    ['a GET to a method with side effects', GET('Fail', 'connect=v1&encoding=json&message=%7B%7D'), 405, 'unimplemented', /POST/],
    ['a GET without encoding', GET('GetFile', 'connect=v1&message=%7B%7D'), 400, 'invalid_argument', /encoding/],
    ['a GET with encoding=xml', GET('GetFile', 'connect=v1&encoding=xml&message=%7B%7D'), 400, 'invalid_argument', /encoding/],
    ['a GET with connect=v2', GET('GetFile', 'connect=v2&encoding=json&message=%7B%7D'), 400, 'invalid_argument', /connect=/],
    ['a GET with base64=1 and no base64', GET('GetFile', 'connect=v1&encoding=proto&base64=1&message=%21%21'), 400, 'invalid_argument', /base64/],
    ['a GET whose message is no JSON object', GET('GetFile', 'connect=v1&encoding=json&message=%5B%5D'), 400, 'invalid_argument', /JSON object/],
    ['an unknown method', POST('NoSuchMethod', '{}'), 404, 'unimplemented', /NoSuchMethod/],
    ['an unknown service', { ...POST('x', '{}'), path: '/library.v1.NoSuchService/GetFile' }, 404, 'unimplemented', /NoSuchService/],
    ['the streaming application/connect+proto', POST('GetFile', '', { 'content-type': 'application/connect+proto' }), 415, 'unimplemented', /application\/connect\+proto/],
    ['the streaming application/connect+json', POST('GetFile', '{}', { 'content-type': 'application/connect+json' }), 415, 'unimplemented', /application\/connect\+json/],
    ['text/plain on a gRPC path', POST('GetFile', '{}', { 'content-type': 'text/plain' }), 415, 'unimplemented', /text\/plain/],
  ])('refuses %s: HTTP %i, Connect error "%s", and still serves', async (_name, request, status, code, message) => {
    const r = await send(libraryGateway.port, request.path, request);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe('application/json');
    const body = errorBody(r.body);
    expect(body.code).toBe(code);
    expect(body.message).toMatch(message);
    if (status === 405) expect(r.headers.get('allow')).toBe('POST');
    await stillServes();
  });

  it('GET on the admin service\'s own methods (none is NO_SIDE_EFFECTS): 405, allow POST', async () => {
    const r = await send(server.server.http.port, `${ADMIN}/GetOIDCSettings?connect=v1&encoding=json&message=%7B%7D`, { method: 'GET' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expect(errorBody(r.body).code).toBe('unimplemented');
  });

  it.each([
    // '+' is a space in a query; %C3%BC is "ü".
    ['percent-encoded JSON', `encoding=json&message=${'%7B%22name%22%3A%22shelves%2F%C3%BC+x%22%7D'}`, 'shelves/ü x', 'application/json'],
    ['JSON without connect=v1 (optional)', `encoding=json&message=${encodeURIComponent('{"name":"n"}')}`, 'n', 'application/json'],
    ['base64 proto, unpadded', `connect=v1&encoding=proto&base64=1&message=${Buffer.from(encode('GetShelfSettings', { name: 'ab' })).toString('base64url')}`, 'ab', 'application/proto'],
    ['base64 proto, padded', `connect=v1&encoding=proto&base64=1&message=${Buffer.from(encode('GetShelfSettings', { name: 'ab' })).toString('base64').replace(/=/g, '%3D')}`, 'ab', 'application/proto'],
    ['proto bytes percent-encoded', `connect=v1&encoding=proto&message=${[...encode('GetShelfSettings', { name: 'ÿ' })].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`, 'ÿ', 'application/proto'],
  ])('GET, %s: 200 in the codec named', async (_name, query, name, contentType) => {
    const r = await send(libraryGateway.port, `${LIBRARY}/GetShelfSettings?${query}`, { method: 'GET' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(contentType);
    const got =
      contentType === 'application/json'
        ? (JSON.parse(r.body.toString('utf8')) as { getShelfSettings: { name: string } }).getShelfSettings.name
        : (fromBinary(Echo, r.body) as unknown as { request: { value: { name: string } } }).request.value.name;
    expect(got).toBe(name);
    expect(r.headers.get('trailer-x-echo-trailer')).toBe('GetShelfSettings');
  });

  it.each([
    ['GetShelfSettings', 'NO_SIDE_EFFECTS', ['GET', 'OPTIONS', 'POST']],
    ['Fail', 'with side effects', ['OPTIONS', 'POST']],
  ])('OPTIONS preflight on %s (%s) allows %j', async (method, _kind, allowed) => {
    const r = await send(libraryGateway.port, `${LIBRARY}/${method}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'connect-protocol-version' },
    });
    expect(r.status).toBeLessThan(300);
    const methods = (r.headers.get('access-control-allow-methods') ?? '').split(',').map((m) => m.trim()).sort();
    expect(methods).toEqual(allowed);
  });
});

describe('the Connect wire, by hand (AdminService, gateway in process)', () => {
  const post = (method: string, body: JsonObject, headers: Record<string, string> = {}) =>
    send(server.server.http.port, `${ADMIN}/${method}`, { headers: { ...JSON_TYPE, 'connect-protocol-version': '1', ...headers }, body: JSON.stringify(body) });

  it('no token: 401 with www-authenticate, "unauthenticated", the ErrorDetail as a detail', async () => {
    const r = await post('GetOIDCSettings', {});
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const body = errorBody(r.body);
    expect(body.code).toBe('unauthenticated');
    const detail = body.details!.find((d) => d.type === 'zitadel.v1.ErrorDetail')!;
    expect(fromBinary(ErrorDetailSchema, Buffer.from(detail.value, 'base64')).id).toBe('AUTH-7fs1e');
  });

  it('an invalid Update: 400 "invalid_argument" naming the field, ErrorDetail and BadRequest as details', async () => {
    const r = await post(
      'UpdateOIDCSettings',
      { accessTokenLifetime: '0s', idTokenLifetime: '1s', refreshTokenIdleExpiration: '1s', refreshTokenExpiration: '1s' },
      { authorization: `Bearer ${server.adminToken}` },
    );
    expect(r.status).toBe(400);
    const body = errorBody(r.body);
    expect(body.code).toBe('invalid_argument');
    expect(body.message).toMatch(/access_token_lifetime/);
    const byType = Object.fromEntries(body.details!.map((d) => [d.type, Buffer.from(d.value, 'base64')]));
    expect(fromBinary(ErrorDetailSchema, byType['zitadel.v1.ErrorDetail']!).id).toBe('INST-10sxks');
    expect(fromBinary(BadRequestSchema, byType['google.rpc.BadRequest']!).fieldViolations.map((v) => v.field)).toEqual(['access_token_lifetime']);
  });

  it('a duration that is no Duration: 400 naming the field', async () => {
    const r = await post('UpdateOIDCSettings', { accessTokenLifetime: 'soon' }, { authorization: `Bearer ${server.adminToken}` });
    expect(r.status).toBe(400);
    const body = errorBody(r.body);
    expect(body.code).toBe('invalid_argument');
    expect(body.message).toMatch(/accessTokenLifetime/);
  });
});
