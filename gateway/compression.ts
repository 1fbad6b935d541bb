import zlib from 'node:zlib';
import { Codes, GatewayError } from './errors';

/**
 * Message compression, the one codec all protocols share: gzip beside
 * identity. gRPC and gRPC-Web name it in grpc-encoding / grpc-accept-encoding
 * (grpc/grpc doc/compression.md), Connect unary in Content-Encoding /
 * Accept-Encoding (connectrpc.com/docs/protocol#unary-request).
 */
export type Encoding = 'identity' | 'gzip';

/** What a server lists in grpc-accept-encoding / Accept-Encoding. */
export const ACCEPTED_ENCODINGS = 'gzip';

/**
 * Answers smaller than this go uncompressed (connect-es's compressMinBytes
 * default): gzip's own 18-byte frame and the CPU outweigh what a few hundred
 * bytes would save.
 */
export const COMPRESS_MIN_BYTES = 1024;

/**
 * The encoding a request names. An encoding not offered is UNIMPLEMENTED,
 * as both specs say, with the ones offered in `acceptHeader`; its HTTP
 * status is 415, which RFC 9110 §15.5.16 gives an unsupported content coding.
 */
export function encodingParse(value: string | string[] | undefined, acceptHeader: string): Encoding {
  const name = String(value ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return 'identity';
  if (name === 'gzip') return 'gzip';
  throw new GatewayError(
    Codes.unimplemented,
    `compression ${JSON.stringify(value)} is not supported: use gzip or identity`,
    415,
    { [acceptHeader]: ACCEPTED_ENCODINGS },
  );
}

/**
 * Inflates a request message, refusing it (RESOURCE_EXHAUSTED, 413) once it
 * grows past `limit`: zlib stops there, so a small gzip bomb never becomes
 * a large buffer. Bytes that do not inflate are INVALID_ARGUMENT, as
 * connect-es answers them (gRPC's statuscodes.md says INTERNAL, which this
 * service keeps for its own faults: the fault is in the request).
 */
export function decompress(encoding: Encoding, bytes: Uint8Array, limit: number): Uint8Array {
  if (encoding === 'identity') return bytes;
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new GatewayError(Codes.resourceExhausted, `the request message is larger than the limit of ${limit} bytes once decompressed`, 413);
    }
    throw new GatewayError(Codes.invalidArgument, 'the request message is not valid gzip');
  }
}

/** Whether an Accept-Encoding / grpc-accept-encoding list takes gzip (a q of 0 refuses it). */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  for (const entry of String(header).split(',')) {
    const [name, ...params] = entry.split(';');
    if (name!.trim().toLowerCase() !== 'gzip') continue;
    // "q=" is case-insensitive, as ABNF strings are (RFC 9110 §12.4.2, RFC 5234 §2.3).
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** The answer gzipped, when the client takes gzip and the answer is large enough to gain from it. */
export function compressFor(accepts: boolean, bytes: Uint8Array, minBytes: number): Uint8Array | undefined {
  if (!accepts || bytes.length < minBytes) return undefined;
  return zlib.gzipSync(bytes);
}
