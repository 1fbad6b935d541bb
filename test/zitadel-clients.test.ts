/**
 * ZITADEL's own published TypeScript clients, unchanged, against this
 * service: @zitadel/client's server transport (gRPC, to the gRPC port) and
 * client transport (gRPC-Web, to the gateway), and connect-es's Connect
 * transport (JSON and binary) under @zitadel/client's AdminService client,
 * built on @zitadel/proto, the descriptors ZITADEL publishes. Each reads, updates, reads back, and gets
 * an invalid argument with ZITADEL's error id and field violations.
 */
import { Code, ConnectError, type Transport } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { createServerTransport } from '@zitadel/client/node';
import { createAdminServiceClient } from '@zitadel/client/v1';
import { createClientTransport } from '@zitadel/client/web';
import { BadRequestSchema } from '../gen/es/google/rpc/error_details_pb';
import { type TestServer, issueToken, startTestServer } from './helpers/server';

import type * as MessagePb from '@zitadel/proto/zitadel/message_pb' with { 'resolution-mode': 'import' };

// @zitadel/proto's types say ES module; its CommonJS build is what a
// CommonJS test loads, so it is required with the ES module's types.
const { ErrorDetailSchema } = jest.requireActual<typeof MessagePb>('@zitadel/proto/zitadel/message_pb');

let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' });
  token = await issueToken(server.dataDir, 'IAM_OWNER');
});
afterAll(async () => {
  await server.stop();
});

const hours = (h: number) => ({ seconds: BigInt(h * 3600), nanos: 0 });

/** The bearer token as connect-es clients add headers: an interceptor. */
const withToken = (t: string) => [
  (next: Parameters<NonNullable<Parameters<typeof createConnectTransport>[0]['interceptors']>[number]>[0]) =>
    (request: Parameters<typeof next>[0]) => {
      request.header.set('authorization', `Bearer ${t}`);
      return next(request);
    },
];

const transports: Array<[string, () => Transport]> = [
  ['@zitadel/client/node (gRPC)', () => createServerTransport(token, { baseUrl: `http://127.0.0.1:${server.grpcPort}` })],
  ['@zitadel/client/web (gRPC-Web)', () => createClientTransport(token, { baseUrl: `http://127.0.0.1:${server.server.http.port}` })],
  [
    'connect-es Connect JSON',
    () => createConnectTransport({ baseUrl: `http://127.0.0.1:${server.server.http.port}`, httpVersion: '1.1', interceptors: withToken(token) }),
  ],
  [
    'connect-es Connect binary',
    () =>
      createConnectTransport({ baseUrl: `http://127.0.0.1:${server.server.http.port}`, httpVersion: '1.1', useBinaryFormat: true, interceptors: withToken(token) }),
  ],
];

describe.each(transports)('%s', (_name, transport) => {
  it('reads, updates and reads back the settings', async () => {
    const admin = createAdminServiceClient(transport());
    const before = await admin.getOIDCSettings({});
    expect(before.settings?.accessTokenLifetime?.seconds).toBeGreaterThan(0n);
    const minutes = BigInt(Math.floor(Math.random() * 1000) + 60);
    const updated = await admin.updateOIDCSettings({
      accessTokenLifetime: { seconds: minutes * 60n, nanos: 0 },
      idTokenLifetime: hours(1),
      refreshTokenIdleExpiration: hours(24),
      refreshTokenExpiration: hours(24 * 7),
    });
    expect(updated.details?.sequence).toBeGreaterThan(before.settings?.details?.sequence ?? 0n);
    const after = await admin.getOIDCSettings({});
    expect(after.settings?.accessTokenLifetime?.seconds).toBe(minutes * 60n);
    expect(after.settings?.details?.sequence).toBe(updated.details?.sequence);
  });

  it("gets ZITADEL's error id and the field violations", async () => {
    const admin = createAdminServiceClient(transport());
    const error = await admin.updateOIDCSettings({ accessTokenLifetime: { seconds: 0n, nanos: 0 } }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.findDetails(ErrorDetailSchema)[0]?.id).toBe('INST-10sxks');
    const fields = error?.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v: { field: string }) => v.field);
    expect(fields).toEqual(expect.arrayContaining(['access_token_lifetime', 'id_token_lifetime']));
  });
});
