import http2 from 'node:http2';
import zlib from 'node:zlib';
import type { DeadlineSweep, Pending } from '../../gateway/deadline';
import { frameSerialize } from '../../gateway/grpc-web/frame';
import { grpcMessageEncode } from '../../gateway/grpc-web/grpc-message';
import { grpcTimeoutParse } from '../../gateway/grpc-web/timeout';
import { Code } from '../domain/code';
import type { UnaryHandler, UnaryResult } from './unary';

export interface UnaryStreamOptions {
  readonly handler: UnaryHandler;
  /** A request message past this many bytes (as sent, and once inflated) is RESOURCE_EXHAUSTED. */
  readonly maxReceiveBytes: number;
  /** Watches the calls that carry a grpc-timeout (one sweep for all, as the gateway's). */
  readonly deadlines: DeadlineSweep;
  /** Sees every answered call (for logs and metrics). */
  readonly onCall?: (record: {
    method: string;
    protocol: 'grpc';
    code: number;
    durationMs: number;
    annotations?: Readonly<Record<string, string>>;
  }) => void;
}

/** What grpc-js sends before a message, kept so that clients see no difference. */
const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
};
const OK_TRAILERS: http2.OutgoingHttpHeaders = { 'grpc-status': '0', 'grpc-message': 'OK' };
const WITH_TRAILERS = { waitForTrailers: true };
const END = { endStream: true };

/** Request headers that are the transport's, not the call's metadata (as grpc-js removes them). */
const TRANSPORT_HEADERS = new Set(['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type']);

const PREFIX = 5;

/**
 * One unary call of ours answered on its HTTP/2 stream, without grpc-js's
 * call objects (its server call, interceptor chain, decoder and metadata,
 * ~7.6 KB a call, most of it outliving a scavenge under load). It keeps what
 * grpc-js does for a unary call, so that clients see the same answers:
 * - one length-prefixed message in; a length prefix past maxReceiveBytes is
 *   RESOURCE_EXHAUSTED at once, no message or a second one UNIMPLEMENTED;
 * - a compressed message by its grpc-encoding (gzip, deflate; another is
 *   UNIMPLEMENTED, bytes that do not inflate INTERNAL), bounded once inflated;
 * - grpc-timeout as a deadline: DEADLINE_EXCEEDED when it passes first;
 * - the answer as headers, one message and trailers; an error trailers-only,
 *   with grpc-status-details-bin;
 * - nothing written to a stream the client reset (the call is cancelled).
 * Streams of other methods (health, reflection) still go to grpc-js.
 */
export class UnaryStreamCall implements Pending {
  private readonly started = performance.now();
  private chunks: Buffer[] = [];
  private received = 0;
  /** The first message's length, once its prefix arrived. */
  private length = -1;
  private answered = false;
  /** Milliseconds since the epoch; Infinity without a grpc-timeout. */
  deadline = Infinity;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly headers: http2.IncomingHttpHeaders,
    private readonly method: string,
    private readonly options: UnaryStreamOptions,
  ) {
    stream.on('error', ignore);
    stream.on('data', (chunk: Buffer) => this.data(chunk));
    stream.once('end', () => this.end());
    // Checked by request-check.ts before the call was made.
    const timeout = headers['grpc-timeout'];
    const timeoutMs = typeof timeout === 'string' ? grpcTimeoutParse(timeout) : undefined;
    if (timeoutMs !== undefined) {
      this.deadline = Date.now() + timeoutMs;
      options.deadlines.add(this);
      // A call the client reset waits for no deadline.
      stream.once('close', () => options.deadlines.delete(this));
    }
  }

  /** The deadline passed first: the client is answered so, and the handler's answer, when it comes, is dropped. */
  expire(): void {
    this.refuse(Code.DeadlineExceeded, 'Deadline exceeded');
  }

  private data(chunk: Buffer): void {
    if (this.answered) return;
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.length < 0 && this.received >= PREFIX) {
      this.length = this.prefix().length;
      if (this.length > this.options.maxReceiveBytes) {
        this.refuse(Code.ResourceExhausted, `Received message larger than max (${this.length} vs ${this.options.maxReceiveBytes})`);
        return;
      }
    }
    // A second prefix arrived: a unary method takes one message.
    if (this.length >= 0 && this.received >= 2 * PREFIX + this.length) this.refuse(Code.Unimplemented, `Received a second request message for unary method ${this.method}`);
  }

  private end(): void {
    if (this.answered) return;
    if (this.length < 0 || this.received < PREFIX + this.length) {
      this.refuse(Code.Unimplemented, `Received no request message for unary method ${this.method}`);
      return;
    }
    const { compressed } = this.prefix();
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.received);
    this.chunks = [];
    const message = body.subarray(PREFIX, PREFIX + this.length);
    if (!compressed) {
      this.run(message);
      return;
    }
    const encoding = this.headers['grpc-encoding'];
    // A compressed flag without grpc-encoding is read as identity, as grpc-js does.
    if (encoding === undefined || encoding === 'identity') this.run(message);
    else if (encoding === 'gzip' || encoding === 'deflate') this.inflate(encoding, message);
    else this.refuse(Code.Unimplemented, `Received message compressed with unsupported encoding "${String(encoding)}"`);
  }

  private inflate(encoding: 'gzip' | 'deflate', message: Buffer): void {
    const limit = this.options.maxReceiveBytes;
    const done = (error: Error | null, inflated: Buffer) => {
      if (this.answered) return;
      if (!error) this.run(inflated);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        this.refuse(Code.ResourceExhausted, `Received message that decompresses to a size larger than ${limit}`);
      } else this.refuse(Code.Internal, 'Failed to decompress message');
    };
    if (encoding === 'gzip') zlib.gunzip(message, { maxOutputLength: limit }, done);
    else zlib.inflate(message, { maxOutputLength: limit }, done);
  }

  private run(message: Uint8Array): void {
    this.options.handler({ method: this.method, metadata: metadataOf(this.headers), message }).then(
      (result) => this.answer(result),
      // The handler answers errors itself; this only guards against a bug in it.
      () => this.answer({ code: Code.Internal, message: 'internal error' }),
    );
  }

  private answer(result: UnaryResult): void {
    if (this.answered) return;
    this.options.onCall?.({
      method: this.method,
      protocol: 'grpc',
      code: result.code,
      durationMs: performance.now() - this.started,
      annotations: result.annotations,
    });
    if (result.code !== 0 || !result.response) {
      this.fail(result.code, result.message, result.details);
      return;
    }
    this.done();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    stream.respond(RESPONSE_HEADERS, WITH_TRAILERS);
    stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
    stream.end(frameSerialize(0, result.response));
  }

  /** Answered without the method's result (refused, or past its deadline): logged here. */
  private refuse(code: number, message: string): void {
    if (this.answered) return;
    this.options.onCall?.({ method: this.method, protocol: 'grpc', code, durationMs: performance.now() - this.started });
    this.fail(code, message);
  }

  /** A trailers-only answer; a request still being sent is then cut (RST_STREAM NO_ERROR, RFC 9113 §8.1). */
  private fail(code: number, message: string, details?: Uint8Array): void {
    this.done();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const headers: http2.OutgoingHttpHeaders = {
      ':status': 200,
      'content-type': 'application/grpc+proto',
      'grpc-status': String(code),
      'grpc-message': grpcMessageEncode(message),
    };
    if (details) headers['grpc-status-details-bin'] = Buffer.from(details.buffer, details.byteOffset, details.byteLength).toString('base64');
    stream.respond(headers, END);
    if (!stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
  }

  private done(): void {
    this.answered = true;
    this.chunks = [];
    if (this.deadline !== Infinity) this.options.deadlines.delete(this);
  }

  /** The first message's prefix (at least PREFIX bytes have arrived). */
  private prefix(): { compressed: boolean; length: number } {
    const first = this.chunks[0]!;
    const bytes = first.length >= PREFIX ? first : Buffer.concat(this.chunks, this.received);
    return { compressed: (bytes[0]! & 1) === 1, length: bytes.readUInt32BE(1) };
  }
}

const ignore = (): void => undefined;

/** The call's metadata: the request headers but pseudo-headers and the transport's own; the first of repeated values. */
function metadataOf(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const key in headers) {
    if (key.charCodeAt(0) === 0x3a || TRANSPORT_HEADERS.has(key)) continue;
    const value = headers[key];
    if (typeof value === 'string') metadata[key] = value;
    else if (Array.isArray(value) && value.length > 0) metadata[key] = value[0]!;
  }
  return metadata;
}
