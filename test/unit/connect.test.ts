/**
 * The Connect protocol's small parts, one table each (REFERENCE §8): code
 * names, content types, Connect-Timeout-Ms, the GET query (base64 with and
 * without padding, percent-decoding to bytes, "+" as a space) and the error
 * body, whose details connect-es's own parser must decode back to the
 * messages they were made from.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { codeFromString, errorFromJsonBytes } from '@connectrpc/connect/protocol-connect';
import { codeToConnectString } from '../../gateway/connect/code';
import { connectContentTypeParse, connectEncodingParse, contentTypeOf, isConnectContentType } from '../../gateway/connect/content-type';
import { errorJsonSerialize } from '../../gateway/connect/error-json';
import { getRequestParse } from '../../gateway/connect/get-request';
import { connectTimeoutParse } from '../../gateway/connect/timeout';
import { GatewayError } from '../../gateway/errors';
import { BadRequestSchema } from '../../gen/es/google/rpc/error_details_pb';
import { StatusSchema } from '../../gen/es/google/rpc/status_pb';
import { ErrorDetailSchema } from '../../gen/es/zitadel/message_pb';

describe('codeToConnectString', () => {
  const names: Array<[number, string]> = [
    [1, 'canceled'],
    [2, 'unknown'],
    [3, 'invalid_argument'],
    [4, 'deadline_exceeded'],
    [5, 'not_found'],
    [6, 'already_exists'],
    [7, 'permission_denied'],
    [8, 'resource_exhausted'],
    [9, 'failed_precondition'],
    [10, 'aborted'],
    [11, 'out_of_range'],
    [12, 'unimplemented'],
    [13, 'internal'],
    [14, 'unavailable'],
    [15, 'data_loss'],
    [16, 'unauthenticated'],
  ];

  it.each(names)('code %i is "%s", which connect-es reads back as the same code', (code, name) => {
    expect(codeToConnectString(code)).toBe(name);
    expect(codeFromString(name)).toBe(code);
  });

  it.each([0, -1, 17, 99])('%p, not an error code, is "unknown"', (code) => {
    expect(codeToConnectString(code)).toBe('unknown');
  });
});

describe('content types', () => {
  it.each([
    ['application/proto', true],
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    ['application/connect+proto', true],
    ['application/connect+json', true],
    ['application/grpc', false],
    ['application/grpc-web+proto', false],
    ['application/protobuf', false],
    ['application/jsonl', false],
    ['application/json+foo', false],
    ['text/plain', false],
    ['', false],
    [undefined, false],
  ])('isConnectContentType(%p) is %p', (type, expected) => {
    expect(isConnectContentType(type)).toBe(expected);
  });

  it.each([
    ['application/proto', 'proto'],
    ['APPLICATION/PROTO', 'proto'],
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['application/json;charset=UTF-8', 'json'],
    ['application/json; charset="utf-8"', 'json'],
    ['application/json; charset=utf8', 'json'],
    // Unary only: the streaming types are Connect, but no streaming method is offered.
    ['application/connect+proto', undefined],
    ['application/connect+json', undefined],
    ['application/json; charset=latin1', undefined],
    ['application/proto; foo=bar', undefined],
    ['application/grpc', undefined],
    ['text/json', undefined],
    [undefined, undefined],
  ])('connectContentTypeParse(%p) is %p', (type, expected) => {
    expect(connectContentTypeParse(type)).toBe(expected);
  });

  it.each([
    ['json', 'json'],
    ['proto', 'proto'],
    ['xml', undefined],
    ['', undefined],
    [null, undefined],
  ])('connectEncodingParse(%p) is %p', (encoding, expected) => {
    expect(connectEncodingParse(encoding)).toBe(expected);
  });

  it('answers in the codec asked', () => {
    expect(contentTypeOf('json')).toBe('application/json');
    expect(contentTypeOf('proto')).toBe('application/proto');
  });
});

describe('connectTimeoutParse', () => {
  it.each([
    ['1', 1],
    ['250', 250],
    ['0000000001', 1],
    ['9999999999', 9_999_999_999],
  ])('%p is %p ms', (value, ms) => {
    expect(connectTimeoutParse(value)).toBe(ms);
  });

  it.each(['', '12345678901', '-1', '+1', '1.5', '1e3', '0x10', ' 1', '1 ', '10s', 'abc', '１'])('%p is malformed', (value) => {
    expect(connectTimeoutParse(value)).toBeUndefined();
  });
});

describe('getRequestParse', () => {
  const bytes = (b: Uint8Array) => Array.from(b);
  const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

  it('reads the codec, the message and the compression', () => {
    const parsed = getRequestParse('connect=v1&encoding=json&message=%7B%7D&compression=gzip');
    expect(parsed.codec).toBe('json');
    expect(text(parsed.message)).toBe('{}');
    expect(parsed.compression).toBe('gzip');
  });

  it('takes a call without connect= (optional) and without message (the empty message)', () => {
    const parsed = getRequestParse('encoding=proto');
    expect(parsed.codec).toBe('proto');
    expect(parsed.message).toHaveLength(0);
    expect(parsed.compression).toBeUndefined();
  });

  // 0xfb 0xff 0x01 0x00 is "-_8BAA" in URL-safe base64, "+/8BAA==" in standard.
  const expected = [0xfb, 0xff, 0x01, 0x00];
  it.each([
    ['URL-safe, no padding', '-_8BAA'],
    ['URL-safe, padded', '-_8BAA=='],
    ['URL-safe, padding percent-encoded', '-_8BAA%3D%3D'],
    ['standard alphabet, percent-encoded', '%2B%2F8BAA%3D%3D'],
  ])('base64=1: %s', (_name, message) => {
    expect(bytes(getRequestParse(`connect=v1&encoding=proto&base64=1&message=${message}`).message)).toEqual(expected);
  });

  it.each([
    ['percent-escapes are bytes, not UTF-8 text', '%00%FF%80%7f', [0x00, 0xff, 0x80, 0x7f]],
    ['"+" is a space', 'a+b', [0x61, 0x20, 0x62]],
    ['"%2B" is a plus', 'a%2Bb', [0x61, 0x2b, 0x62]],
    ['UTF-8 escapes make the UTF-8 bytes', '%C3%BC', [0xc3, 0xbc]],
    ['a "%" not followed by two hex digits is itself', '%zz%4', [0x25, 0x7a, 0x7a, 0x25, 0x34]],
    ['no escapes at all', 'abc', [0x61, 0x62, 0x63]],
  ])('percent-encoded message: %s', (_name, message, want) => {
    expect(bytes(getRequestParse(`connect=v1&encoding=proto&message=${message}`).message)).toEqual(want);
  });

  it('decodes a JSON message percent-encoded as connect-es sends it', () => {
    const json = JSON.stringify({ name: 'shelves/ü x?&=+%' });
    const parsed = getRequestParse(`connect=v1&encoding=json&message=${encodeURIComponent(json)}`);
    expect(text(parsed.message)).toBe(json);
  });

  it.each([
    ['connect= another version', 'connect=v2&encoding=json', /connect="v2"/],
    ['no encoding', 'connect=v1&message=%7B%7D', /encoding=null/],
    ['an encoding not offered', 'connect=v1&encoding=xml', /encoding="xml"/],
    ['base64=1 and not base64', 'connect=v1&encoding=proto&base64=1&message=abc*', /not base64/],
    ['base64=1 and a space ("+") inside', 'connect=v1&encoding=proto&base64=1&message=ab+c', /not base64/],
  ])('refuses %s: INVALID_ARGUMENT', (_name, query, message) => {
    let thrown: unknown;
    try {
      getRequestParse(query);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect((thrown as GatewayError).code).toBe(3);
    expect((thrown as GatewayError).httpStatus).toBe(400);
    expect((thrown as GatewayError).message).toMatch(message);
  });
});

describe('errorJsonSerialize', () => {
  // One violation's bytes are 16 long (not a multiple of 3), so its base64 would be padded.
  const badRequest = create(BadRequestSchema, { fieldViolations: [{ field: 'access_token_lifetime', description: 'x' }] });
  const errorDetail = create(ErrorDetailSchema, { id: 'INST-10sxks', message: 'Errors.Invalid.Argument' });
  const status = toBinary(
    StatusSchema,
    create(StatusSchema, { code: 3, message: 'bad', details: [anyPack(BadRequestSchema, badRequest), anyPack(ErrorDetailSchema, errorDetail)] }),
  );

  interface Body {
    code: string;
    message?: string;
    details?: Array<{ type: string; value: string }>;
  }
  const parse = (json: string) => JSON.parse(json) as Body;

  it('names the detail types without the URL prefix, values base64 without padding', () => {
    const body = parse(errorJsonSerialize(3, 'bad', status));
    expect(body.code).toBe('invalid_argument');
    expect(body.message).toBe('bad');
    expect(body.details!.map((d) => d.type)).toEqual(['google.rpc.BadRequest', 'zitadel.v1.ErrorDetail']);
    expect(toBinary(BadRequestSchema, badRequest).length % 3).not.toBe(0);
    for (const detail of body.details!) expect(detail.value).toMatch(/^[A-Za-z0-9+/]+$/);
    expect(fromBinary(BadRequestSchema, Buffer.from(body.details![0]!.value, 'base64'))).toEqual(badRequest);
    expect(fromBinary(ErrorDetailSchema, Buffer.from(body.details![1]!.value, 'base64'))).toEqual(errorDetail);
  });

  it("round-trips through connect-es's own error parser: findDetails decodes both", () => {
    const json = errorJsonSerialize(3, 'bad', status);
    const error = errorFromJsonBytes(Buffer.from(json), undefined, new ConnectError('fallback', Code.Unknown));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe('bad');
    expect(error.findDetails(BadRequestSchema)[0]!.fieldViolations.map((v) => v.field)).toEqual(['access_token_lifetime']);
    expect(error.findDetails(ErrorDetailSchema)[0]!.id).toBe('INST-10sxks');
  });

  it.each([
    ['no details', undefined],
    ['a Status without details', toBinary(StatusSchema, create(StatusSchema, { code: 5, message: 'gone' }))],
    ['bytes that are no Status', new Uint8Array([0xff, 0xff, 0xff])],
  ])('%s: code and message only, no details key', (_name, details) => {
    expect(parse(errorJsonSerialize(5, 'gone', details))).toEqual({ code: 'not_found', message: 'gone' });
  });

  it('leaves out an empty message', () => {
    expect(parse(errorJsonSerialize(13, ''))).toEqual({ code: 'internal' });
  });

  it('keeps a message with quotes, newlines and non-ASCII text exact', () => {
    const message = 'say "hi"\n☺ 😈 \\';
    expect(parse(errorJsonSerialize(3, message)).message).toBe(message);
  });
});
