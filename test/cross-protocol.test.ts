/**
 * Same answer on every path: each case runs over native gRPC, gRPC-Web
 * (improbable-eng's client and Connect's), the Connect protocol (connect-es's
 * client, JSON and binary), gRPC-Web text and REST, against the gateway in
 * process and standalone in front of the gRPC port, and must give the same
 * code, the same error id and equivalent results.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { DESCRIPTOR_SET_PATH } from '../src/paths';
import fs from 'node:fs';
import { type GatewayServer, createGateway, startGatewayServer } from '../gateway/server';
import { type UpstreamChannel, upstreamChannel } from '../gateway/upstream-channel';
import { type Caller, PROTOCOLS, type Protocol, type Result, callersFor } from './helpers/protocols';
import { type TestServer, issueToken, startTestServer } from './helpers/server';

const lifetimes = (a: string, b: string, c: string, d: string): JsonObject => ({
  accessTokenLifetime: a,
  idTokenLifetime: b,
  refreshTokenIdleExpiration: c,
  refreshTokenExpiration: d,
});

const viewerToken = (server: TestServer): Promise<string> => issueToken(server.dataDir, 'IAM_OWNER_VIEWER');

async function standaloneGateway(grpcPort: number): Promise<{ http: GatewayServer; upstream: UpstreamChannel }> {
  const upstream = upstreamChannel(`127.0.0.1:${grpcPort}`);
  const gateway = createGateway({
    call: upstream.call,
    descriptorSet: fs.readFileSync(DESCRIPTOR_SET_PATH),
    mounts: { 'zitadel.admin.v1.AdminService': '/admin/v1' },
    cors: { origins: '*', maxAgeSeconds: 60 },
    maxBodyBytes: 65536,
  });
  return { http: await startGatewayServer(gateway, { host: '127.0.0.1', port: 0 }), upstream };
}

let seeded: TestServer;
let unseeded: TestServer;
let viewer: string;
const standalone: Array<{ http: GatewayServer; upstream: UpstreamChannel }> = [];

beforeAll(async () => {
  seeded = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0' });
  unseeded = await startTestServer({ HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', SEED_DEFAULTS: 'false' });
  viewer = await viewerToken(seeded);
  standalone.push(await standaloneGateway(seeded.grpcPort), await standaloneGateway(unseeded.grpcPort));
});
afterAll(async () => {
  for (const s of standalone) {
    await s.http.close();
    s.upstream.close();
  }
  await seeded.stop();
  await unseeded.stop();
});

type Callers = Record<Protocol, Caller> & { close(): void };

describe.each(['in-process', 'standalone'] as const)('gateway %s', (mode) => {
  let onSeeded: Callers;
  let onUnseeded: Callers;

  beforeAll(() => {
    const httpPort = (i: number, server: TestServer) => (mode === 'in-process' ? server.server.http.port : standalone[i]!.http.port);
    onSeeded = callersFor({ grpcPort: seeded.grpcPort, httpPort: httpPort(0, seeded) });
    onUnseeded = callersFor({ grpcPort: unseeded.grpcPort, httpPort: httpPort(1, unseeded) });
  });
  afterAll(() => {
    onSeeded.close();
    onUnseeded.close();
  });

  /** Runs one call over every protocol, one after the other. */
  async function everyProtocol(callers: Callers, run: (call: Caller) => Promise<Result>): Promise<Record<Protocol, Result>> {
    const results = {} as Record<Protocol, Result>;
    for (const protocol of PROTOCOLS) results[protocol] = await run(callers[protocol]);
    return results;
  }

  function expectSameError(results: Record<Protocol, Result>, code: number, id: string, violations: string[] = []) {
    for (const protocol of PROTOCOLS) {
      const r = results[protocol];
      expect({ protocol, code: r.code, id: r.id, violations: r.violations ?? [] }).toEqual({ protocol, code, id, violations });
      expect({ protocol, message: r.message }).toEqual({ protocol, message: results.grpc.message });
    }
  }

  it('Get: the same settings on every path', async () => {
    const results = await everyProtocol(onSeeded, (call) => call('getOIDCSettings', {}, seeded.adminToken));
    for (const protocol of PROTOCOLS) expect({ protocol, ...results[protocol] }).toEqual({ protocol, ...results.grpc });
    expect(results.grpc.code).toBe(0);
  });

  it('Update: each path changes the settings, one sequence step each', async () => {
    const before = await onSeeded.grpc('getOIDCSettings', {}, seeded.adminToken);
    let sequence = BigInt(((before.json as JsonObject)['settings'] as { details: { sequence: string } }).details.sequence);
    for (const [i, protocol] of PROTOCOLS.entries()) {
      const result = await onSeeded[protocol]('updateOIDCSettings', lifetimes(`${100 + i}s`, '1.5s', '0.000000001s', '7776000s'), seeded.adminToken);
      expect({ protocol, code: result.code }).toEqual({ protocol, code: 0 });
      const details = (result.json as { details: { sequence: string; resourceOwner: string } }).details;
      expect(BigInt(details.sequence)).toBe(++sequence);
      expect(details.resourceOwner).toBe(seeded.server.instanceId);
      const after = await onSeeded[protocol]('getOIDCSettings', {}, seeded.adminToken);
      expect((after.json as { settings: JsonObject }).settings).toMatchObject({
        accessTokenLifetime: `${100 + i}s`,
        idTokenLifetime: '1.500s',
        refreshTokenIdleExpiration: '0.000000001s',
      });
    }
  });

  it('carries sub-second, nanosecond and the largest durations exactly on every path (REFERENCE §4)', async () => {
    for (const [i, protocol] of PROTOCOLS.entries()) {
      const values = lifetimes('0.5s', `1.00000000${i + 1}s`, '315576000000.999999999s', '315576000000s');
      const result = await onSeeded[protocol]('updateOIDCSettings', values, seeded.adminToken);
      expect({ protocol, code: result.code }).toEqual({ protocol, code: 0 });
      const after = await onSeeded.grpc('getOIDCSettings', {}, seeded.adminToken);
      expect({ protocol, settings: (after.json as { settings: JsonObject }).settings }).toMatchObject({
        protocol,
        settings: {
          accessTokenLifetime: '0.500s',
          idTokenLifetime: `1.00000000${i + 1}s`,
          refreshTokenIdleExpiration: '315576000000.999999999s',
          refreshTokenExpiration: '315576000000s',
        },
      });
    }
  });

  it('Update with the stored values: OK with the same details on every path', async () => {
    const values = lifetimes('3600s', '3600s', '86400s', '604800s');
    await onSeeded.grpc('updateOIDCSettings', values, seeded.adminToken);
    const results = await everyProtocol(onSeeded, (call) => call('updateOIDCSettings', values, seeded.adminToken));
    for (const protocol of PROTOCOLS) expect({ protocol, ...results[protocol] }).toEqual({ protocol, ...results.grpc });
    expect(results.grpc.code).toBe(0);
  });

  it('401: no token', async () => {
    expectSameError(await everyProtocol(onSeeded, (call) => call('getOIDCSettings', {})), 16, 'AUTH-7fs1e');
  });

  it('the auth scheme is case-insensitive (RFC 7235 §2.1): bearer and BEARER are accepted', async () => {
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      const results = await everyProtocol(onSeeded, (call) => call('getOIDCSettings', {}, seeded.adminToken, scheme));
      for (const protocol of PROTOCOLS) expect({ protocol, scheme, code: results[protocol].code }).toEqual({ protocol, scheme, code: 0 });
    }
  });

  it('401: another scheme, or none, with a valid token', async () => {
    for (const scheme of ['Basic', 'Token', 'Bearer:']) {
      expectSameError(await everyProtocol(onSeeded, (call) => call('getOIDCSettings', {}, seeded.adminToken, scheme)), 16, 'AUTH-7fs1e');
    }
  });

  it('401: unknown token', async () => {
    expectSameError(await everyProtocol(onSeeded, (call) => call('updateOIDCSettings', {}, 'A'.repeat(43))), 16, 'AUTH-7fs1e');
  });

  it('403: a viewer updating', async () => {
    const values = lifetimes('1s', '1s', '1s', '1s');
    expectSameError(await everyProtocol(onSeeded, (call) => call('updateOIDCSettings', values, viewer)), 7, 'AUTH-5mWD2');
  });

  it('404: Get and Update before settings exist', async () => {
    expectSameError(await everyProtocol(onUnseeded, (call) => call('getOIDCSettings', {}, unseeded.adminToken)), 5, 'QUERY-s9nlw');
    const values = lifetimes('1s', '1s', '1s', '1s');
    expectSameError(
      await everyProtocol(onUnseeded, (call) => call('updateOIDCSettings', values, unseeded.adminToken)),
      5,
      'INST-90s32oj',
    );
  });

  it('409: Add when settings exist', async () => {
    const values = lifetimes('1s', '1s', '1s', '1s');
    expectSameError(await everyProtocol(onSeeded, (call) => call('addOIDCSettings', values, seeded.adminToken)), 6, 'INST-0aaj1o');
  });

  const all = ['access_token_lifetime', 'id_token_lifetime', 'refresh_token_expiration', 'refresh_token_idle_expiration'];
  it.each([
    ['all four missing', {}, all],
    ['one missing', { accessTokenLifetime: '1s', idTokenLifetime: '1s', refreshTokenIdleExpiration: '1s' }, ['refresh_token_expiration']],
    ['zero', lifetimes('0s', '1s', '1s', '1s'), ['access_token_lifetime']],
    ['negative', lifetimes('1s', '-1s', '1s', '1s'), ['id_token_lifetime']],
    ['negative sub-second', lifetimes('1s', '1s', '-0.5s', '1s'), ['refresh_token_idle_expiration']],
    ['two bad', lifetimes('0s', '1s', '1s', '-86400s'), ['access_token_lifetime', 'refresh_token_expiration']],
  ] as Array<[string, JsonObject, string[]]>)('400: %s, on Update and on Add', async (_name, request, fields) => {
    expectSameError(await everyProtocol(onSeeded, (call) => call('updateOIDCSettings', request, seeded.adminToken)), 3, 'INST-10sxks', fields);
    expectSameError(await everyProtocol(onSeeded, (call) => call('addOIDCSettings', request, seeded.adminToken)), 3, 'INST-10s82j', fields);
  });
});
