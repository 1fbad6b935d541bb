/**
 * Wire compatibility, byte by byte. The hex below is written by hand from
 * the field numbers of REFERENCE §1 (tag = field << 3 | wire type), not
 * produced by any encoder: renumber a field in proto/ and these fail.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AddOIDCSettingsRequestSchema,
  GetOIDCSettingsResponseSchema,
  UpdateOIDCSettingsRequestSchema,
  UpdateOIDCSettingsResponseSchema,
} from '../gen/es/zitadel/admin_pb';
import { ErrorDetailSchema } from '../gen/es/zitadel/message_pb';
import { type TestServer, startTestServer } from './helpers/server';
import { adminClient, call } from './helpers/grpc-client';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// access_token_lifetime (1) = 3600s; id_token_lifetime (2) = 1.5s;
// refresh_token_idle_expiration (3) = 86400s; refresh_token_expiration (4) = 604800s
const LIFETIMES_REQUEST = hex(`
  0a 03  08 90 1c
  12 07  08 01  10 80 ca b5 ee 01
  1a 04  08 80 a3 05
  22 04  08 80 f5 24
`);

describe('golden protobuf bytes', () => {
  const expected = {
    accessTokenLifetime: { seconds: 3600n, nanos: 0 },
    idTokenLifetime: { seconds: 1n, nanos: 500_000_000 },
    refreshTokenIdleExpiration: { seconds: 86400n, nanos: 0 },
    refreshTokenExpiration: { seconds: 604800n, nanos: 0 },
  };

  it.each([
    ['UpdateOIDCSettingsRequest', UpdateOIDCSettingsRequestSchema],
    ['AddOIDCSettingsRequest', AddOIDCSettingsRequestSchema],
  ] as const)('decodes a hand-written %s', (_name, schema) => {
    const request = fromBinary(schema, LIFETIMES_REQUEST);
    expect({
      accessTokenLifetime: { seconds: request.accessTokenLifetime?.seconds, nanos: request.accessTokenLifetime?.nanos },
      idTokenLifetime: { seconds: request.idTokenLifetime?.seconds, nanos: request.idTokenLifetime?.nanos },
      refreshTokenIdleExpiration: {
        seconds: request.refreshTokenIdleExpiration?.seconds,
        nanos: request.refreshTokenIdleExpiration?.nanos,
      },
      refreshTokenExpiration: { seconds: request.refreshTokenExpiration?.seconds, nanos: request.refreshTokenExpiration?.nanos },
    }).toEqual(expected);
  });

  it('encodes UpdateOIDCSettingsResponse.details (ObjectDetails 1..4) as ZITADEL does', () => {
    const response = create(UpdateOIDCSettingsResponseSchema, {
      details: {
        sequence: 2n,
        creationDate: { seconds: 1742917068n, nanos: 151_000_000 },
        changeDate: { seconds: 1742917068n, nanos: 151_000_000 },
        resourceOwner: '69629023906488334',
      },
    });
    // details (1) { sequence (1) = 2; creation_date (2) {seconds (1), nanos (2)};
    //               change_date (3) {...}; resource_owner (4) = "69629023906488334" }
    const timestamp = '08 cc 9b 8b bf 06  10 c0 a7 80 48';
    const golden = hex(`
      0a 2f
        08 02
        12 0b ${timestamp}
        1a 0b ${timestamp}
        22 11 ${Buffer.from('69629023906488334').toString('hex')}
    `);
    expect(Buffer.from(toBinary(UpdateOIDCSettingsResponseSchema, response)).toString('hex')).toBe(golden.toString('hex'));
  });

  it('decodes a hand-written GetOIDCSettingsResponse (OIDCSettings fields 1..5)', () => {
    const golden = hex(`
      0a 1c
        0a 02  08 07
        12 04  08 c0 d1 02
        1a 04  08 c0 d1 02
        22 05  08 80 9a 9e 01
        2a 05  08 80 ce da 03
    `);
    const { settings } = fromBinary(GetOIDCSettingsResponseSchema, golden);
    expect(settings?.details?.sequence).toBe(7n);
    expect(settings?.accessTokenLifetime?.seconds).toBe(43200n);
    expect(settings?.idTokenLifetime?.seconds).toBe(43200n);
    expect(settings?.refreshTokenIdleExpiration?.seconds).toBe(2592000n);
    expect(settings?.refreshTokenExpiration?.seconds).toBe(7776000n);
  });

  it('decodes a hand-written zitadel.v1.ErrorDetail (id 1, message 2)', () => {
    const golden = hex(`0a 0c ${Buffer.from('INST-90s32oj').toString('hex')} 12 03 ${Buffer.from('abc').toString('hex')}`);
    expect(fromBinary(ErrorDetailSchema, golden)).toMatchObject({ id: 'INST-90s32oj', message: 'abc' });
  });

  describe('over the wire', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(() => server.stop());

    it('the server accepts the hand-written request bytes and stores exactly those values', async () => {
      const raw = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${server.adminToken}`);
      const response = await new Promise<Buffer>((resolve, reject) =>
        raw.makeUnaryRequest(
          '/zitadel.admin.v1.AdminService/UpdateOIDCSettings',
          (b: Buffer) => b,
          (b: Buffer) => b,
          LIFETIMES_REQUEST,
          metadata,
          (error, value) => (error ? reject(error) : resolve(value!)),
        ),
      );
      raw.close();
      // details (1) { sequence (1) = 3 ... }: the first change after the two seed events.
      expect(response.subarray(0, 4).toString('hex')).toMatch(/^0a..0803$/);

      const client = adminClient(server.grpcPort);
      const got = await call<{ settings: Record<string, { seconds: string; nanos: number }> }>(
        client,
        'GetOIDCSettings',
        {},
        server.adminToken,
      );
      client.close();
      if (!got.ok) throw new Error(got.message);
      expect(got.response.settings['idTokenLifetime']).toEqual({ seconds: '1', nanos: 500_000_000 });
      expect(got.response.settings['refreshTokenExpiration']).toEqual({ seconds: '604800', nanos: 0 });
    });
  });
});
