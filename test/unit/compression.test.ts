/**
 * gateway/compression.ts, the gzip codec gRPC-Web and Connect share: which
 * encodings a request may name, which Accept-Encoding lists take gzip, the
 * decompressed-size bound, and the threshold under which answers stay as
 * they are.
 */
import zlib from 'node:zlib';
import { ACCEPTED_ENCODINGS, COMPRESS_MIN_BYTES, acceptsGzip, compressFor, decompress, encodingParse } from '../../gateway/compression';
import { GatewayError } from '../../gateway/errors';

/** What a call threw, for assertions on its code, HTTP status and headers. */
function thrown(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('it did not throw');
}

describe('encodingParse', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['  ', 'identity'],
    ['identity', 'identity'],
    ['IDENTITY', 'identity'],
    ['gzip', 'gzip'],
    ['GZip', 'gzip'],
    [' gzip ', 'gzip'],
    [['gzip'], 'gzip'],
  ])('%j -> %s', (value, encoding) => {
    expect(encodingParse(value, 'grpc-accept-encoding')).toBe(encoding);
  });

  // Both specs: an encoding the server does not offer is UNIMPLEMENTED, with the
  // ones it offers named in the header the protocol reads them from.
  it.each(['snappy', 'br', 'deflate', 'x-gzip', 'gzip, br', 'compress'])('refuses %j: UNIMPLEMENTED, 415, naming gzip', (value) => {
    for (const acceptHeader of ['grpc-accept-encoding', 'accept-encoding']) {
      const error = thrown(() => encodingParse(value, acceptHeader));
      expect(error.code).toBe(12);
      expect(error.httpStatus).toBe(415);
      expect(error.headers).toEqual({ [acceptHeader]: 'gzip' });
      expect(error.message).toContain(JSON.stringify(value));
    }
  });

  it('offers gzip, and answers under 1 KiB go uncompressed by default', () => {
    expect(ACCEPTED_ENCODINGS).toBe('gzip');
    expect(COMPRESS_MIN_BYTES).toBe(1024);
  });
});

describe('acceptsGzip', () => {
  // "*" and x-gzip do not make the gateway compress: identity is always
  // acceptable (RFC 9110 §12.5.3), so answering uncompressed to a client
  // that did not name gzip is never wrong, and compressing could be.
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZIP', true],
    ['Gzip', true],
    [' gzip ', true],
    ['gzip,br', true],
    ['br, gzip', true],
    ['identity, deflate, gzip', true],
    ['gzip, deflate, br, zstd', true],
    [['br', 'gzip'], true],
    [['br', 'deflate'], false],
    ['gzip;q=1', true],
    ['gzip;q=0.5', true],
    ['gzip; q=0.001', true],
    ['gzip;level=9', true],
    ['gzip;q=0', false],
    ['gzip; q=0', false],
    ['gzip ;q=0', false],
    ['gzip;q=0.0', false],
    ['gzip;q=0.000', false],
    // RFC 9110 §12.4.2 spells the weight "q=", and ABNF strings are case-insensitive (RFC 5234 §2.3).
    ['gzip;Q=0', false],
    ['br;q=1, gzip;q=0', false],
    ['identity', false],
    ['br', false],
    ['deflate', false],
    ['x-gzip', false],
    ['gzipx', false],
    ['*', false],
    ['*;q=1', false],
  ])('%j -> %s', (header, accepts) => {
    expect(acceptsGzip(header)).toBe(accepts);
  });
});

describe('decompress', () => {
  const limit = 1024;

  it('passes identity bytes through untouched', () => {
    const bytes = Uint8Array.from([0x1f, 0x8b, 1, 2, 3]);
    expect(decompress('identity', bytes, 1)).toBe(bytes);
  });

  it('inflates gzip', () => {
    const message = Buffer.from('a message, twice: a message');
    expect(Buffer.from(decompress('gzip', zlib.gzipSync(message), limit))).toEqual(message);
  });

  it('takes a message exactly at the limit', () => {
    expect(decompress('gzip', zlib.gzipSync(Buffer.alloc(limit, 7)), limit)).toHaveLength(limit);
  });

  it.each([
    ['one byte over the limit', zlib.gzipSync(Buffer.alloc(limit + 1, 7))],
    ['a bomb: 10 MiB of zeros in ~10 KB', zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024))],
    // RFC 1952 members follow one another; the bound is on what they make together.
    ['two members, each under the limit, together over it', Buffer.concat([zlib.gzipSync(Buffer.alloc(600)), zlib.gzipSync(Buffer.alloc(600))])],
  ])('refuses %s: RESOURCE_EXHAUSTED, 413', (_, gzipped) => {
    const error = thrown(() => decompress('gzip', gzipped, limit));
    expect(error.code).toBe(8);
    expect(error.httpStatus).toBe(413);
    expect(error.message).toContain(`${limit} bytes once decompressed`);
  });

  it('reads every member of a multi-member gzip', () => {
    const gzipped = Buffer.concat([zlib.gzipSync(Buffer.from('one ')), zlib.gzipSync(Buffer.from('two'))]);
    expect(Buffer.from(decompress('gzip', gzipped, limit)).toString()).toBe('one two');
  });

  const valid = zlib.gzipSync(Buffer.from('hello, hello, hello'));
  it.each([
    ['not gzip at all', Buffer.from('hello')],
    ['nothing', Buffer.alloc(0)],
    ['a truncated stream', valid.subarray(0, valid.length - 6)],
    ['a wrong CRC', Buffer.concat([valid.subarray(0, valid.length - 8), Buffer.from([0, 0, 0, 0]), valid.subarray(valid.length - 4)])],
    ['zlib (deflate) instead of gzip', zlib.deflateSync(Buffer.from('hello'))],
  ])('refuses %s: INVALID_ARGUMENT, 400', (_, bytes) => {
    const error = thrown(() => decompress('gzip', bytes, limit));
    expect(error.code).toBe(3);
    expect(error.httpStatus).toBe(400);
    expect(error.message).toBe('the request message is not valid gzip');
  });
});

describe('compressFor', () => {
  const min = 1024;
  const gunzip = (bytes: Uint8Array | undefined) => zlib.gunzipSync(bytes!);

  it.each([0, 1, min - 1, min, min + 1, 100_000])('never compresses for a client that does not take gzip (%d bytes)', (size) => {
    expect(compressFor(false, Buffer.alloc(size, 1), min)).toBeUndefined();
  });

  it.each([0, 1, min - 1])('leaves %d bytes as they are', (size) => {
    expect(compressFor(true, Buffer.alloc(size, 1), min)).toBeUndefined();
  });

  it.each([min, min + 1, 100_000])('gzips %d bytes', (size) => {
    const bytes = Buffer.alloc(size, 1);
    const compressed = compressFor(true, bytes, min);
    expect(compressed).toBeDefined();
    expect(gunzip(compressed)).toEqual(bytes);
  });

  it('gzips everything, even nothing, with a threshold of 0', () => {
    expect(gunzip(compressFor(true, Buffer.alloc(0), 0))).toHaveLength(0);
    expect(gunzip(compressFor(true, Buffer.from('x'), 0)).toString()).toBe('x');
  });
});
