import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from '@bufbuild/protobuf';
import { bodyRead } from '../body';
import { acceptsGzip, compressFor, decompress, encodingParse } from '../compression';
import { ClientCall } from '../departure';
import { Codes, GatewayError } from '../errors';
import { codeToHttpStatus } from '../http-status';
import { statusToJson } from '../status-json';
import type { UnaryCall, UnaryCallResult } from '../unary-call';
import type { Route } from './routes';
import { requestTranscode, responseTranscode } from './transcode';

export interface RestOptions {
  readonly call: UnaryCall;
  readonly registry: Registry;
  /** The limit of a request body, and of its JSON once decompressed. */
  readonly maxBodyBytes: number;
  /** Answers at least this large are gzipped for a client whose Accept-Encoding takes gzip. */
  readonly compressMinBytes: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Content types a JSON body may come with. curl -d sends
 * application/x-www-form-urlencoded, and a browser's simple request
 * text/plain; the body is JSON all the same (grpc-gateway reads it so too).
 */
const JSON_LIKE = /^(application\/(json|[\w.+-]+\+json|x-www-form-urlencoded)|text\/plain)\s*(;|$)/i;

/**
 * Serves one REST/JSON call on a matched route; answers the call's code as
 * an HTTP status. A gzip body (Content-Encoding) is inflated within the body
 * limit; a large answer is gzipped for a client that accepts it.
 */
export async function restHandle(
  request: IncomingMessage,
  response: ServerResponse,
  route: Route,
  bindings: Readonly<Record<string, string>>,
  query: URLSearchParams,
  deadline: number | undefined,
  options: RestOptions,
): Promise<UnaryCallResult> {
  const contentType = request.headers['content-type'];
  if (route.body !== '' && contentType !== undefined && !JSON_LIKE.test(contentType)) {
    throw new GatewayError(Codes.invalidArgument, `content type ${contentType} is not JSON`, 415);
  }
  let body: Uint8Array = EMPTY;
  if (route.body === '') {
    request.resume();
  } else {
    const encoding = encodingParse(request.headers['content-encoding'], 'accept-encoding');
    body = decompress(encoding, await bodyRead(request, options.maxBodyBytes), options.maxBodyBytes);
  }
  const message = requestTranscode(route, bindings, query, body, options.registry);

  const call = new ClientCall(request, response, route.grpcPath, message, deadline);
  const result = await options.call(call);
  if (call.finish()) return result;

  if (result.code === 0 && result.response) {
    const json = responseTranscode(route, result.response, options.registry);
    const compressed = compressFor(acceptsGzip(request.headers['accept-encoding']), json, options.compressMinBytes);
    send(response, 200, compressed ?? json, compressed ? { 'content-encoding': 'gzip' } : {});
  } else {
    const headers: Record<string, string> = {};
    if (result.code === Codes.unauthenticated) headers['www-authenticate'] = 'Bearer realm="oidc-settings"';
    send(response, codeToHttpStatus(result.code), statusToJson(result.code, result.message, result.details, options.registry), headers);
  }
  return result;
}

/** A refused REST request, with the same google.rpc.Status body as an RPC error. */
export function restRefuse(response: ServerResponse, error: GatewayError, registry: Registry): void {
  send(response, error.httpStatus, statusToJson(error.code, error.message, undefined, registry), error.headers);
}

function send(response: ServerResponse, status: number, json: string | Uint8Array, headers: Record<string, string> = {}): void {
  const body = typeof json === 'string' ? Buffer.from(json, 'utf8') : json;
  response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': body.length });
  response.end(body);
}
