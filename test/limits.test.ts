/** Bad input gets a clear error with the right code, and the server keeps serving. */
import * as grpc from '@grpc/grpc-js';
import { adminClient, call } from './helpers/grpc-client';
import { type TestServer, startTestServer } from './helpers/server';

describe('limits and malformed input', () => {
  let server: TestServer;
  let raw: grpc.Client;
  const send = (method: string, bytes: Buffer) => {
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${server.adminToken}`);
    return new Promise<{ code: number; details: string }>((resolve) =>
      raw.makeUnaryRequest(`/zitadel.admin.v1.AdminService/${method}`, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, (error) =>
        resolve({ code: error?.code ?? 0, details: error?.details ?? '' }),
      ),
    );
  };
  const stillServes = async () => {
    const client = adminClient(server.grpcPort);
    const outcome = await call(client, 'GetOIDCSettings', {}, server.adminToken);
    client.close();
    expect(outcome.ok).toBe(true);
  };

  beforeAll(async () => {
    server = await startTestServer({ GRPC_MAX_RECEIVE_BYTES: '4096' });
    raw = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    raw.close();
    await server.stop();
  });

  it('refuses a request over the receive limit with RESOURCE_EXHAUSTED', async () => {
    // Field 15, wire type 2: an unknown field carrying 100 KB.
    const big = Buffer.concat([Buffer.from([0x7a, 0xa0, 0x8d, 0x06]), Buffer.alloc(100_000, 0x41)]);
    const answer = await send('UpdateOIDCSettings', big);
    expect(answer.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    await stillServes();
  });

  it('refuses bytes that are not a protobuf message with INVALID_ARGUMENT', async () => {
    const answer = await send('UpdateOIDCSettings', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]));
    expect(answer.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(answer.details).toContain('zitadel.admin.v1.UpdateOIDCSettingsRequest');
    await stillServes();
  });

  it('answers UNIMPLEMENTED for a method it does not have', async () => {
    const answer = await send('RemoveOIDCSettings', Buffer.alloc(0));
    expect(answer.code).toBe(grpc.status.UNIMPLEMENTED);
    await stillServes();
  });
});
