/**
 * gRPC-Web as REFERENCE §5 has it, spoken by hand and by Connect's client,
 * through the gateway in front of the test-only library upstream.
 */
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { type GatewayServer, createGateway, startGatewayServer } from '../../gateway/server';
import { upstreamChannel } from '../../gateway/upstream-channel';
import { trailerParse } from '../../gateway/grpc-web/trailer';
import { base64Decode } from '../../gateway/grpc-web/base64';
import { decodeStatusDetails } from '../helpers/status-details';
import { type LibraryUpstream, libraryDescriptorSet, startLibraryUpstream } from '../helpers/library-upstream';
import { rawRequest } from '../helpers/raw-http';

const descriptorSet = libraryDescriptorSet();
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
const service = registry.getService('library.v1.LibraryService')!;
const method = (name: string) => service.methods.find((m) => m.name === name)!;
const encode = (name: string, init: object) => {
  const m = method(name);
  return toBinary(m.input, create(m.input, init as never));
};
const frame = (payload: Uint8Array, flags = 0) => {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = flags;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
};

interface Parsed {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Each whole frame, prefix included. */
  frames: Buffer[];
  message?: Buffer;
  trailers?: Record<string, string>;
}

function parseResponse(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer, text: boolean): Parsed {
  let bytes = text ? base64Decode(body.toString('latin1')) : body;
  const parsed: Parsed = { status, headers, body, frames: [] };
  while (bytes.length >= 5) {
    const length = bytes.readUInt32BE(1);
    const payload = bytes.subarray(5, 5 + length);
    parsed.frames.push(bytes.subarray(0, 5 + length));
    if (bytes[0]! & 0x80) parsed.trailers = trailerParse(payload);
    else parsed.message = payload;
    bytes = bytes.subarray(5 + length);
  }
  return parsed;
}

let upstream: LibraryUpstream;
let gateway: GatewayServer;
let closeChannel: () => void;

beforeAll(async () => {
  upstream = await startLibraryUpstream(descriptorSet);
  const channel = upstreamChannel(`127.0.0.1:${upstream.port}`);
  closeChannel = channel.close;
  gateway = await startGatewayServer(
    createGateway({ call: channel.call, descriptorSet, mounts: {}, cors: { origins: '*', maxAgeSeconds: 60 }, maxBodyBytes: 4096 }),
    { host: '127.0.0.1', port: 0 },
  );
});
afterAll(async () => {
  await gateway.close();
  closeChannel();
  await upstream.stop();
});

async function grpcWeb(name: string, body: Buffer | string, headers: Record<string, string>, text = false): Promise<Parsed> {
  const response = await rawRequest(gateway.port, {
    method: 'POST',
    path: `/library.v1.LibraryService/${name}`,
    headers: { 'x-grpc-web': '1', 'x-user-agent': 'grpc-web-javascript/0.1', ...headers },
    body,
  });
  return parseResponse(response.status, response.headers, response.body, text);
}

describe('gRPC-Web', () => {
  it.each(['application/grpc-web', 'application/grpc-web+proto'])('binary %s: a data frame and a trailer frame', async (contentType) => {
    const r = await grpcWeb('GetShelfSettings', frame(encode('GetShelfSettings', { name: 'shelves/1/settings' })), {
      'content-type': contentType,
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/grpc-web+proto');
    // The upstream's own trailer travels in the trailer frame beside the status.
    expect(r.trailers).toEqual({ 'grpc-status': '0', 'grpc-message': '', 'x-echo-trailer': 'GetShelfSettings' });
    expect(r.headers['x-echo-header']).toBe('GetShelfSettings');
    const echo = fromBinary(registry.getMessage('library.v1.Echo')!, r.message!) as unknown as { request: { value: { name: string } } };
    expect(echo.request.value.name).toBe('shelves/1/settings');
  });

  it.each(['application/grpc-web-text', 'application/grpc-web-text+proto'])(
    'text %s: base64 both ways, each response frame padded on its own',
    async (contentType) => {
      const request = frame(encode('GetFile', { path: 'x/y' }));
      // The request in two independently padded chunks, as some clients send it.
      const body = request.subarray(0, 4).toString('base64') + request.subarray(4).toString('base64');
      const r = await grpcWeb('GetFile', body, { 'content-type': contentType, accept: 'application/grpc-web-text' }, true);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/grpc-web-text+proto');
      expect(r.frames).toHaveLength(2);
      expect(r.body.toString('latin1')).toBe(r.frames.map((f) => f.toString('base64')).join(''));
      expect(r.trailers?.['grpc-status']).toBe('0');
      expect(r.message!.includes(Buffer.from('x/y'))).toBe(true);
    },
  );

  it('refuses other codecs (+json) with 415', async () => {
    const r = await grpcWeb('GetFile', '{}', { 'content-type': 'application/grpc-web+json' });
    expect(r.status).toBe(415);
    expect(r.headers['grpc-status']).toBe('12');
  });

  it('answers an error trailers-only: status in the headers, no body', async () => {
    const response = await rawRequest(gateway.port, {
      method: 'POST',
      path: '/library.v1.LibraryService/Fail',
      headers: { 'content-type': 'application/grpc-web+proto' },
      body: frame(encode('Fail', { code: 5, message: 'gone' })),
    });
    expect(response.status).toBe(200);
    expect(response.headers['grpc-status']).toBe('5');
    expect(response.headers['grpc-message']).toBe('gone');
    expect(response.body.length).toBe(0);
  });

  const tricky = '\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\n';

  it('percent-encodes grpc-message, and a client gets the exact text back', async () => {
    const response = await rawRequest(gateway.port, {
      method: 'POST',
      path: '/library.v1.LibraryService/Fail',
      headers: { 'content-type': 'application/grpc-web' },
      body: frame(encode('Fail', { code: 3, message: tricky })),
    });
    expect(response.headers['grpc-message']).toBe(
      '%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and non-BMP %F0%9F%98%88%0A',
    );
    const client = createClient(service, createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${gateway.port}`, httpVersion: '1.1' }));
    const fail = client['fail'] as unknown as (req: object) => Promise<unknown>;
    const error = await fail({ code: 3, message: tricky }).catch((e: unknown) => ConnectError.from(e));
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toBe(tricky);
  });

  it('passes grpc-status-details-bin through unchanged', async () => {
    const response = await rawRequest(gateway.port, {
      method: 'POST',
      path: '/library.v1.LibraryService/Fail',
      headers: { 'content-type': 'application/grpc-web' },
      body: frame(encode('Fail', { code: 9, message: 'no', withDetails: true })),
    });
    const details = decodeStatusDetails(Buffer.from(String(response.headers['grpc-status-details-bin']), 'base64'));
    expect(details).toMatchObject({ code: 9, message: 'no', violations: { code: 'as asked' } });
  });

  it('forwards authorization and custom headers as metadata, not hop-by-hop headers', async () => {
    const r = await grpcWeb('GetFile', frame(encode('GetFile', { path: 'p' })), {
      'content-type': 'application/grpc-web',
      authorization: 'Bearer t0ken',
      'x-custom': 'yes',
      connection: 'keep-alive, x-secret-hop',
      'x-secret-hop': 'no',
      'keep-alive': 'timeout=5',
    });
    const echo = fromBinary(registry.getMessage('library.v1.Echo')!, r.message!) as unknown as { metadata: Record<string, string> };
    expect(echo.metadata).toMatchObject({ authorization: 'Bearer t0ken', 'x-custom': 'yes', 'x-user-agent': 'grpc-web-javascript/0.1' });
    for (const hop of ['connection', 'x-secret-hop', 'keep-alive', 'x-grpc-web', 'content-type']) expect(echo.metadata[hop]).toBeUndefined();
  });

  it('honours grpc-timeout as a deadline: DEADLINE_EXCEEDED, and the upstream call is cancelled', async () => {
    const r = await grpcWeb('Fail', frame(encode('Fail', { code: 0, delayMs: 3000 })), {
      'content-type': 'application/grpc-web',
      'grpc-timeout': '200m',
    });
    expect(r.status).toBe(200);
    expect(r.headers['grpc-status']).toBe('4');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.cancelled).toContain('Fail');
  });

  it('refuses a malformed grpc-timeout', async () => {
    const r = await grpcWeb('GetFile', frame(encode('GetFile', {})), { 'content-type': 'application/grpc-web', 'grpc-timeout': '123456789S' });
    expect(r.status).toBe(400);
    expect(r.headers['grpc-status']).toBe('3');
  });
});
