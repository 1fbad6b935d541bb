/**
 * The typed gRPC-Web client as another project uses it: loaded by package
 * name through package.json "exports" (from the built dist/), not by a
 * relative path into gen/, and run with improbable-eng's Node transport.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type * as GrpcWebModule from '@improbable-eng/grpc-web';
import type * as TransportModule from '@improbable-eng/grpc-web-node-http-transport';
import type * as AdminModule from '../../gen/client/zitadel/admin';
import type * as StatusModule from '../../gen/client/google/rpc/status';
import type * as ErrorDetailsModule from '../../gen/client/google/rpc/error_details';
import { type TestServer, startTestServer } from '../helpers/server';

jest.setTimeout(30_000);

// Node's own require, as in a consumer, rather than jest's module registry: the client and
// the grpc-web runtime it is given metadata and a transport from must be one module instance.
const load = createRequire(__filename);
const { grpc } = load('@improbable-eng/grpc-web') as typeof GrpcWebModule;
const { NodeHttpTransport } = load('@improbable-eng/grpc-web-node-http-transport') as typeof TransportModule;

describe('oidc-settings-service/client', () => {
  let server: TestServer;
  let client: AdminModule.AdminServiceClientImpl;
  let admin: typeof AdminModule;
  const auth = () => new grpc.Metadata({ authorization: `Bearer ${server.adminToken}` });

  beforeAll(async () => {
    admin = load('oidc-settings-service/client') as typeof AdminModule;
    server = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' });
    const rpc = new admin.GrpcWebImpl(`http://127.0.0.1:${server.server.http.port}`, { transport: NodeHttpTransport() });
    client = new admin.AdminServiceClientImpl(rpc);
  });
  afterAll(() => server?.stop());

  it('resolves to the compiled client, with its type declarations beside it', () => {
    const resolved = load.resolve('oidc-settings-service/client');
    expect(resolved).toMatch(/dist\/src\/client\/index\.js$/);
    expect(fs.existsSync(resolved.replace(/\.js$/, '.d.ts'))).toBe(true);
    expect(load.resolve('oidc-settings-service/client/google/rpc/status')).toMatch(/dist\/gen\/client\/google\/rpc\/status\.js$/);
  });

  it('gets and updates the settings, with typed durations, sequence and dates', async () => {
    const { settings } = await client.GetOIDCSettings({}, auth());
    expect(settings?.accessTokenLifetime).toEqual({ seconds: '43200', nanos: 0 });
    expect(settings?.details?.changeDate).toBeInstanceOf(Date);

    const hours = (h: number) => ({ seconds: String(h * 3600), nanos: 0 });
    const { details } = await client.UpdateOIDCSettings(
      { accessTokenLifetime: hours(1), idTokenLifetime: hours(1), refreshTokenIdleExpiration: hours(24), refreshTokenExpiration: hours(24 * 7) },
      auth(),
    );
    expect(BigInt(details!.sequence)).toBeGreaterThan(BigInt(settings!.details!.sequence));
    expect(details?.resourceOwner).toBe(server.server.instanceId);
  });

  it('rejects with a GrpcWebError whose trailers carry the decodable status details', async () => {
    const { Status } = load('oidc-settings-service/client/google/rpc/status') as typeof StatusModule;
    const { BadRequest } = load('oidc-settings-service/client/google/rpc/error_details') as typeof ErrorDetailsModule;
    const error: unknown = await client.UpdateOIDCSettings({}, auth()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(admin.GrpcWebError);
    const { code, metadata } = error as AdminModule.GrpcWebError;
    expect(code).toBe(grpc.Code.InvalidArgument);
    const status = Status.decode(Buffer.from(metadata.get('grpc-status-details-bin')[0]!, 'base64'));
    const badRequest = status.details.find((d) => d.typeUrl.endsWith('/google.rpc.BadRequest'))!;
    expect(BadRequest.decode(badRequest.value).fieldViolations.map((v) => v.field)).toEqual([
      'access_token_lifetime',
      'id_token_lifetime',
      'refresh_token_idle_expiration',
      'refresh_token_expiration',
    ]);
  });
});
