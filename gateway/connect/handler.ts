import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DescMethod, type JsonObject, type Registry } from '@bufbuild/protobuf';
import { MethodOptions_IdempotencyLevel } from '@bufbuild/protobuf/wkt';
import { bodyRead } from '../body';
import { acceptsGzip, compressFor, decompress, encodingParse } from '../compression';
import { ClientCall } from '../departure';
import { Codes, GatewayError } from '../errors';
import { codeToHttpStatus } from '../http-status';
import { binaryToJson, jsonParse, jsonToBinary } from '../json-codec';
import type { UnaryCall, UnaryCallResult } from '../unary-call';
import { type ConnectCodec, connectContentTypeParse, contentTypeOf } from './content-type';
import { errorJsonSerialize } from './error-json';
import { getRequestParse } from './get-request';

export interface ConnectOptions {
  readonly call: UnaryCall;
  readonly registry: Registry;
  /** The limit of a request body (or GET message), and of its message once decompressed. */
  readonly maxBodyBytes: number;
  /** Answers at least this large are gzipped for a client whose Accept-Encoding takes gzip. */
  readonly compressMinBytes: number;
}

/** What the handler tells its caller about a finished call (for logs and metrics). */
export interface ConnectOutcome {
  readonly code: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Whether a method may be called with GET: its proto says it has no side effects. */
export const getAllowed = (method: DescMethod | undefined): boolean =>
  method?.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;

/**
 * Serves one Connect unary call (connectrpc.com/docs/protocol#unary-request):
 * POST with the bare message as application/proto or application/json, or
 * GET with the message in the query for a method without side effects. The
 * answer is the bare message with status 200, or a Connect error body with
 * the HTTP status of its code; response metadata are headers, trailers are
 * headers prefixed "trailer-".
 */
export async function connectHandle(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  method: DescMethod | undefined,
  query: string,
  deadline: number | undefined,
  options: ConnectOptions,
): Promise<ConnectOutcome> {
  if (!method) throw new GatewayError(Codes.unimplemented, `no method ${path}`, 404);
  const get = request.method === 'GET';
  if (get && !getAllowed(method)) {
    throw new GatewayError(
      Codes.unimplemented,
      `${path} has side effects and cannot be called with GET (its proto does not mark it idempotency_level = NO_SIDE_EFFECTS): use POST`,
      405,
      { allow: 'POST' },
    );
  }
  let codec: ConnectCodec;
  let sent: Uint8Array;
  let compression: string | string[] | undefined;
  if (get) {
    const parsed = getRequestParse(query);
    if (parsed.message.length > options.maxBodyBytes) {
      throw new GatewayError(Codes.resourceExhausted, `request message larger than the limit of ${options.maxBodyBytes} bytes`, 413);
    }
    ({ codec, message: sent, compression } = parsed);
  } else {
    const version = request.headers['connect-protocol-version'];
    if (version !== undefined && version !== '1') {
      throw new GatewayError(Codes.invalidArgument, `connect-protocol-version ${JSON.stringify(version)} is not offered: use 1`);
    }
    const type = request.headers['content-type'];
    const parsed = connectContentTypeParse(type);
    if (!parsed) {
      throw new GatewayError(Codes.unimplemented, `content type ${type} is not offered: unary Connect calls use application/proto or application/json`, 415);
    }
    codec = parsed;
    compression = request.headers['content-encoding'];
    try {
      sent = await bodyRead(request, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof GatewayError && error.code === Codes.cancelled) return { code: Codes.cancelled };
      throw error;
    }
  }
  const body = decompress(encodingParse(compression, 'accept-encoding'), sent, options.maxBodyBytes);
  const message = codec === 'proto' ? body : jsonToBinary(method.input, jsonObject(body, method), options.registry);

  const call = new ClientCall(request, response, path, message, deadline);
  const result = await options.call(call);
  if (call.finish()) return result;

  const headers = metadataHeaders(result);
  if (result.code === 0 && result.response) {
    const payload = codec === 'json' ? binaryToJson(method.output, result.response, options.registry) : result.response;
    const compressed = compressFor(acceptsGzip(request.headers['accept-encoding']), payload, options.compressMinBytes);
    if (compressed) headers['content-encoding'] = 'gzip';
    // Whether the answer is gzipped follows Accept-Encoding, so a cache must
    // keep one answer per value of it (RFC 9110 §12.5.5): GET answers are cacheable.
    const vary = response.getHeader('vary');
    headers['vary'] = vary === undefined ? 'Accept-Encoding' : `${String(vary)}, Accept-Encoding`;
    send(response, 200, contentTypeOf(codec), compressed ?? payload, headers);
  } else {
    if (result.code === Codes.unauthenticated) headers['www-authenticate'] = 'Bearer realm="oidc-settings"';
    send(response, codeToHttpStatus(result.code), 'application/json', errorJsonSerialize(result.code, result.message, result.details), headers);
  }
  return result;
}

/** A refused Connect request: its HTTP status and a Connect error body. */
export function connectRefuse(response: ServerResponse, error: GatewayError): void {
  send(response, error.httpStatus, 'application/json', errorJsonSerialize(error.code, error.message), { ...error.headers });
}

function jsonObject(body: Uint8Array, method: DescMethod): JsonObject {
  const parsed = jsonParse(body);
  if (parsed === undefined) return {};
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError(Codes.invalidArgument, `the request message must be a JSON object (${method.input.typeName})`);
  }
  return parsed;
}

/** What the protocol itself says (framing, status) never comes from call metadata. */
const RESERVED = /^(grpc-|content-|connect-|trailer-|:)|^(te|transfer-encoding|connection)$/;

function metadataHeaders(result: UnaryCallResult): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(result.metadata ?? {})) if (!RESERVED.test(key)) headers[key] = value;
  for (const [key, value] of Object.entries(result.trailers ?? {})) if (!RESERVED.test(key)) headers[`trailer-${key}`] = value;
  return headers;
}

function send(response: ServerResponse, status: number, contentType: string, body: Uint8Array | string, headers: Record<string, string>): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  response.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': bytes.length });
  response.end(bytes);
}
