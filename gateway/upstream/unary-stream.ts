import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { type DeadlineSweep, type Pending } from '../deadline';
import { Codes } from '../errors';
import { frameSerialize } from '../grpc-web/frame';
import { grpcMessageDecode } from '../grpc-web/grpc-message';
import type { UnaryCallRequest, UnaryCallResult } from '../unary-call';
import { grpcTimeoutEncode } from './grpc-timeout';
import { httpStatusToCode } from './http-status-code';

/**
 * One unary call as one HTTP/2 stream, as PROTOCOL-HTTP2.md describes it
 * (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): the
 * request headers and one length-prefixed message out; headers, one message
 * and trailers (or trailers alone) back.
 */
export interface StreamSettings {
  /** The upstream as configured, for messages. */
  readonly target: string;
  readonly scheme: 'http' | 'https';
  readonly userAgent: string;
  /** A response message larger than this ends the call with RESOURCE_EXHAUSTED. */
  readonly maxResponseBytes: number;
  /** Ends calls whose deadline passed. */
  readonly sweep: DeadlineSweep;
}

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_INADEQUATE_SECURITY } = http2.constants;

/**
 * Headers the client sets itself, and those HTTP/2 forbids (RFC 9113
 * §8.2.2): call metadata with these names is not forwarded.
 */
const NOT_FORWARDED = new Set([
  'content-type',
  'te',
  'user-agent',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
  'content-length',
]);

/** Headers about the hop to the upstream rather than the call: not response metadata. */
const NOT_METADATA = new Set(['content-type', 'grpc-encoding', 'grpc-accept-encoding', 'grpc-status', 'grpc-message', 'grpc-status-details-bin']);

/** gRPC's ASCII metadata values: printable ASCII only. */
const PRINTABLE = /^[\x20-\x7e]*$/;

function requestHeaders(request: UnaryCallRequest, settings: StreamSettings): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ':method': 'POST',
    ':scheme': settings.scheme,
    ':path': request.method,
    ':authority': settings.target,
    'content-type': 'application/grpc',
    te: 'trailers',
    'user-agent': settings.userAgent,
    // Uncompressed answers only: the gateway compresses for its own clients.
    'grpc-accept-encoding': 'identity',
  };
  if (request.deadline !== undefined) headers['grpc-timeout'] = grpcTimeoutEncode(request.deadline - Date.now());
  for (const key in request.metadata) {
    const value = request.metadata[key]!;
    if (key.startsWith(':') || NOT_FORWARDED.has(key)) continue;
    // -bin values are already base64 (padded or not, gRPC takes both); other values must be printable ASCII.
    if (!key.endsWith('-bin') && !PRINTABLE.test(value)) continue;
    headers[key] = value;
  }
  return headers;
}

function metadataOf(headers: IncomingHttpHeaders): Record<string, string> {
  const record: Record<string, string> = {};
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || key.startsWith(':') || NOT_METADATA.has(key)) continue;
    record[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

/** A stream the upstream reset before it answered (as grpc-js maps RST_STREAM codes). */
function resetCode(rstCode: number): number {
  switch (rstCode) {
    case NGHTTP2_REFUSED_STREAM:
      return Codes.unavailable;
    case NGHTTP2_CANCEL:
      return Codes.cancelled;
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return Codes.resourceExhausted;
    case NGHTTP2_INADEQUATE_SECURITY:
      return Codes.permissionDenied;
    default:
      return Codes.internal;
  }
}

function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined || !value.startsWith('application/grpc')) return false;
  const next = value.charAt('application/grpc'.length);
  return next === '' || next === '+' || next === ';';
}

/** Makes the call on `session`; never rejects. */
export function unaryStream(session: ClientHttp2Session, request: UnaryCallRequest, settings: StreamSettings): Promise<UnaryCallResult> {
  const { target } = settings;
  return new Promise<UnaryCallResult>((resolve) => {
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(requestHeaders(request, settings), { endStream: false });
    } catch (error) {
      // The session closed under us (GOAWAY, gone) or a header was refused.
      const code = (error as { code?: string }).code ?? '';
      const gone = code === 'ERR_HTTP2_INVALID_SESSION' || code === 'ERR_HTTP2_GOAWAY_SESSION';
      resolve(
        gone
          ? { code: Codes.unavailable, message: `upstream ${target} unavailable: connection closed` }
          : // Node's text can quote a header's value (a token): the client hears only its code.
            { code: Codes.internal, message: `upstream request refused (${code || 'unknown error'})` },
      );
      return;
    }

    let metadata: Record<string, string> = {};
    let settled = false;
    let status: IncomingHttpHeaders | undefined;
    let httpStatus = 0;
    const chunks: Buffer[] = [];
    let received = 0;
    /** Length of the first message, once its prefix arrived. */
    let length = -1;

    const finish = (result: UnaryCallResult, reset: boolean) => {
      if (settled) return;
      settled = true;
      if (entry) settings.sweep.delete(entry);
      signal?.removeEventListener('abort', cancel);
      if (reset && !stream.closed) stream.close(NGHTTP2_CANCEL);
      resolve(result);
    };
    const fail = (code: number, message: string) => finish({ code, message, metadata }, true);

    const entry: Pending | undefined =
      request.deadline === undefined ? undefined : { deadline: request.deadline, expire: () => fail(Codes.deadlineExceeded, 'deadline exceeded') };
    if (entry) settings.sweep.add(entry);
    // The caller went away: the upstream sees the call cancelled (RST_STREAM CANCEL).
    const cancel = () => fail(Codes.cancelled, 'cancelled by the client');
    const signal = request.signal;
    if (signal?.aborted) {
      cancel();
      return;
    }
    signal?.addEventListener('abort', cancel, { once: true });

    stream.on('response', (headers) => {
      httpStatus = Number(headers[':status']);
      if (headers['grpc-status'] !== undefined) {
        // Trailers-only: the status in the only HEADERS frame.
        status = headers;
        return;
      }
      metadata = metadataOf(headers);
      if (httpStatus !== 200) fail(httpStatusToCode(httpStatus), `upstream ${target} answered HTTP ${httpStatus}`);
      else if (!isGrpcContentType(headers['content-type'])) {
        fail(Codes.unknown, `upstream ${target} answered content-type ${headers['content-type'] ?? '(none)'}, not gRPC`);
      }
    });
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      chunks.push(chunk);
      received += chunk.length;
      if (length < 0 && received >= 5) {
        const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
        if (head[0] !== 0) {
          // Never asked for (grpc-accept-encoding: identity), so not to be trusted.
          fail(Codes.internal, `upstream ${target} sent a compressed message it was not asked for`);
          return;
        }
        length = head.readUInt32BE(1);
      }
      if (length > settings.maxResponseBytes || received > 5 + settings.maxResponseBytes) {
        fail(Codes.resourceExhausted, `upstream response larger than ${settings.maxResponseBytes} bytes`);
      }
    });
    stream.on('trailers', (trailers: IncomingHttpHeaders) => {
      status = trailers;
    });
    stream.on('error', () => {
      // 'close' follows and says what happened.
    });
    stream.on('close', () => {
      if (settled) return;
      if (status === undefined) {
        if (httpStatus === 0) {
          if (session.destroyed || session.closed || stream.rstCode === NGHTTP2_REFUSED_STREAM) {
            finish({ code: Codes.unavailable, message: `upstream ${target} unavailable: ${stream.rstCode === NGHTTP2_REFUSED_STREAM ? 'stream refused' : 'connection closed'}` }, false);
          } else {
            finish({ code: resetCode(stream.rstCode), message: `upstream ${target} reset the stream (HTTP/2 error ${stream.rstCode})`, metadata }, false);
          }
        } else {
          finish({ code: Codes.unknown, message: `upstream ${target} sent no status`, metadata }, false);
        }
        return;
      }
      finish(outcome(status, metadata, chunks, received, length, target), false);
    });
    stream.end(frameSerialize(0, request.message)); // flag 0: not compressed
  });
}

/** The call's result from its status headers and the body received. */
function outcome(
  status: IncomingHttpHeaders,
  metadata: Record<string, string>,
  chunks: Buffer[],
  received: number,
  length: number,
  target: string,
): UnaryCallResult {
  const code = Number(status['grpc-status']);
  const trailers = metadataOf(status);
  const encoded = status['grpc-message'];
  const message = typeof encoded === 'string' ? grpcMessageDecode(encoded) : '';
  const detailsBase64 = status['grpc-status-details-bin'];
  const details = typeof detailsBase64 === 'string' ? Buffer.from(detailsBase64, 'base64') : undefined;
  if (!Number.isInteger(code) || code < 0 || code > 16) {
    return { code: Codes.unknown, message: `upstream ${target} sent grpc-status ${String(status['grpc-status'])}`, metadata, trailers };
  }
  if (code !== 0) return { code, message, details, metadata, trailers };
  if (length < 0 || received < 5 + length) {
    return { code: Codes.internal, message: `upstream ${target} answered OK without a complete message`, metadata, trailers };
  }
  if (received > 5 + length) {
    return { code: Codes.internal, message: `upstream ${target} sent more than one message for a unary call`, metadata, trailers };
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  return { code: 0, message: '', response: body.subarray(5), metadata, trailers };
}
