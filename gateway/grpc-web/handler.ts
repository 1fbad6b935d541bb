import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyRead } from '../body';
import { type Encoding, acceptsGzip, compressFor, decompress, encodingParse } from '../compression';
import { ClientCall } from '../departure';
import { Codes, GatewayError } from '../errors';
import type { UnaryCall, UnaryCallResult } from '../unary-call';
import { Base64Error, base64Decode } from './base64';
import { type GrpcWebContentType, grpcWebContentTypeParse } from './content-type';
import { FLAG_COMPRESSED, FLAG_TRAILER, FrameError, frameSerialize, framesParse } from './frame';
import { grpcMessageEncode } from './grpc-message';
import { trailerSerialize } from './trailer';

export interface GrpcWebOptions {
  readonly call: UnaryCall;
  /** The limit of a request body, and of its message once decompressed. */
  readonly maxBodyBytes: number;
  /** Answers at least this large are gzipped for a client that lists gzip in grpc-accept-encoding. */
  readonly compressMinBytes: number;
}

/** What the handler tells its caller about a finished call (for logs and metrics). */
export interface GrpcWebOutcome {
  readonly protocol: 'grpc-web' | 'grpc-web-text';
  readonly code: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * Serves one gRPC-Web unary call (grpc/grpc doc/PROTOCOL-WEB.md): one data
 * frame in; a data frame and a trailer frame out, or, for an error, the
 * status in the response headers alone (trailers-only). In text mode both
 * bodies are base64, the response one frame at a time.
 */
export async function grpcWebHandle(
  request: IncomingMessage,
  response: ServerResponse,
  method: string,
  deadline: number | undefined,
  options: GrpcWebOptions,
): Promise<GrpcWebOutcome> {
  const type = grpcWebContentTypeParse(request.headers['content-type']);
  if (!type) {
    throw new GatewayError(
      Codes.unimplemented,
      `content type ${request.headers['content-type']} is not offered: use application/grpc-web[-text][+proto]`,
      415,
    );
  }
  const protocol = type.text ? 'grpc-web-text' : 'grpc-web';
  const encoding = encodingParse(request.headers['grpc-encoding'], 'grpc-accept-encoding');
  let message: Uint8Array;
  try {
    message = requestMessage(await bodyRead(request, options.maxBodyBytes), type, encoding, options.maxBodyBytes);
  } catch (error) {
    if (error instanceof GatewayError && error.code === Codes.cancelled) return { protocol, code: Codes.cancelled };
    throw error;
  }

  const call = new ClientCall(request, response, method, message, deadline);
  const result = await options.call(call);
  if (!call.finish()) respond(response, type, result, acceptsGzip(request.headers['grpc-accept-encoding']) ? options.compressMinBytes : undefined);
  return { protocol, code: result.code, annotations: result.annotations };
}

function requestMessage(body: Buffer, type: GrpcWebContentType, encoding: Encoding, limit: number): Uint8Array {
  let bytes: Uint8Array = body;
  if (type.text) {
    try {
      bytes = base64Decode(body.toString('latin1'));
    } catch (error) {
      if (error instanceof Base64Error) throw new GatewayError(Codes.invalidArgument, error.message);
      throw error;
    }
  }
  let frames;
  try {
    frames = framesParse(bytes);
  } catch (error) {
    if (error instanceof FrameError) throw new GatewayError(Codes.invalidArgument, error.message);
    throw error;
  }
  const data = frames.filter((f) => (f.flags & FLAG_TRAILER) === 0);
  if (data.length !== 1) {
    throw new GatewayError(Codes.invalidArgument, `a unary call takes exactly one message frame, got ${data.length}`);
  }
  if ((data[0]!.flags & FLAG_COMPRESSED) === 0) return data[0]!.payload;
  // A compressed flag without an encoding to read it by (grpc/grpc doc/compression.md).
  if (encoding === 'identity') throw new GatewayError(Codes.invalidArgument, 'a compressed message without grpc-encoding');
  return decompress(encoding, data[0]!.payload, limit);
}

/** The status as header (or trailer) fields. */
export function statusFields(code: number, message: string, details?: Uint8Array): Record<string, string> {
  const fields: Record<string, string> = { 'grpc-status': String(code), 'grpc-message': grpcMessageEncode(message) };
  if (details) fields['grpc-status-details-bin'] = Buffer.from(details).toString('base64').replace(/=+$/, '');
  return fields;
}

/** The trailer frame of an OK answer without trailers of its own (every in-process one): made once. */
const OK_TRAILER = trailerSerialize(statusFields(0, ''));

/** `compressMinBytes` is set when the client takes gzip. */
function respond(response: ServerResponse, type: GrpcWebContentType, result: UnaryCallResult, compressMinBytes: number | undefined): void {
  const extra = result.metadata ?? {};
  if (result.code !== 0 || !result.response) {
    // Trailers-only: no message, so the status travels in the headers.
    response.writeHead(200, {
      ...extra,
      ...result.trailers,
      'content-type': type.response,
      ...statusFields(result.code, result.message, result.details),
    });
    response.end();
    return;
  }
  const compressed = compressFor(compressMinBytes !== undefined, result.response, compressMinBytes ?? 0);
  const data = compressed ? frameSerialize(FLAG_COMPRESSED, compressed) : frameSerialize(0, result.response);
  const trailer = result.trailers ? trailerSerialize({ ...result.trailers, ...statusFields(0, '') }) : OK_TRAILER;
  const body = type.text
    ? Buffer.from(data.toString('base64') + trailer.toString('base64'), 'latin1')
    : Buffer.concat([data, trailer]);
  const headers: Record<string, string | number> = { ...extra, 'content-type': type.response, 'content-length': body.length };
  if (compressed) headers['grpc-encoding'] = 'gzip';
  response.writeHead(200, headers);
  response.end(body);
}

/** A refused gRPC-Web request: its HTTP status, with the gRPC status in the headers for clients. */
export function grpcWebRefuse(response: ServerResponse, error: GatewayError): void {
  response.writeHead(error.httpStatus, {
    ...error.headers,
    'content-type': 'application/grpc-web+proto',
    ...statusFields(error.code, error.message),
  });
  response.end();
}
