import { Base64Error, base64Decode } from '../../gateway/grpc-web/base64';
import { grpcWebContentTypeParse, isGrpcWebContentType } from '../../gateway/grpc-web/content-type';
import { FrameError, frameSerialize, framesParse } from '../../gateway/grpc-web/frame';
import { grpcMessageDecode, grpcMessageEncode } from '../../gateway/grpc-web/grpc-message';
import { grpcTimeoutParse } from '../../gateway/grpc-web/timeout';
import { trailerParse, trailerSerialize } from '../../gateway/grpc-web/trailer';
import { headersToMetadata } from '../../gateway/metadata';

describe('grpc-message percent-encoding', () => {
  it.each([
    ['', ''],
    ['plain text', 'plain text'],
    ['100%', '100%25'],
    ['\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\n', '%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and non-BMP %F0%9F%98%88%0A'],
    ['~ is kept, \x7f is not', '~ is kept, %7F is not'],
  ])('%j <-> %j', (text, encoded) => {
    expect(grpcMessageEncode(text)).toBe(encoded);
    expect(grpcMessageDecode(encoded)).toBe(text);
  });

  it.each([['%', '%'], ['%zz', '%zz'], ['50%-off', '50%-off'], ['%E2%98', '\ufffd']])('never rejects a malformed escape: %j', (input, output) => {
    expect(grpcMessageDecode(input)).toBe(output);
  });
});

describe('grpc-timeout', () => {
  it.each([
    ['1H', 3_600_000], ['2M', 120_000], ['3S', 3000], ['250m', 250], ['1500u', 1.5], ['2000000n', 2], ['99999999S', 99_999_999_000],
  ])('%s -> %d ms', (value, ms) => {
    expect(grpcTimeoutParse(value)).toBe(ms);
  });
  it.each(['', '1', 'S', '123456789S', '-1S', '1.5S', '1s', '1 S'])('refuses %j', (value) => {
    expect(grpcTimeoutParse(value)).toBeUndefined();
  });
});

describe('frames', () => {
  it('round-trips data and trailer frames', () => {
    const body = Buffer.concat([frameSerialize(0, Buffer.from('abc')), trailerSerialize({ 'grpc-status': '0', 'grpc-message': '' })]);
    const frames = framesParse(body);
    expect(frames.map((f) => f.flags)).toEqual([0, 0x80]);
    expect(Buffer.from(frames[0]!.payload).toString()).toBe('abc');
    expect(Buffer.from(frames[1]!.payload).toString('latin1')).toBe('grpc-status: 0\r\ngrpc-message: \r\n');
    expect(trailerParse(frames[1]!.payload)).toEqual({ 'grpc-status': '0', 'grpc-message': '' });
  });
  it('accepts an empty message and an empty body', () => {
    expect(framesParse(Buffer.from([0, 0, 0, 0, 0]))).toHaveLength(1);
    expect(framesParse(Buffer.alloc(0))).toEqual([]);
  });
  it.each([
    ['a short prefix', [0, 0, 0]],
    ['a length past the end', [0, 0, 0, 0, 9, 1]],
    ['garbage after a frame', [0, 0, 0, 0, 0, 7]],
  ])('refuses %s', (_name, bytes) => {
    expect(() => framesParse(Buffer.from(bytes))).toThrow(FrameError);
  });
});

describe('text-mode base64', () => {
  it('decodes one padded run, and several padded chunks one after the other', () => {
    expect(base64Decode(Buffer.from('hello').toString('base64')).toString()).toBe('hello');
    const chunks = ['a', 'bc', 'def', 'ghij'].map((s) => Buffer.from(s).toString('base64')).join('');
    expect(base64Decode(chunks).toString()).toBe('abcdefghij');
  });
  it.each(['abc', 'ab!d', 'a===', '=abc', 'ab=c'])('refuses %j', (text) => {
    expect(() => base64Decode(text)).toThrow(Base64Error);
  });
});

describe('content types', () => {
  it.each([
    ['application/grpc-web', false],
    ['application/grpc-web+proto', false],
    ['application/grpc-web-text', true],
    ['application/grpc-web-text+proto', true],
    ['Application/gRPC-Web; charset=utf-8', false],
  ])('%s is gRPC-Web (text: %s)', (type, text) => {
    expect(isGrpcWebContentType(type)).toBe(true);
    expect(grpcWebContentTypeParse(type)?.text).toBe(text);
  });
  it.each(['application/grpc-web+json', 'application/grpc-web-text+json'])('%s is gRPC-Web, but not offered', (type) => {
    expect(isGrpcWebContentType(type)).toBe(true);
    expect(grpcWebContentTypeParse(type)).toBeUndefined();
  });
  it.each(['application/grpc', 'application/json', 'application/grpc-webby', undefined])('%s is not gRPC-Web', (type) => {
    expect(isGrpcWebContentType(type)).toBe(false);
  });
});

describe('metadata from headers', () => {
  it('forwards call metadata and drops hop-by-hop, framing and CORS headers', () => {
    expect(
      headersToMetadata({
        authorization: 'Bearer x',
        'x-user-agent': 'grpc-web-javascript/0.1',
        'x-custom-bin': 'AAEC',
        connection: 'keep-alive, x-private',
        'x-private': 'hop',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        host: 'h',
        'content-type': 'application/grpc-web',
        'content-length': '5',
        'x-grpc-web': '1',
        'grpc-timeout': '1S',
        origin: 'https://a',
        'sec-fetch-mode': 'cors',
        'x-forwarded-for': ['10.0.0.1', '10.0.0.2'],
      }),
    ).toEqual({
      authorization: 'Bearer x',
      'x-user-agent': 'grpc-web-javascript/0.1',
      'x-custom-bin': 'AAEC',
      'x-forwarded-for': '10.0.0.1, 10.0.0.2',
    });
  });
});
