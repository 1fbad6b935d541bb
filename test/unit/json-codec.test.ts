import { create, createRegistry, toBinary } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import { binaryToJson } from '../../gateway/json-codec';
import { GetOIDCSettingsResponseSchema } from '../../gen/es/zitadel/admin_pb';

const registry = createRegistry();
const encode = (hours: number): Uint8Array =>
  toBinary(
    GetOIDCSettingsResponseSchema,
    create(GetOIDCSettingsResponseSchema, { settings: { accessTokenLifetime: create(DurationSchema, { seconds: BigInt(hours * 3600) }) } }),
  );

describe('binaryToJson keeps the last JSON of each response type', () => {
  it('answers equal bytes (new objects each time, as an upstream sends them) with the JSON already made', () => {
    const first = binaryToJson(GetOIDCSettingsResponseSchema, encode(12), registry);
    const again = binaryToJson(GetOIDCSettingsResponseSchema, encode(12), registry);
    expect(again).toBe(first);
    expect(JSON.parse(again.toString('utf8'))).toEqual({ settings: { accessTokenLifetime: '43200s' } });
  });

  it('makes new JSON as soon as the bytes differ, by one byte or by length', () => {
    expect(JSON.parse(binaryToJson(GetOIDCSettingsResponseSchema, encode(12), registry).toString())).toEqual({ settings: { accessTokenLifetime: '43200s' } });
    expect(JSON.parse(binaryToJson(GetOIDCSettingsResponseSchema, encode(13), registry).toString())).toEqual({ settings: { accessTokenLifetime: '46800s' } });
    expect(JSON.parse(binaryToJson(GetOIDCSettingsResponseSchema, encode(1300), registry).toString())).toEqual({ settings: { accessTokenLifetime: '4680000s' } });
    expect(JSON.parse(binaryToJson(GetOIDCSettingsResponseSchema, new Uint8Array(), registry).toString())).toEqual({});
  });
});
