import type http2 from 'node:http2';
import { Code } from '../domain/code';

/** Why a request is turned away before any method runs, and how to answer it. */
export type Refusal =
  | { readonly kind: 'http'; readonly status: 405 | 415; readonly headers: Readonly<Record<string, string>> }
  | { readonly kind: 'grpc'; readonly code: Code; readonly message: string };

/**
 * gRPC over HTTP/2 is POST with an application/grpc content type
 * (PROTOCOL-HTTP2.md "Requests"); grpc-js checks only the content type's
 * prefix, so a HEAD or GET ran the method, and "application/grpc-web" or
 * "+json" bodies were read as protobuf. We speak application/grpc and
 * application/grpc+proto, parameters allowed.
 */
const GRPC_CONTENT_TYPE = /^application\/grpc(\+proto)?\s*(;.*)?$/i;

/**
 * TimeoutValue is at most 8 digits, TimeoutUnit one of H M S m u n
 * (PROTOCOL-HTTP2.md). grpc-js answers INTERNAL for anything else, and
 * accepts some of it ("1.5S" as 5 seconds) with its unanchored pattern.
 */
const GRPC_TIMEOUT = /^\d{1,8}[HMSmun]$/;

/** The refusal of a request's headers, or undefined when a method may see it. */
export function checkRequest(headers: http2.IncomingHttpHeaders): Refusal | undefined {
  if (headers[':method'] !== 'POST') return { kind: 'http', status: 405, headers: { allow: 'POST' } };
  const contentType = headers['content-type'];
  if (typeof contentType !== 'string' || !GRPC_CONTENT_TYPE.test(contentType)) {
    return { kind: 'http', status: 415, headers: { 'accept-post': 'application/grpc' } };
  }
  const timeout = headers['grpc-timeout'];
  if (timeout !== undefined && (typeof timeout !== 'string' || !GRPC_TIMEOUT.test(timeout))) {
    // The value is not echoed: a client sees what it sent.
    return { kind: 'grpc', code: Code.InvalidArgument, message: 'malformed grpc-timeout' };
  }
  return undefined;
}

/** Answers a refused request and reads (discards) whatever body it still sends. */
export function refuse(stream: http2.ServerHttp2Stream, refusal: Refusal): void {
  stream.on('error', () => undefined);
  if (refusal.kind === 'http') {
    stream.respond({ ':status': refusal.status, ...refusal.headers }, { endStream: true });
  } else {
    // A trailers-only answer, as grpc-js sends its own errors.
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(refusal.code), 'grpc-message': refusal.message },
      { endStream: true },
    );
  }
  stream.resume();
}
