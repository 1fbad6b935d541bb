/**
 * Faults: an upstream that is down or slow, and clients that go away. The
 * gateway answers clearly, frees what the call held, and recovers on its own.
 */
import net from 'node:net';
import { create, createFileRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { type GatewayServer, createGateway, startGatewayServer } from '../../gateway/server';
import { type UpstreamChannel, upstreamChannel } from '../../gateway/upstream-channel';
import { type LibraryUpstream, libraryDescriptorSet, startLibraryUpstream } from '../helpers/library-upstream';
import { freePort } from '../helpers/free-port';
import { rawRequest } from '../helpers/raw-http';

const descriptorSet = libraryDescriptorSet();
const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
const failRequest = registry.getMessage('library.v1.FailRequest')!;
const grpcWebFail = (init: object) => {
  const payload = toBinary(failRequest, create(failRequest, init as never));
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, 5);
  return frame;
};


async function gatewayTo(port: number, defaultTimeoutMs?: number): Promise<{ http: GatewayServer; channel: UpstreamChannel }> {
  const channel = upstreamChannel(`127.0.0.1:${port}`);
  const http = await startGatewayServer(
    createGateway({
      call: channel.call,
      descriptorSet,
      mounts: {},
      cors: { origins: '*', maxAgeSeconds: 60 },
      maxBodyBytes: 65536,
      defaultTimeoutMs,
    }),
    { host: '127.0.0.1', port: 0 },
  );
  return { http, channel };
}

const rest = (port: number, body: object, headers: Record<string, string> = {}) =>
  rawRequest(port, { method: 'POST', path: '/v1/fail', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('upstream down', () => {
  it('answers UNAVAILABLE (503) naming the upstream, and recovers on its own when it returns', async () => {
    const port = await freePort();
    const { http, channel } = await gatewayTo(port);
    let upstream: LibraryUpstream | undefined;
    try {
      const down = await rest(http.port, { code: 0 });
      expect(down.status).toBe(503);
      const body = JSON.parse(down.body.toString()) as { code: number; message: string };
      expect(body.code).toBe(14);
      expect(body.message).toContain(`upstream 127.0.0.1:${port} unavailable`);
      const grpcWeb = await rawRequest(http.port, {
        method: 'POST',
        path: '/library.v1.LibraryService/Fail',
        headers: { 'content-type': 'application/grpc-web' },
        body: grpcWebFail({ code: 0 }),
      });
      expect(grpcWeb.headers['grpc-status']).toBe('14');

      upstream = await startLibraryUpstream(descriptorSet, port);
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
        status = (await rest(http.port, { code: 0 })).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe(200);
    } finally {
      await http.close();
      channel.close();
      await upstream?.stop();
    }
  });
});

describe('slow upstream and departing clients', () => {
  let upstream: LibraryUpstream;
  let gateway: { http: GatewayServer; channel: UpstreamChannel };

  beforeAll(async () => {
    upstream = await startLibraryUpstream(descriptorSet);
    gateway = await gatewayTo(upstream.port, 500);
  });
  afterAll(async () => {
    await gateway.http.close();
    gateway.channel.close();
    await upstream.stop();
  });

  it('answers DEADLINE_EXCEEDED (504) past the default call timeout', async () => {
    const r = await rest(gateway.http.port, { code: 0, delayMs: 3000 });
    expect(r.status).toBe(504);
    expect((JSON.parse(r.body.toString()) as { code: number }).code).toBe(4);
  });

  it('honours grpc-timeout on REST too', async () => {
    const r = await rest(gateway.http.port, { code: 0, delayMs: 400 }, { 'grpc-timeout': '100m' });
    expect(r.status).toBe(504);
  });

  it('cancels the upstream call when the client disconnects while it waits', async () => {
    const before = upstream.cancelled.length;
    const socket = net.connect(gateway.http.port, '127.0.0.1');
    const body = grpcWebFail({ code: 0, delayMs: 2000 });
    socket.write(
      `POST /library.v1.LibraryService/Fail HTTP/1.1\r\nhost: x\r\ncontent-type: application/grpc-web\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    socket.write(body);
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    for (let i = 0; i < 20 && upstream.cancelled.length === before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(upstream.cancelled.length).toBe(before + 1);
  });

  it('frees a connection whose client leaves in the middle of the body, and keeps serving', async () => {
    const socket = net.connect(gateway.http.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('POST /v1/fail HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"code":');
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    let open = -1;
    for (let i = 0; i < 20 && open !== 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      open = await new Promise<number>((resolve) => gateway.http.server.getConnections((_e, n) => resolve(n)));
    }
    expect(open).toBe(0);
    expect((await rest(gateway.http.port, { code: 0 })).status).toBe(200);
  });
});
